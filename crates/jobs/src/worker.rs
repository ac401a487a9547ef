//! The worker loop: reclaim expired leases and tick schedules now and then, claim ready jobs up
//! to the concurrency limit, run each under a lease (see `supervise`), and on shutdown wait
//! for running handlers up to a deadline, then leave the rest to lease expiry.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::{QueueError, QueueResult};
use crate::handler::JobHandler;
use crate::queue::Queue;
use crate::supervise::{RunOutcome, RunTiming, supervise};

/// Worker settings. Durations are real time (the queue's clock only stamps the database).
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Recorded as `lease_owner`; unique per worker process (e.g. host and pid).
    pub id: String,
    /// Jobs run at once by this worker.
    pub concurrency: usize,
    /// Lease length; renewed every `heartbeat_every`.
    pub lease: Duration,
    /// Default `lease / 3`: two renewals can fail before the lease runs out.
    pub heartbeat_every: Option<Duration>,
    /// Pause between claims when nothing is ready.
    pub poll_interval: Duration,
    /// How often this worker reclaims expired leases and ticks schedules.
    pub housekeeping_interval: Duration,
    /// Whether this worker ticks schedules (any number of workers may).
    pub run_schedules: bool,
    /// How long shutdown waits for running handlers before leaving them to lease expiry.
    pub shutdown_grace: Duration,
    /// How long a handler may run on after its lease was lost before it is dropped.
    pub lost_lease_grace: Duration,
}

impl WorkerConfig {
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            concurrency: 4,
            lease: Duration::from_secs(60),
            heartbeat_every: None,
            poll_interval: Duration::from_secs(1),
            housekeeping_interval: Duration::from_secs(5),
            run_schedules: true,
            shutdown_grace: Duration::from_secs(30),
            lost_lease_grace: Duration::from_secs(5),
        }
    }

    fn timing(&self) -> RunTiming {
        RunTiming {
            lease: self.lease,
            heartbeat_every: self
                .heartbeat_every
                .unwrap_or(self.lease / 3)
                .max(Duration::from_millis(1)),
            lost_grace: self.lost_lease_grace,
        }
    }
}

/// Counts of how runs ended, returned when a worker stops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerStats {
    pub succeeded: u64,
    pub retrying: u64,
    pub failed: u64,
    pub dead: u64,
    pub released: u64,
    pub lease_lost: u64,
    pub unrecorded: u64,
    /// Still running at the shutdown deadline; left to lease expiry.
    pub abandoned: u64,
}

impl WorkerStats {
    fn count(&mut self, o: RunOutcome) {
        let slot = match o {
            RunOutcome::Succeeded => &mut self.succeeded,
            RunOutcome::Retrying => &mut self.retrying,
            RunOutcome::Failed => &mut self.failed,
            RunOutcome::Dead => &mut self.dead,
            RunOutcome::Released => &mut self.released,
            RunOutcome::LeaseLost => &mut self.lease_lost,
            RunOutcome::Unrecorded => &mut self.unrecorded,
        };
        *slot += 1;
    }

    /// Runs that ended one way or another.
    pub fn total(&self) -> u64 {
        self.succeeded
            + self.retrying
            + self.failed
            + self.dead
            + self.released
            + self.lease_lost
            + self.unrecorded
    }
}

/// A worker: an id, the handlers of the kinds it serves, and the loop that runs them.
pub struct Worker {
    queue: Queue,
    config: WorkerConfig,
    handlers: BTreeMap<String, Arc<dyn JobHandler>>,
}

