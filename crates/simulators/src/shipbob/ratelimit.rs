//! ShipBob's rate limit: a sliding window of N requests per window (150 per minute by
//! default), counted per token (ShipBob counts per user per application; one token is one of
//! those). Requests refused with 429 are not counted.

use std::collections::VecDeque;

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub window: Duration,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            requests: 150,
            window: Duration::seconds(60),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Window {
    hits: VecDeque<DateTime<Utc>>,
}

impl Window {
    /// Count a request at `now`. `Ok(remaining calls)` when admitted, `Err(seconds to wait)`
    /// when the window is full. A request is in the window while it is younger than the window.
    pub fn admit(&mut self, now: DateTime<Utc>, limit: RateLimit) -> Result<u32, u64> {
        while self.hits.front().is_some_and(|t| *t + limit.window <= now) {
            self.hits.pop_front();
        }
        if self.hits.len() >= limit.requests as usize {
            let oldest = self.hits.front().copied().unwrap_or(now);
            let wait = (oldest + limit.window - now).num_milliseconds().max(0);
            // Whole seconds, rounded up, as the header carries them; never 0, which would
            // invite an immediate retry that is refused again.
            let secs = u64::try_from(wait).unwrap_or(0).div_ceil(1000).max(1);
            return Err(secs);
        }
        self.hits.push_back(now);
        Ok(limit.requests.saturating_sub(self.hits.len() as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_slides() {
        let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let limit = RateLimit {
            requests: 2,
            window: Duration::seconds(10),
        };
        let mut w = Window::default();
        assert_eq!(w.admit(t0, limit), Ok(1));
        assert_eq!(w.admit(t0 + Duration::seconds(4), limit), Ok(0));
        assert_eq!(w.admit(t0 + Duration::seconds(5), limit), Err(5));
        assert_eq!(w.admit(t0 + Duration::seconds(10), limit), Ok(0));
        assert_eq!(w.admit(t0 + Duration::milliseconds(13_500), limit), Err(1));
    }
}
