//! Import Products (master channel → techOMS): stream the master's pages, import each in one
//! transaction with its counts, messages and checkpoint, then — after a full read — flag bound
//! variants the master no longer returns as missing at master (a Warning each, never a
//! delete), and move the channel's import watermark.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use techoms_channels::{ChannelError, Connector, ProductPage, ReadQuery, RemoteProduct};
use techoms_db::bindings::{self, Direction, WriteTx};
use techoms_db::runs;
use techoms_domain::{AccountId, JobKind, RunId};

use super::import_match::{self, Prepared};
use super::import_page::{self, PageCtx};
use super::mapping::Mapper;
use super::run_log::{Opened, PageLog, RunLog, open_run};
use super::{CheckpointSink, EngineOptions, Fatal, Level, RunReport, plan, retry};
use crate::App;
use crate::error::{AppError, AppResult};

/// Bound variants flagged missing per transaction.
const MISSING_BATCH: i64 = 500;

/// Where an import run stands; stored with the run after each committed page.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Checkpoint {
    /// The cursor of the next page (None: the first page).
    next: Option<String>,
    /// The read's changed-since (None: a full read), fixed when the run starts so that a
    /// resumed run reads the same set.
    since: Option<DateTime<Utc>>,
    /// The latest remote `updated_at` read so far.
    high_water: Option<DateTime<Utc>>,
    /// Every page has been read and imported.
    read_done: bool,
}

fn latest(p: &RemoteProduct) -> Option<DateTime<Utc>> {
    p.variants
        .iter()
        .filter_map(|v| v.updated_at)
        .chain(p.updated_at)
        .max()
}

pub(crate) fn report(
    run: runs::Run,
    fatal: Option<Fatal>,
    considered: u64,
    stopped: bool,
) -> RunReport {
    RunReport {
        run,
        fatal,
        considered,
        stopped,
    }
}

/// Import the master channel's products for run `run` (created with
/// [`super::create_run`] as Import Products). Resumes from the run's checkpoint when it has
/// one; a finished successful run is returned as it is. A channel that may not be imported
/// from (not the master, disabled, account disabled) ends the run with a Warning and nothing
/// read.
pub async fn run_import(
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
        JobKind::ImportProducts,
        plan::may_import,
        "imported",
    )
    .await?
    {
        Opened::Go(go) => *go,
        Opened::Done(done) => return Ok(*done),
    };
    let cp = match &log.run.checkpoint {
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| AppError::Internal(format!("run {run}: checkpoint: {e}")))?,
        None => {
            let state = bindings::sync_state(&app.db, account, channel.id).await?;
            Checkpoint {
                since: match (log.run.full, state.last_import_high_water) {
                    (false, Some(h)) => Some(h - opts.overlap),
                    _ => None,
                },
                ..Checkpoint::default()
            }
        }
    };
    let mapper = Mapper::load(app, account, channel.id).await?;
    let mut ctx = Importer {
        app,
        connector,
        opts,
        log,
        cp,
        considered: 0,
    };
    match ctx.read_pages(&channel, &mapper, sink).await {
        Ok(Step::Done) => {}
        Ok(Step::Stopped) => {
            let run = runs::get(&app.db, account, run).await?;
            return Ok(report(run, None, ctx.considered, true));
        }
        Ok(Step::Fatal(f)) => {
            let run = ctx.log.finish(app, Some(&f)).await?;
            return Ok(report(run, Some(f), ctx.considered, false));
        }
        Err(e) => return Err(ctx.abandon(e).await),
    }
    if let Err(e) = ctx.reconcile(&channel).await {
        return Err(ctx.abandon(e).await);
    }
    let considered = ctx.considered;
    let run = ctx.log.finish(app, None).await?;
    Ok(report(run, None, considered, false))
}

enum Step {
    Done,
    Stopped,
    Fatal(Fatal),
}

struct Importer<'a> {
    app: &'a App,
    connector: &'a dyn Connector,
    opts: &'a EngineOptions,
    log: RunLog,
    cp: Checkpoint,
    considered: u64,
}

