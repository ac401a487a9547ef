//! Channel pages: list, connect, edit, enable/disable, delete, job periods.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use techoms_app::channels::{self, ChannelInput};
use techoms_app::{App, AppError};
use techoms_domain::integration::registry;
use techoms_domain::{ChannelId, Integration, JobKind, JobPeriod};

use super::chrome::Chrome;
use super::session::{UiSession, same_token};
use super::{csrf_refused, page_error};

pub struct Row {
    pub id: String,
    pub name: String,
    pub integration: String,
    pub kind: String,
    pub enabled: bool,
    pub is_master: bool,
}

pub struct IntegrationLink {
    pub key: String,
    pub name: String,
    pub kind: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "channels.html")]
pub struct ChannelsPage {
    pub chrome: Chrome,
    pub rows: Vec<Row>,
    pub integrations: Vec<IntegrationLink>,
}

pub struct FormField {
    pub name: String,
    pub input_name: String,
    pub label: String,
    pub help: String,
    pub required: bool,
    pub value: String,
    pub secret: bool,
    pub error: Option<String>,
}

pub struct JobRow {
    pub kind: String,
    pub label: String,
    pub options: Vec<(String, String, bool)>,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "channel_form.html")]
pub struct ChannelFormPage {
    pub chrome: Chrome,
    /// None when creating.
    pub id: Option<String>,
    pub integration_key: String,
    pub integration_name: String,
    pub kind: String,
    pub name: String,
    pub enabled: bool,
    pub is_master: bool,
    pub fields: Vec<FormField>,
    pub errors: BTreeMap<String, String>,
    pub flash: Option<String>,
    pub jobs: Vec<JobRow>,
    /// The "Recent runs" section (rendered), on an existing channel's page.
    pub recent_runs: String,
    /// Whether the "Sync products" form is offered (Account Users may sync too).
    pub can_sync: bool,
    /// The run a sync just queued (linked as `/runs/{id}`).
    pub sync_run: Option<String>,
    /// Why a sync was refused, and the run in the way when one is.
    pub sync_error: Option<(String, Option<String>)>,
}

pub async fn list(State(app): State<App>, UiSession(s): UiSession) -> Response {
    let access = s.access();
    let chans = match channels::list(&app, &access).await {
        Ok(c) => c,
        Err(e) => return page_error(e),
    };
    ChannelsPage {
        chrome: Chrome::new(&s, "Channels", "channels"),
        rows: chans
            .into_iter()
            .map(|c| Row {
                id: c.id.to_string(),
                is_master: access.account.master_product_channel_id == Some(c.id),
                name: c.name,
                integration: c.integration.spec().display_name.to_owned(),
                kind: c.kind.label().to_owned(),
                enabled: c.enabled,
            })
            .collect(),
        integrations: registry()
            .iter()
            .map(|r| IntegrationLink {
                key: r.key.into(),
                name: r.display_name.into(),
                kind: r.kind.label().into(),
            })
            .collect(),
    }
    .into_response()
}

fn fields(
    integration: Integration,
    values: &BTreeMap<String, String>,
    masked: &BTreeMap<String, String>,
    errors: &BTreeMap<String, String>,
) -> Vec<FormField> {
    let spec = integration.spec();
    let mut out = Vec::new();
    for (prefix, list, secret) in [
        ("settings", spec.settings, false),
        ("credentials", spec.credentials, true),
    ] {
        for f in list {
            let input_name = format!("{prefix}.{}", f.name);
            out.push(FormField {
                name: f.name.into(),
                value: if secret {
                    String::new()
                } else {
                    values.get(f.name).cloned().unwrap_or_default()
                },
                help: if secret {
                    match masked.get(f.name) {
                        Some(m) => format!("Stored: {m}. Leave empty to keep it."),
                        None => f.help.into(),
                    }
                } else {
                    f.help.into()
                },
                error: errors.get(&input_name).cloned(),
                input_name,
                label: f.label.into(),
                required: f.required && !(secret && masked.contains_key(f.name)),
                secret,
            });
        }
    }
    out
}

#[derive(Deserialize)]
pub struct NewQuery {
    integration: Option<String>,
}

