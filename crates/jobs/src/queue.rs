//! The queue handle: a database, a clock and the retry policy. Each operation lives in its own
//! module as an `impl Queue` block (enqueue, claim, lease, finish, checkpoint, reclaim, cancel,
//! query, schedule).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use techoms_db::Db;
use techoms_domain::Clock;
use techoms_domain::clock::truncate_micros;

use crate::retry::RetryPolicy;

/// A handle on the durable queue. Cheap to clone; every clone shares the pool and the clock.
#[derive(Clone)]
pub struct Queue {
    pub(crate) db: Db,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) retry: RetryPolicy,
}

impl fmt::Debug for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("backend", &self.db.backend())
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Queue {
    /// A queue on `db` (already migrated) whose times all come from `clock`.
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            clock,
            retry: RetryPolicy::default(),
        }
    }

    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The queue's current time (microsecond precision, like everything it stores).
    pub fn now(&self) -> DateTime<Utc> {
        truncate_micros(self.clock.now())
    }
}

/// Longest span added to a stored time. Larger values are clamped so that the result stays a
/// time both backends can store and compare (PostgreSQL stops at year 294276, and SQLite's
/// text ordering needs four-digit years).
const MAX_SPAN: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `at + d`, clamped to [`MAX_SPAN`] and truncated to microseconds.
pub(crate) fn after(at: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    let d = TimeDelta::from_std(d.min(MAX_SPAN)).unwrap_or(TimeDelta::zero());
    truncate_micros(at.checked_add_signed(d).unwrap_or(at))
}
