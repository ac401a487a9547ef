//! The Account settings page (DESIGN §8): Main, Units, Master Product Source, audit log.
//!
//! One form, one Save. Everything submitted is checked before anything is stored; on a live
//! account a change of the Master Product Source first shows what it will do and asks for a
//! confirmation. With JavaScript, htmx swaps the Master Product Channel select when the source
//! changes; without it, the page comes back asking for the channel.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use techoms_app::accounts::{self, SettingsInput};
use techoms_app::master_source::{self, ChangePreview, MasterOption};
use techoms_app::{App, AppError};
use techoms_domain::{ChannelId, LengthUnit, MasterProductSource, MasterSetting, WeightUnit};

use super::chrome::Chrome;
use super::session::{UiSession, same_token};
use super::{csrf_refused, page_error};

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct AuditRow {
    pub when: String,
    pub actor: String,
    pub action: String,
    pub old_value: String,
    pub new_value: String,
}

#[derive(Template)]
#[template(path = "partials/master_channel.html")]
pub struct MasterChannelSelect {
    pub show: bool,
    pub kind_label: String,
    pub options: Vec<Choice>,
    pub error: Option<String>,
    pub disabled: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    pub chrome: Chrome,
    pub organization: String,
    pub name: String,
    pub code: String,
    pub api_key: String,
    pub new_api_key: Option<String>,
    pub timezone: String,
    pub currency: String,
    pub weight_units: Vec<Choice>,
    pub length_units: Vec<Choice>,
    pub sources: Vec<Choice>,
    pub channel_select: String,
    pub errors: BTreeMap<String, String>,
    pub flash: Option<String>,
    pub confirm: Option<Confirmation>,
    pub audit: Vec<AuditRow>,
}

pub struct Confirmation {
    pub summary: String,
    pub lines: Vec<String>,
}

/// What the form carries (also the values shown back after an error).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub timezone: String,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub weight_unit: String,
    #[serde(default)]
    pub length_unit: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub channel_id: String,
    #[serde(default)]
    pub confirm: String,
}

fn choices<T: Copy + PartialEq>(
    all: &[T],
    selected: &str,
    value: impl Fn(T) -> &'static str,
) -> Vec<Choice> {
    all.iter()
        .map(|u| Choice {
            value: value(*u).to_owned(),
            label: value(*u).to_owned(),
            selected: value(*u) == selected,
        })
        .collect()
}

async fn channel_select(
    app: &App,
    s: &techoms_app::auth::SignedIn,
    source: &str,
    selected: &str,
    error: Option<String>,
) -> Result<MasterChannelSelect, AppError> {
    let source = source.parse::<MasterProductSource>().unwrap_or_default();
    let Some(kind) = source.channel_kind() else {
        return Ok(MasterChannelSelect {
            show: false,
            kind_label: String::new(),
            options: vec![],
            error,
            disabled: false,
        });
    };
    let opts: Vec<MasterOption> = master_source::options(app, &s.access(), source).await?;
    Ok(MasterChannelSelect {
        show: true,
        kind_label: kind.label().to_owned(),
        options: opts
            .into_iter()
            .map(|o| Choice {
                selected: o.id.to_string() == selected,
                value: o.id.to_string(),
                label: o.label,
            })
            .collect(),
        error,
        disabled: !s.access().can_admin(),
    })
}

async fn render(
    app: &App,
    s: &techoms_app::auth::SignedIn,
    form: &SettingsForm,
    errors: BTreeMap<String, String>,
    flash: Option<String>,
    confirm: Option<Confirmation>,
    new_api_key: Option<String>,
) -> Result<SettingsPage, AppError> {
    let chrome = Chrome::new(s, "Account settings", "settings");
    let org = accounts::organization(app, &s.access()).await?;
    let audit = accounts::audit_log(app, &s.access(), 50)
        .await?
        .into_iter()
        .map(|e| AuditRow {
            when: chrome.time(&e.created_at),
            actor: e.actor,
            action: e.action,
            old_value: e.old_value.unwrap_or_default(),
            new_value: e.new_value.unwrap_or_default(),
        })
        .collect();
    let channel_error = errors.get("channel_id").cloned();
    Ok(SettingsPage {
        organization: org.name,
        name: form.name.clone(),
        code: s.current.code.as_str().to_owned(),
        api_key: accounts::masked_api_key(app, s.current.id)
            .await?
            .unwrap_or_else(|| "none".into()),
        new_api_key,
        timezone: form.timezone.clone(),
        currency: form.currency.clone(),
        weight_units: choices(&WeightUnit::ALL, &form.weight_unit, WeightUnit::as_str),
        length_units: choices(&LengthUnit::ALL, &form.length_unit, LengthUnit::as_str),
        sources: MasterProductSource::ALL
            .iter()
            .map(|m| Choice {
                value: m.as_str().into(),
                label: m.label().into(),
                selected: m.as_str() == form.source,
            })
            .collect(),
        channel_select: channel_select(app, s, &form.source, &form.channel_id, channel_error)
            .await?
            .render()
            .map_err(|e| AppError::Internal(e.to_string()))?,
        errors,
        flash,
        confirm,
        audit,
        chrome,
    })
}

