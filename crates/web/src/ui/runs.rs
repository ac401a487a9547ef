//! Run pages: the run list with its filters, a run's detail with its messages, the live part
//! of the detail that htmx polls while the run is queued or running, and the "Recent runs"
//! section of a channel's page. Times are shown in the account's time zone.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use techoms_app::engine::{self, Level, MessageFilter, Run, RunFilter, RunStatus};
use techoms_app::{Access, App, AppError, FieldError, channels};
use techoms_domain::{Channel, ChannelId, JobKind, RunId};

use super::chrome::Chrome;
use super::page_error;
use super::session::{UiSession, encode};

/// Runs per page of the list.
const RUNS_PER_PAGE: u32 = 50;
/// Messages per page of a run.
const MESSAGES_PER_PAGE: u32 = 100;
/// Runs in a channel's "Recent runs".
const RECENT_RUNS: u32 = 10;

/// One run as a row of a list.
pub struct RunRow {
    pub id: String,
    pub channel_id: String,
    pub channel_name: String,
    pub kind: String,
    pub trigger: String,
    pub status: String,
    pub status_label: String,
    /// Start, or creation for a run still queued.
    pub when: String,
    pub duration: String,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub skipped: i64,
    pub failed: i64,
    pub warnings: i64,
    /// Errors and Fatals.
    pub errors: i64,
}

