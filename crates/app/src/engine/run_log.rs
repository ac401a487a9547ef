//! Runs and their messages: creating, starting and finishing a run, collecting a page's counts
//! and messages to commit with the page, and the read side for the API and the UI.

use chrono::{DateTime, Utc};
use serde_json::Value;
use techoms_db::bindings::WriteTx;
use techoms_db::runs::{
    self, Counts, Level, MessageFilter, NewMessage, NewRun, Progress, Run, RunFilter, RunMessage,
    RunStatus, Trigger,
};
use techoms_db::{accounts, channels};
use techoms_domain::{Account, AccountId, Channel, ChannelId, JobKind, RunId};

use super::import::report;
use super::{Fatal, RunReport};
use crate::App;
use crate::access::Access;
use crate::error::{AppError, AppResult};

/// Record a run (status queued) of `kind` on `channel`; execute it with
/// [`super::execute`], [`super::run_import`] or [`super::run_export`].
pub async fn create_run(
    app: &App,
    account: AccountId,
    channel: ChannelId,
    kind: JobKind,
    trigger: Trigger,
    full: bool,
) -> AppResult<Run> {
    // The channel must exist in this account.
    channels::get(&app.db, account, channel).await?;
    Ok(runs::create(
        &app.db,
        account,
        &NewRun {
            channel_id: channel,
            job_kind: kind,
            trigger,
            full,
        },
        app.clock.now(),
    )
    .await?)
}

/// The account's runs, newest first.
pub async fn list_runs(app: &App, access: &Access, filter: &RunFilter) -> AppResult<Vec<Run>> {
    Ok(runs::list(&app.db, access.account.id, filter).await?)
}

pub async fn get_run(app: &App, access: &Access, id: RunId) -> AppResult<Run> {
    Ok(runs::get(&app.db, access.account.id, id).await?)
}

/// A run's messages in order, optionally of some levels only.
pub async fn run_messages(
    app: &App,
    access: &Access,
    id: RunId,
    filter: &MessageFilter,
) -> AppResult<Vec<RunMessage>> {
    runs::get(&app.db, access.account.id, id).await?;
    Ok(runs::messages(&app.db, access.account.id, id, filter).await?)
}

/// How many messages of each level a run has.
pub async fn message_counts(app: &App, access: &Access, id: RunId) -> AppResult<Vec<(Level, i64)>> {
    Ok(runs::message_counts(&app.db, access.account.id, id).await?)
}

/// Messages per level of each of these runs (a page of the run list).
pub async fn message_counts_of(
    app: &App,
    access: &Access,
    ids: &[RunId],
) -> AppResult<Vec<(RunId, Level, i64)>> {
    Ok(runs::message_counts_of(&app.db, access.account.id, ids).await?)
}

/// The counts and messages of one page, committed with it.
#[derive(Debug, Default)]
pub(crate) struct PageLog {
    pub counts: Counts,
    pub messages: Vec<NewMessage>,
}

impl PageLog {
    pub fn push(
        &mut self,
        level: Level,
        sku: Option<&str>,
        remote_id: Option<&str>,
        message: String,
    ) {
        self.messages.push(NewMessage {
            level,
            sku: sku.map(str::to_owned),
            remote_id: remote_id.map(str::to_owned),
            message,
        });
    }

    /// An item skipped, with a Warning.
    pub fn skipped(&mut self, sku: Option<&str>, remote_id: Option<&str>, message: String) {
        self.counts.skipped += 1;
        self.push(Level::Warning, sku, remote_id, message);
    }

    /// An item that failed, with an Error; the run goes on.
    pub fn failed(&mut self, sku: Option<&str>, remote_id: Option<&str>, message: String) {
        self.counts.failed += 1;
        self.push(Level::Error, sku, remote_id, message);
    }
}

/// A run being executed: numbers its messages and writes its progress.
pub(crate) struct RunLog {
    pub account: AccountId,
    pub run: Run,
    next_seq: i64,
}