pub async fn new_form(UiSession(s): UiSession, Query(q): Query<NewQuery>) -> Response {
    let Some(integration) = q
        .integration
        .as_deref()
        .and_then(|i| i.parse::<Integration>().ok())
    else {
        return Redirect::to("/channels").into_response();
    };
    form_page(
        &s,
        None,
        integration,
        "",
        true,
        false,
        BTreeMap::new(),
        BTreeMap::new(),
        BTreeMap::new(),
        None,
        Vec::new(),
    )
    .into_response()
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    s: &techoms_app::auth::SignedIn,
    id: Option<ChannelId>,
    integration: Integration,
    name: &str,
    enabled: bool,
    is_master: bool,
    values: BTreeMap<String, String>,
    masked: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
    flash: Option<String>,
    jobs: Vec<JobRow>,
) -> ChannelFormPage {
    let title = if id.is_some() {
        name.to_owned()
    } else {
        format!("Connect {}", integration.spec().display_name)
    };
    ChannelFormPage {
        chrome: Chrome::new(s, title, "channels"),
        id: id.map(|i| i.to_string()),
        integration_key: integration.key().into(),
        integration_name: integration.spec().display_name.into(),
        kind: integration.kind().label().into(),
        name: name.into(),
        enabled,
        is_master,
        fields: fields(integration, &values, &masked, &errors),
        errors,
        flash,
        jobs,
        recent_runs: String::new(),
        can_sync: id.is_some() && s.access().can_sync(),
        sync_run: None,
        sync_error: None,
    }
}

/// Split posted fields into the channel input ("settings.x", "credentials.y").
fn input_from(form: &[(String, String)]) -> (String, ChannelInput) {
    let mut csrf = String::new();
    let mut input = ChannelInput::default();
    let mut enabled = false;
    for (k, v) in form {
        match k.as_str() {
            "csrf" => csrf = v.clone(),
            "integration" => input.integration = Some(v.clone()),
            "name" => input.name = Some(v.clone()),
            "enabled" => enabled = v == "on" || v == "true",
            _ => {
                if let Some(f) = k.strip_prefix("settings.") {
                    input.settings.insert(f.into(), v.clone());
                } else if let Some(f) = k.strip_prefix("credentials.")
                    && !v.is_empty()
                {
                    input.credentials.insert(f.into(), v.clone());
                }
            }
        }
    }
    input.enabled = Some(enabled);
    (csrf, input)
}

fn error_map(e: AppError) -> Result<BTreeMap<String, String>, AppError> {
    match e {
        AppError::Invalid(fs) => Ok(fs.into_iter().map(|f| (f.field, f.message)).collect()),
        other => Err(other),
    }
}

pub async fn create(
    State(app): State<App>,
    UiSession(s): UiSession,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let (csrf, input) = input_from(&form);
    if !same_token(&s.csrf_token, &csrf) {
        return csrf_refused();
    }
    let Some(integration) = input
        .integration
        .as_deref()
        .and_then(|i| i.parse::<Integration>().ok())
    else {
        return page_error(AppError::field("integration", "unknown integration"));
    };
    match channels::create(&app, &s.access(), &input).await {
        Ok(ch) => Redirect::to(&format!("/channels/{}?saved=1", ch.id)).into_response(),
        Err(e) => match error_map(e) {
            Ok(errors) => (
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                form_page(
                    &s,
                    None,
                    integration,
                    input.name.as_deref().unwrap_or(""),
                    input.enabled.unwrap_or(true),
                    false,
                    input.settings.clone(),
                    BTreeMap::new(),
                    errors,
                    None,
                    Vec::new(),
                ),
            )
                .into_response(),
            Err(e) => page_error(e),
        },
    }
}

fn parse_id(id: &str) -> Result<ChannelId, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

async fn job_rows(
    app: &App,
    s: &techoms_app::auth::SignedIn,
    id: ChannelId,
    errors: &BTreeMap<String, String>,
) -> Result<Vec<JobRow>, AppError> {
    let periods = channels::jobs(app, &s.access(), id).await?;
    Ok(JobKind::ALL
        .iter()
        .map(|k| {
            let current = periods.get(k).copied().unwrap_or_default();
            JobRow {
                kind: k.as_str().into(),
                label: k.label().into(),
                options: JobPeriod::ALL
                    .iter()
                    .map(|p| (p.as_str().to_owned(), p.label().to_owned(), *p == current))
                    .collect(),
                error: errors.get(k.as_str()).cloned(),
            }
        })
        .collect())
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
    /// The run a sync just queued.
    synced: Option<String>,
}

async fn detail_page(
    app: &App,
    s: &techoms_app::auth::SignedIn,
    id: ChannelId,
    errors: BTreeMap<String, String>,
    flash: Option<String>,
) -> Result<ChannelFormPage, AppError> {
    let access = s.access();
    let ch = channels::get(app, &access, id).await?;
    let view = channels::view(app, &access, ch.clone()).await?;
    let jobs = job_rows(app, s, id, &errors).await?;
    let recent_runs = super::runs::recent_for_channel(app, s, id).await?;
    let page = form_page(
        s,
        Some(id),
        ch.integration,
        &ch.name,
        ch.enabled,
        view.is_master,
        ch.settings.clone(),
        view.credentials,
        errors,
        flash,
        jobs,
    );
    Ok(ChannelFormPage {
        recent_runs,
        ..page
    })
}