/// "3 min 12 s", "1 h 4 min", "under 1 s".
pub fn duration_text(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0 => "under 1 s".to_owned(),
        1..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// How long a run took, or has been running so far.
fn run_duration(r: &Run, now: DateTime<Utc>) -> String {
    match (r.started_at, r.finished_at) {
        (Some(start), Some(end)) => duration_text(end - start),
        (Some(start), None) if r.status == RunStatus::Running => {
            format!("{} so far", duration_text(now - start))
        }
        _ => String::new(),
    }
}

async fn channel_names(app: &App, access: &Access) -> Result<HashMap<ChannelId, String>, AppError> {
    Ok(channels::list(app, access)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

/// Rows for these runs, with their channel names and message counts.
async fn rows(
    app: &App,
    access: &Access,
    chrome: &Chrome,
    runs: &[Run],
    names: &HashMap<ChannelId, String>,
) -> Result<Vec<RunRow>, AppError> {
    let ids: Vec<RunId> = runs.iter().map(|r| r.id).collect();
    let mut counts: HashMap<(RunId, Level), i64> = HashMap::new();
    for (id, level, n) in engine::message_counts_of(app, access, &ids).await? {
        counts.insert((id, level), n);
    }
    let count = |id: RunId, l: Level| counts.get(&(id, l)).copied().unwrap_or(0);
    let now = app.clock.now();
    Ok(runs
        .iter()
        .map(|r| RunRow {
            id: r.id.to_string(),
            channel_id: r.channel_id.to_string(),
            channel_name: names.get(&r.channel_id).cloned().unwrap_or_default(),
            kind: r.job_kind.label().to_owned(),
            trigger: trigger_label(r).to_owned(),
            status: r.status.as_str().to_owned(),
            status_label: r.status.label().to_owned(),
            when: chrome.time(&r.started_at.unwrap_or(r.created_at)),
            duration: run_duration(r, now),
            created: r.counts.created,
            updated: r.counts.updated,
            unchanged: r.counts.unchanged,
            skipped: r.counts.skipped,
            failed: r.counts.failed,
            warnings: count(r.id, Level::Warning),
            errors: count(r.id, Level::Error) + count(r.id, Level::Fatal),
        })
        .collect())
}

fn trigger_label(r: &Run) -> &'static str {
    match r.trigger {
        engine::Trigger::Schedule => "Schedule",
        engine::Trigger::Manual => "Manual",
        engine::Trigger::Propagation => "Propagation",
    }
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "runs.html")]
pub struct RunsPage {
    pub chrome: Chrome,
    pub channels: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub filtered: bool,
    pub rows: Vec<RunRow>,
    /// The query of the filters, for the pager's links ("channel=…&kind=…&").
    pub filter_query: String,
    pub paged: bool,
    pub next: Option<String>,
}

/// The filters' value of `name` (the last one given).
fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

fn parse_param<T: std::str::FromStr>(
    q: &[(String, String)],
    name: &str,
    what: &str,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let v = param(q, name)?;
    match v.trim().parse() {
        Ok(t) => Some(t),
        Err(_) => {
            errors.push(FieldError::new(name, format!("{v:?} is not {what}")));
            None
        }
    }
}

pub async fn list(
    State(app): State<App>,
    UiSession(s): UiSession,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let mut errors = Vec::new();
    let channel = parse_param::<ChannelId>(&q, "channel", "a channel", &mut errors);
    let kind = parse_param::<JobKind>(&q, "kind", "a job kind", &mut errors);
    let status = parse_param::<RunStatus>(&q, "status", "a run status", &mut errors);
    let after = parse_param::<RunId>(&q, "after", "a page of this list", &mut errors);
    if !errors.is_empty() {
        return page_error(AppError::Invalid(errors));
    }
    let access = s.access();
    let chrome = Chrome::new(&s, "Runs", "runs");
    let filter = RunFilter {
        channel_id: channel,
        job_kind: kind,
        status,
        before: after,
        limit: RUNS_PER_PAGE,
    };
    let result = async {
        let all = channels::list(&app, &access).await?;
        let names: HashMap<ChannelId, String> =
            all.iter().map(|c| (c.id, c.name.clone())).collect();
        let runs = engine::list_runs(&app, &access, &filter).await?;
        let rows = rows(&app, &access, &chrome, &runs, &names).await?;
        let next = (runs.len() as u32 == RUNS_PER_PAGE)
            .then(|| runs.last().map(|r| r.id.to_string()))
            .flatten();
        Ok::<_, AppError>((all, rows, next))
    }
    .await;
    let (all, rows, next) = match result {
        Ok(r) => r,
        Err(e) => return page_error(e),
    };
    let mut filter_query = String::new();
    if let Some(c) = channel {
        filter_query.push_str(&format!("channel={c}&"));
    }
    if let Some(k) = kind {
        filter_query.push_str(&format!("kind={}&", k.as_str()));
    }
    if let Some(st) = status {
        filter_query.push_str(&format!("status={}&", st.as_str()));
    }
    RunsPage {
        chrome,
        channels: all
            .iter()
            .map(|c: &Channel| Choice {
                value: c.id.to_string(),
                label: c.name.clone(),
                selected: Some(c.id) == channel,
            })
            .collect(),
        kinds: [JobKind::ImportProducts, JobKind::ExportProducts]
            .iter()
            .map(|k| Choice {
                value: k.as_str().to_owned(),
                label: k.label().to_owned(),
                selected: Some(*k) == kind,
            })
            .collect(),
        statuses: RunStatus::ALL
            .iter()
            .map(|st| Choice {
                value: st.as_str().to_owned(),
                label: st.label().to_owned(),
                selected: Some(*st) == status,
            })
            .collect(),
        filtered: channel.is_some() || kind.is_some() || status.is_some(),
        rows,
        filter_query,
        paged: after.is_some(),
        next,
    }
    .into_response()
}

/// One message as a row.
pub struct MessageRow {
    pub seq: i64,
    pub level: String,
    pub level_label: String,
    pub sku: String,
    pub remote_id: String,
    pub message: String,
    pub when: String,
}

/// The part of a run's page that changes while it runs: summary, counts, messages.
#[derive(Template)]
#[template(path = "partials/run_live.html")]
pub struct RunLive {
    pub id: String,
    /// Poll again (the run is queued or running).
    pub polling: bool,
    /// The query this part was rendered for (levels, page), kept by the poll.
    pub query: String,
    pub channel_id: String,
    pub channel_name: String,
    pub kind: String,
    pub trigger: String,
    pub full: bool,
    pub status: String,
    pub status_label: String,
    pub queued_at: String,
    pub started_at: String,
    pub finished_at: String,
    pub duration: String,
    pub total_hint: Option<i64>,
    pub last_error: Option<String>,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub skipped: i64,
    pub failed: i64,
    /// (level, column heading, count) for every level.
    pub level_counts: Vec<(String, String, i64)>,
    pub filtered: bool,
    pub messages: Vec<MessageRow>,
    /// The query of the level filter, for the pager's links ("level=…&").
    pub level_query: String,
    pub paged: bool,
    pub next: Option<i64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "run.html")]
