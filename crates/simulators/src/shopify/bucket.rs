//! The per-(app, shop) leaky bucket of query-cost points. A request is admitted when its
//! requested cost is available; the requested cost is taken up front and the difference to
//! the actual cost is refunded after execution. The bucket refills continuously at
//! `restore_rate` points per second (real time: throttling is about wall-clock pacing, so it
//! does not follow a manual `SimClock`).

use std::time::Instant;

use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct Bucket {
    pub maximum: f64,
    pub restore_rate: f64,
    available: f64,
    at: Instant,
}

impl Bucket {
    pub fn new(maximum: f64, restore_rate: f64) -> Self {
        Self {
            maximum,
            restore_rate,
            available: maximum,
            at: Instant::now(),
        }
    }

    /// Change the limits; the bucket starts full.
    pub fn reset(&mut self, maximum: f64, restore_rate: f64) {
        *self = Self::new(maximum, restore_rate);
    }

    fn refill(&mut self) {
        let now = Instant::now();
        let dt = now.duration_since(self.at).as_secs_f64();
        self.available = (self.available + dt * self.restore_rate).min(self.maximum);
        self.at = now;
    }

    #[cfg(test)]
    pub fn available(&mut self) -> f64 {
        self.refill();
        self.available
    }

    /// Take `cost` points if they are available.
    pub fn try_take(&mut self, cost: f64) -> bool {
        self.refill();
        if cost <= self.available {
            self.available -= cost;
            true
        } else {
            false
        }
    }

    pub fn refund(&mut self, points: f64) {
        self.refill();
        self.available = (self.available + points).min(self.maximum);
    }

    /// `throttleStatus` as Shopify reports it (currently available rounded down).
    pub fn status(&mut self) -> Value {
        self.refill();
        json!({
            "maximumAvailable": self.maximum,
            "currentlyAvailable": self.available.floor() as i64,
            "restoreRate": self.restore_rate,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_refund_and_refill() {
        let mut b = Bucket::new(100.0, 1000.0);
        assert!(b.try_take(90.0));
        assert!(!b.try_take(1000.0));
        b.refund(50.0);
        assert!(b.available() >= 60.0);
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(b.available(), 100.0);
    }
}
