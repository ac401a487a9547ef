//! Client-side pacing shared by connectors: a minimum spacing between requests, a pause that
//! every request waits out (set when the channel says "retry after"), and `Retry-After` parsing.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Spaces requests at least `interval` apart and honours pauses requested by the channel.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    state: Mutex<PacerState>,
}

#[derive(Debug)]
struct PacerState {
    next_slot: Instant,
}

impl Pacer {
    /// `per_second` requests per second at most; 0 means unpaced.
    pub fn per_second(per_second: f64) -> Self {
        let interval = if per_second > 0.0 {
            Duration::from_secs_f64(1.0 / per_second)
        } else {
            Duration::ZERO
        };
        Self::with_interval(interval)
    }

    pub fn with_interval(interval: Duration) -> Self {
        Self {
            interval,
            state: Mutex::new(PacerState {
                next_slot: Instant::now(),
            }),
        }
    }

    /// Wait for the next request slot.
    pub async fn wait(&self) {
        let slot = {
            let mut s = self.state.lock().await;
            let now = Instant::now();
            let slot = s.next_slot.max(now);
            s.next_slot = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Hold every request back for `d` from now (after a 429 or a throttle signal).
    pub async fn pause(&self, d: Duration) {
        let mut s = self.state.lock().await;
        let until = Instant::now() + d;
        if until > s.next_slot {
            s.next_slot = until;
        }
    }
}

/// Parse a `Retry-After` header value: delta-seconds (possibly fractional, as some hosts send)
/// or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn pacer_spaces_requests() {
        let p = Pacer::per_second(10.0);
        let start = Instant::now();
        for _ in 0..5 {
            p.wait().await;
        }
        let e = start.elapsed();
        assert!(
            e >= Duration::from_millis(400) && e < Duration::from_millis(500),
            "{e:?}"
        );
        p.pause(Duration::from_secs(2)).await;
        let before = Instant::now();
        p.wait().await;
        assert!(before.elapsed() >= Duration::from_secs(2) - Duration::from_millis(1));
    }
}
