//! The GraphQL transport: one POST per document, paced by the cost bucket, with Shopify's
//! failure signals mapped onto [`ChannelError`].
//!
//! - HTTP 200 with `errors[].extensions.code == "THROTTLED"` and HTTP 429 → `Throttled`,
//!   retried here after the computed wait (the bucket model knows how long).
//! - 401 / 403 → `Authentication`; 5xx, timeouts, dropped connections → `Transient`, retried
//!   with backoff by [`Client::request`] (callers that create use [`Client::send`] and decide
//!   themselves, because a create that failed that way may have happened).
//! - Other GraphQL errors → `Permanent` (`ACCESS_DENIED` → `Authentication`: a missing scope is
//!   for the merchant to fix in the app's settings).

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::settings::Settings;
use super::throttle::{CostLimiter, ThrottleStatus};
use crate::error::ChannelError;
use crate::pacing::parse_retry_after;

/// Attempts of a request that keeps being throttled before giving up.
const THROTTLE_ATTEMPTS: u32 = 8;
/// Attempts of a request that keeps failing transiently.
pub const TRANSIENT_ATTEMPTS: u32 = 4;
const BACKOFF_BASE: Duration = Duration::from_millis(200);

/// One GraphQL request.
#[derive(Debug, Clone)]
pub struct Gql {
    /// A label for logs and for the cost calibration ("read", "lookup", "write"…).
    pub kind: &'static str,
    pub query: String,
    pub variables: Value,
    /// Our own estimate of the requested cost (see `cost.rs`).
    pub estimate: f64,
}

#[derive(Debug, Clone)]
pub struct GqlResponse {
    pub data: Value,
}

pub struct Client {
    http: reqwest::Client,
    settings: Settings,
    pub limiter: CostLimiter,
    /// Reported requested cost / our estimate, per request kind: if Shopify charges more than
    /// our formula says, later estimates (and page sizes) follow the server.
    calibration: std::sync::Mutex<HashMap<&'static str, f64>>,
}

pub fn backoff(attempt: u32) -> Duration {
    BACKOFF_BASE * 2u32.saturating_pow(attempt.min(5))
}

