//! OAuth2 client credentials against `POST {base}/AuthServer/api/Token`: HTTP Basic
//! `client_id:client_secret`, JSON body `{"grant_type":"client_credentials","tpl":"{…}",
//! "user_login_id":"…"}`. The token is cached and renewed a margin before it expires; a 401 on
//! an API call renews it once (see `client.rs`).

use chrono::{DateTime, Utc};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::client::{Api, backoff};
use super::json::get_ci;
use super::settings::Settings;
use crate::error::ChannelError;
use crate::pacing::parse_retry_after;

pub(crate) const TOKEN_PATH: &str = "/AuthServer/api/Token";
/// When the answer omits `expires_in`: the documentation says tokens live 30 to 60 minutes.
const DEFAULT_LIFETIME_SECS: i64 = 1800;
const MAX_TOKEN_ATTEMPTS: u32 = 3;

#[derive(Debug, Clone)]
struct Cached {
    value: String,
    expires_at: DateTime<Utc>,
    renew_at: DateTime<Utc>,
}

#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    current: Mutex<Option<Cached>>,
}

/// Renew a fifth of the lifetime early, at most five minutes early.
fn renew_margin(lifetime: chrono::Duration) -> chrono::Duration {
    (lifetime / 5).min(chrono::Duration::minutes(5))
}

impl TokenCache {
    /// A token good for the next call, fetched if there is none or it is about to expire.
    pub async fn bearer(&self, api: &Api) -> Result<String, ChannelError> {
        let mut current = self.current.lock().await;
        if let Some(t) = current.as_ref().filter(|t| Utc::now() < t.renew_at) {
            return Ok(t.value.clone());
        }
        let fresh = fetch(api).await?;
        let value = fresh.value.clone();
        *current = Some(fresh);
        Ok(value)
    }

    /// The server refused `stale`: replace it, unless another call already has.
    pub async fn renew(&self, api: &Api, stale: &str) -> Result<(), ChannelError> {
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(|t| t.value != stale) {
            return Ok(());
        }
        *current = None;
        *current = Some(fetch(api).await?);
        Ok(())
    }

    /// Fetch a new token now (the Authorization Refresh job). Returns when it expires.
    pub async fn force_refresh(&self, api: &Api) -> Result<DateTime<Utc>, ChannelError> {
        let mut current = self.current.lock().await;
        let fresh = fetch(api).await?;
        let expires_at = fresh.expires_at;
        *current = Some(fresh);
        Ok(expires_at)
    }
}

fn scrub(text: &str, api: &Api) -> String {
    let secret = &api.settings.secrets.client_secret;
    if secret.is_empty() {
        text.to_string()
    } else {
        text.replace(secret.as_str(), "[redacted]")
    }
}

fn refusal(status: u16, body: &str, api: &Api) -> ChannelError {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|v| get_ci(v, name))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let detail = match (field("error"), field("error_description")) {
        (Some(e), Some(d)) => format!("{e}: {d}"),
        (Some(e), None) => e,
        _ => body.trim().chars().take(300).collect(),
    };
    let detail = scrub(&detail, api);
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(", {detail}")
    };
    match status {
        401 | 403 => ChannelError::Authentication(format!(
            "Extensiv refused the API credentials (HTTP {status}{detail}). Check the client id \
             and client secret, or ask the warehouse whether they were revoked."
        )),
        400 => ChannelError::Authentication(format!(
            "Extensiv refused the token request (HTTP 400{detail}). Check the TPL key and the \
             user login id."
        )),
        404 => ChannelError::Permanent(format!(
            "Extensiv has no token endpoint at {}{TOKEN_PATH} (HTTP 404); check the base URL",
            api.settings.base_url
        )),
        _ => ChannelError::Authentication(format!(
            "Extensiv refused the token request (HTTP {status}{detail})"
        )),
    }
}

/// The token request body. The warehouse issues either a numeric user login id or a login
/// name; the API takes the first as `user_login_id` and the second as `user_login`.
fn token_body(settings: &Settings) -> Value {
    let login = settings.user_login_id.trim();
    let login_field = if login.chars().all(|c| c.is_ascii_digit()) {
        "user_login_id"
    } else {
        "user_login"
    };
    let mut body = json!({
        "grant_type": "client_credentials",
        "tpl": format!("{{{}}}", settings.secrets.tpl),
    });
    body[login_field] = json!(login);
    body
}