pub async fn detail(
    State(app): State<App>,
    UiSession(s): UiSession,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Response {
    let id = match parse_id(&id) {
        Ok(i) => i,
        Err(e) => return page_error(e),
    };
    match detail_page(
        &app,
        &s,
        id,
        BTreeMap::new(),
        q.saved.map(|_| "Saved.".into()),
    )
    .await
    {
        Ok(mut p) => {
            // Only a run id is echoed back (the query string is the user's to edit).
            p.sync_run = q
                .synced
                .filter(|r| r.parse::<techoms_domain::RunId>().is_ok());
            p.into_response()
        }
        Err(e) => page_error(e),
    }
}

pub async fn update(
    State(app): State<App>,
    UiSession(s): UiSession,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let (csrf, input) = input_from(&form);
    if !same_token(&s.csrf_token, &csrf) {
        return csrf_refused();
    }
    let id = match parse_id(&id) {
        Ok(i) => i,
        Err(e) => return page_error(e),
    };
    match channels::update(&app, &s.access(), id, &input).await {
        Ok(_) => Redirect::to(&format!("/channels/{id}?saved=1")).into_response(),
        Err(e) => match error_map(e) {
            Ok(errors) => match detail_page(&app, &s, id, errors, None).await {
                Ok(p) => (axum::http::StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
                Err(e) => page_error(e),
            },
            Err(e) => page_error(e),
        },
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn toggle(
    app: App,
    s: techoms_app::auth::SignedIn,
    id: String,
    f: CsrfOnly,
    enabled: bool,
) -> Response {
    if !same_token(&s.csrf_token, &f.csrf) {
        return csrf_refused();
    }
    let id = match parse_id(&id) {
        Ok(i) => i,
        Err(e) => return page_error(e),
    };
    match channels::set_enabled(&app, &s.access(), id, enabled).await {
        Ok(_) => Redirect::to(&format!("/channels/{id}?saved=1")).into_response(),
        Err(e) => page_error(e),
    }
}

pub async fn enable(
    State(app): State<App>,
    UiSession(s): UiSession,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    toggle(app, s, id, f, true).await
}

pub async fn disable(
    State(app): State<App>,
    UiSession(s): UiSession,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    toggle(app, s, id, f, false).await
}

pub async fn delete(
    State(app): State<App>,
    UiSession(s): UiSession,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if !same_token(&s.csrf_token, &f.csrf) {
        return csrf_refused();
    }
    let id = match parse_id(&id) {
        Ok(i) => i,
        Err(e) => return page_error(e),
    };
    match channels::delete(&app, &s.access(), id).await {
        Ok(()) => Redirect::to("/channels").into_response(),
        Err(e) => page_error(e),
    }
}

pub async fn save_jobs(
    State(app): State<App>,
    UiSession(s): UiSession,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let csrf = form
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if !same_token(&s.csrf_token, &csrf) {
        return csrf_refused();
    }
    let id = match parse_id(&id) {
        Ok(i) => i,
        Err(e) => return page_error(e),
    };
    let periods: BTreeMap<String, String> = form.into_iter().filter(|(k, _)| k != "csrf").collect();
    match channels::set_jobs(&app, &s.access(), id, &periods).await {
        Ok(_) => Redirect::to(&format!("/channels/{id}?saved=1")).into_response(),
        Err(e) => match error_map(e) {
            Ok(errors) => match detail_page(&app, &s, id, errors, None).await {
                Ok(p) => (axum::http::StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
                Err(e) => page_error(e),
            },
            Err(e) => page_error(e),
        },
    }
}

#[derive(Deserialize)]
pub struct SyncForm {
    #[serde(default)]
    csrf: String,
    /// A checkbox: present ("on") when ticked.
    full: Option<String>,
}

/// "Sync products": queue the channel's run now; the page then links it.
pub async fn sync(
    State(app): State<App>,
    UiSession(s): UiSession,
    Path(id): Path<String>,
    Form(f): Form<SyncForm>,
) -> Response {
    if !same_token(&s.csrf_token, &f.csrf) {
        return csrf_refused();
    }
    let id = match parse_id(&id) {
        Ok(i) => i,
        Err(e) => return page_error(e),
    };
    let full = f.full.is_some_and(|v| v == "on" || v == "true");
    match techoms_app::sync_jobs::request_sync(
        &app,
        &s.access(),
        id,
        full,
        techoms_app::engine::Trigger::Manual,
    )
    .await
    {
        Ok(run) => Redirect::to(&format!("/channels/{id}?synced={run}")).into_response(),
        Err(AppError::Conflict { message, details }) => {
            let blocking = details
                .get("run_id")
                .and_then(|r| r.as_str())
                .map(str::to_owned);
            match detail_page(&app, &s, id, BTreeMap::new(), None).await {
                Ok(mut p) => {
                    p.sync_error = Some((message, blocking));
                    (axum::http::StatusCode::CONFLICT, p).into_response()
                }
                Err(e) => page_error(e),
            }
        }
        Err(e) => page_error(e),
    }
}