impl Client {
    pub fn new(http: reqwest::Client, settings: Settings) -> Self {
        Self {
            http,
            settings,
            limiter: CostLimiter::new(),
            calibration: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Our estimate for `kind`, corrected by what Shopify has reported for it so far.
    pub fn calibrated(&self, kind: &'static str, estimate: f64) -> f64 {
        let factor = self
            .calibration
            .lock()
            .map(|m| m.get(kind).copied().unwrap_or(1.0))
            .unwrap_or(1.0);
        (estimate * factor).ceil()
    }

    pub fn factor(&self, kind: &'static str) -> f64 {
        self.calibration
            .lock()
            .map(|m| m.get(kind).copied().unwrap_or(1.0))
            .unwrap_or(1.0)
    }

    fn calibrate(&self, kind: &'static str, estimate: f64, reported: f64) {
        if estimate > 0.0
            && reported > 0.0
            && let Ok(mut m) = self.calibration.lock()
        {
            m.insert(kind, (reported / estimate).clamp(0.25, 4.0));
        }
    }

    /// Send with retries for throttling and transient failures: for reads and for writes
    /// that are safe to repeat.
    pub async fn request(&self, q: &Gql) -> Result<GqlResponse, ChannelError> {
        let mut throttled = 0;
        let mut transient = 0;
        loop {
            match self.send(q).await {
                Ok(r) => return Ok(r),
                Err(ChannelError::Throttled {
                    retry_after,
                    message,
                }) => {
                    throttled += 1;
                    if throttled >= THROTTLE_ATTEMPTS {
                        return Err(ChannelError::Throttled {
                            retry_after,
                            message,
                        });
                    }
                    // The limiter already holds the next attempt back by the right amount.
                }
                Err(e @ ChannelError::Transient(_)) => {
                    transient += 1;
                    if transient >= TRANSIENT_ATTEMPTS {
                        return Err(e);
                    }
                    tracing::warn!(kind = q.kind, attempt = transient, error = %e, "Shopify request failed; retrying");
                    tokio::time::sleep(backoff(transient - 1)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Send once (after waiting for the points it will request).
    pub async fn send(&self, q: &Gql) -> Result<GqlResponse, ChannelError> {
        let estimate = self.calibrated(q.kind, q.estimate);
        self.limiter.acquire(estimate).await;
        let body = json!({ "query": q.query, "variables": q.variables });
        let resp = self
            .http
            .post(self.settings.endpoint.clone())
            .header("X-Shopify-Access-Token", &self.settings.access_token)
            .header("Accept", "application/json")
            .json(&body)
            .timeout(self.settings.timeout)
            .send()
            .await
            .map_err(|e| ChannelError::from_transport(&e))?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let text = resp
            .text()
            .await
            .map_err(|e| ChannelError::from_transport(&e))?;
        let code = status.as_u16();
        match code {
            200..=299 => {}
            401 | 403 => {
                return Err(ChannelError::Authentication(format!(
                    "Shopify refused the access token (HTTP {code}: {}). Reconnect the channel with a valid Admin API access token for this shop.",
                    error_text(&text)
                )));
            }
            429 => {
                let wait = retry_after.unwrap_or(Duration::from_secs(1));
                self.limiter.pause(wait).await;
                return Err(ChannelError::Throttled {
                    retry_after: wait,
                    message: format!("Shopify answered HTTP 429: {}", error_text(&text)),
                });
            }
            402 | 423 => {
                return Err(ChannelError::Permanent(format!(
                    "Shopify refused the request (HTTP {code}: {}): the shop is frozen or locked",
                    error_text(&text)
                )));
            }
            404 => {
                return Err(ChannelError::Permanent(format!(
                    "Shopify answered HTTP 404 for {}: check the shop domain and API version",
                    self.settings.endpoint
                )));
            }
            500..=599 => {
                return Err(ChannelError::Transient(format!(
                    "Shopify answered HTTP {code}: {}",
                    error_text(&text)
                )));
            }
            _ => {
                return Err(ChannelError::Permanent(format!(
                    "Shopify answered HTTP {code}: {}",
                    error_text(&text)
                )));
            }
        }
        let v: Value = serde_json::from_str(&text).map_err(|e| {
            ChannelError::Transient(format!("Shopify sent a response that is not JSON ({e})"))
        })?;
        let cost = v.pointer("/extensions/cost");
        let requested = cost
            .and_then(|c| c.get("requestedQueryCost"))
            .and_then(Value::as_f64);
        let actual = cost
            .and_then(|c| c.get("actualQueryCost"))
            .and_then(Value::as_f64);
        if let Some(ts) = cost.and_then(|c| c.get("throttleStatus")) {
            let f = |k: &str| ts.get(k).and_then(Value::as_f64);
            if let (Some(m), Some(a), Some(r)) = (
                f("maximumAvailable"),
                f("currentlyAvailable"),
                f("restoreRate"),
            ) {
                self.limiter
                    .observe(ThrottleStatus {
                        maximum_available: m,
                        currently_available: a,
                        restore_rate: r,
                    })
                    .await;
            }
        }
        if let Some(r) = requested {
            self.calibrate(q.kind, q.estimate, r);
        }
        if let Some(errors) = v.get("errors").and_then(Value::as_array)
            && !errors.is_empty()
        {
            return Err(self
                .graphql_error(errors, requested.unwrap_or(estimate))
                .await);
        }
        tracing::debug!(kind = q.kind, requested, actual, "Shopify GraphQL request");
        Ok(GqlResponse {
            data: v.get("data").cloned().unwrap_or(Value::Null),
        })
    }

    async fn graphql_error(&self, errors: &[Value], requested: f64) -> ChannelError {
        let code_of = |e: &Value| {
            e.pointer("/extensions/code")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let messages: Vec<String> = errors
            .iter()
            .map(|e| {
                e.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown error")
                    .to_owned()
            })
            .collect();
        let joined = messages.join("; ");
        if errors.iter().any(|e| code_of(e) == "THROTTLED") {
            return ChannelError::Throttled {
                retry_after: self.limiter.wait_for(requested).await,
                message: format!("Shopify throttled the query: {joined}"),
            };
        }
        if errors.iter().any(|e| code_of(e) == "ACCESS_DENIED") {
            return ChannelError::Authentication(format!(
                "Shopify denied access ({joined}): grant the app the read_products and write_products scopes"
            ));
        }
        if errors.iter().any(|e| code_of(e) == "INTERNAL_SERVER_ERROR") {
            return ChannelError::Transient(format!("Shopify failed internally: {joined}"));
        }
        ChannelError::Permanent(format!("Shopify rejected the query: {joined}"))
    }
}

/// Shopify's error text from a non-200 body: `{"errors": "…"}`, `{"errors": {…}}` or text.
fn error_text(body: &str) -> String {
    let text = match serde_json::from_str::<Value>(body) {
        Ok(v) => match v.get("errors") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => v.to_string(),
        },
        Err(_) => body.trim().to_owned(),
    };
    let mut t: String = text.chars().take(300).collect();
    if t.is_empty() {
        t = "no details".to_owned();
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_text_shapes() {
        assert_eq!(error_text(r#"{"errors":"[API] Invalid"}"#), "[API] Invalid");
        assert_eq!(
            error_text(r#"{"errors":{"query":"missing"}}"#),
            r#"{"query":"missing"}"#
        );
        assert_eq!(
            error_text("<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
        assert_eq!(error_text(""), "no details");
    }
}
