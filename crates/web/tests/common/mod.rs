//! Shared set-up for the web tests: an app on a test database with two organizations, each
//! with one account, an administrator and an API key.

#![allow(dead_code)]

pub mod browser;
pub mod engine;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::Value;
use techoms_app::secrets::SecretKey;
use techoms_app::{App, accounts};
use techoms_domain::SystemClock;
use techoms_testkit::TestDb;
use tower::ServiceExt;

pub struct Tenant {
    pub account_id: String,
    pub api_key: String,
    pub email: String,
    pub password: String,
}

pub struct TestApp {
    pub db: TestDb,
    pub app: App,
    pub router: Router,
    pub a: Tenant,
    pub b: Tenant,
}

pub const PASSWORD: &str = "correct horse battery";

pub async fn tenant(app: &App, org: &str, account: &str, email: &str) -> Tenant {
    let b = accounts::bootstrap(app, org, account, email, PASSWORD)
        .await
        .unwrap();
    Tenant {
        account_id: b.account_id.to_string(),
        api_key: b.api_key,
        email: email.into(),
        password: PASSWORD.into(),
    }
}

impl TestApp {
    pub async fn new(db: TestDb) -> TestApp {
        let app = App::new(db.db.clone(), Arc::new(SystemClock), SecretKey::generate());
        let a = tenant(&app, "Org A", "Alpha Store", "ann@a.test").await;
        let b = tenant(&app, "Org B", "Beta Store", "bob@b.test").await;
        let router = techoms_web::router(app.clone());
        TestApp {
            db,
            app,
            router,
            a,
            b,
        }
    }

    pub async fn sqlite() -> TestApp {
        TestApp::new(TestDb::sqlite().await).await
    }

    /// A JSON API call with `key`.
    pub async fn api(
        &self,
        key: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {key}"));
        let body = match body {
            Some(v) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(serde_json::to_vec(&v).unwrap())
            }
            None => Body::empty(),
        };
        let res = self
            .router
            .clone()
            .oneshot(req.body(body).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 10 << 20)
            .await
            .unwrap();
        let v = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        (status, v)
    }

    /// A raw request; returns status, headers and body text.
    pub async fn raw(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 10 << 20)
            .await
            .unwrap();
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    pub async fn create_channel(
        &self,
        key: &str,
        integration: &str,
        name: &str,
        enabled: bool,
    ) -> String {
        let (settings, credentials) = sample_fields(integration);
        let (st, v) = self
            .api(
                key,
                Method::POST,
                "/api/v1/channels",
                Some(serde_json::json!({
                    "integration": integration, "name": name, "enabled": enabled,
                    "settings": settings, "credentials": credentials
                })),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        v["id"].as_str().unwrap().to_owned()
    }
}

/// Settings and credentials that satisfy each integration's required fields. The credential
/// values contain the marker `SECRET-` so tests can look for leaks.
pub fn sample_fields(integration: &str) -> (Value, Value) {
    use serde_json::json;
    match integration {
        "shopify" => (
            json!({"shop_domain": "demo.myshopify.com"}),
            json!({"access_token": "shpat_SECRET-shopify-0001"}),
        ),
        "woocommerce" => (
            json!({"site_url": "https://shop.example"}),
            json!({"consumer_key": "ck_SECRET-woo-key", "consumer_secret": "cs_SECRET-woo-secret"}),
        ),
        "shipbob" => (
            json!({}),
            json!({"access_token": "SECRET-shipbob-pat-0001"}),
        ),
        "extensiv" => (
            json!({"customer_id": "12", "facility_id": "3", "user_login_id": "77"}),
            json!({"client_id": "SECRET-ext-client", "client_secret": "SECRET-ext-secret", "tpl_key": "{SECRET-tpl}"}),
        ),
        other => panic!("no sample for {other}"),
    }
}

/// Log in through the form; returns (session cookie, csrf token of the session).
pub async fn login(t: &TestApp, email: &str, password: &str) -> (String, String) {
    let (_, headers, _) = t
        .raw(Request::get("/login").body(Body::empty()).unwrap())
        .await;
    let login_csrf = cookie_value(&headers, "techoms_login_csrf").unwrap();
    let form = format!(
        "email={}&password={}&csrf={login_csrf}&next=/settings",
        enc(email),
        enc(password)
    );
    let (st, headers, body) = t
        .raw(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("techoms_login_csrf={login_csrf}"))
                .body(Body::from(form))
                .unwrap(),
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{body}");
    let session = cookie_value(&headers, "techoms_session").unwrap();
    let (_, _, page) = t.raw(get_with_cookie("/settings", &session)).await;
    let csrf = between(&page, "name=\"csrf\" value=\"", "\"").unwrap();
    (session, csrf)
}

pub fn get_with_cookie(path: &str, session: &str) -> Request<Body> {
    Request::get(path)
        .header(header::COOKIE, format!("techoms_session={session}"))
        .body(Body::empty())
        .unwrap()
}

pub fn post_form(path: &str, session: &str, form: &str) -> Request<Body> {
    Request::post(path)
        .header(header::COOKIE, format!("techoms_session={session}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .unwrap()
}

pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap_or("").to_owned())
        })
}

pub fn between(s: &str, start: &str, end: &str) -> Option<String> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)?;
    Some(s[i..i + j].to_owned())
}

pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
