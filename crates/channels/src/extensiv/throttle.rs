//! Client-side pacing for an API without a published limit: keep to the configured rate,
//! and when the host answers 429 anyway, wait what it asks, halve our rate, and creep back
//! towards the configured rate only after a run of successes (additive-increase /
//! multiplicative-decrease, so a shared or undocumented limit is found and then respected).

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// The slowest spacing we fall back to, however often we are throttled.
const MAX_INTERVAL: Duration = Duration::from_secs(5);
/// After a 429 while unpaced, start spacing requests at least this far apart.
const MIN_THROTTLED_INTERVAL: Duration = Duration::from_millis(50);
/// Successes in a row before the spacing is relaxed by a quarter.
const RELAX_AFTER: u32 = 10;

#[derive(Debug)]
pub(crate) struct Limiter {
    base: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    interval: Duration,
    next_slot: Instant,
    streak: u32,
}

impl Limiter {
    /// `per_second` requests per second; 0 leaves requests unpaced until the host objects.
    pub fn per_second(per_second: f64) -> Self {
        let base = if per_second > 0.0 {
            Duration::from_secs_f64(1.0 / per_second)
        } else {
            Duration::ZERO
        };
        Self {
            base,
            state: Mutex::new(State {
                interval: base,
                next_slot: Instant::now(),
                streak: 0,
            }),
        }
    }

    /// Wait for the next request slot.
    pub async fn wait(&self) {
        let slot = {
            let mut s = self.state.lock().await;
            let slot = s.next_slot.max(Instant::now());
            s.next_slot = slot + s.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// The host said 429: hold everything back for `retry_after` (or one new interval) and
    /// halve the rate.
    pub async fn throttled(&self, retry_after: Option<Duration>) {
        let mut s = self.state.lock().await;
        s.interval = (s.interval * 2)
            .max(MIN_THROTTLED_INTERVAL)
            .min(MAX_INTERVAL);
        s.streak = 0;
        let until = Instant::now() + retry_after.unwrap_or(s.interval);
        s.next_slot = s.next_slot.max(until);
    }

    /// A request went through: after enough of them, relax towards the configured rate.
    pub async fn succeeded(&self) {
        let mut s = self.state.lock().await;
        if s.interval <= self.base {
            return;
        }
        s.streak += 1;
        if s.streak >= RELAX_AFTER {
            s.streak = 0;
            let relaxed = s.interval * 3 / 4;
            s.interval = if relaxed < MIN_THROTTLED_INTERVAL / 4 {
                self.base
            } else {
                relaxed.max(self.base)
            };
        }
    }

    #[cfg(test)]
    async fn interval(&self) -> Duration {
        self.state.lock().await.interval
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn backs_off_and_recovers() {
        let l = Limiter::per_second(10.0);
        assert_eq!(l.interval().await, Duration::from_millis(100));
        l.throttled(Some(Duration::from_millis(60))).await;
        assert_eq!(l.interval().await, Duration::from_millis(200));
        let before = Instant::now();
        l.wait().await;
        assert!(before.elapsed() >= Duration::from_millis(55));
        for _ in 0..RELAX_AFTER {
            l.succeeded().await;
        }
        assert_eq!(l.interval().await, Duration::from_millis(150));
        for _ in 0..RELAX_AFTER * 5 {
            l.succeeded().await;
        }
        assert_eq!(l.interval().await, Duration::from_millis(100));
    }

    #[tokio::test]
    async fn unpaced_until_throttled() {
        let l = Limiter::per_second(0.0);
        l.throttled(Some(Duration::ZERO)).await;
        assert_eq!(l.interval().await, MIN_THROTTLED_INTERVAL);
        for _ in 0..RELAX_AFTER * 20 {
            l.succeeded().await;
        }
        assert_eq!(l.interval().await, Duration::ZERO);
    }
}
