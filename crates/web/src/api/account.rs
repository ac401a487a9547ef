//! `/api/v1/account`: the API key's account, its settings, API key and audit log.

use axum::Json;
use axum::extract::State;
use techoms_app::App;
use techoms_app::accounts::{self, SettingsInput};

use super::dto::{AccountDto, AccountSettingsDto, ApiKeyDto, AuditEventDto};
use super::extract::{ApiAccess, ApiJson};
use crate::error::{ApiError, Problem};

/// The account of the API key.
#[utoipa::path(get, path = "/api/v1/account", tag = "account",
    responses((status = 200, body = AccountDto), (status = 401, body = Problem)))]
pub async fn get_account(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
) -> Result<Json<AccountDto>, ApiError> {
    let key = accounts::masked_api_key(&app, access.account.id).await?;
    Ok(Json(AccountDto::new(&access.account, key)))
}

/// Change the account's name, time zone, currency and display units.
#[utoipa::path(put, path = "/api/v1/account", tag = "account", request_body = AccountSettingsDto,
    responses((status = 200, body = AccountDto), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn put_account(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
    ApiJson(body): ApiJson<AccountSettingsDto>,
) -> Result<Json<AccountDto>, ApiError> {
    let updated = accounts::update_settings(
        &app,
        &access,
        &SettingsInput {
            name: body.name,
            timezone: body.timezone,
            currency: body.currency,
            weight_unit: body.weight_unit,
            length_unit: body.length_unit,
        },
    )
    .await?;
    let key = accounts::masked_api_key(&app, updated.id).await?;
    Ok(Json(AccountDto::new(&updated, key)))
}

/// Make a new API key; the key used for this call stops working at once.
#[utoipa::path(post, path = "/api/v1/account/api-key", tag = "account",
    responses((status = 200, body = ApiKeyDto), (status = 403, body = Problem)))]
pub async fn regenerate_api_key(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
) -> Result<Json<ApiKeyDto>, ApiError> {
    let api_key = accounts::regenerate_api_key(&app, &access).await?;
    Ok(Json(ApiKeyDto { api_key }))
}

/// Settings changes, newest first.
#[utoipa::path(get, path = "/api/v1/account/audit", tag = "account",
    responses((status = 200, body = Vec<AuditEventDto>)))]
pub async fn audit(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
) -> Result<Json<Vec<AuditEventDto>>, ApiError> {
    let events = accounts::audit_log(&app, &access, 200).await?;
    Ok(Json(events.into_iter().map(Into::into).collect()))
}
