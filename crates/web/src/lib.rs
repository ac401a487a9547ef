//! techOMS over HTTP. Handlers are thin: extract, call a use case in `techoms-app`, map the
//! result to a response. This crate never touches SQL.

pub mod api;
pub mod error;
pub mod health;
pub mod ui;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use techoms_app::App;
use tower_http::trace::TraceLayer;

/// The largest JSON body the API accepts.
pub const API_BODY_LIMIT: usize = 256 * 1024;

/// The whole HTTP surface.
pub fn router(app: App) -> Router {
    let (api, _) = api::router();
    Router::new()
        .merge(health::routes())
        .merge(api.layer(DefaultBodyLimit::max(API_BODY_LIMIT)))
        .merge(ui::router().layer(DefaultBodyLimit::max(API_BODY_LIMIT)))
        .layer(TraceLayer::new_for_http())
        .with_state(app)
}