impl Importer<'_> {
    /// Read and import every page. The next page is read (and hashed) while the current one
    /// is written, so a channel's latency and the database's work overlap.
    async fn read_pages(
        &mut self,
        channel: &techoms_domain::Channel,
        mapper: &Mapper,
        sink: &mut dyn CheckpointSink,
    ) -> AppResult<Step> {
        if self.cp.read_done {
            return Ok(Step::Done);
        }
        let query = ReadQuery {
            changed_since: self.cp.since,
        };
        let (connector, opts) = (self.connector, self.opts);
        let parse_skus = !mapper.active();
        let fields = connector.fields();
        let fetch = |cursor: Option<String>| {
            let query = &query;
            async move {
                let page =
                    retry::call(opts, || connector.read_products(query, cursor.clone())).await?;
                let prepared = import_match::prepare(&page.products, fields, parse_skus);
                Ok::<_, ChannelError>((page, prepared))
            }
        };
        let mut next = fetch(self.cp.next.clone()).await;
        loop {
            let (page, prepared) = match next {
                Ok(p) => p,
                Err(e) => {
                    return Ok(Step::Fatal(retry::fatal(
                        &e,
                        "Reading products",
                        &channel.name,
                    )));
                }
            };
            self.cp.high_water = page
                .products
                .iter()
                .filter_map(latest)
                .chain(self.cp.high_water)
                .max();
            self.cp.read_done = page.next_cursor.is_none();
            self.cp.next = page.next_cursor.clone();
            let following = page.next_cursor.clone().map(|c| fetch(Some(c)));
            let (imported, fetched) =
                tokio::join!(self.import_page(channel, mapper, &page, prepared), async {
                    match following {
                        Some(f) => Some(f.await),
                        None => None,
                    }
                });
            let checkpoint = imported?;
            if let Err(why) = sink.save(&checkpoint).await {
                tracing::info!(run = %self.log.run.id, "import stopped at a page boundary: {why}");
                return Ok(Step::Stopped);
            }
            match fetched {
                Some(f) => next = f,
                None => return Ok(Step::Done),
            }
        }
    }

    /// Import one page in one transaction with its counts, messages and checkpoint; returns
    /// the checkpoint.
    async fn import_page(
        &mut self,
        channel: &techoms_domain::Channel,
        mapper: &Mapper,
        page: &ProductPage,
        prepared: Prepared,
    ) -> AppResult<serde_json::Value> {
        let checkpoint = serde_json::to_value(&self.cp)
            .map_err(|e| AppError::Internal(format!("checkpoint: {e}")))?;
        let now = self.app.clock.now();
        let ctx = PageCtx {
            account: self.log.account,
            channel,
            run: self.log.run.id,
            now,
            mapper,
            fields: self.connector.fields(),
        };
        let mut page_log = PageLog::default();
        let mut tx = WriteTx::begin_page(&self.app.db).await?;
        self.considered +=
            import_page::apply(&mut tx, &ctx, &page.products, prepared, &mut page_log).await?;
        self.log
            .commit_page(&mut tx, page_log, Some(&checkpoint), page.total_hint, now)
            .await?;
        tx.commit().await?;
        Ok(checkpoint)
    }

    /// After the last page: flag what a full read did not return, move the watermark.
    async fn reconcile(&mut self, channel: &techoms_domain::Channel) -> AppResult<()> {
        let (app, account) = (self.app, self.log.account);
        let started = self.log.started_at();
        if self.cp.since.is_none() {
            loop {
                let now = app.clock.now();
                let mut tx = WriteTx::begin_page(&app.db).await?;
                let flagged = bindings::flag_missing(
                    &mut tx,
                    account,
                    channel.id,
                    self.log.run.id,
                    MISSING_BATCH,
                    now,
                )
                .await?;
                let mut page = PageLog::default();
                for b in &flagged {
                    page.push(
                        Level::Warning,
                        Some(&b.channel_sku),
                        Some(&b.remote_variant_id),
                        format!(
                            "{}: SKU {:?} (remote variant {} of product {}) is no longer \
                             returned by the master; flagged missing at master and kept in the \
                             catalog",
                            channel.name, b.channel_sku, b.remote_variant_id, b.remote_product_id
                        ),
                    );
                }
                self.log.commit_page(&mut tx, page, None, None, now).await?;
                tx.commit().await?;
                if (flagged.len() as i64) < MISSING_BATCH {
                    break;
                }
            }
        }
        // Changes made at the master after this run started are read again next time: the
        // mark never passes the run's start, and the next read also goes back the overlap.
        let high_water = self.cp.high_water.map_or(started, |h| h.min(started));
        bindings::set_watermark(
            &app.db,
            account,
            channel.id,
            Direction::Import,
            Some(high_water),
            self.cp.since.is_none().then_some(started),
            app.clock.now(),
        )
        .await?;
        Ok(())
    }

    /// A storage failure mid-run: record it as the run's Fatal (best effort) and hand the
    /// error back; a retry resumes from the last committed page.
    async fn abandon(self, e: AppError) -> AppError {
        let f = Fatal {
            message: format!("Importing products failed: {e}"),
            retryable: true,
            retry_after: None,
        };
        if let Err(again) = self.log.finish(self.app, Some(&f)).await {
            tracing::warn!("could not record the failure of the run: {again}");
        }
        e
    }
}
