//! HTTP to the `wc/v3` API: authentication, pacing, bounded retries, and turning every kind of
//! answer (WordPress JSON errors, host and firewall HTML pages, timeouts) into a [`Failure`].
//! No message built here ever carries a credential: URLs are never formatted, and every text
//! that comes back from the site is scrubbed of the key and secret (a firewall page or a
//! `Link` header may echo the query string).

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::settings::{AuthMode, WooSettings};
use super::throttle::Limiter;
use super::wire::WireError;
use crate::error::ChannelError;
use crate::pacing::parse_retry_after;

/// Attempts per read before giving up on a 429/5xx/timeout.
const READ_ATTEMPTS: u32 = 6;
/// Attempts per write on 429 (a 429 means nothing was processed, so it is safe to resend).
const WRITE_THROTTLE_ATTEMPTS: u32 = 6;
/// A `Retry-After` longer than this is handed to the engine instead of slept through.
const LONGEST_WAIT: Duration = Duration::from_secs(30);

/// Why one call did not succeed.
#[derive(Debug, Clone)]
pub enum Failure {
    /// 429: the site refused before doing anything.
    Throttled {
        wait: Duration,
        message: String,
    },
    /// 5xx, timeout, dropped connection: the request may have been processed.
    Transient {
        wait: Option<Duration>,
        message: String,
        /// False only when the request provably never reached the site (connect error).
        maybe_processed: bool,
    },
    Auth(String),
    /// 404 `rest_no_route`: the site has no such endpoint (wrong URL, or an older WooCommerce).
    NoRoute(String),
    /// A 4xx WordPress error (`{"code","message","data"}`).
    Refused {
        status: u16,
        error: WireError,
    },
    Permanent(String),
}

impl Failure {
    pub fn into_channel_error(self) -> ChannelError {
        match self {
            Failure::Throttled { wait, message } => ChannelError::Throttled {
                retry_after: wait,
                message,
            },
            Failure::Transient { message, .. } => ChannelError::Transient(message),
            Failure::Auth(m) => ChannelError::Authentication(m),
            Failure::NoRoute(m) => ChannelError::Permanent(m),
            Failure::Refused { status, error } => ChannelError::Permanent(format!(
                "WooCommerce refused the request (HTTP {status} {}): {}",
                error.code, error.message
            )),
            Failure::Permanent(m) => ChannelError::Permanent(m),
        }
    }
}

/// A successful answer.
#[derive(Debug)]
pub struct Resp {
    pub headers: HeaderMap,
    pub json: Value,
}

impl Resp {
    pub fn header_u64(&self, name: &str) -> Option<u64> {
        self.headers.get(name)?.to_str().ok()?.trim().parse().ok()
    }
}

pub struct WooClient {
    http: reqwest::Client,
    settings: WooSettings,
    key: String,
    secret: String,
    limiter: Limiter,
}

/// Visible text of an HTML (or any) body, short, on one line.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    let mut in_tag = false;
    let mut skip_until: Option<&str> = None;
    let lower = text.to_ascii_lowercase();
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        if let Some(end) = skip_until {
            match lower[i..].find(end) {
                Some(pos) => {
                    i += pos + end.len();
                    skip_until = None;
                    continue;
                }
                None => break,
            }
        }
        let c = bytes[i];
        if c == b'<' {
            if lower[i..].starts_with("<script") {
                skip_until = Some("</script>");
            } else if lower[i..].starts_with("<style") {
                skip_until = Some("</style>");
            }
            in_tag = true;
            out.push(' ');
        } else if c == b'>' && in_tag {
            in_tag = false;
        } else if !in_tag {
            // Push whole UTF-8 characters.
            let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + ch_len]);
            i += ch_len;
            continue;
        }
        i += 1;
    }
    let collapsed = out.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut short: String = collapsed.chars().take(300).collect();
    if collapsed.chars().count() > 300 {
        short.push('…');
    }
    if short.is_empty() {
        "(empty body)".into()
    } else {
        short
    }
}

