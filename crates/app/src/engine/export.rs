//! Export Products (techOMS → one channel): stream the catalog in keyset pages — all of it on
//! a full run, only products changed since the channel's export watermark (minus the overlap)
//! otherwise — and send what changed. Each page's bindings, counts, messages and checkpoint
//! commit together.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use techoms_channels::Connector;
use techoms_db::bindings::{self, Direction, WriteTx};
use techoms_db::{products, runs};
use techoms_domain::{AccountId, Channel, JobKind, ProductId, RunId};

use super::export_page::{self, ExportCtx};
use super::import::report;
use super::mapping::Mapper;
use super::run_log::{Opened, PageLog, RunLog, open_run};
use super::{CheckpointSink, EngineOptions, Fatal, Level, RunReport, plan};
use crate::App;
use crate::error::{AppError, AppResult};

/// Where an export run stands; stored with the run after each committed page.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Checkpoint {
    /// Only products changed at or after this instant (None: the whole catalog); fixed when
    /// the run starts.
    since: Option<DateTime<Utc>>,
    /// The last product done (keyset position).
    after: Option<ProductId>,
    /// The earliest change time of a variant the channel refused: the watermark stays before
    /// it, so the next incremental export tries it again.
    min_failed: Option<DateTime<Utc>>,
    /// Variants adopted by SKU so far (reported once at the end).
    adopted: u64,
}

/// Export the catalog to the channel of run `run` (created with [`super::create_run`] as
/// Export Products). Resumes from the run's checkpoint when it has one. The master channel, a
/// disabled channel and a disabled account receive nothing: the run ends with a Warning and
/// no call to the connector.
pub async fn run_export(
    app: &App,
    connector: &dyn Connector,
    account: AccountId,
    run: RunId,
    opts: &EngineOptions,
    sink: &mut dyn CheckpointSink,
) -> AppResult<RunReport> {
    let (channel, log) = match open_run(
        app,
        account,
        run,
        JobKind::ExportProducts,
        plan::may_export,
        "exported",
    )
    .await?
    {
        Opened::Go(go) => *go,
        Opened::Done(done) => return Ok(*done),
    };
    let cp = match &log.run.checkpoint {
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| AppError::Internal(format!("run {run}: checkpoint: {e}")))?,
        None => fresh(app, account, &channel, log.run.full, opts).await?,
    };
    let mapper = Mapper::load(app, account, channel.id).await?;
    let ctx = ExportCtx {
        app,
        account,
        channel: &channel,
        connector,
        opts,
        mapper: &mapper,
    };
    let mut ex = Exporter {
        log,
        cp,
        considered: 0,
    };
    match ex.pages(&ctx, sink).await {
        Ok(Step::Done) => {}
        Ok(Step::Stopped) => {
            let run = runs::get(&app.db, account, run).await?;
            return Ok(report(run, None, ex.considered, true));
        }
        Ok(Step::Fatal(f)) => {
            let run = ex.log.finish(app, Some(&f)).await?;
            return Ok(report(run, Some(f), ex.considered, false));
        }
        Err(e) => return Err(ex.abandon(app, e).await),
    }
    if let Err(e) = ex.conclude(&ctx).await {
        return Err(ex.abandon(app, e).await);
    }
    let considered = ex.considered;
    let run = ex.log.finish(app, None).await?;
    Ok(report(run, None, considered, false))
}

/// The start of a run: incremental from the watermark when there is one and the change set is
/// not too large; else the whole catalog.
async fn fresh(
    app: &App,
    account: AccountId,
    channel: &Channel,
    full: bool,
    opts: &EngineOptions,
) -> AppResult<Checkpoint> {
    let state = bindings::sync_state(&app.db, account, channel.id).await?;
    let since = match (full, state.last_export_high_water) {
        (false, Some(h)) => Some(h - opts.overlap),
        _ => None,
    };
    let since = match since {
        Some(s)
            if products::count_changed(&app.db, account, s).await?
                > opts.incremental_export_limit =>
        {
            None
        }
        other => other,
    };
    Ok(Checkpoint {
        since,
        ..Checkpoint::default()
    })
}

enum Step {
    Done,
    Stopped,
    Fatal(Fatal),
}

struct Exporter {
    log: RunLog,
    cp: Checkpoint,
    considered: u64,
}

impl Exporter {
    async fn pages(
        &mut self,
        ctx: &ExportCtx<'_>,
        sink: &mut dyn CheckpointSink,
    ) -> AppResult<Step> {
        let (app, account) = (ctx.app, ctx.account);
        let size = ctx.opts.export_page_size.max(1);
        loop {
            let page = match self.cp.since {
                None => products::heads_after(&app.db, account, self.cp.after, size).await?,
                Some(s) => {
                    products::changed_heads(&app.db, account, s, self.cp.after, size).await?
                }
            };
            let Some(last) = page.last().map(|p| p.id) else {
                return Ok(Step::Done);
            };
            let full_page = page.len() as u32 == size;
            let res = export_page::export_page(ctx, page).await?;
            self.considered += res.considered;
            self.cp.adopted += res.adopted;
            if let Some(t) = res.min_failed {
                self.cp.min_failed = Some(self.cp.min_failed.map_or(t, |m| m.min(t)));
            }
            // A page cut short by a Fatal is done again on resume, so its checkpoint stays.
            if res.fatal.is_none() {
                self.cp.after = Some(last);
            }
            let checkpoint = serde_json::to_value(&self.cp)
                .map_err(|e| AppError::Internal(format!("checkpoint: {e}")))?;
            let now = app.clock.now();
            let mut tx = WriteTx::begin_page(&app.db).await?;
            bindings::record_pushed(&mut tx, account, ctx.channel.id, &res.pushed, now).await?;
            self.log
                .commit_page(&mut tx, res.log, Some(&checkpoint), None, now)
                .await?;
            tx.commit().await?;
            if let Some(f) = res.fatal {
                return Ok(Step::Fatal(f));
            }
            if let Err(why) = sink.save(&checkpoint).await {
                tracing::info!(run = %self.log.run.id, "export stopped at a page boundary: {why}");
                return Ok(Step::Stopped);
            }
            if !full_page {
                return Ok(Step::Done);
            }
        }
    }

    /// After the last page: report adoptions, move the watermark.
    async fn conclude(&mut self, ctx: &ExportCtx<'_>) -> AppResult<()> {
        let app = ctx.app;
        if self.cp.adopted > 0 {
            let mut page = PageLog::default();
            page.push(
                Level::Info,
                None,
                None,
                format!(
                    "{} variant(s) already on {} were found by SKU and bound instead of created",
                    self.cp.adopted, ctx.channel.name
                ),
            );
            self.log.commit_alone(app, page).await?;
        }
        // Catalog changes made after this run started are looked at again next time; so is
        // anything the channel refused.
        let started = self.log.started_at();
        let high_water = self.cp.min_failed.map_or(started, |m| m.min(started));
        bindings::set_watermark(
            &app.db,
            ctx.account,
            ctx.channel.id,
            Direction::Export,
            Some(high_water),
            self.cp.since.is_none().then_some(started),
            app.clock.now(),
        )
        .await?;
        Ok(())
    }

    async fn abandon(self, app: &App, e: AppError) -> AppError {
        let f = Fatal {
            message: format!("Exporting products failed: {e}"),
            retryable: true,
            retry_after: None,
        };
        if let Err(again) = self.log.finish(app, Some(&f)).await {
            tracing::warn!("could not record the failure of the run: {again}");
        }
        e
    }
}
