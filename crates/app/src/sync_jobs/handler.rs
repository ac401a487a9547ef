//! The job handlers: [`RunHandler`] executes a run (import, export, authorization refresh)
//! under the job's lease; [`TickHandler`] turns a schedule's tick into a run request.

use std::sync::Arc;

use serde_json::Value;
use techoms_db::runs::{self, RunStatus, Trigger};
use techoms_db::{DbError, accounts, channels};
use techoms_domain::JobKind;
use techoms_jobs::{JobContext, JobError, JobHandler};

use super::auth_refresh;
use super::keys::{RunJob, TickJob};
use super::request::{OnLive, direction, enqueue_run};
use crate::App;
use crate::engine::{
    CheckpointSink, ConnectorProvider, EngineOptions, RunReport, execute, propagation_targets,
};
use crate::error::AppError;

/// Executes run jobs. Register it for every kind of [`super::run_kinds`].
pub struct RunHandler {
    app: App,
    provider: Arc<dyn ConnectorProvider>,
    opts: EngineOptions,
}

impl RunHandler {
    pub fn new(app: App, provider: Arc<dyn ConnectorProvider>, opts: EngineOptions) -> Self {
        Self {
            app,
            provider,
            opts,
        }
    }
}

/// Saves the engine's checkpoints under the job's lease. Refuses (so the run stops at the page
/// boundary it just committed) once the worker is stopping or the lease is lost.
struct LeaseSink<'a> {
    ctx: &'a JobContext,
}

#[async_trait::async_trait]
impl CheckpointSink for LeaseSink<'_> {
    async fn save(&mut self, checkpoint: &Value) -> Result<(), String> {
        if self.ctx.is_cancelled() {
            return Err("the worker is stopping or no longer holds the job".into());
        }
        self.ctx
            .save_checkpoint(checkpoint)
            .await
            .map_err(|e| e.to_string())
    }
}

/// A use-case error inside a handler: a vanished record cannot come back (permanent); anything
/// else (database unreachable…) is worth another attempt.
fn job_error(e: AppError) -> JobError {
    match e {
        AppError::NotFound => JobError::permanent("not found"),
        other => JobError::retryable(other.to_string()),
    }
}

/// The job's outcome for a run report (DESIGN §5: Fatal runs are retried with backoff).
pub(crate) fn outcome(report: &RunReport) -> Result<(), JobError> {
    if report.stopped {
        // Released at shutdown or discarded after a lost lease; resumed from the checkpoint.
        return Err(JobError::retryable(
            "stopped at a page boundary; the run resumes from its checkpoint",
        ));
    }
    match &report.fatal {
        None => Ok(()),
        Some(f) if f.retryable => Err(JobError::Retryable {
            message: f.message.clone(),
            retry_after: f.retry_after,
        }),
        Some(f) => Err(JobError::permanent(f.message.clone())),
    }
}

#[async_trait::async_trait]
impl JobHandler for RunHandler {
    async fn run(&self, ctx: &JobContext) -> Result<(), JobError> {
        let p: RunJob = ctx.payload()?;
        let app = &self.app;
        let run = match runs::get(&app.db, p.account_id, p.run_id).await {
            Ok(r) => r,
            // The channel (and its runs) was deleted after the job was queued.
            Err(DbError::NotFound) => {
                tracing::info!(run = %p.run_id, "run no longer exists; nothing to do");
                return Ok(());
            }
            Err(e) => return Err(JobError::retryable(e.to_string())),
        };
        if run.job_kind == JobKind::AuthorizationRefresh {
            return auth_refresh::execute(app, self.provider.as_ref(), &run).await;
        }
        let finished = matches!(
            run.status,
            RunStatus::Succeeded | RunStatus::PartiallySucceeded
        );
        let changed = if finished {
            // The run ended but its job did not record it (the worker died in between):
            // only the propagation may be missing.
            run.counts.created + run.counts.updated > 0
        } else {
            let mut sink = LeaseSink { ctx };
            let report = execute(
                app,
                self.provider.as_ref(),
                p.account_id,
                p.run_id,
                &self.opts,
                &mut sink,
            )
            .await
            .map_err(job_error)?;
            tracing::info!(
                run = %p.run_id,
                status = %report.run.status,
                created = report.run.counts.created,
                updated = report.run.counts.updated,
                failed = report.run.counts.failed,
                stopped = report.stopped,
                "run attempt ended"
            );
            outcome(&report)?;
            report.changed()
        };
        if run.job_kind == JobKind::ImportProducts && changed {
            propagate(app, p.account_id).await.map_err(job_error)?;
        }
        Ok(())
    }
}