impl WooClient {
    pub fn new(http: reqwest::Client, settings: WooSettings, key: &str, secret: &str) -> Self {
        Self {
            limiter: Limiter::per_second(settings.requests_per_second),
            http,
            settings,
            key: key.to_owned(),
            secret: secret.to_owned(),
        }
    }

    pub fn settings(&self) -> &WooSettings {
        &self.settings
    }

    /// Remove the key and secret from any text before it leaves the connector.
    pub fn redact(&self, text: &str) -> String {
        let mut s = text.to_owned();
        for secret in [&self.secret, &self.key] {
            if !secret.is_empty() {
                s = s.replace(secret.as_str(), "[redacted]");
            }
        }
        s
    }

    fn classify(
        &self,
        path: &str,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Failure {
        let code = status.as_u16();
        let wait = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let wp = serde_json::from_slice::<WireError>(body)
            .ok()
            .filter(|e| !e.code.is_empty());
        // Redact before shortening, so that a cut cannot leave part of a key behind.
        let visible = |text: &[u8]| snippet(self.redact(&String::from_utf8_lossy(text)).as_bytes());
        let detail = match &wp {
            Some(e) => format!("{}: {}", e.code, visible(e.message.as_bytes())),
            None => visible(body),
        };
        match code {
            429 => Failure::Throttled {
                wait: wait.unwrap_or(Duration::from_secs(1)),
                message: format!("HTTP 429 from the WooCommerce site on {path}: {detail}"),
            },
            401 | 403 => Failure::Auth(match &wp {
                Some(_) => format!(
                    "WooCommerce did not accept the API key (HTTP {code}, {detail}). Check the consumer key \
                     and secret under WooCommerce → Settings → Advanced → REST API: the key may have \
                     been revoked or may lack read/write permission."
                ),
                None => format!(
                    "The WooCommerce site refused access (HTTP {code}) before WooCommerce answered: a \
                     firewall or security plugin may be blocking API requests, or the host strips the \
                     Authorization header (try auth_mode = query). The page said: {detail}"
                ),
            }),
            500..=599 => Failure::Transient {
                wait,
                message: format!("HTTP {code} from the WooCommerce site on {path}: {detail}"),
                maybe_processed: true,
            },
            404 if wp.as_ref().is_some_and(|e| e.code == "rest_no_route") => {
                Failure::NoRoute(format!(
                    "The WooCommerce REST API has no route {path} on this site (rest_no_route). Check \
                 site_url, that WooCommerce is active and that permalinks are not set to \"Plain\"."
                ))
            }
            _ => match wp {
                Some(error) => Failure::Refused {
                    status: code,
                    error: WireError {
                        message: self.redact(&error.message),
                        ..error
                    },
                },
                None => Failure::Permanent(format!(
                    "HTTP {code} from the WooCommerce site on {path}, not a WooCommerce answer: {detail}"
                )),
            },
        }
    }

    /// One request, paced. `path` is relative to `/wp-json/wc/v3/` and is what messages show.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Resp, Failure> {
        let url = self
            .settings
            .api_base
            .join(path)
            .map_err(|e| Failure::Permanent(format!("bad API path {path}: {e}")))?;
        let mut pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        if self.settings.auth == AuthMode::Query {
            pairs.push(("consumer_key", &self.key));
            pairs.push(("consumer_secret", &self.secret));
        }
        let mut req = self
            .http
            .request(method, url)
            .timeout(self.settings.timeout)
            .header(reqwest::header::ACCEPT, "application/json");
        if !pairs.is_empty() {
            req = req.query(&pairs);
        }
        if self.settings.auth == AuthMode::Basic {
            req = req.basic_auth(&self.key, Some(&self.secret));
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        self.limiter.acquire().await;
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return Err(self.transport_failure(path, &e)),
        };
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => return Err(self.transport_failure(path, &e)),
        };
        if !status.is_success() {
            let failure = self.classify(path, status, &headers, &bytes);
            match &failure {
                Failure::Throttled { wait, .. } => self.limiter.throttled(*wait).await,
                Failure::Transient { wait: Some(w), .. }
                    if status == StatusCode::SERVICE_UNAVAILABLE =>
                {
                    self.limiter.throttled(*w).await
                }
                _ => {}
            }
            return Err(failure);
        }
        self.limiter.succeeded().await;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(json) => Ok(Resp { headers, json }),
            Err(_) => Err(Failure::Permanent(format!(
                "expected JSON from the WooCommerce API on {path} but the site answered with something \
                 else (a cache, a maintenance page, or \"Plain\" permalinks?): {}",
                snippet(self.redact(&String::from_utf8_lossy(&bytes)).as_bytes())
            ))),
        }
    }

    fn transport_failure(&self, path: &str, e: &reqwest::Error) -> Failure {
        let base = ChannelError::from_transport(e).to_string();
        Failure::Transient {
            wait: None,
            message: self.redact(&format!("{path}: {base}")),
            maybe_processed: !e.is_connect(),
        }
    }

    /// A GET, retried on 429, 5xx and timeouts (reads are safe to repeat).
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Resp, ChannelError> {
        self.get_raw(path, query)
            .await
            .map_err(Failure::into_channel_error)
    }

    /// [`WooClient::get`], keeping the failure's kind for callers that act on it.
    pub async fn get_raw(&self, path: &str, query: &[(&str, String)]) -> Result<Resp, Failure> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.call(Method::GET, path, query, None).await {
                Ok(r) => return Ok(r),
                Err(f) => self.pause_before_retry(f, attempt, READ_ATTEMPTS).await?,
            }
        }
    }

    /// Decide whether to try again after `f`; sleeps for the back-off when the limiter has not
    /// already scheduled the wait.
    async fn pause_before_retry(&self, f: Failure, attempt: u32, max: u32) -> Result<(), Failure> {
        match &f {
            Failure::Throttled { wait, .. } if attempt < max && *wait <= LONGEST_WAIT => Ok(()),
            Failure::Transient { wait, .. }
                if attempt < max && wait.is_none_or(|w| w <= LONGEST_WAIT) =>
            {
                if wait.is_none() {
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Ok(())
            }
            _ => Err(f),
        }
    }

    /// A write. Resent only on 429 (nothing was processed); every other failure goes back to
    /// the caller, which must find out what was written before trying again.
    pub async fn write(&self, method: Method, path: &str, body: &Value) -> Result<Resp, Failure> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.call(method.clone(), path, &[], Some(body)).await {
                Err(Failure::Throttled { wait, .. })
                    if attempt < WRITE_THROTTLE_ATTEMPTS && wait <= LONGEST_WAIT =>
                {
                    continue;
                }
                Err(Failure::Transient {
                    maybe_processed: false,
                    ..
                }) if attempt < WRITE_THROTTLE_ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await;
                    continue;
                }
                other => return other,
            }
        }
    }

    /// Wait before retrying a write whose outcome had to be checked first.
    pub async fn wait_after(&self, f: &Failure, attempt: u32) {
        match f {
            Failure::Transient { wait: Some(w), .. } => {
                tokio::time::sleep((*w).min(LONGEST_WAIT)).await
            }
            _ => tokio::time::sleep(backoff(attempt)).await,
        }
    }
}

/// 250 ms, 500 ms, 1 s … capped at 8 s.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250u64.saturating_mul(1 << attempt.saturating_sub(1).min(5)))
        .min(Duration::from_secs(8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_visible_text() {
        let html = b"<html><head><style>body{x}</style><script>var k='x';</script><title>503</title></head>\n<body><h1>Service   Unavailable</h1><p>Try later</p></body></html>";
        assert_eq!(snippet(html), "503 Service Unavailable Try later");
        assert_eq!(snippet(b""), "(empty body)");
        assert!(snippet("é".repeat(400).as_bytes()).ends_with('…'));
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1), Duration::from_millis(250));
        assert_eq!(backoff(2), Duration::from_millis(500));
        assert_eq!(backoff(20), Duration::from_secs(8));
    }
}
