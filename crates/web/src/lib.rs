//! techOMS over HTTP. Handlers are thin: extract, call a use case in `techoms-app`, map the
//! result to a response. This crate never touches SQL.

pub mod health;

use axum::Router;
use techoms_app::App;
use tower_http::trace::TraceLayer;

/// The whole HTTP surface.
pub fn router(app: App) -> Router {
    Router::new()
        .merge(health::routes())
        .layer(TraceLayer::new_for_http())
        .with_state(app)
}
