//! How a connector says what went wrong. The engine decides from the variant what to do:
//! wait and retry (Throttled, Transient), stop the run and tell the merchant to reconnect
//! (Authentication), or stop the run (Permanent). Problems with one item are not errors of
//! the call: they come back as [`crate::WriteOutcome::Failed`] results.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    /// The channel asked us to slow down; `retry_after` is how long to wait before the next call.
    #[error("throttled by the channel (retry after {retry_after:?}): {message}")]
    Throttled {
        retry_after: Duration,
        message: String,
    },
    /// A failure that may pass: 5xx, timeouts, connection errors.
    #[error("temporary channel failure: {0}")]
    Transient(String),
    /// The credentials were refused (revoked token, wrong key). Retrying will not help.
    #[error("authentication failed: {0}")]
    Authentication(String),
    /// Anything else that will not pass by retrying: bad configuration, an unexpected 4xx, a
    /// response we cannot understand.
    #[error("{0}")]
    Permanent(String),
}

impl ChannelError {
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ChannelError::Throttled { .. } | ChannelError::Transient(_)
        )
    }

    /// Classify a transport error from reqwest.
    pub fn from_transport(e: &reqwest::Error) -> Self {
        // reqwest's Display includes the URL, which never carries credentials in our
        // connectors (WooCommerce's query-parameter auth is stripped before this is called).
        ChannelError::Transient(format!("request failed: {}", without_url(e)))
    }
}

fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(url) = e.url() {
        s = s.replace(url.as_str(), &redact_query(url));
    }
    if e.is_timeout() {
        s.push_str(" (timed out)");
    }
    s
}

/// A URL fit for a log line: the query string is dropped (it may carry keys).
pub fn redact_query(url: &url::Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_password(None).ok();
    u.to_string()
}