async fn fetch(api: &Api) -> Result<Cached, ChannelError> {
    let s = &api.settings;
    let body = token_body(s);
    let mut attempt = 0;
    loop {
        attempt += 1;
        api.limiter.wait().await;
        let started = Utc::now();
        let sent = api
            .http
            .post(api.url(TOKEN_PATH))
            .timeout(s.timeout)
            .basic_auth(&s.secrets.client_id, Some(&s.secrets.client_secret))
            .header(CONTENT_TYPE, "application/json; charset=utf-8")
            .header(ACCEPT, "application/json")
            .body(body.to_string())
            .send()
            .await;
        let (status, retry_after, text) = match sent {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let retry_after = resp
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after);
                match resp.text().await {
                    Ok(t) => (status, retry_after, t),
                    Err(e) => (0, None, ChannelError::from_transport(&e).to_string()),
                }
            }
            Err(e) => (0, None, ChannelError::from_transport(&e).to_string()),
        };
        match status {
            200..=299 => return parse_token(&text, started),
            0 | 429 | 500..=599 if attempt < MAX_TOKEN_ATTEMPTS => {
                if status == 429 {
                    api.limiter.throttled(retry_after).await;
                }
                tokio::time::sleep(retry_after.unwrap_or_else(|| backoff(attempt))).await;
            }
            0 => {
                return Err(ChannelError::Transient(format!(
                    "could not reach the Extensiv token endpoint: {}",
                    scrub(&text, api)
                )));
            }
            429 => {
                return Err(ChannelError::Throttled {
                    retry_after: retry_after.unwrap_or_else(|| backoff(attempt)),
                    message: "the Extensiv token endpoint answered 429".into(),
                });
            }
            500..=599 => {
                return Err(ChannelError::Transient(format!(
                    "the Extensiv token endpoint answered HTTP {status}"
                )));
            }
            _ => return Err(refusal(status, &text, api)),
        }
    }
}

fn parse_token(text: &str, requested_at: DateTime<Utc>) -> Result<Cached, ChannelError> {
    let v: Value = serde_json::from_str(text).map_err(|_| {
        ChannelError::Permanent(
            "the Extensiv token endpoint answered something that is not JSON".into(),
        )
    })?;
    let value = get_ci(&v, "access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ChannelError::Permanent("the Extensiv token answer has no access_token".into())
        })?
        .to_string();
    let secs = get_ci(&v, "expires_in")
        .and_then(|e| e.as_i64().or_else(|| e.as_str()?.trim().parse().ok()))
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_LIFETIME_SECS);
    let lifetime = chrono::Duration::seconds(secs);
    // Count from when we asked, so network time never makes us trust a token too long.
    let expires_at = requested_at + lifetime;
    Ok(Cached {
        value,
        expires_at,
        renew_at: expires_at - renew_margin(lifetime),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn token_answer_and_margin() {
        let at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        let t = parse_token(
            r#"{"access_token":"abc","token_type":"Bearer","expires_in":3600}"#,
            at,
        )
        .unwrap();
        assert_eq!(t.value, "abc");
        assert_eq!(t.expires_at, at + chrono::Duration::hours(1));
        assert_eq!(t.renew_at, at + chrono::Duration::minutes(55));
        let short = parse_token(r#"{"access_token":"x","expires_in":"60"}"#, at).unwrap();
        assert_eq!(short.renew_at, at + chrono::Duration::seconds(48));
        assert!(parse_token(r#"{"token_type":"Bearer"}"#, at).is_err());
    }

    #[test]
    fn login_id_or_login_name() {
        use crate::config::{ChannelConfig, Credentials};
        let config = |login: &str| ChannelConfig {
            channel_label: "t".into(),
            settings: [
                ("customer_id", "1"),
                ("facility_id", "1"),
                ("user_login_id", login),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            credentials: Credentials::new(
                [
                    ("client_id", "c"),
                    ("client_secret", "s"),
                    ("tpl_key", "{T-1}"),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ),
        };
        let by_id = token_body(&Settings::from_config(&config("42")).unwrap());
        assert_eq!(
            by_id,
            json!({"grant_type": "client_credentials", "tpl": "{T-1}", "user_login_id": "42"})
        );
        let by_name = token_body(&Settings::from_config(&config("warehouse-api")).unwrap());
        assert_eq!(by_name["user_login"], "warehouse-api");
        assert!(by_name.get("user_login_id").is_none());
    }
}
