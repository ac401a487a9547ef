//! `/api/v1/account/master-product-source`.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use techoms_app::master_source;
use techoms_app::{App, AppError};
use techoms_domain::{ChannelId, MasterProductSource, MasterSetting};
use utoipa::IntoParams;

use super::dto::{MasterOptionDto, MasterSourceChangeDto, MasterSourceChangedDto, MasterSourceDto};
use super::extract::{ApiAccess, ApiJson};
use crate::error::{ApiError, Problem};

/// The account's Master Product Source.
#[utoipa::path(get, path = "/api/v1/account/master-product-source", tag = "master product source",
    responses((status = 200, body = MasterSourceDto)))]
pub async fn get_source(ApiAccess(access): ApiAccess) -> Json<MasterSourceDto> {
    let s = master_source::current(&access);
    Json(MasterSourceDto {
        source: s.source.as_str().to_owned(),
        channel_id: s.channel_id.map(|c| c.as_uuid()),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct OptionsQuery {
    /// sales_channel or fulfillment_channel.
    pub source: Option<String>,
}

/// The channels that can be the Master Product Channel for `source`.
#[utoipa::path(get, path = "/api/v1/account/master-product-source/options", tag = "master product source",
    params(OptionsQuery),
    responses((status = 200, body = Vec<MasterOptionDto>), (status = 422, body = Problem)))]
pub async fn options(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
    Query(q): Query<OptionsQuery>,
) -> Result<Json<Vec<MasterOptionDto>>, ApiError> {
    let source = parse_source(q.source.as_deref())?;
    let opts = master_source::options(&app, &access, source).await?;
    Ok(Json(opts.into_iter().map(Into::into).collect()))
}

fn parse_source(s: Option<&str>) -> Result<MasterProductSource, AppError> {
    match s.map(str::trim) {
        None | Some("") => Err(AppError::field("source", "is required")),
        Some(v) => v.parse().map_err(|e: String| AppError::field("source", e)),
    }
}

/// Change the Master Product Source. On a live account the change needs `confirm: true`;
/// without it the answer is 409 and `details` says what the change would do.
#[utoipa::path(put, path = "/api/v1/account/master-product-source", tag = "master product source",
    request_body = MasterSourceChangeDto,
    responses((status = 200, body = MasterSourceChangedDto), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn put_source(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
    ApiJson(body): ApiJson<MasterSourceChangeDto>,
) -> Result<Json<MasterSourceChangedDto>, ApiError> {
    let source = parse_source(body.source.as_deref())?;
    let channel_id = match body.channel_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(
            s.parse::<ChannelId>()
                .map_err(|_| AppError::field("channel_id", format!("{s:?} is not a channel id")))?,
        ),
    };
    let outcome = master_source::change(
        &app,
        &access,
        MasterSetting { source, channel_id },
        body.confirm,
    )
    .await?;
    Ok(Json(outcome.into()))
}
