//! `techoms worker`: background workers only (no HTTP server). Run one per machine, or several
//! processes against one PostgreSQL database; SQLite serves a single process. `serve` runs the
//! same workers in-process unless given `--no-workers`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use techoms_app::App;
use techoms_app::engine::RegistryConnectors;
use techoms_app::sync_jobs::{RuntimeConfig, SyncRuntime};

use crate::settings::{CommonArgs, Settings, redact_url};

/// Worker tuning, shared by `worker` and `serve`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct WorkerArgs {
    /// Jobs run at once by this process (file key `worker_concurrency`; default 4).
    #[arg(long, env = "TECHOMS_WORKER_CONCURRENCY")]
    pub concurrency: Option<usize>,
    /// Seconds a job's lease lasts; a crashed worker's run resumes elsewhere after it expires
    /// (file key `job_lease_secs`; default 60).
    #[arg(long, env = "TECHOMS_JOB_LEASE_SECS")]
    pub lease_secs: Option<u64>,
    /// Milliseconds between claims when no job is ready (default 1000).
    #[arg(long, env = "TECHOMS_JOB_POLL_MS")]
    pub poll_ms: Option<u64>,
    /// Milliseconds between schedule ticks and lease reclaims (default 5000).
    #[arg(long, env = "TECHOMS_SCHEDULE_TICK_MS")]
    pub tick_ms: Option<u64>,
}

impl WorkerArgs {
    /// The runtime settings: flags and variables, then the file, then defaults.
    pub fn config(&self, settings: &Settings) -> anyhow::Result<RuntimeConfig> {
        let mut c = RuntimeConfig::new(RuntimeConfig::unique_worker_id("techoms"));
        let concurrency = self
            .concurrency
            .or(settings.worker_concurrency)
            .unwrap_or(4);
        if !(1..=256).contains(&concurrency) {
            bail!("worker concurrency must be between 1 and 256 (got {concurrency})");
        }
        c.concurrency = concurrency;
        let lease = self.lease_secs.or(settings.job_lease_secs).unwrap_or(60);
        if !(1..=3600).contains(&lease) {
            bail!("job lease must be between 1 and 3600 seconds (got {lease})");
        }
        c.lease = Duration::from_secs(lease);
        if let Some(ms) = self.poll_ms {
            if ms == 0 {
                bail!("job poll interval must be at least 1 ms");
            }
            c.poll_interval = Duration::from_millis(ms);
        }
        if let Some(ms) = self.tick_ms {
            if ms == 0 {
                bail!("schedule tick interval must be at least 1 ms");
            }
            c.tick_interval = Duration::from_millis(ms);
        }
        c.run_retention = Duration::from_secs(u64::from(settings.run_retention_days) * 86_400);
        // Leave running runs time to reach a page boundary, but not past the lease.
        c.shutdown_grace = c.lease.min(Duration::from_secs(30));
        Ok(c)
    }
}

#[derive(Debug, clap::Args)]
pub struct WorkerCmdArgs {
    #[command(flatten)]
    pub worker: WorkerArgs,
    /// Do not apply pending migrations at start.
    #[arg(long)]
    pub no_migrate: bool,
}

/// The process-wide HTTP client of the connectors (one connection pool per process).
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(concat!("techOMS/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(15))
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .context("cannot build the HTTP client")
}

/// Start the workers, ticker and sweeper on `app`.
pub async fn start(app: &App, config: RuntimeConfig) -> anyhow::Result<SyncRuntime> {
    let provider = Arc::new(RegistryConnectors::new(http_client()?));
    tracing::info!(
        worker = %config.worker_id,
        concurrency = config.concurrency,
        lease_secs = config.lease.as_secs(),
        "starting workers"
    );
    SyncRuntime::start(app.clone(), provider, config)
        .await
        .map_err(|e| anyhow::anyhow!("cannot start workers: {e}"))
}

pub async fn run(common: &CommonArgs, args: WorkerCmdArgs) -> anyhow::Result<()> {
    let settings = Settings::resolve(common, None)?;
    let config = args.worker.config(&settings)?;
    crate::telemetry::init(settings.log_format, &settings.log_level)?;
    if settings.database_url.starts_with("sqlite") {
        tracing::warn!(
            "SQLite serves one process: run the workers inside `techoms serve`, or use PostgreSQL for separate worker processes"
        );
    }
    let app = super::open_app(&settings, !args.no_migrate).await?;
    let runtime = start(&app, config).await?;
    tracing::info!(database = %redact_url(&settings.database_url), "techOMS worker running");
    println!("techOMS worker running");
    super::serve::shutdown_signal().await;
    tracing::info!("stopping: running runs stop at their next page boundary");
    let stats = runtime.shutdown().await;
    tracing::info!(?stats, "workers stopped");
    app.db.close().await;
    Ok(())
}
