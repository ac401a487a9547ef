//! Client side of ShipBob's rate limit: a sliding window of N requests per window, counted
//! per token by the server. We keep our own log of requests and send only while the window has
//! room, so that steady use never meets a 429.
//!
//! Each request is logged from the moment it is sent and, once its answer is in, re-stamped
//! with the answer's arrival time: the server counted it no later than that, so a slot frees
//! up one window (plus a small margin) after the answer, never before the server agrees.
//! Every answer's `x-remaining-calls` corrects our view: if the server reports fewer calls left
//! than we think (the token is shared with another process, or the account has a lower limit),
//! the effective limit shrinks to what the server allows, and grows back as answers show room.
//! A 429 (or a throttle fault) pauses every request for the server's `x-retry-after`.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

#[derive(Debug)]
pub struct SlidingWindow {
    limit: u32,
    window: Duration,
    margin: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    log: VecDeque<Slot>,
    next_id: u64,
    effective_limit: u32,
    paused_until: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    id: u64,
    at: Instant,
    in_flight: bool,
}

/// What an answer said about the rate limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Observed {
    pub remaining: Option<u32>,
    /// Set on a 429: how long the server wants us to wait.
    pub throttled_for: Option<Duration>,
}

/// While every slot is taken by requests still in flight, look again after this long.
const IN_FLIGHT_POLL: Duration = Duration::from_millis(20);

impl SlidingWindow {
    pub fn new(limit: u32, window: Duration) -> Self {
        let limit = limit.max(1);
        // Enough to cover clock granularity and the server's own bookkeeping, small against a
        // 60 s window.
        let margin = (window / 50).clamp(Duration::from_millis(10), Duration::from_millis(250));
        Self {
            limit,
            window,
            margin,
            state: Mutex::new(State {
                log: VecDeque::new(),
                next_id: 0,
                effective_limit: limit,
                paused_until: None,
            }),
        }
    }

    /// Wait for room in the window and take a slot; pass the id to [`Self::finish`].
    pub async fn acquire(&self) -> u64 {
        loop {
            let wake = {
                let mut s = self.state.lock().await;
                let now = Instant::now();
                self.prune(&mut s, now);
                match s.paused_until {
                    Some(until) if until > now => until,
                    _ => {
                        s.paused_until = None;
                        if (s.log.len() as u32) < s.effective_limit {
                            let id = s.next_id;
                            s.next_id += 1;
                            s.log.push_back(Slot {
                                id,
                                at: now,
                                in_flight: true,
                            });
                            return id;
                        }
                        s.log
                            .iter()
                            .filter(|slot| !slot.in_flight)
                            .map(|slot| slot.at + self.window + self.margin)
                            .min()
                            .unwrap_or(now + IN_FLIGHT_POLL)
                    }
                }
            };
            tokio::time::sleep_until(wake).await;
        }
    }

    /// The answer to slot `id` arrived (or the request failed: pass `Observed::default()`).
    pub async fn finish(&self, id: u64, observed: Observed) {
        let mut s = self.state.lock().await;
        let now = Instant::now();
        if let Some(slot) = s.log.iter_mut().find(|slot| slot.id == id) {
            slot.at = now;
            slot.in_flight = false;
        }
        self.prune(&mut s, now);
        if let Some(wait) = observed.throttled_for {
            let until = now + wait;
            if s.paused_until.is_none_or(|p| p < until) {
                s.paused_until = Some(until);
            }
        }
        // A 429's `x-remaining-calls: 0` is already covered by its wait; after the pause one
        // request goes out and its answer recalibrates the limit.
        if let (Some(remaining), None) = (observed.remaining, observed.throttled_for) {
            // The server's count is `its limit - remaining`; ours is the log. What the server
            // lets us have is our own requests plus what it still has room for.
            let own = s.log.len() as u32;
            s.effective_limit = remaining.saturating_add(own).clamp(1, self.limit);
        }
    }

    fn prune(&self, s: &mut State, now: Instant) {
        let horizon = self.window + self.margin;
        s.log
            .retain(|slot| slot.in_flight || slot.at + horizon > now);
    }

    #[cfg(test)]
    async fn effective_limit(&self) -> u32 {
        self.state.lock().await.effective_limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_for_the_oldest_answer_to_leave_the_window() {
        let w = SlidingWindow::new(2, Duration::from_millis(200));
        let start = Instant::now();
        for _ in 0..2 {
            let id = w.acquire().await;
            w.finish(id, Observed::default()).await;
        }
        assert!(start.elapsed() < Duration::from_millis(100));
        let id = w.acquire().await;
        w.finish(id, Observed::default()).await;
        let e = start.elapsed();
        assert!(e >= Duration::from_millis(200), "{e:?}");
    }

    #[tokio::test]
    async fn server_remaining_lowers_and_restores_the_limit() {
        let w = SlidingWindow::new(10, Duration::from_secs(60));
        let id = w.acquire().await;
        w.finish(
            id,
            Observed {
                remaining: Some(2),
                throttled_for: None,
            },
        )
        .await;
        assert_eq!(w.effective_limit().await, 3);
        let id = w.acquire().await;
        w.finish(
            id,
            Observed {
                remaining: Some(8),
                throttled_for: None,
            },
        )
        .await;
        assert_eq!(w.effective_limit().await, 10);
    }

    #[tokio::test]
    async fn a_throttle_pauses_everyone() {
        let w = SlidingWindow::new(100, Duration::from_secs(60));
        let id = w.acquire().await;
        let start = Instant::now();
        w.finish(
            id,
            Observed {
                remaining: Some(0),
                throttled_for: Some(Duration::from_millis(150)),
            },
        )
        .await;
        let id = w.acquire().await;
        w.finish(id, Observed::default()).await;
        assert!(start.elapsed() >= Duration::from_millis(150));
    }
}
