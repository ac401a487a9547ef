//! Product jobs on the durable queue (DESIGN §5): Manual Sync, recurring schedules, the job
//! handlers that run the engine under a lease, propagation, retention, and the runtime that
//! runs it all in a process.
//!
//! Flow of a sync: [`request_sync`] (or a schedule tick, or an import's propagation) records a
//! queued run *and* its queue job in one transaction ([`request`]); a worker claims the job and
//! [`handler::RunHandler`] executes the run through the engine, saving each page's checkpoint
//! under the job's lease; the run's report becomes the job's outcome (retry, fail, release).
//!
//! Invariants:
//! - every queued run has exactly one job and every run job has its run (same transaction);
//! - at most one product run per channel is queued or running, apart from one follow-up an
//!   import may queue behind a running export (so a change that arrives mid-export is still
//!   sent); the queue's concurrency key lets only one of them execute at a time;
//! - disabled accounts and channels run nothing: the rules are checked when a run is
//!   requested, when a schedule fires and again when the run executes.

mod auth_refresh;
pub mod handler;
mod keys;
mod orphans;
pub mod request;
pub mod retention;
pub mod runtime;
pub mod schedules;

pub use handler::{RunHandler, TickHandler};
pub use keys::{KIND_TICK, RunJob, TickJob, queue_kind, run_kinds};
pub use orphans::reap_orphaned_runs;
pub use request::{Requested, request_account_sync, request_sync, request_sync_for};
pub use retention::{DEFAULT_RUN_RETENTION_DAYS, RetentionReport, sweep_retention};
pub use runtime::{RuntimeConfig, SyncRuntime, build_worker, housekeeping_once};
pub use schedules::{ScheduleReport, reconcile_schedules, tick_of};

use techoms_jobs::{Queue, QueueError};

use crate::App;
use crate::error::AppError;

/// The job queue on the application's database and clock.
pub fn queue_of(app: &App) -> Queue {
    Queue::new(app.db.clone(), app.clock.clone())
}

pub(crate) fn queue_error(e: QueueError) -> AppError {
    match e {
        QueueError::Db(d) => AppError::from(d),
        other => AppError::Internal(other.to_string()),
    }
}
