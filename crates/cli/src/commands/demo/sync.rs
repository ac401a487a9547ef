//! The demo's sync machinery: the same in-process runtime `techoms serve` runs (workers on
//! the durable queue, the schedule ticker), and the first sync asked for as an administrator
//! would ask for it with "Sync products".

use std::sync::Arc;
use std::time::Duration;

use techoms_app::engine::{RegistryConnectors, Trigger};
use techoms_app::sync_jobs::{RuntimeConfig, SyncRuntime, request_account_sync};
use techoms_app::{Access, App};
use techoms_domain::RunId;

use super::seed::app_error;

pub struct Runtime {
    app: App,
    inner: SyncRuntime,
}

impl Runtime {
    /// Start workers and the schedule ticker.
    pub async fn start(app: &App) -> anyhow::Result<Runtime> {
        let mut config = RuntimeConfig::new(RuntimeConfig::unique_worker_id("demo"));
        // Claim queued runs promptly: the newcomer is watching.
        config.poll_interval = Duration::from_millis(200);
        // Ctrl-C should not keep a newcomer waiting: a running run stops at its next page
        // boundary (its checkpoint is kept, and the next start resumes it).
        config.shutdown_grace = Duration::from_secs(5);
        let provider = Arc::new(RegistryConnectors::new(reqwest::Client::new()));
        let inner = SyncRuntime::start(app.clone(), provider, config)
            .await
            .map_err(app_error)?;
        Ok(Runtime {
            app: app.clone(),
            inner,
        })
    }

    /// Queue the account's sync: an import from the master (exports follow by propagation
    /// when it changes the catalog). Returns the import's run.
    pub async fn request_first_sync(&mut self, access: &Access) -> anyhow::Result<RunId> {
        let runs = request_account_sync(&self.app, access, false, Trigger::Manual)
            .await
            .map_err(app_error)?;
        runs.first()
            .copied()
            .ok_or_else(|| anyhow::anyhow!("the demo account has nothing to sync"))
    }

    /// Stop claiming, let running runs reach a page boundary, stop the ticker.
    pub async fn shutdown(self) {
        self.inner.shutdown().await;
    }
}
