//! Login, logout and the account switcher.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use techoms_app::secrets::random_token;
use techoms_app::{App, AppError, auth};
use techoms_domain::AccountId;

use super::session::{
    ClientIp, LOGIN_CSRF_COOKIE, SESSION_COOKIE, UiSession, cookie, same_token, set_cookie,
};
use super::{csrf_refused, page_error};

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub csrf: String,
    pub next: String,
    pub email: String,
    pub error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only local paths: never redirect a login to another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/settings".to_owned(),
    }
}

pub async fn page(Query(q): Query<NextQuery>) -> Response {
    let csrf = random_token::<24>();
    let page = LoginPage {
        csrf: csrf.clone(),
        next: safe_next(q.next.as_deref()),
        email: String::new(),
        error: None,
    };
    (
        [(
            header::SET_COOKIE,
            set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600),
        )],
        page,
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

pub async fn submit(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if !same_token(&expected, &f.csrf) {
        return csrf_refused();
    }
    let next = safe_next(f.next.as_deref());
    match auth::login(&app, &f.email, &f.password, ip).await {
        Ok(token) => (
            [(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &token, auth::SESSION_HOURS * 3600),
            )],
            Redirect::to(&next),
        )
            .into_response(),
        Err(e @ (AppError::Unauthenticated(_) | AppError::RateLimited { .. })) => {
            let status = match e {
                AppError::RateLimited { .. } => axum::http::StatusCode::TOO_MANY_REQUESTS,
                _ => axum::http::StatusCode::UNAUTHORIZED,
            };
            let msg = match &e {
                AppError::Unauthenticated(m) => m.clone(),
                other => format!(
                    "Too many failed attempts. {}",
                    other.to_string().replace("too many attempts; ", "T")
                ),
            };
            (
                status,
                LoginPage {
                    csrf: f.csrf,
                    next,
                    email: f.email,
                    error: Some(msg),
                },
            )
                .into_response()
        }
        Err(e) => page_error(e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(app): State<App>,
    UiSession(s): UiSession,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !same_token(&s.csrf_token, &f.csrf) {
        return csrf_refused();
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = auth::logout(&app, &token).await
    {
        return page_error(e);
    }
    (
        [(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0))],
        Redirect::to("/login"),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct SwitchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    account_id: String,
}

pub async fn switch_account(
    State(app): State<App>,
    UiSession(s): UiSession,
    Form(f): Form<SwitchForm>,
) -> Response {
    if !same_token(&s.csrf_token, &f.csrf) {
        return csrf_refused();
    }
    let Ok(id) = f.account_id.parse::<AccountId>() else {
        return page_error(AppError::NotFound);
    };
    match auth::switch_account(&app, &s, id).await {
        Ok(()) => Redirect::to("/settings").into_response(),
        Err(e) => page_error(e),
    }
}
