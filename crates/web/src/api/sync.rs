//! `POST /api/v1/channels/{id}/sync`: Manual Sync (DESIGN §5) — queue the channel's run now,
//! in the direction the rules allow.

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use techoms_app::engine::{Trigger, get_run};
use techoms_app::sync_jobs::request_sync;
use techoms_app::{App, AppError};
use techoms_domain::ChannelId;
use utoipa::ToSchema;
use uuid::Uuid;

use super::extract::{ApiAccess, ApiJson};
use crate::error::{ApiError, Problem};

/// What to sync. The body may be omitted (an incremental sync).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncRequestDto {
    /// Read (import) or compare (export) everything instead of only what changed since the
    /// last run. Default false.
    #[serde(default)]
    pub full: bool,
}

/// The queued run.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncAcceptedDto {
    pub run_id: Uuid,
    pub channel_id: Uuid,
    /// `import_products` for the Master Product Channel, `export_products` otherwise.
    pub job_kind: String,
    pub full: bool,
    /// `queued`.
    pub status: String,
    pub trigger: String,
    pub created_at: DateTime<Utc>,
}

/// Largest body accepted here (it is a tiny JSON object).
const BODY_LIMIT: usize = 4096;

/// Sync the channel's products now: an import for the Master Product Channel, an export for any
/// other channel that can receive products. 409 (with `details.reason` = `account_disabled`,
/// `channel_disabled`, `not_allowed` or `already_running`, and `details.run_id` for the last)
/// when the rules allow no run or one is already queued or running.
#[utoipa::path(post, path = "/api/v1/channels/{id}/sync", tag = "channels",
    params(("id" = String, Path)),
    request_body(content = SyncRequestDto, description = "Optional; `{\"full\": true}` for a full sync"),
    responses(
        (status = 202, body = SyncAcceptedDto, description = "Queued; Location names the run",
            headers(("Location" = String, description = "/api/v1/runs/{run_id}"))),
        (status = 404, body = Problem),
        (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn sync_channel(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let channel = id.parse::<ChannelId>().map_err(|_| AppError::NotFound)?;
    let body = match optional_json::<SyncRequestDto>(req, &app).await {
        Ok(b) => b,
        Err(rejection) => return Ok(rejection),
    };
    let run_id = request_sync(&app, &access, channel, body.full, Trigger::Manual).await?;
    let run = get_run(&app, &access, run_id).await?;
    let dto = SyncAcceptedDto {
        run_id: run.id.as_uuid(),
        channel_id: run.channel_id.as_uuid(),
        job_kind: run.job_kind.as_str().to_owned(),
        full: run.full,
        status: run.status.as_str().to_owned(),
        trigger: run.trigger.as_str().to_owned(),
        created_at: run.created_at,
    };
    let location = HeaderValue::from_str(&format!("/api/v1/runs/{}", run.id))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut res = (StatusCode::ACCEPTED, Json(dto)).into_response();
    res.headers_mut().insert(header::LOCATION, location);
    Ok(res)
}

/// The JSON body, or the default when there is none; a bad body is answered as the other
/// JSON endpoints answer it (problem+json naming the field).
async fn optional_json<T: serde::de::DeserializeOwned + Default>(
    req: Request,
    app: &App,
) -> Result<T, Response> {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return Err(ApiError(AppError::field(
                "body",
                format!("larger than {BODY_LIMIT} bytes"),
            ))
            .into_response());
        }
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let req = Request::from_parts(parts, Body::from(bytes));
    match ApiJson::<T>::from_request(req, app).await {
        Ok(ApiJson(v)) => Ok(v),
        Err(problem) => Err(problem.into_response()),
    }
}
