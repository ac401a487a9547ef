//! Channel use cases: create, edit, enable/disable, delete, and job periods.
//!
//! Settings and credentials are checked against the integration's registry row: unknown
//! fields are refused by name, required ones must be present. Credentials are sealed before
//! they reach storage and only ever shown back masked.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use techoms_db::channels::{ChannelUpdate, NewChannel};
use techoms_db::{channel_jobs, channels};
use techoms_domain::{
    Capability, Channel, ChannelId, ChannelKind, FieldSpec, Integration, JobKind, JobPeriod,
};

use crate::App;
use crate::access::Access;
use crate::accounts::audit_event;
use crate::error::{AppError, AppResult, FieldError};
use crate::secrets::mask;

/// A channel as submitted by the API or the form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelInput {
    pub kind: Option<String>,
    pub integration: Option<String>,
    pub name: Option<String>,
    pub enabled: Option<bool>,
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// On edit, credentials left out (or empty) keep their stored value.
    #[serde(default)]
    pub credentials: BTreeMap<String, String>,
}

/// A channel as shown back: credentials masked, never in full.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelView {
    #[serde(flatten)]
    pub channel: Channel,
    pub integration_name: &'static str,
    pub credentials: BTreeMap<String, String>,
    pub is_master: bool,
}

fn check_fields(
    errors: &mut Vec<FieldError>,
    prefix: &str,
    specs: &[FieldSpec],
    given: &BTreeMap<String, String>,
    stored: Option<&BTreeMap<String, String>>,
) {
    for name in given.keys() {
        if !specs.iter().any(|s| s.name == name) {
            let known: Vec<&str> = specs.iter().map(|s| s.name).collect();
            errors.push(FieldError::new(
                format!("{prefix}.{name}"),
                format!("unknown field (expected one of: {})", known.join(", ")),
            ));
        }
    }
    for spec in specs.iter().filter(|s| s.required) {
        let present = given.get(spec.name).is_some_and(|v| !v.trim().is_empty())
            || stored.is_some_and(|m| m.get(spec.name).is_some_and(|v| !v.is_empty()));
        if !present {
            errors.push(FieldError::new(
                format!("{prefix}.{}", spec.name),
                format!("{} is required", spec.label),
            ));
        }
    }
    for (name, value) in given {
        if value.len() > 4096 {
            errors.push(FieldError::new(
                format!("{prefix}.{name}"),
                "is longer than 4096 characters",
            ));
        }
    }
}

fn check_name(errors: &mut Vec<FieldError>, name: Option<&str>) -> String {
    let n = name.unwrap_or("").trim();
    if n.is_empty() {
        errors.push(FieldError::new("name", "is required"));
    } else if n.chars().count() > 100 {
        errors.push(FieldError::new("name", "is longer than 100 characters"));
    }
    n.to_owned()
}

fn trimmed(m: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    m.iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.clone(), v.trim().to_owned()))
        .collect()
}

pub async fn view(app: &App, access: &Access, channel: Channel) -> AppResult<ChannelView> {
    let creds = match channels::credentials(&app.db, access.account.id, channel.id).await? {
        Some(blob) => app.secrets.open(&blob)?,
        None => BTreeMap::new(),
    };
    Ok(ChannelView {
        integration_name: channel.integration.spec().display_name,
        is_master: access.account.master_product_channel_id == Some(channel.id),
        credentials: creds.iter().map(|(k, v)| (k.clone(), mask(v))).collect(),
        channel,
    })
}

pub async fn list(app: &App, access: &Access) -> AppResult<Vec<Channel>> {
    Ok(channels::list(&app.db, access.account.id).await?)
}

pub async fn get(app: &App, access: &Access, id: ChannelId) -> AppResult<Channel> {
    Ok(channels::get(&app.db, access.account.id, id).await?)
}

