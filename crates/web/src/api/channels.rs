//! `/api/v1/channels` and `/api/v1/integrations`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use techoms_app::channels::{self, ChannelInput};
use techoms_app::{Access, App, AppError};
use techoms_domain::{ChannelId, FieldSpec, integration::registry};

use super::dto::{ChannelDto, ChannelInputDto, FieldSpecDto, IntegrationDto, JobPeriodsDto};
use super::extract::{ApiAccess, ApiJson};
use crate::error::{ApiError, Problem};

fn parse_id(s: &str) -> Result<ChannelId, AppError> {
    // A malformed id names no resource of this account: 404, like any unknown id.
    s.parse::<ChannelId>().map_err(|_| AppError::NotFound)
}

async fn dto(app: &App, access: &Access, id: ChannelId) -> Result<ChannelDto, ApiError> {
    let ch = channels::get(app, access, id).await?;
    Ok(channels::view(app, access, ch).await?.into())
}

fn input(b: ChannelInputDto) -> ChannelInput {
    ChannelInput {
        kind: b.kind,
        integration: b.integration,
        name: b.name,
        enabled: b.enabled,
        settings: b.settings,
        credentials: b.credentials,
    }
}

/// The account's channels.
#[utoipa::path(get, path = "/api/v1/channels", tag = "channels", responses((status = 200, body = Vec<ChannelDto>)))]
pub async fn list(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
) -> Result<Json<Vec<ChannelDto>>, ApiError> {
    let mut out = Vec::new();
    for ch in channels::list(&app, &access).await? {
        out.push(channels::view(&app, &access, ch).await?.into());
    }
    Ok(Json(out))
}

/// Connect a channel.
#[utoipa::path(post, path = "/api/v1/channels", tag = "channels", request_body = ChannelInputDto,
    responses((status = 201, body = ChannelDto), (status = 422, body = Problem)))]
pub async fn create(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
    ApiJson(body): ApiJson<ChannelInputDto>,
) -> Result<(StatusCode, Json<ChannelDto>), ApiError> {
    let ch = channels::create(&app, &access, &input(body)).await?;
    Ok((StatusCode::CREATED, Json(dto(&app, &access, ch.id).await?)))
}

/// One channel.
#[utoipa::path(get, path = "/api/v1/channels/{id}", tag = "channels", params(("id" = String, Path)),
    responses((status = 200, body = ChannelDto), (status = 404, body = Problem)))]
pub async fn get(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
    Path(id): Path<String>,
) -> Result<Json<ChannelDto>, ApiError> {
    Ok(Json(dto(&app, &access, parse_id(&id)?).await?))
}

/// Change a channel's name, enabled flag, settings or credentials.
#[utoipa::path(put, path = "/api/v1/channels/{id}", tag = "channels", params(("id" = String, Path)),
    request_body = ChannelInputDto,
    responses((status = 200, body = ChannelDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ChannelInputDto>,
) -> Result<Json<ChannelDto>, ApiError> {
    let id = parse_id(&id)?;
    channels::update(&app, &access, id, &input(body)).await?;
    Ok(Json(dto(&app, &access, id).await?))
}

/// Remove a channel (not the Master Product Channel).
#[utoipa::path(delete, path = "/api/v1/channels/{id}", tag = "channels", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    channels::delete(&app, &access, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The channel's job periods.
#[utoipa::path(get, path = "/api/v1/channels/{id}/jobs", tag = "channels", params(("id" = String, Path)),
    responses((status = 200, body = JobPeriodsDto), (status = 404, body = Problem)))]
pub async fn get_jobs(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
    Path(id): Path<String>,
) -> Result<Json<JobPeriodsDto>, ApiError> {
    Ok(Json(
        channels::jobs(&app, &access, parse_id(&id)?).await?.into(),
    ))
}

/// Set job periods. Import Products only on the Master Product Channel; Export Products
/// never on it.
#[utoipa::path(put, path = "/api/v1/channels/{id}/jobs", tag = "channels", params(("id" = String, Path)),
    request_body = JobPeriodsDto,
    responses((status = 200, body = JobPeriodsDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_jobs(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<JobPeriodsDto>,
) -> Result<Json<JobPeriodsDto>, ApiError> {
    Ok(Json(
        channels::set_jobs(&app, &access, parse_id(&id)?, &body.0)
            .await?
            .into(),
    ))
}

fn fields(f: &[FieldSpec]) -> Vec<FieldSpecDto> {
    f.iter()
        .map(|s| FieldSpecDto {
            name: s.name.into(),
            label: s.label.into(),
            required: s.required,
            default: s.default.map(Into::into),
            help: s.help.into(),
        })
        .collect()
}

/// The integrations a channel can use, with the fields each needs.
#[utoipa::path(get, path = "/api/v1/integrations", tag = "channels", responses((status = 200, body = Vec<IntegrationDto>)))]
pub async fn integrations(_access: ApiAccess) -> Json<Vec<IntegrationDto>> {
    Json(
        registry()
            .iter()
            .map(|r| IntegrationDto {
                key: r.key.into(),
                display_name: r.display_name.into(),
                kind: r.kind.as_str().into(),
                capabilities: r
                    .capabilities
                    .iter()
                    .map(|c| format!("{c:?}"))
                    .map(|c| snake(&c))
                    .collect(),
                settings: fields(r.settings),
                credentials: fields(r.credentials),
            })
            .collect(),
    )
}

fn snake(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}
