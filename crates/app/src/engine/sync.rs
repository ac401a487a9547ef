//! Running product jobs: [`execute`] runs one recorded run (what a job handler calls),
//! [`sync_channel`] is a channel's "Sync products" action, [`sync_account`] imports from the
//! master and exports to every other channel now. Connectors come from a
//! [`ConnectorProvider`]: the integration registry in production, in-memory ones in tests.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use techoms_channels::{
    ChannelConfig, ChannelError, Connector, Credentials, ExportProduct, ProductPage, ReadQuery,
    RemoteProduct, WriteResult, build_connector,
};
use techoms_db::{accounts, channels, runs};
use techoms_domain::{AccountId, Channel, ChannelId, JobKind, RunId};

use super::import::report;
use super::plan::{SyncPlan, plan};
use super::run_log::{RunLog, create_run};
use super::{CheckpointSink, EngineOptions, NoSink, RunReport, Trigger, retry};
use crate::App;
use crate::error::{AppError, AppResult};

/// Builds the connector of a channel.
#[async_trait]
pub trait ConnectorProvider: Send + Sync {
    /// The connector of `channel`. An error ends the run as failed, with a Fatal message.
    async fn connector(
        &self,
        app: &App,
        channel: &Channel,
    ) -> Result<Arc<dyn Connector>, ChannelError>;
}

/// Connectors of the registered integrations, built from the channel's settings and its
/// decrypted credentials.
pub struct RegistryConnectors {
    http: reqwest::Client,
}

impl RegistryConnectors {
    /// `http` is the process-wide client (connection pooling).
    pub fn new(http: reqwest::Client) -> Self {
        Self { http }
    }
}

#[async_trait]
impl ConnectorProvider for RegistryConnectors {
    async fn connector(
        &self,
        app: &App,
        channel: &Channel,
    ) -> Result<Arc<dyn Connector>, ChannelError> {
        let blob = channels::credentials(&app.db, channel.account_id, channel.id)
            .await
            .map_err(|e| {
                ChannelError::Transient(format!("cannot read the channel's credentials: {e}"))
            })?;
        let credentials = match blob {
            Some(b) => app.secrets.open(&b).map_err(|e| {
                ChannelError::Permanent(format!("cannot open the channel's credentials: {e}"))
            })?,
            None => BTreeMap::new(),
        };
        let config = ChannelConfig {
            channel_label: channel.name.clone(),
            settings: channel.settings.clone(),
            credentials: Credentials::new(credentials),
        };
        build_connector(channel.integration, &config, self.http.clone())
    }
}

/// Stands in for a channel the rules keep idle: the run ends with a Warning before any call.
struct Idle;

#[async_trait]
impl Connector for Idle {
    fn name(&self) -> &str {
        "idle"
    }
    async fn read_products(
        &self,
        _: &ReadQuery,
        _: Option<String>,
    ) -> Result<ProductPage, ChannelError> {
        Err(ChannelError::Permanent("the channel takes no part".into()))
    }
    async fn find_by_skus(&self, _: &[String]) -> Result<Vec<RemoteProduct>, ChannelError> {
        Err(ChannelError::Permanent("the channel takes no part".into()))
    }
    fn write_batch_size(&self) -> usize {
        1
    }
    async fn write_products(
        &self,
        _: Vec<ExportProduct>,
    ) -> Result<Vec<WriteResult>, ChannelError> {
        Err(ChannelError::Permanent("the channel takes no part".into()))
    }
}

