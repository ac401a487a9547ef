//! Security basics: CSRF on every form, login that does not say which part was wrong, login
//! rate limiting, disabled accounts, and credentials that never reach a response, a page or a
//! log line.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use techoms_app::access::Actor;
use techoms_domain::{AccountId, Role};

/// Every log line of this test binary, at TRACE level.
fn captured() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = buf.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || CaptureWriter(writer.clone()))
            .init();
        buf
    })
    .clone()
}

struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl Write for CaptureWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let t = TestApp::sqlite().await;
    let (session, csrf) = login(&t, &t.a.email, &t.a.password).await;
    let form = "name=Changed&timezone=UTC&currency=USD&weight_unit=g&length_unit=mm&source=techoms&channel_id=";
    for body in [form.to_owned(), format!("{form}&csrf=wrong-token")] {
        let (st, _, page) = t.raw(post_form("/settings", &session, &body)).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{page}");
        assert!(page.contains("CSRF"));
    }
    // Every form post route checks the token.
    for (method, path) in techoms_web::ui::ROUTES {
        if *method != "POST" || *path == "/login" {
            continue;
        }
        let url = path.replace("{id}", "00000000-0000-0000-0000-000000000000");
        let (st, _, _) = t.raw(post_form(&url, &session, "name=x")).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "POST {path} without a token");
    }
    // Nothing changed.
    let (_, v) = t
        .api(&t.a.api_key, Method::GET, "/api/v1/account", None)
        .await;
    assert_eq!(v["name"], "Alpha Store");
    // With the token it goes through.
    let (st, headers, _) = t
        .raw(post_form(
            "/settings",
            &session,
            &format!("{form}&csrf={csrf}"),
        ))
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/settings?saved=1");
    // The login form has its own token, bound to a cookie.
    let (st, _, _) = t
        .raw(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "email={}&password={}&csrf=guess",
                    enc(&t.a.email),
                    enc(&t.a.password)
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}

async fn try_login(t: &TestApp, email: &str, password: &str) -> (StatusCode, String) {
    let (_, headers, _) = t
        .raw(Request::get("/login").body(Body::empty()).unwrap())
        .await;
    let c = cookie_value(&headers, "techoms_login_csrf").unwrap();
    let (st, _, page) = t
        .raw(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("techoms_login_csrf={c}"))
                .body(Body::from(format!(
                    "email={}&password={}&csrf={c}",
                    enc(email),
                    enc(password)
                )))
                .unwrap(),
        )
        .await;
    (
        st,
        between(&page, "id=\"login-error\">", "<").unwrap_or_default(),
    )
}