pub async fn create(app: &App, access: &Access, input: &ChannelInput) -> AppResult<Channel> {
    access.require_admin()?;
    let mut errors = Vec::new();
    let integration = match input.integration.as_deref() {
        None | Some("") => {
            errors.push(FieldError::new("integration", "is required"));
            None
        }
        Some(s) => s
            .parse::<Integration>()
            .map_err(|e| errors.push(FieldError::new("integration", e)))
            .ok(),
    };
    let kind = match input.kind.as_deref() {
        None | Some("") => integration.map(Integration::kind),
        Some(s) => s
            .parse::<ChannelKind>()
            .map_err(|e| errors.push(FieldError::new("kind", e)))
            .ok(),
    };
    if let (Some(i), Some(k)) = (integration, kind)
        && i.kind() != k
    {
        errors.push(FieldError::new(
            "kind",
            format!(
                "{} is a {} integration, not {}",
                i.spec().display_name,
                i.kind(),
                k
            ),
        ));
    }
    let name = check_name(&mut errors, input.name.as_deref());
    if let Some(i) = integration {
        check_fields(
            &mut errors,
            "settings",
            i.spec().settings,
            &input.settings,
            None,
        );
        check_fields(
            &mut errors,
            "credentials",
            i.spec().credentials,
            &input.credentials,
            None,
        );
    }
    let (Some(integration), Some(kind), true) = (integration, kind, errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    let credentials = trimmed(&input.credentials);
    let sealed = app.secrets.seal(&credentials)?;
    let ch = channels::create(
        &app.db,
        access.account.id,
        &NewChannel {
            kind,
            integration,
            name,
            enabled: input.enabled.unwrap_or(true),
            settings: trimmed(&input.settings),
            credentials: Some(sealed),
        },
        app.clock.now(),
    )
    .await
    .map_err(|e| match e {
        techoms_db::DbError::Conflict { message, .. } => AppError::field("name", message),
        other => other.into(),
    })?;
    audit_event(
        app,
        access,
        "channel.created",
        None,
        Some(format!("{} ({})", ch.name, integration)),
    )
    .await?;
    Ok(ch)
}

pub async fn update(
    app: &App,
    access: &Access,
    id: ChannelId,
    input: &ChannelInput,
) -> AppResult<Channel> {
    access.require_admin()?;
    let current = channels::get(&app.db, access.account.id, id).await?;
    let mut errors = Vec::new();
    if let Some(i) = input.integration.as_deref().filter(|s| !s.is_empty())
        && i != current.integration.key()
    {
        errors.push(FieldError::new(
            "integration",
            "cannot be changed; create a new channel instead",
        ));
    }
    if let Some(k) = input.kind.as_deref().filter(|s| !s.is_empty())
        && k != current.kind.as_str()
    {
        errors.push(FieldError::new(
            "kind",
            "cannot be changed; create a new channel instead",
        ));
    }
    let name = check_name(&mut errors, input.name.as_deref().or(Some(&current.name)));
    let stored = match channels::credentials(&app.db, access.account.id, id).await? {
        Some(blob) => app.secrets.open(&blob)?,
        None => BTreeMap::new(),
    };
    let spec = current.integration.spec();
    // Settings left out keep their stored values; settings sent replace them as a whole.
    let settings = if input.settings.is_empty() {
        current.settings.clone()
    } else {
        trimmed(&input.settings)
    };
    check_fields(&mut errors, "settings", spec.settings, &settings, None);
    check_fields(
        &mut errors,
        "credentials",
        spec.credentials,
        &input.credentials,
        Some(&stored),
    );
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let mut creds = stored;
    let new_creds = trimmed(&input.credentials);
    let creds_changed = !new_creds.is_empty();
    creds.extend(new_creds);
    let enabled = input.enabled.unwrap_or(current.enabled);
    let updated = channels::update(
        &app.db,
        access.account.id,
        id,
        &ChannelUpdate {
            name,
            enabled,
            settings,
            credentials: if creds_changed {
                Some(app.secrets.seal(&creds)?)
            } else {
                None
            },
        },
        app.clock.now(),
    )
    .await
    .map_err(|e| match e {
        techoms_db::DbError::Conflict { message, .. } => AppError::field("name", message),
        other => other.into(),
    })?;
    let mut changes = Vec::new();
    if current.name != updated.name {
        changes.push(format!("name {:?} → {:?}", current.name, updated.name));
    }
    if current.enabled != updated.enabled {
        changes.push(format!("enabled {} → {}", current.enabled, updated.enabled));
    }
    if current.settings != updated.settings {
        changes.push("settings".into());
    }
    if creds_changed {
        // Which credentials changed, never their values.
        changes.push(format!(
            "credentials ({})",
            input
                .credentials
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !changes.is_empty() {
        audit_event(
            app,
            access,
            "channel.updated",
            Some(current.name.clone()),
            Some(changes.join("; ")),
        )
        .await?;
    }
    Ok(updated)
}

pub async fn set_enabled(
    app: &App,
    access: &Access,
    id: ChannelId,
    enabled: bool,
) -> AppResult<Channel> {
    access.require_admin()?;
    let ch = channels::get(&app.db, access.account.id, id).await?;
    if ch.enabled != enabled {
        channels::set_enabled(&app.db, access.account.id, id, enabled, app.clock.now()).await?;
        audit_event(
            app,
            access,
            if enabled {
                "channel.enabled"
            } else {
                "channel.disabled"
            },
            None,
            Some(ch.name.clone()),
        )
        .await?;
    }
    Ok(channels::get(&app.db, access.account.id, id).await?)
}

pub async fn delete(app: &App, access: &Access, id: ChannelId) -> AppResult<()> {
    access.require_admin()?;
    let ch = channels::get(&app.db, access.account.id, id).await?;
    if access.account.master_product_channel_id == Some(id) {
        return Err(AppError::conflict(format!(
            "{} is the Master Product Channel; choose another Master Product Source before deleting it",
            ch.name
        )));
    }
    channels::delete(&app.db, access.account.id, id).await?;
    audit_event(
        app,
        access,
        "channel.deleted",
        Some(format!("{} ({})", ch.name, ch.integration)),
        None,
    )
    .await
}

/// The channel's job periods.
pub async fn jobs(
    app: &App,
    access: &Access,
    id: ChannelId,
) -> AppResult<BTreeMap<JobKind, JobPeriod>> {
    channels::get(&app.db, access.account.id, id).await?;
    Ok(channel_jobs::get(&app.db, access.account.id, id).await?)
}

/// Why `kind` may not run at `period` on `channel`, if it may not (DESIGN §4, §5).
pub fn job_rule(
    access: &Access,
    channel: &Channel,
    kind: JobKind,
    period: JobPeriod,
) -> Option<String> {
    if period == JobPeriod::None {
        return None;
    }
    let is_master = access.account.master_product_channel_id == Some(channel.id);
    match kind {
        JobKind::ImportProducts if !channel.integration.supports(Capability::ProductImport) => {
            Some(format!(
                "{} cannot import products",
                channel.integration.spec().display_name
            ))
        }
        JobKind::ImportProducts if !is_master => {
            Some("Import Products can be turned on only for the Master Product Channel".into())
        }
        JobKind::ExportProducts if !channel.integration.supports(Capability::ProductExport) => {
            Some(format!(
                "{} cannot receive products",
                channel.integration.spec().display_name
            ))
        }
        JobKind::ExportProducts if is_master => Some(
            "the Master Product Channel is where products come from; it receives no exports".into(),
        ),
        _ => None,
    }
}

/// Set some of the channel's job periods; all are checked before any is stored.
pub async fn set_jobs(
    app: &App,
    access: &Access,
    id: ChannelId,
    periods: &BTreeMap<String, String>,
) -> AppResult<BTreeMap<JobKind, JobPeriod>> {
    access.require_admin()?;
    let ch = channels::get(&app.db, access.account.id, id).await?;
    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    for (k, v) in periods {
        let kind = match k.parse::<JobKind>() {
            Ok(k) => k,
            Err(e) => {
                errors.push(FieldError::new(k.clone(), e));
                continue;
            }
        };
        let period = match v.parse::<JobPeriod>() {
            Ok(p) => p,
            Err(e) => {
                errors.push(FieldError::new(k.clone(), e));
                continue;
            }
        };
        if let Some(why) = job_rule(access, &ch, kind, period) {
            errors.push(FieldError::new(k.clone(), why));
            continue;
        }
        parsed.push((kind, period));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let before = channel_jobs::get(&app.db, access.account.id, id).await?;
    let now = app.clock.now();
    for (kind, period) in &parsed {
        if before.get(kind) != Some(period) {
            channel_jobs::set(&app.db, access.account.id, id, *kind, *period, now).await?;
            audit_event(
                app,
                access,
                &format!("channel.job.{}", kind.as_str()),
                before
                    .get(kind)
                    .map(|p| format!("{}: {}", ch.name, p.as_str())),
                Some(format!("{}: {}", ch.name, period.as_str())),
            )
            .await?;
        }
    }
    Ok(channel_jobs::get(&app.db, access.account.id, id).await?)
}
