//! Running it all in a process: workers for the run and tick kinds, the schedule ticker
//! (reconcile the channel schedules, then tick) and the retention sweep; and a graceful
//! shutdown that stops claiming, lets running runs stop at their next page boundary (their
//! jobs are released with their checkpoints) and returns.

use std::sync::Arc;
use std::time::Duration;

use techoms_jobs::{
    CancellationToken, Queue, RetryPolicy, Worker, WorkerConfig, WorkerHandle, WorkerStats,
};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::handler::{RunHandler, TickHandler};
use super::keys::{KIND_TICK, run_kinds};
use super::orphans::reap_orphaned_runs;
use super::queue_error;
use super::retention::{DEFAULT_RUN_RETENTION_DAYS, sweep_retention};
use super::schedules::reconcile_schedules;
use crate::App;
use crate::engine::{ConnectorProvider, EngineOptions};
use crate::error::AppResult;

/// Settings of a [`SyncRuntime`].
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Recorded as the lease owner; unique per process.
    pub worker_id: String,
    /// Jobs run at once by this process; 0 runs no worker (ticker and sweeper only).
    pub concurrency: usize,
    /// Lease length; a crashed worker's run is resumed elsewhere after it expires.
    pub lease: Duration,
    /// Default `lease / 3`.
    pub heartbeat_every: Option<Duration>,
    /// Pause between claims when nothing is ready.
    pub poll_interval: Duration,
    /// How often schedules are reconciled and ticked, and expired leases reclaimed.
    pub tick_interval: Duration,
    /// Whether this process ticks schedules (any number may; each tick enqueues once).
    pub run_schedules: bool,
    /// Runs, messages and finished jobs older than this are deleted.
    pub run_retention: Duration,
    /// How often the retention sweep runs.
    pub retention_every: Duration,
    /// How often runs whose job was given up (dead, cancelled) are marked failed.
    pub orphan_check_every: Duration,
    /// How long shutdown waits for running runs to reach a page boundary.
    pub shutdown_grace: Duration,
    pub engine: EngineOptions,
    pub retry: RetryPolicy,
}

impl RuntimeConfig {
    pub fn new(worker_id: impl Into<String>) -> Self {
        Self {
            worker_id: worker_id.into(),
            concurrency: 4,
            lease: Duration::from_secs(60),
            heartbeat_every: None,
            poll_interval: Duration::from_secs(1),
            tick_interval: Duration::from_secs(5),
            run_schedules: true,
            run_retention: Duration::from_secs(u64::from(DEFAULT_RUN_RETENTION_DAYS) * 86_400),
            retention_every: Duration::from_secs(3600),
            orphan_check_every: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(30),
            engine: EngineOptions::default(),
            retry: RetryPolicy::default(),
        }
    }

    /// A worker id unique to this process: `<prefix>-<pid>-<random>`.
    pub fn unique_worker_id(prefix: &str) -> String {
        let tail = uuid::Uuid::now_v7().simple().to_string();
        format!(
            "{prefix}-{}-{}",
            std::process::id(),
            &tail[tail.len() - 8..]
        )
    }

    fn worker_config(&self) -> WorkerConfig {
        let mut w = WorkerConfig::new(self.worker_id.clone());
        w.concurrency = self.concurrency.max(1);
        w.lease = self.lease;
        w.heartbeat_every = self.heartbeat_every;
        w.poll_interval = self.poll_interval;
        w.housekeeping_interval = self.tick_interval;
        // Ticks come from the runtime's ticker, right after it reconciles the schedules.
        w.run_schedules = false;
        w.shutdown_grace = self.shutdown_grace;
        w
    }
}

/// A worker serving every sync job kind (run jobs and schedule ticks). Tests drive it with
/// `run_until_idle`.
pub fn build_worker(
    app: &App,
    provider: Arc<dyn ConnectorProvider>,
    config: &RuntimeConfig,
) -> Worker {
    let queue = Queue::new(app.db.clone(), app.clock.clone()).with_retry_policy(config.retry);
    let run = Arc::new(RunHandler::new(
        app.clone(),
        provider,
        config.engine.clone(),
    ));
    let mut worker = Worker::new(queue, config.worker_config());
    for kind in run_kinds() {
        worker = worker.register(kind, run.clone());
    }
    worker.register(KIND_TICK, Arc::new(TickHandler::new(app.clone())))
}

/// One round of the ticker: reclaim expired leases, reconcile the channel schedules, tick.
/// Returns how many schedule jobs were enqueued.
pub async fn housekeeping_once(app: &App) -> AppResult<usize> {
    let queue = Queue::new(app.db.clone(), app.clock.clone());
    queue.reclaim_expired().await.map_err(queue_error)?;
    reconcile_schedules(app).await?;
    let fired = queue.tick().await.map_err(queue_error)?;
    Ok(fired.iter().filter(|f| f.job.created).count())
}

/// Workers, ticker and sweeper of one process.
pub struct SyncRuntime {
    worker: Option<WorkerHandle>,
    ticker: JoinHandle<()>,
    stop: CancellationToken,
}

impl std::fmt::Debug for SyncRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncRuntime")
            .field("workers", &self.worker.is_some())
            .finish_non_exhaustive()
    }
}

impl SyncRuntime {
    /// Start the workers (unless `concurrency` is 0), the ticker and the sweeper.
    pub async fn start(
        app: App,
        provider: Arc<dyn ConnectorProvider>,
        config: RuntimeConfig,
    ) -> AppResult<SyncRuntime> {
        let worker =
            (config.concurrency > 0).then(|| build_worker(&app, provider, &config).spawn());
        let stop = CancellationToken::new();
        let ticker = tokio::spawn(ticker(app, config, stop.clone()));
        Ok(SyncRuntime {
            worker,
            ticker,
            stop,
        })
    }

    /// Stop claiming, let running runs stop at a page boundary (their jobs are released and
    /// resume elsewhere from their checkpoints), stop the ticker, and return the workers'
    /// counts.
    pub async fn shutdown(self) -> WorkerStats {
        self.stop.cancel();
        let stats = match self.worker {
            Some(w) => w.shutdown().await,
            None => WorkerStats::default(),
        };
        let _ = self.ticker.await;
        stats
    }
}

async fn ticker(app: App, config: RuntimeConfig, stop: CancellationToken) {
    let mut next_sweep = Instant::now();
    let mut next_reap = Instant::now();
    while !stop.is_cancelled() {
        if config.run_schedules {
            if let Err(e) = reconcile_schedules(&app).await {
                tracing::warn!(error = %e, "reconciling schedules failed");
            } else if let Err(e) = Queue::new(app.db.clone(), app.clock.clone()).tick().await {
                tracing::warn!(error = %e, "schedule tick failed");
            }
        }
        if Instant::now() >= next_reap {
            if let Err(e) = reap_orphaned_runs(&app).await {
                tracing::warn!(error = %e, "ending orphaned runs failed");
            }
            next_reap = Instant::now() + config.orphan_check_every;
        }
        if Instant::now() >= next_sweep {
            if let Err(e) = sweep_retention(&app, config.run_retention).await {
                tracing::warn!(error = %e, "retention sweep failed");
            }
            next_sweep = Instant::now() + config.retention_every;
        }
        tokio::select! {
            _ = stop.cancelled() => {}
            _ = tokio::time::sleep(config.tick_interval) => {}
        }
    }
}
