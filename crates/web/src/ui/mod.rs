//! The server-rendered UI: askama templates, htmx for partial updates, plain form posts.

pub mod channels;
pub mod chrome;
pub mod login;
pub mod products;
pub mod products_csv;
pub mod runs;
pub mod session;
pub mod settings;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use techoms_app::{App, AppError};

/// Every UI route (method, path), for tests that must cover them all. Kept next to
/// [`router`], which must register exactly these.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("POST", "/switch-account"),
    ("GET", "/settings"),
    ("POST", "/settings"),
    ("GET", "/settings/master-channel-options"),
    ("POST", "/settings/api-key"),
    ("GET", "/channels"),
    ("POST", "/channels"),
    ("GET", "/channels/new"),
    ("GET", "/channels/{id}"),
    ("POST", "/channels/{id}"),
    ("POST", "/channels/{id}/enable"),
    ("POST", "/channels/{id}/disable"),
    ("POST", "/channels/{id}/delete"),
    ("POST", "/channels/{id}/jobs"),
    ("GET", "/runs"),
    ("GET", "/runs/{id}"),
    ("GET", "/runs/{id}/live"),
    ("GET", "/products"),
    ("GET", "/products/{id}"),
    ("POST", "/channels/{id}/sync"),
    ("GET", "/products/import"),
    ("POST", "/products/import"),
    ("GET", "/products/export.csv"),
    ("GET", "/static/htmx-2.0.11.min.js"),
    ("GET", "/static/app.css"),
];

/// The UI routes.
pub fn router() -> Router<App> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/settings") }))
        .route("/login", get(login::page).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/switch-account", post(login::switch_account))
        .route("/settings", get(settings::page).post(settings::submit))
        .route(
            "/settings/master-channel-options",
            get(settings::channel_options),
        )
        .route("/settings/api-key", post(settings::regenerate_key))
        .route("/channels", get(channels::list).post(channels::create))
        .route("/channels/new", get(channels::new_form))
        .route(
            "/channels/{id}",
            get(channels::detail).post(channels::update),
        )
        .route("/channels/{id}/enable", post(channels::enable))
        .route("/channels/{id}/disable", post(channels::disable))
        .route("/channels/{id}/delete", post(channels::delete))
        .route("/channels/{id}/jobs", post(channels::save_jobs))
        .route("/runs", get(runs::list))
        .route("/runs/{id}", get(runs::detail))
        .route("/runs/{id}/live", get(runs::live))
        .route("/products", get(products::list))
        .route("/products/{id}", get(products::detail))
        .route("/channels/{id}/sync", post(channels::sync))
        .route(
            "/products/import",
            get(products_csv::form)
                // The file streams into the import, which enforces its own size limit.
                .post(products_csv::submit)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/products/export.csv", get(products_csv::export))
        .route("/static/htmx-2.0.11.min.js", get(htmx))
        .route("/static/app.css", get(css))
}

async fn htmx() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../../static/htmx-2.0.11.min.js"),
    )
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css")],
        include_str!("../../static/app.css"),
    )
}

/// A whole-page error for the UI.
pub fn page_error(e: AppError) -> Response {
    let (status, msg) = match &e {
        AppError::NotFound => (
            StatusCode::NOT_FOUND,
            "Not found in this account.".to_owned(),
        ),
        AppError::Forbidden(m) => (StatusCode::FORBIDDEN, m.clone()),
        AppError::Unauthenticated(m) => (StatusCode::UNAUTHORIZED, m.clone()),
        AppError::Invalid(_) | AppError::Conflict { .. } | AppError::RateLimited { .. } => {
            (StatusCode::BAD_REQUEST, e.to_string())
        }
        AppError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, e.to_string()),
        AppError::Internal(m) => {
            tracing::error!(error = %m, "internal error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong; the server log has the details.".to_owned(),
            )
        }
    };
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{code} · techOMS</title>\
         <link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main><h1>{code}</h1>\
         <p class=\"error\">{msg}</p><p><a href=\"/settings\">Back to techOMS</a></p></main></body></html>",
        code = status.as_u16(),
        msg = html_escape(&msg)
    );
    (status, Html(body)).into_response()
}

/// Refuse a form post whose CSRF token does not match the session's.
pub fn csrf_refused() -> Response {
    page_error(AppError::Forbidden(
        "The form has expired or did not come from this site (CSRF check failed). Reload the page and try again.".into(),
    ))
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