/// Execute a recorded run (Import or Export Products) of the account: build its channel's
/// connector and run it, resuming from its checkpoint. This is what a job handler calls, with
/// a sink that saves checkpoints under its lease. Map the report to the job's outcome:
/// `fatal.retryable` → retry with backoff (after `retry_after` when set), other Fatal → fail,
/// `stopped` → leave it to the worker that owns the job now.
pub async fn execute(
    app: &App,
    provider: &dyn ConnectorProvider,
    account: AccountId,
    run: RunId,
    opts: &EngineOptions,
    sink: &mut dyn CheckpointSink,
) -> AppResult<RunReport> {
    let stored = runs::get(&app.db, account, run).await?;
    let acc = accounts::get(&app.db, account).await?;
    let channel = channels::get(&app.db, account, stored.channel_id).await?;
    let allowed = match stored.job_kind {
        JobKind::ImportProducts => super::may_import(&acc, &channel),
        JobKind::ExportProducts => super::may_export(&acc, &channel),
        JobKind::AuthorizationRefresh => {
            return Err(AppError::Internal(format!(
                "run {run} is an authorization refresh, not a product run"
            )));
        }
    };
    let connector: Arc<dyn Connector> = if allowed.is_err()
        || stored.status.is_finished() && stored.status != runs::RunStatus::Failed
    {
        Arc::new(Idle)
    } else {
        match provider.connector(app, &channel).await {
            Ok(c) => c,
            Err(e) => {
                let f = retry::fatal(&e, "Connecting", &channel.name);
                let log = RunLog::open(app, account, run).await?;
                return Ok(report(log.finish(app, Some(&f)).await?, Some(f), 0, false));
            }
        }
    };
    match stored.job_kind {
        JobKind::ImportProducts => {
            super::run_import(app, connector.as_ref(), account, run, opts, sink).await
        }
        _ => super::run_export(app, connector.as_ref(), account, run, opts, sink).await,
    }
}

/// The account's sync plan (DESIGN §4): who imports, who receives exports.
pub async fn plan_for(app: &App, account: AccountId) -> AppResult<SyncPlan> {
    let acc = accounts::get(&app.db, account).await?;
    let all = channels::list(&app.db, account).await?;
    Ok(plan(&acc, &all))
}

/// The channels an import that changed the catalog propagates to (enqueue Export Products for
/// each, trigger `propagation`).
pub async fn propagation_targets(app: &App, account: AccountId) -> AppResult<Vec<ChannelId>> {
    Ok(plan_for(app, account).await?.exports)
}

/// "Sync products" on one channel: an import for the master channel, an export for any
/// other, run now. A channel the rules keep idle gets a run that says why.
pub async fn sync_channel(
    app: &App,
    provider: &dyn ConnectorProvider,
    account: AccountId,
    channel: ChannelId,
    trigger: Trigger,
    full: bool,
    opts: &EngineOptions,
) -> AppResult<RunReport> {
    let acc = accounts::get(&app.db, account).await?;
    let ch = channels::get(&app.db, account, channel).await?;
    let kind = if super::may_import(&acc, &ch).is_ok()
        || acc.master_product_channel_id == Some(channel)
            && acc.master_product_source != techoms_domain::MasterProductSource::Techoms
    {
        JobKind::ImportProducts
    } else {
        JobKind::ExportProducts
    };
    let run = create_run(app, account, channel, kind, trigger, full).await?;
    execute(app, provider, account, run.id, opts, &mut NoSink).await
}

/// What [`sync_account`] ran.
#[derive(Debug, Clone)]
pub struct SyncReport {
    pub import: Option<RunReport>,
    pub exports: Vec<RunReport>,
}

/// Import from the master (when it is a channel) and then export to every other enabled,
/// export-capable channel, now.
pub async fn sync_account(
    app: &App,
    provider: &dyn ConnectorProvider,
    account: AccountId,
    trigger: Trigger,
    full: bool,
    opts: &EngineOptions,
) -> AppResult<SyncReport> {
    let plan = plan_for(app, account).await?;
    let import = match plan.import {
        Some(ch) => {
            let run = create_run(app, account, ch, JobKind::ImportProducts, trigger, full).await?;
            Some(execute(app, provider, account, run.id, opts, &mut NoSink).await?)
        }
        None => None,
    };
    let mut exports = Vec::with_capacity(plan.exports.len());
    for ch in plan.exports {
        let run = create_run(app, account, ch, JobKind::ExportProducts, trigger, full).await?;
        exports.push(execute(app, provider, account, run.id, opts, &mut NoSink).await?);
    }
    Ok(SyncReport { import, exports })
}