impl fmt::Debug for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("config", &self.config)
            .field("kinds", &self.handlers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Worker {
    pub fn new(queue: Queue, config: WorkerConfig) -> Self {
        Self {
            queue,
            config,
            handlers: BTreeMap::new(),
        }
    }

    /// Serve `kind` with `handler` (replacing an earlier registration of the same kind).
    pub fn register(mut self, kind: impl Into<String>, handler: Arc<dyn JobHandler>) -> Self {
        self.handlers.insert(kind.into(), handler);
        self
    }

    pub fn id(&self) -> &str {
        &self.config.id
    }

    /// The kinds this worker claims: exactly those it has handlers for.
    pub fn kinds(&self) -> Vec<String> {
        self.handlers.keys().cloned().collect()
    }

    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// Run in a background task; stop it with [`WorkerHandle::shutdown`].
    pub fn spawn(self) -> WorkerHandle {
        let shutdown = CancellationToken::new();
        let join = tokio::spawn(self.run(shutdown.clone()));
        WorkerHandle { shutdown, join }
    }

    /// Run until `shutdown` fires, then wait up to `shutdown_grace` for running handlers
    /// (their tokens fire at once so they can stop at a safe point). Handlers still running at
    /// the deadline are dropped; their jobs stay `running` until the lease expires and another
    /// worker reclaims them.
    pub async fn run(self, shutdown: CancellationToken) -> WorkerStats {
        let worker = Arc::new(self);
        let kinds = worker.kinds();
        let timing = worker.config.timing();
        let concurrency = worker.config.concurrency.max(1);
        let mut stats = WorkerStats::default();
        let mut tasks: JoinSet<RunOutcome> = JoinSet::new();
        let mut next_housekeeping = Instant::now();
        tracing::info!(worker = %worker.config.id, ?kinds, concurrency, "worker started");

        while !shutdown.is_cancelled() {
            if Instant::now() >= next_housekeeping {
                worker.housekeeping().await;
                next_housekeeping = Instant::now() + worker.config.housekeeping_interval;
            }
            while let Some(done) = tasks.try_join_next() {
                stats.count(outcome_of(done));
            }
            while tasks.len() < concurrency && !shutdown.is_cancelled() {
                match worker
                    .queue
                    .claim(&worker.config.id, &kinds, timing.lease)
                    .await
                {
                    Ok(Some(claim)) => {
                        let Some(handler) = worker.handlers.get(&claim.job.kind).cloned() else {
                            // Cannot happen: we only claim kinds we have handlers for.
                            tracing::error!(kind = %claim.job.kind, "claimed a kind without handler");
                            continue;
                        };
                        tasks.spawn(supervise(
                            worker.queue.clone(),
                            handler,
                            claim,
                            timing,
                            shutdown.clone(),
                        ));
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "claim failed");
                        break;
                    }
                }
            }
            let wait = worker
                .config
                .poll_interval
                .min(next_housekeeping.saturating_duration_since(Instant::now()));
            // Wake early when a run ends: its slot (and maybe its concurrency key) is free.
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = tokio::time::sleep(wait) => {}
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    stats.count(outcome_of(done));
                }
            }
        }

        tracing::info!(worker = %worker.config.id, running = tasks.len(), "worker stopping");
        let drain = async {
            while let Some(done) = tasks.join_next().await {
                stats.count(outcome_of(done));
            }
        };
        if tokio::time::timeout(worker.config.shutdown_grace, drain)
            .await
            .is_err()
        {
            stats.abandoned = tasks.len() as u64;
            tracing::warn!(
                abandoned = tasks.len(),
                "shutdown deadline passed; leaving running jobs to lease expiry"
            );
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
        tracing::info!(worker = %worker.config.id, ?stats, "worker stopped");
        stats
    }

    async fn housekeeping(&self) {
        if let Err(e) = self.queue.reclaim_expired().await {
            tracing::warn!(error = %e, "reclaim sweep failed");
        }
        if self.config.run_schedules
            && let Err(e) = self.queue.tick().await
        {
            tracing::warn!(error = %e, "schedule tick failed");
        }
    }

    /// Test hook: claim and run ready jobs one at a time, in this task, until none is ready.
    /// Does not tick schedules or reclaim leases (call the queue for that). Returns how many
    /// runs it made.
    pub async fn run_until_idle(&self) -> QueueResult<usize> {
        let kinds = self.kinds();
        let timing = self.config.timing();
        let mut runs = 0;
        while let Some(claim) = self
            .queue
            .claim(&self.config.id, &kinds, timing.lease)
            .await?
        {
            let handler =
                self.handlers.get(&claim.job.kind).cloned().ok_or_else(|| {
                    QueueError::Invalid(format!("no handler for {}", claim.job.kind))
                })?;
            supervise(
                self.queue.clone(),
                handler,
                claim,
                timing,
                CancellationToken::new(),
            )
            .await;
            runs += 1;
        }
        Ok(runs)
    }
}

fn outcome_of(done: Result<RunOutcome, tokio::task::JoinError>) -> RunOutcome {
    // `supervise` catches handler panics itself; a join error here means it was aborted.
    done.unwrap_or(RunOutcome::Unrecorded)
}

/// A worker running in the background.
#[derive(Debug)]
pub struct WorkerHandle {
    shutdown: CancellationToken,
    join: JoinHandle<WorkerStats>,
}

impl WorkerHandle {
    /// The token that stops the worker (e.g. to tie it to a process-wide shutdown signal).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Stop gracefully and wait (up to the worker's shutdown grace) for it to finish.
    pub async fn shutdown(self) -> WorkerStats {
        self.shutdown.cancel();
        self.join.await.unwrap_or_default()
    }

    /// Stop at once, as if the process died: running jobs keep their leases until they
    /// expire. For tests of crash recovery.
    pub async fn kill(self) {
        self.join.abort();
        let _ = self.join.await;
    }
}
