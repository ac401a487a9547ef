//! The import/export engine (DESIGN §3–§5).
//!
//! - [`run_import`]: stream the master channel's products page by page into the catalog
//!   (SKU keys, first occurrence wins, binding-first matching, SKU mappings), one transaction
//!   per page, checkpoint after each page; a full read flags bound variants the master no
//!   longer returns as missing at master.
//! - [`run_export`]: stream the catalog in keyset pages to one channel, sending only variants
//!   whose content hash for that channel changed, looking SKUs up before creating so that a
//!   retry or a pre-existing remote product never produces a duplicate.
//! - [`execute`]: run a queued run by its job kind (what a job handler calls), building the
//!   channel's connector through a [`ConnectorProvider`].
//! - [`sync_account`], [`sync_channel`]: plan and run a product sync now ([`plan`]).
//!
//! A run is created first ([`create_run`], status queued) and then executed; it records its
//! counts, messages and checkpoint as it goes. Every page's writes, counts, messages and
//! checkpoint commit together, so a resumed run (same run id) neither loses nor repeats work.

mod export;
mod export_page;
pub mod hash;
mod import;
mod import_match;
mod import_page;
mod mapping;
pub mod plan;
mod retry;
pub mod run_log;
mod sync;

use std::time::Duration;

use serde_json::Value;
use techoms_db::runs;

pub use export::run_export;
pub use import::run_import;
pub use plan::{SyncPlan, may_export, may_import};
pub use run_log::{
    create_run, get_run, list_runs, message_counts, message_counts_of, run_messages,
};
pub use runs::{
    Counts, Level, MessageFilter, NewMessage, Run, RunFilter, RunMessage, RunStatus, Trigger,
};
pub use sync::{
    ConnectorProvider, RegistryConnectors, SyncReport, execute, plan_for, propagation_targets,
    sync_account, sync_channel,
};

/// Tuning of the engine. The defaults suit production; tests shorten the waits.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Attempts per connector call before a throttled or transient failure becomes Fatal.
    pub max_attempts: u32,
    /// Wait before the second attempt after a transient failure; doubled each time.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// A throttle asking to wait longer than this is beyond budget: the run stops (Fatal,
    /// retryable later) instead of holding a worker.
    pub max_retry_after: Duration,
    /// Incremental reads and exports go back this far before the stored high-water mark, to
    /// absorb clock skew and in-flight changes; the overlap is de-duplicated by content.
    pub overlap: chrono::Duration,
    /// Catalog products per export page.
    pub export_page_size: u32,
    /// An incremental export over more changed products than this scans the whole catalog
    /// instead (cheaper than paging through a large change set).
    pub incremental_export_limit: i64,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            overlap: chrono::Duration::minutes(5),
            export_page_size: 250,
            incremental_export_limit: 10_000,
        }
    }
}

/// Why a run stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fatal {
    pub message: String,
    /// Whether running it again later may succeed (throttled, unreachable, timed out) — the
    /// job is retried with backoff — or not (credentials refused, bad configuration).
    pub retryable: bool,
    pub retry_after: Option<Duration>,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The run as stored after this attempt (counts cover every attempt of the run).
    pub run: Run,
    pub fatal: Option<Fatal>,
    /// Variants examined by this attempt: for an export, the catalog variants compared; for an
    /// import, the remote variants read. Lets tests check that work follows the changes.
    pub considered: u64,
    /// The checkpoint sink refused a checkpoint (lease lost, shutting down): the run stopped
    /// at a page boundary and stays `running`, to be resumed.
    pub stopped: bool,
}

impl RunReport {
    pub fn status(&self) -> RunStatus {
        self.run.status
    }

    /// Whether the run changed the catalog (an import) or a channel (an export). An import
    /// that changed something should propagate: enqueue Export Products for
    /// [`propagation_targets`].
    pub fn changed(&self) -> bool {
        self.run.counts.created + self.run.counts.updated > 0
    }
}

/// Receives the run's checkpoint after each committed page (the checkpoint is also stored
/// with the run, in the page's transaction). An `Err` stops the run at once: the job is no
/// longer ours or the worker is shutting down.
#[async_trait::async_trait]
pub trait CheckpointSink: Send {
    async fn save(&mut self, checkpoint: &Value) -> Result<(), String>;
}

/// A sink that accepts every checkpoint.
pub struct NoSink;

#[async_trait::async_trait]
impl CheckpointSink for NoSink {
    async fn save(&mut self, _checkpoint: &Value) -> Result<(), String> {
        Ok(())
    }
}