impl RunLog {
    /// Mark the run running (a resumed run keeps its first start) and continue its messages.
    pub async fn open(app: &App, account: AccountId, run: RunId) -> AppResult<RunLog> {
        let run = runs::mark_running(&app.db, account, run, app.clock.now()).await?;
        let next_seq = runs::last_seq(&app.db, account, run.id).await? + 1;
        Ok(RunLog {
            account,
            run,
            next_seq,
        })
    }

    /// When the run first started.
    pub fn started_at(&self) -> DateTime<Utc> {
        self.run.started_at.unwrap_or(self.run.created_at)
    }

    /// Write a page's counts, messages and the checkpoint that follows it, inside the page's
    /// transaction.
    pub async fn commit_page(
        &mut self,
        tx: &mut WriteTx,
        page: PageLog,
        checkpoint: Option<&Value>,
        total_hint: Option<u64>,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let n = page.messages.len() as i64;
        let progress = Progress {
            counts: page.counts,
            total_hint: total_hint.map(|t| t.min(i64::MAX as u64) as i64),
            checkpoint: checkpoint.cloned(),
            messages: page.messages,
            first_seq: self.next_seq,
        };
        runs::record_progress(tx, self.account, self.run.id, &progress, now).await?;
        self.next_seq += n;
        Ok(())
    }

    /// Write a page log in a transaction of its own (run-level messages).
    pub async fn commit_alone(&mut self, app: &App, page: PageLog) -> AppResult<()> {
        if page.messages.is_empty() && page.counts == Counts::default() {
            return Ok(());
        }
        let mut tx = WriteTx::begin(&app.db).await?;
        self.commit_page(&mut tx, page, None, None, app.clock.now())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// End the run: failed on a Fatal (with a Fatal message), partially succeeded when items
    /// failed, succeeded otherwise.
    pub async fn finish(mut self, app: &App, fatal: Option<&Fatal>) -> AppResult<Run> {
        if let Some(f) = fatal {
            let mut page = PageLog::default();
            page.push(Level::Fatal, None, None, f.message.clone());
            self.commit_alone(app, page).await?;
        }
        let current = runs::get(&app.db, self.account, self.run.id).await?;
        let status = match fatal {
            Some(_) => RunStatus::Failed,
            None if current.counts.failed > 0 => RunStatus::PartiallySucceeded,
            None => RunStatus::Succeeded,
        };
        Ok(runs::finish(
            &app.db,
            self.account,
            self.run.id,
            status,
            fatal.map(|f| f.message.as_str()),
            app.clock.now(),
        )
        .await?)
    }
}

/// A run ready to execute, or the report to return without executing it.
pub(crate) enum Opened {
    Go(Box<(Channel, RunLog)>),
    Done(Box<RunReport>),
}

/// The common opening of an import or an export: the run must be of `kind`; a finished
/// successful run is reported as it is; a channel the rules keep out of it (`allowed`) ends
/// the run with a Warning ("Nothing {verb}: why") before any connector call.
pub(crate) async fn open_run(
    app: &App,
    account: AccountId,
    run: RunId,
    kind: JobKind,
    allowed: fn(&Account, &Channel) -> Result<(), String>,
    verb: &str,
) -> AppResult<Opened> {
    let stored = runs::get(&app.db, account, run).await?;
    if stored.job_kind != kind {
        return Err(AppError::Internal(format!(
            "run {run} is {}, not {}",
            stored.job_kind.as_str(),
            kind.as_str()
        )));
    }
    if stored.status.is_finished() && stored.status != runs::RunStatus::Failed {
        return Ok(Opened::Done(Box::new(report(stored, None, 0, false))));
    }
    let acc = accounts::get(&app.db, account).await?;
    let channel = channels::get(&app.db, account, stored.channel_id).await?;
    let mut log = RunLog::open(app, account, run).await?;
    if let Err(why) = allowed(&acc, &channel) {
        let mut page = PageLog::default();
        page.push(Level::Warning, None, None, format!("Nothing {verb}: {why}"));
        log.commit_alone(app, page).await?;
        let done = report(log.finish(app, None).await?, None, 0, false);
        return Ok(Opened::Done(Box::new(done)));
    }
    Ok(Opened::Go(Box::new((channel, log))))
}