/// An import changed the catalog: queue Export Products on every channel that receives it.
async fn propagate(app: &App, account: techoms_domain::AccountId) -> Result<(), AppError> {
    for ch in propagation_targets(app, account).await? {
        let r = enqueue_run(
            app,
            account,
            ch,
            JobKind::ExportProducts,
            Trigger::Propagation,
            false,
            OnLive::FollowUp,
        )
        .await?;
        tracing::info!(channel = %ch, run = %r.run_id(), "propagation export requested");
    }
    Ok(())
}

/// Turns a schedule's tick into a run, if the rules still allow it.
pub struct TickHandler {
    app: App,
}

impl TickHandler {
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

#[async_trait::async_trait]
impl JobHandler for TickHandler {
    async fn run(&self, ctx: &JobContext) -> Result<(), JobError> {
        let t: TickJob = ctx.payload()?;
        let app = &self.app;
        let (acc, ch) = match (
            accounts::get(&app.db, t.account_id).await,
            channels::get(&app.db, t.account_id, t.channel_id).await,
        ) {
            (Ok(a), Ok(c)) => (a, c),
            (Err(DbError::NotFound), _) | (_, Err(DbError::NotFound)) => return Ok(()),
            (Err(e), _) | (_, Err(e)) => return Err(JobError::retryable(e.to_string())),
        };
        // The schedule may be a tick behind a change of the rules: check them now.
        let allowed = match t.job_kind {
            JobKind::AuthorizationRefresh => acc.enabled && ch.enabled,
            kind => direction(&acc, &ch).is_ok_and(|k| k == kind),
        };
        if !allowed {
            tracing::debug!(channel = %ch.id, kind = t.job_kind.as_str(), "scheduled job not allowed now; skipped");
            return Ok(());
        }
        let full = t.job_kind == JobKind::ImportProducts
            && full_import_due(app, &acc, &ch)
                .await
                .map_err(|e| JobError::retryable(e.to_string()))?;
        let r = enqueue_run(
            app,
            acc.id,
            ch.id,
            t.job_kind,
            Trigger::Schedule,
            full,
            OnLive::Fold,
        )
        .await
        .map_err(job_error)?;
        tracing::debug!(channel = %ch.id, run = %r.run_id(), "schedule fired");
        Ok(())
    }
}

/// How often a scheduled import reads everything instead of only the changes (DESIGN §5: a
/// periodic full read reconciles, flagging variants the master no longer returns).
const FULL_IMPORT_EVERY: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// Runs looked at to find the last full import (at 5-minute periods, well over half a day).
const RECENT_RUNS: u32 = 200;

/// Whether the channel's last successful full import is older than [`FULL_IMPORT_EVERY`] (or
/// not among its recent runs).
async fn full_import_due(
    app: &App,
    acc: &techoms_domain::Account,
    ch: &techoms_domain::Channel,
) -> Result<bool, DbError> {
    let recent = runs::list(
        &app.db,
        acc.id,
        &runs::RunFilter {
            channel_id: Some(ch.id),
            job_kind: Some(JobKind::ImportProducts),
            limit: RECENT_RUNS,
            ..runs::RunFilter::default()
        },
    )
    .await?;
    let since = app.clock.now() - FULL_IMPORT_EVERY;
    Ok(!recent.iter().any(|r| {
        r.full
            && matches!(
                r.status,
                RunStatus::Succeeded | RunStatus::PartiallySucceeded
            )
            && r.finished_at.is_some_and(|t| t > since)
    }))
}