pub struct RunPage {
    pub chrome: Chrome,
    pub id: String,
    pub heading: String,
    /// (level, label, checked) for the filter.
    pub levels: Vec<(String, String, bool)>,
    pub live: String,
}

struct MessageQuery {
    levels: Vec<Level>,
    after: Option<i64>,
}

fn message_query(q: &[(String, String)]) -> Result<MessageQuery, AppError> {
    let mut errors = Vec::new();
    let mut levels = Vec::new();
    for (k, v) in q {
        if k == "level" {
            for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                match part.parse::<Level>() {
                    Ok(l) => levels.push(l),
                    Err(_) => errors.push(FieldError::new(
                        "level",
                        format!("{part:?} is not a level (info, warning, error, fatal)"),
                    )),
                }
            }
        }
    }
    levels.sort();
    levels.dedup();
    let after = parse_param::<i64>(q, "after", "a page of this run's messages", &mut errors);
    if errors.is_empty() {
        Ok(MessageQuery { levels, after })
    } else {
        Err(AppError::Invalid(errors))
    }
}

fn parse_run_id(id: &str) -> Result<RunId, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

async fn live_part(
    app: &App,
    access: &Access,
    chrome: &Chrome,
    run: &Run,
    mq: &MessageQuery,
) -> Result<RunLive, AppError> {
    let channel_name = channels::get(app, access, run.channel_id)
        .await
        .map(|c| c.name)
        .unwrap_or_default();
    let counts = engine::message_counts(app, access, run.id).await?;
    let messages = engine::run_messages(
        app,
        access,
        run.id,
        &MessageFilter {
            levels: mq.levels.clone(),
            after_seq: mq.after,
            limit: MESSAGES_PER_PAGE,
        },
    )
    .await?;
    let next = (messages.len() as u32 == MESSAGES_PER_PAGE)
        .then(|| messages.last().map(|m| m.seq))
        .flatten();
    let level_query: String = mq
        .levels
        .iter()
        .map(|l| format!("level={}&", l.as_str()))
        .collect();
    let query = match mq.after {
        Some(a) => format!("{level_query}after={a}"),
        None => level_query.trim_end_matches('&').to_owned(),
    };
    let time = |t: Option<DateTime<Utc>>| t.map(|t| chrome.time(&t)).unwrap_or_default();
    Ok(RunLive {
        id: run.id.to_string(),
        polling: !run.status.is_finished(),
        query,
        channel_id: run.channel_id.to_string(),
        channel_name,
        kind: run.job_kind.label().to_owned(),
        trigger: trigger_label(run).to_owned(),
        full: run.full,
        status: run.status.as_str().to_owned(),
        status_label: run.status.label().to_owned(),
        queued_at: chrome.time(&run.created_at),
        started_at: time(run.started_at),
        finished_at: time(run.finished_at),
        duration: run_duration(run, app.clock.now()),
        total_hint: run.total_hint,
        last_error: run.last_error.clone(),
        created: run.counts.created,
        updated: run.counts.updated,
        unchanged: run.counts.unchanged,
        skipped: run.counts.skipped,
        failed: run.counts.failed,
        level_counts: Level::ALL
            .iter()
            .map(|l| {
                let n = counts
                    .iter()
                    .find(|(c, _)| c == l)
                    .map(|(_, n)| *n)
                    .unwrap_or(0);
                let heading = match l {
                    Level::Info => "Info",
                    Level::Warning => "Warnings",
                    Level::Error => "Errors",
                    Level::Fatal => "Fatal",
                };
                (l.as_str().to_owned(), heading.to_owned(), n)
            })
            .collect(),
        filtered: !mq.levels.is_empty(),
        messages: messages
            .iter()
            .map(|m| MessageRow {
                seq: m.seq,
                level: m.level.as_str().to_owned(),
                level_label: m.level.label().to_owned(),
                sku: m.sku.clone().unwrap_or_default(),
                remote_id: m.remote_id.clone().unwrap_or_default(),
                message: m.message.clone(),
                when: chrome.time(&m.created_at),
            })
            .collect(),
        level_query,
        paged: mq.after.is_some(),
        next,
    })
}

