//! Talking to ShipBob: URLs, the bearer token, the `shipbob_channel_id` header on writes, the
//! per-request timeout, the sliding-window limiter, and the retry policy — 429s are always
//! retried after the server's wait (a throttled request was not carried out); 5xx answers,
//! timeouts and dropped connections are retried with backoff only for requests that are safe to
//! repeat. A create that ends that way comes back as `Transient` for the caller to resolve by
//! looking the SKU up first.

use std::time::Duration;

use reqwest::header::ACCEPT;
use reqwest::{Method, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::errors::{error_text, forbidden_message, unauthorized_message};
use super::limiter::{Observed, SlidingWindow};
use super::settings::Settings;
use crate::error::ChannelError;
use crate::pacing::parse_retry_after;

/// Attempts for a request that fails transiently (5xx, timeout, connection).
const MAX_TRANSIENT_ATTEMPTS: u32 = 4;
/// Attempts for a request that keeps being throttled.
const MAX_THROTTLED_ATTEMPTS: u32 = 5;
const BACKOFF_BASE: Duration = Duration::from_millis(250);
const BACKOFF_CAP: Duration = Duration::from_secs(4);
/// When a 429 carries no wait at all.
const DEFAULT_THROTTLE_WAIT: Duration = Duration::from_secs(2);

/// Whether a request may be sent again after an answer that leaves its effect unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// Reads and merge patches: repeating them changes nothing.
    Safe,
    /// Creates: a repeat could make a duplicate.
    Unsafe,
}

/// A non-throttled, authorised answer: 2xx, or a refusal (4xx) for the caller to judge.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The channel's own error text.
    pub fn error_text(&self) -> String {
        error_text(self.status, &self.body)
    }

    pub fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T, ChannelError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ChannelError::Permanent(format!("ShipBob sent a {what} we could not read: {e}"))
        })
    }
}

pub struct Http {
    client: reqwest::Client,
    settings: Settings,
    limiter: SlidingWindow,
}

