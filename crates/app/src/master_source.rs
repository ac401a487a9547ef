//! The Master Product Source use cases (DESIGN §4): read it, list the eligible channels, and
//! change it — with a confirmation on a live account and the automatic reconfiguration of the
//! product jobs.

use serde::Serialize;
use techoms_db::{accounts, channel_jobs, channels, products};
use techoms_domain::{
    Capability, Channel, ChannelId, JobKind, JobPeriod, MasterProductSource, MasterSetting,
};

use crate::App;
use crate::access::Access;
use crate::accounts::audit_event;
use crate::error::{AppError, AppResult, FieldError};

/// The period a job gets when the switch turns it on and it had none.
pub const DEFAULT_PERIOD: JobPeriod = JobPeriod::Hour1;

/// One entry of the Master Product Channel picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MasterOption {
    pub id: ChannelId,
    pub name: String,
    pub label: String,
    pub enabled: bool,
}

/// A job period the change sets (or would set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobChange {
    pub channel_id: ChannelId,
    pub channel_name: String,
    pub job_kind: JobKind,
    pub from: JobPeriod,
    pub to: JobPeriod,
}

/// What a change does, shown before a live account confirms it.
#[derive(Debug, Clone, Serialize)]
pub struct ChangePreview {
    pub from: MasterSetting,
    pub to: MasterSetting,
    pub catalog_products: i64,
    pub catalog_variants: i64,
    /// Filled once the new master has been read (its channel bindings); None before.
    pub new_master_matching_skus: Option<i64>,
    pub new_master_new_skus: Option<i64>,
    pub catalog_skus_missing_at_new_master: Option<i64>,
    pub job_changes: Vec<JobChange>,
    pub warning: String,
}

/// The outcome of an applied change.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeOutcome {
    pub source: MasterProductSource,
    pub channel_id: Option<ChannelId>,
    pub job_changes: Vec<JobChange>,
}

pub fn current(access: &Access) -> MasterSetting {
    MasterSetting {
        source: access.account.master_product_source,
        channel_id: access.account.master_product_channel_id,
    }
}

pub async fn options(
    app: &App,
    access: &Access,
    source: MasterProductSource,
) -> AppResult<Vec<MasterOption>> {
    let all = channels::list(&app.db, access.account.id).await?;
    Ok(MasterSetting::eligible(source, access.account.id, &all)
        .into_iter()
        .map(|c| MasterOption {
            id: c.id,
            name: c.name.clone(),
            label: c.picker_label(),
            enabled: c.enabled,
        })
        .collect())
}

/// Whether the account is live: it has products (or, once the engine runs, bindings).
pub async fn is_live(app: &App, access: &Access) -> AppResult<bool> {
    let (p, _) = products::counts(&app.db, access.account.id).await?;
    Ok(p > 0 || crate::bindings::has_any(app, access.account.id).await?)
}

/// The job periods the switch sets: Import on for the new master only; Export off on the new
/// master and on for the former master when it can take exports.
async fn plan_jobs(
    app: &App,
    access: &Access,
    all: &[Channel],
    from: MasterSetting,
    to: MasterSetting,
) -> AppResult<Vec<JobChange>> {
    let mut changes = Vec::new();
    for ch in all {
        let jobs = channel_jobs::get(&app.db, access.account.id, ch.id).await?;
        let import = jobs
            .get(&JobKind::ImportProducts)
            .copied()
            .unwrap_or_default();
        let export = jobs
            .get(&JobKind::ExportProducts)
            .copied()
            .unwrap_or_default();
        let is_new = to.channel_id == Some(ch.id);
        let is_former = from.channel_id == Some(ch.id) && !is_new;
        let mut push = |kind, from: JobPeriod, to: JobPeriod| {
            if from != to {
                changes.push(JobChange {
                    channel_id: ch.id,
                    channel_name: ch.name.clone(),
                    job_kind: kind,
                    from,
                    to,
                });
            }
        };
        if is_new {
            let period = if import != JobPeriod::None {
                import
            } else if export != JobPeriod::None {
                export
            } else {
                DEFAULT_PERIOD
            };
            push(JobKind::ImportProducts, import, period);
            push(JobKind::ExportProducts, export, JobPeriod::None);
        } else {
            // Every other channel imports nothing.
            push(JobKind::ImportProducts, import, JobPeriod::None);
            if is_former
                && export == JobPeriod::None
                && ch.integration.supports(Capability::ProductExport)
            {
                let period = if import != JobPeriod::None {
                    import
                } else {
                    DEFAULT_PERIOD
                };
                push(JobKind::ExportProducts, export, period);
            }
        }
    }
    Ok(changes)
}

