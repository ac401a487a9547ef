//! `POST /AuthServer/api/Token` (OAuth2 client credentials: HTTP Basic client id/secret, JSON
//! body with `grant_type`, `tpl` and `user_login_id` or `user_login`) and the bearer check every
//! API call goes through. Token lifetimes are measured on the injectable clock.
//!
//! The token endpoint's refusal bodies are not documented; they follow RFC 6749 §5.2
//! (`{"error":"invalid_client"}` with 401, `invalid_request` / `unsupported_grant_type` with 400).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};

use super::http::{header_str, server_error, throttled, unauthorized};
use super::state::{Shared, Token, tpl_key_norm};

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({"error": error, "error_description": description}).to_string();
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = header_str(headers, "authorization")?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

pub async fn token(State(st): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let now = st.now();
    let mut g = st.lock();
    g.stats.token_requests += 1;
    let Some((client_id, secret)) = basic_credentials(&headers) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Missing or malformed Basic client credentials",
        );
    };
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The body must be JSON",
        );
    };
    let field = |name: &str| -> Option<String> {
        match req.get(name)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    if field("grant_type").as_deref() != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        );
    }
    let Some((key, tenant)) = g
        .tenants
        .iter()
        .find(|(_, t)| t.creds.client_id == client_id)
    else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Unknown client");
    };
    if tenant.creds.client_secret != secret || tenant.revoked {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    if let Some(tpl) = field("tpl")
        && tpl_key_norm(&tpl) != tpl_key_norm(&tenant.creds.tpl_key)
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The tpl does not match this client",
        );
    }
    let login_ok = match (field("user_login_id"), field("user_login")) {
        (Some(id), _) => id == tenant.creds.user_login_id,
        (None, Some(login)) => login.eq_ignore_ascii_case(&tenant.user_login),
        (None, None) => false,
    };
    if !login_ok {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "user_login_id (or user_login) is missing or unknown",
        );
    }
    let key = key.clone();
    let n = g.next_token;
    g.next_token += 1;
    let token = format!("sim-extensiv-token-{n:06}");
    let lifetime = g.token_lifetime;
    g.tokens.insert(
        token.clone(),
        Token {
            tenant: key,
            expires_at: now + lifetime,
        },
    );
    g.stats.tokens_issued += 1;
    let body = json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": lifetime.num_seconds(),
        "refresh_token": null,
        "scope": null,
    });
    let mut resp = (StatusCode::OK, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

/// Check the bearer token and the warehouse's injected faults. Returns the warehouse key, or
/// the answer to send instead.
pub fn gate(st: &Shared, headers: &HeaderMap) -> Result<String, Box<Response>> {
    let now = st.now();
    let mut guard = st.lock();
    let g = &mut *guard;
    let bearer = header_str(headers, "authorization")
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_string());
    let tenant_key = bearer
        .and_then(|t| g.tokens.get(&t))
        .filter(|t| t.expires_at > now)
        .map(|t| t.tenant.clone())
        .filter(|k| g.tenants.get(k).is_some_and(|t| !t.revoked));
    let (Some(key), Some(tenant)) = (
        tenant_key.clone(),
        tenant_key.and_then(|k| g.tenants.get_mut(&k)),
    ) else {
        g.stats.unauthorized += 1;
        return Err(Box::new(unauthorized()));
    };
    let faults = &mut tenant.faults;
    if let Some(n) = faults.expire_tokens_after.as_mut() {
        if *n == 0 {
            faults.expire_tokens_after = None;
            for t in g.tokens.values_mut().filter(|t| t.tenant == key) {
                t.expires_at = now;
            }
            g.stats.unauthorized += 1;
            return Err(Box::new(unauthorized()));
        }
        *n -= 1;
    }
    let retry_after = faults.retry_after.clone();
    if let Some(rl) = faults.rate_limit.as_mut() {
        if rl.started.elapsed() >= rl.window {
            rl.started = tokio::time::Instant::now();
            rl.count = 0;
        }
        if rl.count >= rl.max {
            let wait = rl.window.saturating_sub(rl.started.elapsed());
            g.stats.throttled += 1;
            let value = retry_after.unwrap_or_else(|| retry_after_value(wait));
            return Err(Box::new(throttled(Some(&value))));
        }
        rl.count += 1;
    }
    if faults.throttle_next > 0 {
        faults.throttle_next -= 1;
        g.stats.throttled += 1;
        return Err(Box::new(throttled(retry_after.as_deref())));
    }
    if faults.server_errors_next > 0 {
        faults.server_errors_next -= 1;
        return Err(Box::new(server_error(faults.server_error_status)));
    }
    Ok(key)
}

/// Seconds to wait, whole when at least one, else with millisecond precision so short test
/// windows do not round up to a full second.
fn retry_after_value(wait: std::time::Duration) -> String {
    if wait.as_secs() >= 1 {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        secs.to_string()
    } else {
        format!("{:.3}", wait.as_secs_f64())
    }
}
