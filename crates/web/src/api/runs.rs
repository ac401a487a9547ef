//! `/api/v1/runs`: job runs (newest first) and their messages (in order), both keyset-paginated
//! like `/api/v1/products`: pass a page's `next` as `after` to get the following page.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::Serialize;
use techoms_app::engine::{self, Level, MessageFilter, Run, RunFilter, RunMessage, RunStatus};
use techoms_app::{Access, App, AppError, channels};
use techoms_domain::{ChannelId, JobKind, RunId};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::extract::ApiAccess;
use super::query::QueryPairs;
use crate::error::{ApiError, Problem};

/// Items of each outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunCountsDto {
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub skipped: i64,
    pub failed: i64,
}

/// Messages of each level.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct MessageCountsDto {
    pub info: i64,
    pub warning: i64,
    pub error: i64,
    pub fatal: i64,
}

impl MessageCountsDto {
    fn add(&mut self, level: Level, n: i64) {
        match level {
            Level::Info => self.info += n,
            Level::Warning => self.warning += n,
            Level::Error => self.error += n,
            Level::Fatal => self.fatal += n,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunDto {
    pub id: Uuid,
    pub channel_id: Uuid,
    /// The channel's current name.
    pub channel_name: String,
    /// import_products or export_products.
    pub job_kind: String,
    /// schedule, manual or propagation.
    pub trigger: String,
    /// queued, running, succeeded, partially_succeeded or failed.
    pub status: String,
    /// A full read or export (otherwise incremental).
    pub full: bool,
    /// RFC 3339, UTC.
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub counts: RunCountsDto,
    pub messages: MessageCountsDto,
    /// How many items the channel said it holds, when it says so.
    pub total_hint: Option<i64>,
    /// Why the run stopped (the Fatal message), when it did.
    pub last_error: Option<String>,
}

impl RunDto {
    fn new(r: &Run, channel_name: String, messages: MessageCountsDto) -> Self {
        Self {
            id: r.id.as_uuid(),
            channel_id: r.channel_id.as_uuid(),
            channel_name,
            job_kind: r.job_kind.as_str().to_owned(),
            trigger: r.trigger.as_str().to_owned(),
            status: r.status.as_str().to_owned(),
            full: r.full,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            counts: RunCountsDto {
                created: r.counts.created,
                updated: r.counts.updated,
                unchanged: r.counts.unchanged,
                skipped: r.counts.skipped,
                failed: r.counts.failed,
            },
            messages,
            total_hint: r.total_hint,
            last_error: r.last_error.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunPageDto {
    pub items: Vec<RunDto>,
    /// Pass as `after` for the next (older) page; null on the last page.
    pub next: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunMessageDto {
    /// Position in the run, from 1.
    pub seq: i64,
    /// info, warning, error or fatal.
    pub level: String,
    /// The SKU concerned, as the channel spells it.
    pub sku: Option<String>,
    /// The channel's id of the item concerned.
    pub remote_id: Option<String>,
    pub message: String,
    pub created_at: DateTime<Utc>,
}

impl From<&RunMessage> for RunMessageDto {
    fn from(m: &RunMessage) -> Self {
        Self {
            seq: m.seq,
            level: m.level.as_str().to_owned(),
            sku: m.sku.clone(),
            remote_id: m.remote_id.clone(),
            message: m.message.clone(),
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunMessagePageDto {
    pub items: Vec<RunMessageDto>,
    /// Pass as `after` for the next page; null on the last page.
    pub next: Option<i64>,
}

/// Query of `GET /api/v1/runs` (documentation; parsed strictly by [`QueryPairs`]).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct RunListQuery {
    /// Only runs of this channel.
    channel_id: Option<Uuid>,
    /// import_products, export_products or authorization_refresh.
    job_kind: Option<String>,
    /// queued, running, succeeded, partially_succeeded or failed.
    status: Option<String>,
    /// Keyset cursor: the `next` value of the previous page.
    after: Option<Uuid>,
    /// Page size, 1..=200 (default 50).
    limit: Option<u32>,
}

/// Query of `GET /api/v1/runs/{id}/messages` (documentation).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct MessageQuery {
    /// info, warning, error or fatal; repeat the parameter or separate levels with commas
    /// (`level=warning,error`). Absent: every level.
    level: Option<Vec<String>>,
    /// Keyset cursor: the `next` value of the previous page (a message `seq`).
    after: Option<i64>,
    /// Page size, 1..=1000 (default 100).
    limit: Option<u32>,
}

fn parse_run_id(s: &str) -> Result<RunId, AppError> {
    s.parse().map_err(|_| AppError::NotFound)
}

/// The runs' channel names, and their message counts.
async fn decorate(app: &App, access: &Access, runs: &[Run]) -> Result<Vec<RunDto>, AppError> {
    let names: HashMap<ChannelId, String> = channels::list(app, access)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let ids: Vec<RunId> = runs.iter().map(|r| r.id).collect();
    let mut counts: HashMap<RunId, MessageCountsDto> = HashMap::new();
    for (id, level, n) in engine::message_counts_of(app, access, &ids).await? {
        counts.entry(id).or_default().add(level, n);
    }
    Ok(runs
        .iter()
        .map(|r| {
            RunDto::new(
                r,
                names.get(&r.channel_id).cloned().unwrap_or_default(),
                counts.remove(&r.id).unwrap_or_default(),
            )
        })
        .collect())
}

/// The account's runs, newest first.
#[utoipa::path(get, path = "/api/v1/runs", operation_id = "list_runs", tag = "runs", params(RunListQuery),
    responses((status = 200, body = RunPageDto), (status = 422, body = Problem)))]
pub async fn list(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
    mut q: QueryPairs,
) -> Result<Json<RunPageDto>, ApiError> {
    let filter = RunFilter {
        channel_id: q.parse::<ChannelId>("channel_id", "a channel id"),
        job_kind: q.parse::<JobKind>(
            "job_kind",
            "a job kind (import_products, export_products, authorization_refresh)",
        ),
        status: q.parse::<RunStatus>(
            "status",
            "a run status (queued, running, succeeded, partially_succeeded, failed)",
        ),
        before: q.parse::<RunId>("after", "a cursor from a previous page"),
        limit: q.limit(50, 200),
    };
    q.finish(&["channel_id", "job_kind", "status", "after", "limit"])?;
    let runs = engine::list_runs(&app, &access, &filter).await?;
    let next = (runs.len() as u32 == filter.limit)
        .then(|| runs.last().map(|r| r.id.as_uuid()))
        .flatten();
    Ok(Json(RunPageDto {
        items: decorate(&app, &access, &runs).await?,
        next,
    }))
}

/// One run: channel, job kind, trigger, status, times, counts and message counts.
#[utoipa::path(get, path = "/api/v1/runs/{id}", operation_id = "get_run", tag = "runs", params(("id" = String, Path)),
    responses((status = 200, body = RunDto), (status = 404, body = Problem)))]
pub async fn get(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
    Path(id): Path<String>,
) -> Result<Json<RunDto>, ApiError> {
    let run = engine::get_run(&app, &access, parse_run_id(&id)?).await?;
    let mut dto = decorate(&app, &access, std::slice::from_ref(&run)).await?;
    Ok(Json(dto.remove(0)))
}

/// A run's messages in order, optionally of some levels only.
#[utoipa::path(get, path = "/api/v1/runs/{id}/messages", operation_id = "list_run_messages", tag = "runs",
    params(("id" = String, Path), MessageQuery),
    responses((status = 200, body = RunMessagePageDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn messages(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
    Path(id): Path<String>,
    mut q: QueryPairs,
) -> Result<Json<RunMessagePageDto>, ApiError> {
    let id = parse_run_id(&id)?;
    let mut levels: Vec<Level> = q.list("level", "a level (info, warning, error, fatal)");
    levels.sort();
    levels.dedup();
    let after = q.parse::<i64>("after", "a cursor from a previous page");
    let limit = q.limit(100, 1000);
    // An unknown run is a 404 before any parameter problem, so another account's run ids
    // cannot be probed through the parameters' answers.
    engine::get_run(&app, &access, id).await?;
    q.finish(&["level", "after", "limit"])?;
    let filter = MessageFilter {
        levels,
        after_seq: after,
        limit,
    };
    let items = engine::run_messages(&app, &access, id, &filter).await?;
    let next = (items.len() as u32 == limit)
        .then(|| items.last().map(|m| m.seq))
        .flatten();
    Ok(Json(RunMessagePageDto {
        items: items.iter().map(Into::into).collect(),
        next,
    }))
}