impl Http {
    pub fn new(client: reqwest::Client, settings: Settings) -> Self {
        let limiter = SlidingWindow::new(settings.rate_requests, settings.rate_window);
        Self {
            client,
            settings,
            limiter,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// `/{version}/product`.
    pub fn product_path(&self) -> String {
        format!("/{}/product", self.settings.api_version)
    }

    fn base(&self) -> &str {
        self.settings.base_url.as_str().trim_end_matches('/')
    }

    /// A path-and-query target on the configured host.
    fn url(&self, target: &str) -> Result<Url, ChannelError> {
        Url::parse(&format!("{}{}", self.base(), target)).map_err(|e| {
            ChannelError::Permanent(format!("cannot build a ShipBob URL for {target:?}: {e}"))
        })
    }

    /// A `next` link made into a target on our own host. ShipBob's links are followed as
    /// given, but only their path and query: the token is never sent to another host.
    pub fn target_from_link(&self, link: &str) -> Option<String> {
        let link = link.trim();
        if link.is_empty() {
            return None;
        }
        if link.starts_with('/') {
            return Some(link.to_owned());
        }
        let url = Url::parse(link).ok()?;
        let base = &self.settings.base_url;
        let mut path = url.path().to_owned();
        // A link that repeats our base path (a proxy prefix) must not get it twice.
        let prefix = base.path().trim_end_matches('/');
        if url.origin() == base.origin()
            && !prefix.is_empty()
            && let Some(rest) = path.strip_prefix(prefix)
        {
            path = rest.to_owned();
        }
        Some(match url.query() {
            Some(q) => format!("{path}?{q}"),
            None => path,
        })
    }

    /// Send a request with the retry policy. `Err` for authentication failures, exhausted
    /// throttling and transient failures; any other answer is returned for the caller.
    pub async fn send(
        &self,
        method: Method,
        target: &str,
        body: Option<&Value>,
        repeat: Repeat,
    ) -> Result<Answer, ChannelError> {
        let url = self.url(target)?;
        let what = format!("{method} {}", target.split('?').next().unwrap_or(target));
        let mut throttled = 0;
        let mut transient = 0;
        loop {
            let failure = match self.attempt(&method, url.clone(), body).await {
                Ok((429, retry_after, answer)) => {
                    throttled += 1;
                    if throttled >= MAX_THROTTLED_ATTEMPTS {
                        return Err(ChannelError::Throttled {
                            retry_after,
                            message: format!("{what}: {}", answer.error_text()),
                        });
                    }
                    // The limiter already holds every request back for `retry_after`.
                    continue;
                }
                Ok((401, _, _)) => {
                    return Err(ChannelError::Authentication(unauthorized_message()));
                }
                Ok((403, _, answer)) => {
                    return Err(ChannelError::Authentication(forbidden_message(
                        &answer.error_text(),
                    )));
                }
                Ok((status, _, answer)) if status >= 500 || status == 408 => {
                    ChannelError::Transient(format!(
                        "ShipBob answered HTTP {status} to {what}: {}",
                        answer.error_text()
                    ))
                }
                Ok((_, _, answer)) => return Ok(answer),
                Err(e) => match ChannelError::from_transport(&e) {
                    ChannelError::Transient(m) => ChannelError::Transient(format!("{what}: {m}")),
                    other => return Err(other),
                },
            };
            transient += 1;
            if repeat == Repeat::Unsafe || transient >= MAX_TRANSIENT_ATTEMPTS {
                return Err(failure);
            }
            tracing::debug!(attempt = transient, error = %failure, "retrying ShipBob request");
            tokio::time::sleep(backoff(transient)).await;
        }
    }

    /// One request through the limiter: (status, throttle wait, answer).
    async fn attempt(
        &self,
        method: &Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<(u16, Duration, Answer), reqwest::Error> {
        let slot = self.limiter.acquire().await;
        let mut rb = self
            .client
            .request(method.clone(), url)
            .bearer_auth(&self.settings.access_token)
            .header(ACCEPT, "application/json")
            .timeout(self.settings.timeout);
        if *method != Method::GET
            && let Some(channel) = &self.settings.channel_id
        {
            rb = rb.header("shipbob_channel_id", channel.as_str());
        }
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let result = async {
            let resp = rb.send().await?;
            let status = resp.status().as_u16();
            let observed = observe(&resp, status);
            let bytes = resp.bytes().await?;
            Ok::<_, reqwest::Error>((status, observed, bytes.to_vec()))
        }
        .await;
        match result {
            Ok((status, observed, body)) => {
                self.limiter.finish(slot, observed).await;
                let wait = observed.throttled_for.unwrap_or_default();
                Ok((status, wait, Answer { status, body }))
            }
            Err(e) => {
                self.limiter.finish(slot, Observed::default()).await;
                Err(e)
            }
        }
    }
}

fn header<'a>(resp: &'a Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The rate-limit headers of an answer: `x-remaining-calls` (ShipBob's FAQ also names
/// `X-RateLimit-Remaining`) and, on a 429, `x-retry-after` (seconds) or a standard
/// `Retry-After`.
fn observe(resp: &Response, status: u16) -> Observed {
    let remaining = header(resp, "x-remaining-calls")
        .or_else(|| header(resp, "x-ratelimit-remaining"))
        .and_then(|v| v.trim().parse().ok());
    let throttled_for = (status == 429).then(|| {
        header(resp, "x-retry-after")
            .or_else(|| header(resp, "retry-after"))
            .and_then(parse_retry_after)
            .unwrap_or(DEFAULT_THROTTLE_WAIT)
    });
    Observed {
        remaining,
        throttled_for,
    }
}

fn backoff(attempt: u32) -> Duration {
    BACKOFF_BASE
        .saturating_mul(1 << attempt.saturating_sub(1).min(8))
        .min(BACKOFF_CAP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_millis(250));
        assert_eq!(backoff(2), Duration::from_millis(500));
        assert_eq!(backoff(9), BACKOFF_CAP);
    }
}
