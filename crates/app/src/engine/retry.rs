//! Connector calls under the engine's retry budget: throttled and transient failures are
//! retried a bounded number of times (honouring the channel's retry-after); anything else, or
//! a failure that outlasts the budget, becomes the run's [`Fatal`].

use std::future::Future;
use std::time::Duration;

use techoms_channels::ChannelError;

use super::{EngineOptions, Fatal};

/// How long to wait before attempt `attempt + 1` after `e`, or None to give up.
pub(crate) fn delay(opts: &EngineOptions, e: &ChannelError, attempt: u32) -> Option<Duration> {
    if attempt >= opts.max_attempts {
        return None;
    }
    match e {
        ChannelError::Throttled { retry_after, .. } => {
            (*retry_after <= opts.max_retry_after).then_some(*retry_after)
        }
        ChannelError::Transient(_) => {
            let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
            Some(
                opts.first_backoff
                    .saturating_mul(factor)
                    .min(opts.max_backoff),
            )
        }
        ChannelError::Authentication(_) | ChannelError::Permanent(_) => None,
    }
}

/// Call `f` until it succeeds or the budget is spent.
pub(crate) async fn call<T, F, Fut>(opts: &EngineOptions, mut f: F) -> Result<T, ChannelError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ChannelError>>,
{
    let mut attempt = 1;
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) => match delay(opts, &e, attempt) {
                Some(d) => {
                    tracing::debug!(
                        attempt,
                        wait_ms = d.as_millis() as u64,
                        "channel call failed: {e}; retrying"
                    );
                    tokio::time::sleep(d).await;
                    attempt += 1;
                }
                None => return Err(e),
            },
        }
    }
}

/// The run-stopping failure for `e`, raised while doing `what` on `channel`.
pub(crate) fn fatal(e: &ChannelError, what: &str, channel: &str) -> Fatal {
    let (retryable, retry_after, advice) = match e {
        ChannelError::Throttled { retry_after, .. } => (
            true,
            Some(*retry_after),
            "throttled beyond the retry budget; the run will be retried",
        ),
        ChannelError::Transient(_) => (
            true,
            None,
            "the channel kept failing; the run will be retried",
        ),
        ChannelError::Authentication(_) => {
            (false, None, "reconnect the channel with valid credentials")
        }
        ChannelError::Permanent(_) => (false, None, "check the channel's settings"),
    };
    Fatal {
        message: format!("{what} on {channel} failed: {e} ({advice})"),
        retryable,
        retry_after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> EngineOptions {
        EngineOptions {
            max_attempts: 3,
            first_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(15),
            max_retry_after: Duration::from_secs(1),
            ..EngineOptions::default()
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_stops_at_the_budget() {
        let t = ChannelError::Transient("503".into());
        assert_eq!(delay(&opts(), &t, 1), Some(Duration::from_millis(10)));
        assert_eq!(delay(&opts(), &t, 2), Some(Duration::from_millis(15)));
        assert_eq!(delay(&opts(), &t, 3), None);
    }

    #[test]
    fn throttles_honour_retry_after_within_budget() {
        let short = ChannelError::Throttled {
            retry_after: Duration::from_millis(200),
            message: "429".into(),
        };
        let long = ChannelError::Throttled {
            retry_after: Duration::from_secs(5),
            message: "429".into(),
        };
        assert_eq!(delay(&opts(), &short, 1), Some(Duration::from_millis(200)));
        assert_eq!(delay(&opts(), &long, 1), None);
        assert!(fatal(&long, "Reading products", "Shop").retryable);
    }

    #[test]
    fn authentication_is_not_retried() {
        let e = ChannelError::Authentication("401".into());
        assert_eq!(delay(&opts(), &e, 1), None);
        let f = fatal(&e, "Reading products", "Shop");
        assert!(!f.retryable);
        assert!(
            f.message.contains("401") && f.message.contains("Shop"),
            "{}",
            f.message
        );
    }
}
