//! An adaptive client-side rate limiter. WooCommerce publishes no limit, but the host or a
//! firewall in front of it may answer 429/503: then every request waits out `Retry-After`,
//! and the pace halves (at worst to 1/16 of the configured rate). Each success afterwards
//! speeds it up by 5 %, back to the configured rate.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// The slowest the limiter goes, as a multiple of the configured interval.
const MAX_FACTOR: f64 = 16.0;
/// The interval used once throttled when the channel is configured unpaced.
const FLOOR_INTERVAL: Duration = Duration::from_millis(50);

#[derive(Debug)]
pub struct Limiter {
    base: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    next_slot: Instant,
    factor: f64,
}

impl Limiter {
    pub fn per_second(rps: f64) -> Self {
        let base = if rps > 0.0 && rps.is_finite() {
            Duration::from_secs_f64(1.0 / rps)
        } else {
            Duration::ZERO
        };
        Self {
            base,
            state: Mutex::new(State {
                next_slot: Instant::now(),
                factor: 1.0,
            }),
        }
    }

    fn interval(&self, factor: f64) -> Duration {
        if factor <= 1.0 {
            return self.base;
        }
        self.base.max(FLOOR_INTERVAL).mul_f64(factor)
    }

    /// Wait for the next request slot.
    pub async fn acquire(&self) {
        let slot = {
            let mut s = self.state.lock().await;
            let now = Instant::now();
            let slot = s.next_slot.max(now);
            s.next_slot = slot + self.interval(s.factor);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// The channel pushed back: hold every request for `wait` and slow down.
    pub async fn throttled(&self, wait: Duration) {
        let mut s = self.state.lock().await;
        s.factor = (s.factor * 2.0).min(MAX_FACTOR);
        let until = Instant::now() + wait;
        if until > s.next_slot {
            s.next_slot = until;
        }
    }

    pub async fn succeeded(&self) {
        let mut s = self.state.lock().await;
        if s.factor > 1.0 {
            s.factor = (s.factor * 0.95).max(1.0);
        }
    }

    /// The current spacing between requests.
    #[cfg(test)]
    pub async fn current_interval(&self) -> Duration {
        let s = self.state.lock().await;
        self.interval(s.factor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real time, small intervals: tokio's paused clock needs the `test-util` feature, which
    // this crate does not enable.
    #[tokio::test]
    async fn throttling_waits_and_slows_then_recovers() {
        let l = Limiter::per_second(100.0);
        assert_eq!(l.current_interval().await, Duration::from_millis(10));
        l.acquire().await;
        let t = Instant::now();
        l.throttled(Duration::from_millis(120)).await;
        l.acquire().await;
        assert!(t.elapsed() >= Duration::from_millis(120));
        assert_eq!(l.current_interval().await, Duration::from_millis(100));
        for _ in 0..100 {
            l.succeeded().await;
        }
        assert_eq!(l.current_interval().await, Duration::from_millis(10));
    }

    #[tokio::test]
    async fn unpaced_gets_a_floor_once_throttled() {
        let l = Limiter::per_second(0.0);
        assert_eq!(l.current_interval().await, Duration::ZERO);
        l.throttled(Duration::ZERO).await;
        assert_eq!(l.current_interval().await, Duration::from_millis(100));
    }
}