fn stored_form(s: &techoms_app::auth::SignedIn) -> SettingsForm {
    let a = &s.current;
    SettingsForm {
        csrf: s.csrf_token.clone(),
        name: a.name.clone(),
        timezone: a.timezone.clone(),
        currency: a.currency.code().to_owned(),
        weight_unit: a.weight_unit.as_str().to_owned(),
        length_unit: a.length_unit.as_str().to_owned(),
        source: a.master_product_source.as_str().to_owned(),
        channel_id: a
            .master_product_channel_id
            .map(|c| c.to_string())
            .unwrap_or_default(),
        confirm: String::new(),
    }
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn page(
    State(app): State<App>,
    UiSession(s): UiSession,
    Query(q): Query<SavedQuery>,
) -> Response {
    let flash = q.saved.map(|_| "Settings saved.".to_owned());
    match render(
        &app,
        &s,
        &stored_form(&s),
        BTreeMap::new(),
        flash,
        None,
        None,
    )
    .await
    {
        Ok(p) => p.into_response(),
        Err(e) => page_error(e),
    }
}

#[derive(Deserialize)]
pub struct SourceQuery {
    #[serde(default)]
    source: String,
    #[serde(default)]
    channel_id: String,
}

/// The htmx partial: the Master Product Channel select for the chosen source.
pub async fn channel_options(
    State(app): State<App>,
    UiSession(s): UiSession,
    Query(q): Query<SourceQuery>,
) -> Response {
    match channel_select(&app, &s, &q.source, &q.channel_id, None).await {
        Ok(sel) => match sel.render() {
            Ok(html) => axum::response::Html(html).into_response(),
            Err(e) => page_error(AppError::Internal(e.to_string())),
        },
        Err(e) => page_error(e),
    }
}

fn field_errors(e: AppError, errors: &mut BTreeMap<String, String>) -> Result<(), AppError> {
    match e {
        AppError::Invalid(fs) => {
            for f in fs {
                errors.entry(f.field).or_insert(f.message);
            }
            Ok(())
        }
        other => Err(other),
    }
}

fn preview_lines(p: &ChangePreview) -> Vec<String> {
    let mut lines = vec![format!(
        "The catalog has {} products ({} variants).",
        p.catalog_products, p.catalog_variants
    )];
    match (p.new_master_matching_skus, p.new_master_new_skus, p.catalog_skus_missing_at_new_master) {
        (Some(m), Some(n), Some(x)) => lines.push(format!(
            "{m} SKUs of the new master match the catalog, {n} are new, and {x} catalog SKUs are missing at the new master."
        )),
        _ => lines.push("The new master has not been read yet; its first import matches its products to the catalog by SKU.".into()),
    }
    for c in &p.job_changes {
        lines.push(format!(
            "{}: {} {} → {}",
            c.channel_name,
            c.job_kind.label(),
            c.from.label(),
            c.to.label()
        ));
    }
    lines
}

pub async fn submit(
    State(app): State<App>,
    UiSession(s): UiSession,
    Form(form): Form<SettingsForm>,
) -> Response {
    if !same_token(&s.csrf_token, &form.csrf) {
        return csrf_refused();
    }
    let access = s.access();
    if let Err(e) = access.require_admin() {
        return page_error(e);
    }
    let mut errors = BTreeMap::new();
    // 1. Check the settings without storing them.
    let input = SettingsInput {
        name: form.name.clone(),
        timezone: form.timezone.clone(),
        currency: form.currency.clone(),
        weight_unit: form.weight_unit.clone(),
        length_unit: form.length_unit.clone(),
    };
    if let Err(e) = accounts::validate_settings(&input)
        && let Err(e) = field_errors(e, &mut errors)
    {
        return page_error(e);
    }
    // 2. The master setting.
    let source = form.source.parse::<MasterProductSource>();
    let channel_id = if form.channel_id.trim().is_empty() {
        Ok(None)
    } else {
        form.channel_id.trim().parse::<ChannelId>().map(Some)
    };
    match (&source, &channel_id) {
        (Err(e), _) => {
            errors.insert("source".into(), e.clone());
        }
        (_, Err(_)) => {
            errors.insert(
                "channel_id".into(),
                "is not a channel of this account".into(),
            );
        }
        _ => {}
    }
    let mut confirmation = None;
    if errors.is_empty()
        && let (Ok(source), Ok(channel_id)) = (source, channel_id)
    {
        // A techOMS source ignores a channel left in the (hidden) select.
        let channel_id = if source == MasterProductSource::Techoms {
            None
        } else {
            channel_id
        };
        let to = MasterSetting { source, channel_id };
        match master_source::change(&app, &access, to, form.confirm == "yes").await {
            Ok(_) => {}
            Err(AppError::Conflict { details, message }) => {
                match serde_json::from_value::<serde_json::Value>(details.clone()) {
                    Ok(v) => {
                        let lines = serde_json::from_value::<PreviewLite>(v.clone())
                            .map(|p| p.lines())
                            .unwrap_or_default();
                        confirmation = Some(Confirmation {
                            summary: v
                                .get("warning")
                                .and_then(|w| w.as_str())
                                .unwrap_or(&message)
                                .replace("Send confirm=true to proceed.", "Confirm to proceed."),
                            lines,
                        });
                    }
                    Err(_) => {
                        confirmation = Some(Confirmation {
                            summary: message,
                            lines: vec![],
                        })
                    }
                }
            }
            Err(e) => {
                if let Err(e) = field_errors(e, &mut errors) {
                    return page_error(e);
                }
            }
        }
    }
    if !errors.is_empty() || confirmation.is_some() {
        let status = if errors.is_empty() {
            axum::http::StatusCode::OK
        } else {
            axum::http::StatusCode::UNPROCESSABLE_ENTITY
        };
        return match render(&app, &s, &form, errors, None, confirmation, None).await {
            Ok(p) => (status, p).into_response(),
            Err(e) => page_error(e),
        };
    }
    // 3. Store the settings (already checked).
    match accounts::update_settings(&app, &access, &input).await {
        Ok(_) => axum::response::Redirect::to("/settings?saved=1").into_response(),
        Err(e) => page_error(e),
    }
}

/// The parts of the preview the page lists.
#[derive(Deserialize)]
struct PreviewLite {
    catalog_products: i64,
    catalog_variants: i64,
    new_master_matching_skus: Option<i64>,
    new_master_new_skus: Option<i64>,
    catalog_skus_missing_at_new_master: Option<i64>,
    job_changes: Vec<JobChangeLite>,
}

#[derive(Deserialize)]
struct JobChangeLite {
    channel_name: String,
    job_kind: techoms_domain::JobKind,
    from: techoms_domain::JobPeriod,
    to: techoms_domain::JobPeriod,
}

impl PreviewLite {
    fn lines(&self) -> Vec<String> {
        let p = ChangePreview {
            from: MasterSetting::TECHOMS,
            to: MasterSetting::TECHOMS,
            catalog_products: self.catalog_products,
            catalog_variants: self.catalog_variants,
            new_master_matching_skus: self.new_master_matching_skus,
            new_master_new_skus: self.new_master_new_skus,
            catalog_skus_missing_at_new_master: self.catalog_skus_missing_at_new_master,
            job_changes: self
                .job_changes
                .iter()
                .map(|c| techoms_app::master_source::JobChange {
                    channel_id: ChannelId::new(),
                    channel_name: c.channel_name.clone(),
                    job_kind: c.job_kind,
                    from: c.from,
                    to: c.to,
                })
                .collect(),
            warning: String::new(),
        };
        preview_lines(&p)
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn regenerate_key(
    State(app): State<App>,
    UiSession(s): UiSession,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if !same_token(&s.csrf_token, &f.csrf) {
        return csrf_refused();
    }
    let key = match accounts::regenerate_api_key(&app, &s.access()).await {
        Ok(k) => k,
        Err(e) => return page_error(e),
    };
    match render(
        &app,
        &s,
        &stored_form(&s),
        BTreeMap::new(),
        Some("A new API key was made; the old one no longer works.".into()),
        None,
        Some(key),
    )
    .await
    {
        Ok(p) => p.into_response(),
        Err(e) => page_error(e),
    }
}
