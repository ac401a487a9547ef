//! techOMS durable job queue.
//!
//! Jobs live in the database (SQLite for one process, PostgreSQL for any number), so they
//! survive restarts and can be shared by several worker processes. The queue knows nothing of
//! products or channels: it runs named job kinds with JSON payloads.
//!
//! - [`Queue::enqueue`] adds a job, idempotent by dedupe key.
//! - [`Queue::claim`] hands one ready job to a worker under a lease (owner + expiry), never two
//!   running jobs with one concurrency key.
//! - [`Queue::heartbeat`] renews the lease; [`Queue::succeed`], [`Queue::fail`],
//!   [`Queue::release`] end the attempt; [`Queue::save_checkpoint`] records progress. All are
//!   fenced by the lease: a worker that lost its job cannot write about it.
//! - [`Queue::reclaim_expired`] requeues jobs whose worker stopped renewing.
//! - [`Queue::upsert_schedule`] and [`Queue::tick`] run recurring jobs, once per tick however
//!   many processes tick.
//! - [`Worker`] ties it together: handlers per kind ([`JobHandler`]), concurrency, heartbeats,
//!   cancellation ([`JobContext::cancelled`]) and graceful shutdown.
//!
//! Time comes from the injected [`techoms_domain::Clock`]; SQL never reads the server's clock.

mod cancel;
mod checkpoint;
mod claim;
mod enqueue;
mod error;
mod finish;
mod handler;
mod in_tx;
mod lease;
mod model;
mod query;
mod queue;
mod reclaim;
mod retry;
mod row;
mod schedule;
mod supervise;
mod worker;

pub use error::{QueueError, QueueResult};
pub use finish::FailOutcome;
pub use handler::{FnHandler, JobContext, JobError, JobHandler, handler_fn};
pub use model::{Claim, DEFAULT_MAX_ATTEMPTS, Enqueued, Job, JobId, JobStatus, Lease, NewJob};
pub use query::{JobCounts, JobFilter};
pub use queue::Queue;
pub use reclaim::Reclaimed;
pub use retry::RetryPolicy;
pub use schedule::{Fired, Schedule, ScheduleSpec, next_boundary};
pub use supervise::RunOutcome;
pub use worker::{Worker, WorkerConfig, WorkerHandle, WorkerStats};

/// Re-exported so handlers need not depend on tokio-util for the token type.
pub use tokio_util::sync::CancellationToken;
