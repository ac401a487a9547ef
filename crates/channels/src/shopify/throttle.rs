//! A local model of Shopify's cost bucket. Every response reports the bucket
//! (`throttleStatus`); between responses the model refills at the restore rate, so the
//! connector waits *before* sending a query whose requested cost is not available yet instead
//! of being answered THROTTLED. Requested cost is reserved when a query is sent and the model is
//! reset from the server's figures (which include the refund of unused points) when the answer
//! arrives.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// The most a single query may request, whatever the bucket size.
pub const SINGLE_QUERY_MAX: f64 = 1000.0;

/// `extensions.cost.throttleStatus`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleStatus {
    pub maximum_available: f64,
    pub currently_available: f64,
    pub restore_rate: f64,
}

#[derive(Debug)]
struct State {
    maximum: f64,
    rate: f64,
    available: f64,
    at: Instant,
    paused_until: Option<Instant>,
}

impl State {
    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.available = (self.available + dt * self.rate).min(self.maximum);
        self.at = now;
    }
}

#[derive(Debug)]
pub struct CostLimiter {
    state: Mutex<State>,
}

impl Default for CostLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl CostLimiter {
    /// Until the first response tells the truth, assume the smallest bucket Shopify has
    /// documented (1000 points restoring 50/s) and that it is full.
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State {
                maximum: 1000.0,
                rate: 50.0,
                available: 1000.0,
                at: Instant::now(),
                paused_until: None,
            }),
        }
    }

    /// The largest requested cost worth sending: the single-query cap or the bucket, whichever
    /// is smaller (a query costing more than the bucket holds is throttled forever).
    pub async fn limit(&self) -> f64 {
        self.state.lock().await.maximum.min(SINGLE_QUERY_MAX)
    }

    /// Wait until `cost` points are available (and any pause has passed), then reserve them.
    pub async fn acquire(&self, cost: f64) {
        loop {
            let wait = {
                let mut s = self.state.lock().await;
                let now = Instant::now();
                match s.paused_until {
                    Some(t) if t > now => t - now,
                    _ => {
                        s.paused_until = None;
                        s.refill(now);
                        let need = cost.min(s.maximum);
                        if s.available >= need {
                            s.available -= need;
                            return;
                        }
                        Duration::from_secs_f64(
                            ((need - s.available) / s.rate.max(0.001)).max(0.001),
                        )
                    }
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Adopt the server's view of the bucket, as of now.
    pub async fn observe(&self, status: ThrottleStatus) {
        let mut s = self.state.lock().await;
        if status.maximum_available > 0.0 {
            s.maximum = status.maximum_available;
        }
        if status.restore_rate > 0.0 {
            s.rate = status.restore_rate;
        }
        s.available = status.currently_available.clamp(0.0, s.maximum);
        s.at = Instant::now();
    }

    /// Hold every request back for `d` (after a 429).
    pub async fn pause(&self, d: Duration) {
        let mut s = self.state.lock().await;
        let until = Instant::now() + d;
        if s.paused_until.is_none_or(|t| t < until) {
            s.paused_until = Some(until);
        }
    }

    /// How long until `requested` points are available, per the model.
    pub async fn wait_for(&self, requested: f64) -> Duration {
        let mut s = self.state.lock().await;
        s.refill(Instant::now());
        let need = requested.min(s.maximum) - s.available;
        if need <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(need / s.rate.max(0.001))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waits_for_points_instead_of_sending() {
        let l = CostLimiter::new();
        l.observe(ThrottleStatus {
            maximum_available: 100.0,
            currently_available: 10.0,
            restore_rate: 50.0,
        })
        .await;
        assert_eq!(l.limit().await, 100.0);
        let t = Instant::now();
        l.acquire(60.0).await; // needs 50 more points: 1 s
        let e = t.elapsed();
        assert!(
            e >= Duration::from_millis(999) && e < Duration::from_millis(1100),
            "{e:?}"
        );
        // The reservation is spent: the next 100-point query waits for a full bucket.
        assert!(l.wait_for(100.0).await >= Duration::from_millis(1999));
    }

    #[tokio::test(start_paused = true)]
    async fn pause_holds_requests() {
        let l = CostLimiter::new();
        l.pause(Duration::from_secs(2)).await;
        let t = Instant::now();
        l.acquire(1.0).await;
        assert!(t.elapsed() >= Duration::from_secs(2));
    }
}
