//! The HTTP layer: every API call goes through [`Api::call`], which paces it, attaches the
//! bearer token (renewing it once on a 401), retries throttled and transient failures a
//! bounded number of times, and tells the caller when a non-idempotent call ended ambiguously.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, ETAG, IF_MATCH, LOCATION, RETRY_AFTER};

use super::auth::TokenCache;
use super::settings::Settings;
use super::throttle::Limiter;
use super::wire::parse_fault;
use crate::error::ChannelError;
use crate::pacing::parse_retry_after;

pub(crate) const HAL_JSON: &str = "application/hal+json";
const HAL_JSON_BODY: &str = "application/hal+json; charset=utf-8";

/// Attempts of one call when the host keeps answering 429.
const MAX_THROTTLED_ATTEMPTS: u32 = 8;
/// Attempts of one idempotent call on 5xx / timeouts / dropped connections.
const MAX_TRANSIENT_ATTEMPTS: u32 = 4;

/// Whether a call may be repeated blindly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// GET, and PUT guarded by `If-Match` (a repeat after a lost answer fails with 412 at worst).
    Safe,
    /// A create: repeated only after a definite refusal (429); anything ambiguous goes back to
    /// the caller, which must look the record up first.
    CreateOnce,
}

#[derive(Debug)]
pub(crate) struct Call {
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<String>,
    pub if_match: Option<String>,
    pub retry: Retry,
}

impl Call {
    pub fn get(path: String) -> Self {
        Self {
            method: Method::GET,
            path,
            query: Vec::new(),
            body: None,
            if_match: None,
            retry: Retry::Safe,
        }
    }
}

/// An answer the caller interprets (2xx, and 4xx other than 401/403/429).
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub etag: Option<String>,
    pub location: Option<String>,
    pub body: String,
}

#[derive(Debug)]
pub(crate) enum CallError {
    /// The call failed as classified (a create that fails this way was not committed).
    Failed(ChannelError),
    /// A create may or may not have been committed (timeout, 5xx, dropped connection).
    Ambiguous(ChannelError),
}

impl From<CallError> for ChannelError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Failed(e) | CallError::Ambiguous(e) => e,
        }
    }
}

pub(crate) struct Api {
    pub settings: Settings,
    pub(crate) http: reqwest::Client,
    pub(crate) limiter: Limiter,
    pub(crate) tokens: TokenCache,
}

/// Exponential backoff from 250 ms, at most 8 s.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let exp = attempt.saturating_sub(1).min(5);
    Duration::from_millis(250 * (1u64 << exp)).min(Duration::from_secs(8))
}

struct Sent {
    reply: Reply,
    retry_after: Option<Duration>,
}

impl Api {
    pub fn new(settings: Settings, http: reqwest::Client) -> Self {
        Self {
            limiter: Limiter::per_second(settings.requests_per_second),
            tokens: TokenCache::default(),
            settings,
            http,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.settings.base_url, path)
    }

    async fn send(&self, call: &Call, token: &str) -> Result<Sent, reqwest::Error> {
        let mut rb = self
            .http
            .request(call.method.clone(), self.url(&call.path))
            .timeout(self.settings.timeout)
            .bearer_auth(token)
            .header(ACCEPT, HAL_JSON);
        if !call.query.is_empty() {
            rb = rb.query(&call.query);
        }
        if let Some(tag) = &call.if_match {
            rb = rb.header(IF_MATCH, tag);
        }
        if let Some(body) = &call.body {
            rb = rb.header(CONTENT_TYPE, HAL_JSON_BODY).body(body.clone());
        }
        let resp = rb.send().await?;
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let status = resp.status().as_u16();
        let etag = header(ETAG);
        let location = header(LOCATION);
        let retry_after = header(RETRY_AFTER).and_then(|v| parse_retry_after(&v));
        let body = resp.text().await?;
        Ok(Sent {
            reply: Reply {
                status,
                etag,
                location,
                body,
            },
            retry_after,
        })
    }

    /// Make one API call (see the module doc for what is retried).
    pub async fn call(&self, call: &Call) -> Result<Reply, CallError> {
        let mut throttled = 0u32;
        let mut transient = 0u32;
        let mut renewed = false;
        loop {
            let token = self.tokens.bearer(self).await.map_err(CallError::Failed)?;
            self.limiter.wait().await;
            let sent = match self.send(call, &token).await {
                Ok(s) => s,
                Err(e) => {
                    let err = ChannelError::from_transport(&e);
                    if call.retry == Retry::CreateOnce {
                        return Err(CallError::Ambiguous(err));
                    }
                    transient += 1;
                    if transient >= MAX_TRANSIENT_ATTEMPTS {
                        return Err(CallError::Failed(err));
                    }
                    tracing::warn!(path = %call.path, attempt = transient, "extensiv: {err}; retrying");
                    tokio::time::sleep(backoff(transient)).await;
                    continue;
                }
            };
            let status = sent.reply.status;
            match status {
                401 if !renewed => {
                    // The cached token expired early or was revoked: renew once and repeat.
                    renewed = true;
                    self.tokens
                        .renew(self, &token)
                        .await
                        .map_err(CallError::Failed)?;
                }
                401 => {
                    return Err(CallError::Failed(ChannelError::Authentication(format!(
                        "Extensiv refused an access token it had just issued (HTTP 401) for \
                         customer {}. Check with the warehouse that these API credentials may \
                         still use this customer.",
                        self.settings.customer_id
                    ))));
                }
                403 => {
                    let fault = parse_fault(status, &sent.reply.body);
                    return Err(CallError::Failed(ChannelError::Authentication(format!(
                        "Extensiv denied access (HTTP 403): {}. The API user needs the ItemView \
                         and ItemEdit roles for customer {}.",
                        fault.text, self.settings.customer_id
                    ))));
                }
                429 => {
                    throttled += 1;
                    let wait = sent.retry_after;
                    self.limiter.throttled(wait).await;
                    if throttled >= MAX_THROTTLED_ATTEMPTS {
                        return Err(CallError::Failed(ChannelError::Throttled {
                            retry_after: wait.unwrap_or_else(|| backoff(throttled)),
                            message: format!(
                                "Extensiv kept answering 429 Too Many Requests ({throttled} times)"
                            ),
                        }));
                    }
                    if wait.is_none() {
                        tokio::time::sleep(backoff(throttled)).await;
                    }
                }
                500..=599 => {
                    let fault = parse_fault(status, &sent.reply.body);
                    let err = ChannelError::Transient(format!(
                        "Extensiv answered HTTP {status}: {}",
                        fault.text
                    ));
                    if call.retry == Retry::CreateOnce {
                        return Err(CallError::Ambiguous(err));
                    }
                    transient += 1;
                    if transient >= MAX_TRANSIENT_ATTEMPTS {
                        return Err(CallError::Failed(err));
                    }
                    tokio::time::sleep(sent.retry_after.unwrap_or_else(|| backoff(transient)))
                        .await;
                }
                _ => {
                    self.limiter.succeeded().await;
                    return Ok(sent.reply);
                }
            }
        }
    }
}