fn describe(setting: MasterSetting, all: &[Channel]) -> String {
    match setting
        .channel_id
        .and_then(|id| all.iter().find(|c| c.id == id))
    {
        Some(c) => format!("{} ({})", setting.source.label(), c.name),
        None => setting.source.label().to_owned(),
    }
}

/// Change the Master Product Source. On a live account without `confirm`, nothing changes and
/// the answer is a Conflict whose details are the [`ChangePreview`].
pub async fn change(
    app: &App,
    access: &Access,
    to: MasterSetting,
    confirm: bool,
) -> AppResult<ChangeOutcome> {
    access.require_admin()?;
    let channel = match to.channel_id {
        Some(id) => match channels::get(&app.db, access.account.id, id).await {
            Ok(c) => Some(c),
            Err(techoms_db::DbError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    to.validate(access.account.id, channel.as_ref())
        .map_err(|e| AppError::Invalid(vec![FieldError::new(e.field, e.message)]))?;
    let from = current(access);
    if from == to {
        return Ok(ChangeOutcome {
            source: to.source,
            channel_id: to.channel_id,
            job_changes: Vec::new(),
        });
    }
    let all = channels::list(&app.db, access.account.id).await?;
    let job_changes = plan_jobs(app, access, &all, from, to).await?;
    if !confirm && is_live(app, access).await? {
        let (p, v) = products::counts(&app.db, access.account.id).await?;
        let counts = match to.channel_id {
            Some(id) => crate::bindings::master_match_counts(app, access.account.id, id).await?,
            None => None,
        };
        let preview = ChangePreview {
            from,
            to,
            catalog_products: p,
            catalog_variants: v,
            new_master_matching_skus: counts.map(|c| c.0),
            new_master_new_skus: counts.map(|c| c.1),
            catalog_skus_missing_at_new_master: counts.map(|c| c.2),
            job_changes,
            warning: format!(
                "This account has products. Changing the Master Product Source from {} to {} \
                 changes where product data comes from and reconfigures the product jobs. \
                 Products are matched by channel binding and SKU, so none is duplicated. \
                 Send confirm=true to proceed.",
                describe(from, &all),
                describe(to, &all)
            ),
        };
        return Err(AppError::Conflict {
            message: "confirmation required: this account is live".into(),
            details: serde_json::to_value(&preview)
                .map_err(|e| AppError::Internal(e.to_string()))?,
        });
    }
    let now = app.clock.now();
    accounts::set_master(&app.db, access.account.id, to, now).await?;
    for c in &job_changes {
        channel_jobs::set(
            &app.db,
            access.account.id,
            c.channel_id,
            c.job_kind,
            c.to,
            now,
        )
        .await?;
    }
    audit_event(
        app,
        access,
        "master_product_source",
        Some(describe(from, &all)),
        Some(describe(to, &all)),
    )
    .await?;
    for c in &job_changes {
        audit_event(
            app,
            access,
            &format!("channel.job.{}", c.job_kind.as_str()),
            Some(format!("{}: {}", c.channel_name, c.from.as_str())),
            Some(format!(
                "{}: {} (Master Product Source change)",
                c.channel_name,
                c.to.as_str()
            )),
        )
        .await?;
    }
    Ok(ChangeOutcome {
        source: to.source,
        channel_id: to.channel_id,
        job_changes,
    })
}