fn render(t: &impl Template) -> Result<String, AppError> {
    t.render()
        .map_err(|e| AppError::Internal(format!("template: {e}")))
}

pub async fn detail(
    State(app): State<App>,
    UiSession(s): UiSession,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let result = async {
        let id = parse_run_id(&id)?;
        let access = s.access();
        let run = engine::get_run(&app, &access, id).await?;
        let mq = message_query(&q)?;
        let mut chrome = Chrome::new(&s, "Run", "runs");
        let live = live_part(&app, &access, &chrome, &run, &mq).await?;
        chrome.title = format!("{} · {}", live.kind, live.channel_name);
        Ok::<_, AppError>(RunPage {
            id: run.id.to_string(),
            heading: chrome.title.clone(),
            levels: Level::ALL
                .iter()
                .map(|l| {
                    (
                        l.as_str().to_owned(),
                        l.label().to_owned(),
                        mq.levels.contains(l),
                    )
                })
                .collect(),
            live: render(&live)?,
            chrome,
        })
    }
    .await;
    match result {
        Ok(p) => p.into_response(),
        Err(e) => page_error(e),
    }
}

/// The live part alone, for htmx polling. When the session has ended meanwhile, htmx is told
/// to load the login page as a whole page (instead of swapping it into the run's page).
pub async fn live(
    State(app): State<App>,
    session: Result<UiSession, Response>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let s = match session {
        Ok(UiSession(s)) => s,
        Err(_) if headers.contains_key("hx-request") => {
            let back = match parse_run_id(&id) {
                Ok(run) => format!("/runs/{run}"),
                Err(_) => "/runs".to_owned(),
            };
            return (
                [("hx-redirect", format!("/login?next={}", encode(&back)))],
                "",
            )
                .into_response();
        }
        Err(to_login) => return to_login,
    };
    let result = async {
        let id = parse_run_id(&id)?;
        let access = s.access();
        let run = engine::get_run(&app, &access, id).await?;
        let mq = message_query(&q)?;
        let chrome = Chrome::new(&s, "Run", "runs");
        render(&live_part(&app, &access, &chrome, &run, &mq).await?)
    }
    .await;
    match result {
        Ok(html) => Html(html).into_response(),
        Err(e) => page_error(e),
    }
}

#[derive(Template)]
#[template(path = "partials/recent_runs.html")]
pub struct RecentRuns {
    pub channel_id: String,
    pub rows: Vec<RunRow>,
}

/// The "Recent runs" section of a channel's page, rendered.
pub async fn recent_for_channel(
    app: &App,
    s: &techoms_app::auth::SignedIn,
    channel: ChannelId,
) -> Result<String, AppError> {
    let access = s.access();
    let chrome = Chrome::new(s, "", "channels");
    let runs = engine::list_runs(
        app,
        &access,
        &RunFilter {
            channel_id: Some(channel),
            limit: RECENT_RUNS,
            ..RunFilter::default()
        },
    )
    .await?;
    let names = channel_names(app, &access).await?;
    render(&RecentRuns {
        channel_id: channel.to_string(),
        rows: rows(app, &access, &chrome, &runs, &names).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::duration_text;
    use chrono::Duration;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_text(Duration::milliseconds(300)), "under 1 s");
        assert_eq!(duration_text(Duration::seconds(42)), "42 s");
        assert_eq!(duration_text(Duration::seconds(192)), "3 min 12 s");
        assert_eq!(duration_text(Duration::seconds(3840)), "1 h 4 min");
        assert_eq!(duration_text(Duration::seconds(-5)), "under 1 s");
    }
}
