//! What a job is: its id, its status, what a caller asks for when enqueueing, and the lease a
//! worker holds while running it.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A job's id: a UUIDv7 made in Rust, so ids are time-ordered ("newest first" is `id DESC`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub Uuid);

impl JobId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl Default for JobId {
    fn default() -> Self {
        Self::new()
    }
}

impl From<Uuid> for JobId {
    fn from(u: Uuid) -> Self {
        Self(u)
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JobId({})", self.0)
    }
}

impl FromStr for JobId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s.trim()).map(Self)
    }
}

/// Where a job is in its life.
///
/// ```text
/// queued ──claim──▶ running ──succeed──▶ succeeded
///   ▲  │               │ ├──permanent failure──▶ failed
///   │  │               │ └──retryable failure──▶ queued (backoff) | dead (max attempts)
///   │  └─cancel─▶ cancelled
///   └──reclaim (lease expired) / release (shutdown)──┘
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Dead,
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 6] = [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Succeeded,
        JobStatus::Failed,
        JobStatus::Dead,
        JobStatus::Cancelled,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Dead => "dead",
            JobStatus::Cancelled => "cancelled",
        }
    }

    /// A terminal job never runs again.
    pub fn is_terminal(&self) -> bool {
        !matches!(self, JobStatus::Queued | JobStatus::Running)
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown job status {s:?}"))
    }
}

/// Default number of runs before a job that keeps failing is declared dead.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 5;

/// A job to enqueue. Build with [`NewJob::new`] and the chained setters.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    pub account_id: Option<Uuid>,
    /// Higher runs first; 0 by default.
    pub priority: i32,
    /// Not before this time; `None` means now (by the queue's clock).
    pub run_at: Option<DateTime<Utc>>,
    pub max_attempts: i32,
    /// At most one job with this key runs at a time (e.g. one sync per channel).
    pub concurrency_key: Option<String>,
    /// While a queued or running job has this key, enqueueing again returns that job.
    pub dedupe_key: Option<String>,
}

impl NewJob {
    pub fn new(kind: impl Into<String>, payload: serde_json::Value) -> Self {
        Self {
            kind: kind.into(),
            payload,
            account_id: None,
            priority: 0,
            run_at: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            concurrency_key: None,
            dedupe_key: None,
        }
    }

    pub fn account(mut self, account_id: impl Into<Uuid>) -> Self {
        self.account_id = Some(account_id.into());
        self
    }

    pub fn priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    pub fn run_at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = Some(at);
        self
    }

    /// At least 1 (a job always runs once).
    pub fn max_attempts(mut self, n: i32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    pub fn concurrency_key(mut self, key: impl Into<String>) -> Self {
        self.concurrency_key = Some(key.into());
        self
    }

    pub fn dedupe_key(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }
}

/// A stored job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub account_id: Option<Uuid>,
    pub kind: String,
    pub payload: serde_json::Value,
    pub status: JobStatus,
    pub priority: i32,
    pub run_at: DateTime<Utc>,
    /// Runs started so far (each claim counts one).
    pub attempts: i32,
    pub max_attempts: i32,
    /// The worker holding the lease while running; the last one that ran it once finished.
    pub lease_owner: Option<String>,
    /// Set only while running.
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub concurrency_key: Option<String>,
    pub dedupe_key: Option<String>,
    pub checkpoint: Option<serde_json::Value>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The right to run one attempt of a job. Every write a worker makes about a running job is
/// fenced by the lease: it applies only while the row is still `running` with this owner and
/// this attempt number. The attempt number matters because the same worker may claim the same
/// job again after losing it; the owner alone would then let the stale run write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub job_id: JobId,
    pub owner: String,
    pub attempt: i32,
    pub max_attempts: i32,
}

/// What a successful claim hands the worker.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub job: Job,
    pub lease: Lease,
}

/// Result of [`crate::Queue::enqueue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    pub id: JobId,
    /// False when a live job with the same dedupe key was returned instead.
    pub created: bool,
}
