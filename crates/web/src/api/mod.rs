//! The JSON API under `/api/v1`, authenticated by the account API key and described by the
//! OpenAPI document at `/api/v1/openapi.json` (built from the same handlers, so it cannot miss
//! a route).

pub mod account;
pub mod channels;
pub mod dto;
pub mod extract;
pub mod master_source;
pub mod products;
pub mod products_csv;
pub mod query;
pub mod runs;
pub mod sync;

use axum::routing::get;
use axum::{Json, Router};
use techoms_app::App;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "techOMS API", description = "One product catalog per account, every channel in step. Authenticate with `Authorization: Bearer <account API key>`. Errors are application/problem+json."),
    modifiers(&BearerAuth),
    security(("api_key" = []))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API routes and their OpenAPI document.
pub fn router() -> (Router<App>, utoipa::openapi::OpenApi) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(account::get_account, account::put_account))
        .routes(routes!(account::regenerate_api_key))
        .routes(routes!(account::audit))
        .routes(routes!(
            master_source::get_source,
            master_source::put_source
        ))
        .routes(routes!(master_source::options))
        .routes(routes!(channels::list, channels::create))
        .routes(routes!(channels::get, channels::update, channels::delete))
        .routes(routes!(channels::get_jobs, channels::put_jobs))
        .routes(routes!(channels::integrations))
        .routes(routes!(sync::sync_channel))
        .routes(routes!(products::list, products::create))
        .routes(routes!(products::get, products::update, products::delete))
        .routes(routes!(products::by_sku))
        .routes(routes!(runs::list))
        .routes(routes!(runs::get))
        .routes(routes!(runs::messages))
        .routes(routes!(products_csv::export))
        .routes(routes!(products_csv::import))
        .split_for_parts();
    let served = doc.clone();
    let router = router.route(
        "/api/v1/openapi.json",
        get(move || async move { Json(served) }),
    );
    (router, doc)
}

/// The OpenAPI document (for the snapshot test and for `techoms openapi`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    router().1
}