#[tokio::test]
async fn wrong_logins_do_not_say_which_part_was_wrong_and_are_rate_limited() {
    let t = TestApp::sqlite().await;
    let (st1, m1) = try_login(&t, &t.a.email, "wrong password").await;
    let (st2, m2) = try_login(&t, "nobody@nowhere.test", "wrong password").await;
    assert_eq!(
        (st1, st2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(
        m1, m2,
        "the same message for an unknown e-mail and a wrong password"
    );
    assert!(!m1.is_empty());
    // Three more failures for A's e-mail reach the limit of five …
    for _ in 0..4 {
        try_login(&t, &t.a.email, "wrong password").await;
    }
    // … after which even the right password is refused for a while.
    let (st, m) = try_login(&t, &t.a.email, &t.a.password).await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS, "{m}");
    assert!(m.contains("Too many"), "{m}");
    // Another login from the same address is not blocked by A's failures.
    let (st, _) = try_login(&t, &t.b.email, &t.b.password).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_disabled_account_is_read_only_and_its_users_cannot_log_in() {
    let t = TestApp::sqlite().await;
    let account: AccountId = t.a.account_id.parse().unwrap();
    let acc = techoms_db::accounts::get(&t.app.db, account).await.unwrap();
    // An Account User of A.
    let hash = techoms_app::auth::hash_password(PASSWORD).unwrap();
    techoms_db::users::create(
        &t.app.db,
        &techoms_db::users::NewUser {
            organization_id: acc.organization_id,
            account_id: Some(account),
            email: "clerk@a.test",
            password_hash: &hash,
            role: Role::AccountUser,
        },
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let (st, _) = try_login(&t, "clerk@a.test", PASSWORD).await;
    assert_eq!(
        st,
        StatusCode::SEE_OTHER,
        "an enabled account's user logs in"
    );
    techoms_app::accounts::set_enabled(&t.app, &Actor::Cli, &acc, false)
        .await
        .unwrap();
    let (st, m) = try_login(&t, "clerk@a.test", PASSWORD).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert!(m.contains("disabled"), "{m}");
    // The organization administrator still sees it, read-only, with a banner.
    let (session, csrf) = login(&t, &t.a.email, &t.a.password).await;
    let (_, _, page) = t.raw(get_with_cookie("/settings", &session)).await;
    assert!(page.contains("id=\"disabled-banner\""), "banner shown");
    let (st, _, _) = t
        .raw(post_form("/settings", &session, &format!("csrf={csrf}&name=X&timezone=UTC&currency=USD&weight_unit=g&length_unit=mm&source=techoms")))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // The API key reads but cannot write.
    let (st, _) = t
        .api(&t.a.api_key, Method::GET, "/api/v1/account", None)
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = t
        .api(&t.a.api_key, Method::POST, "/api/v1/account/api-key", None)
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn credentials_never_reach_a_response_a_page_or_a_log() {
    let logs = captured();
    let t = TestApp::sqlite().await;
    let k = t.a.api_key.clone();
    let mut bodies = Vec::new();
    let mut ids = Vec::new();
    for integration in ["shopify", "woocommerce", "shipbob", "extensiv"] {
        ids.push(t.create_channel(&k, integration, integration, true).await);
    }
    // Change a credential through the API and through the form.
    let (_, v) = t
        .api(
            &k,
            Method::PUT,
            &format!("/api/v1/channels/{}", ids[0]),
            Some(serde_json::json!({"credentials": {"access_token": "shpat_SECRET-rotated-0002"}})),
        )
        .await;
    bodies.push(v.to_string());
    let (session, csrf) = login(&t, &t.a.email, &t.a.password).await;
    let (_, _, page) = t
        .raw(post_form(&format!("/channels/{}", ids[2]), &session, &format!("csrf={csrf}&integration=shipbob&name=shipbob&enabled=on&credentials.access_token=SECRET-form-pat")))
        .await;
    bodies.push(page);
    // A refused create echoes nothing secret either.
    let (_, v) = t
        .api(&k, Method::POST, "/api/v1/channels", Some(serde_json::json!({"integration": "shopify", "name": "", "credentials": {"access_token": "SECRET-refused"}})))
        .await;
    bodies.push(v.to_string());
    // Read everything back.
    for path in [
        "/api/v1/channels",
        "/api/v1/account",
        "/api/v1/account/audit",
    ] {
        bodies.push(t.api(&k, Method::GET, path, None).await.1.to_string());
    }
    for id in &ids {
        bodies.push(
            t.api(&k, Method::GET, &format!("/api/v1/channels/{id}"), None)
                .await
                .1
                .to_string(),
        );
        bodies.push(
            t.raw(get_with_cookie(&format!("/channels/{id}"), &session))
                .await
                .2,
        );
    }
    for page in ["/settings", "/channels"] {
        bodies.push(t.raw(get_with_cookie(page, &session)).await.2);
    }
    let log_text = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(!log_text.is_empty(), "logs were captured");
    for (i, b) in bodies.iter().enumerate() {
        assert!(
            !b.contains("SECRET-"),
            "response {i} shows a credential: {b}"
        );
        assert!(!b.contains(&t.a.password));
    }
    assert!(
        !log_text.contains("SECRET-"),
        "a credential reached the log"
    );
    assert!(!log_text.contains(&k), "the API key reached the log");
    assert!(
        !log_text.contains(&t.a.password),
        "a password reached the log"
    );
    // The stored credentials still work for the connector (decrypted on demand).
    let (_, v) = t
        .api(
            &k,
            Method::GET,
            &format!("/api/v1/channels/{}", ids[0]),
            None,
        )
        .await;
    assert_eq!(v["credentials"]["access_token"], "••••0002");
}
