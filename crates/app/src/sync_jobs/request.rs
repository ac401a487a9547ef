//! Asking for a run: Manual Sync of a channel or an account, and the internal requests made by
//! schedule ticks and by propagation. A run and its queue job are written in one transaction.

use serde_json::json;
use techoms_db::bindings::WriteTx;
use techoms_db::runs::{self, NewRun, Trigger};
use techoms_db::{accounts, channels};
use techoms_domain::{Account, AccountId, Channel, ChannelId, JobKind, MasterProductSource, RunId};
use techoms_jobs::{Job, JobStatus, NewJob};

use super::keys::{RunJob, concurrency_key, dedupe_key, follow_up_key, queue_kind};
use super::{queue_error, queue_of};
use crate::App;
use crate::access::Access;
use crate::engine::{may_export, may_import, plan_for};
use crate::error::{AppError, AppResult};

/// Attempts of a run job before it is declared dead (each Fatal-but-retryable run, and each
/// crash of its worker, uses one).
const RUN_MAX_ATTEMPTS: i32 = 8;

/// What a request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    /// A new run was queued.
    Created(RunId),
    /// A run of the channel was already queued or running; the request folded into it.
    Existing(RunId),
}

impl Requested {
    pub fn run_id(self) -> RunId {
        match self {
            Requested::Created(r) | Requested::Existing(r) => r,
        }
    }
}

/// What to do when the channel already has a live run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnLive {
    /// Refuse with a conflict naming that run (Manual Sync).
    Refuse,
    /// Return that run (schedule ticks).
    Fold,
    /// A running run may have read the catalog before the change being propagated: queue one
    /// follow-up behind it. A queued one will read the change anyway: fold into it.
    FollowUp,
}

/// "Sync products" on one channel: queue the run the rules allow — an import for the Master
/// Product Channel, an export for any other channel that can receive products — and return
/// its id.
///
/// Refused with [`AppError::Conflict`] (`details.reason` says which) when the account is
/// disabled (`account_disabled`), the channel is disabled (`channel_disabled`), the rules allow
/// no run on it (`not_allowed`), or a run of the channel is already queued or running
/// (`already_running`; `details.run_id` names it — the request does not queue a second one).
/// Another account's channel is [`AppError::NotFound`].
pub async fn request_sync(
    app: &App,
    access: &Access,
    channel: ChannelId,
    full: bool,
    trigger: Trigger,
) -> AppResult<RunId> {
    // The channel first: another account's channel is not found, whatever else holds.
    let ch = channels::get(&app.db, access.account.id, channel).await?;
    if !access.account.enabled {
        return Err(account_disabled(&access.account));
    }
    access.require_sync()?;
    // The stored account, not the one the session loaded: the master may just have changed.
    let acc = accounts::get(&app.db, access.account.id).await?;
    request_channel(app, &acc, &ch, full, trigger).await
}

/// [`request_sync`] without an actor, for the command line and internal callers.
pub async fn request_sync_for(
    app: &App,
    account: AccountId,
    channel: ChannelId,
    full: bool,
    trigger: Trigger,
) -> AppResult<RunId> {
    let ch = channels::get(&app.db, account, channel).await?;
    let acc = accounts::get(&app.db, account).await?;
    request_channel(app, &acc, &ch, full, trigger).await
}

async fn request_channel(
    app: &App,
    acc: &Account,
    ch: &Channel,
    full: bool,
    trigger: Trigger,
) -> AppResult<RunId> {
    let kind = direction(acc, ch)?;
    match enqueue_run(app, acc.id, ch.id, kind, trigger, full, OnLive::Refuse).await? {
        Requested::Created(run) => Ok(run),
        // Refuse never folds.
        Requested::Existing(run) => Err(already_running(ch, run, None)),
    }
}

/// Sync the whole account now: an import from the Master Product Channel (the exports follow
/// by propagation when it changes the catalog), or, when techOMS is the master, an export to
/// every enabled channel that can receive products. Channels with a run already queued or
/// running keep it (its id is returned). Conflict when the account is disabled or nothing can
/// run (the details list why, per channel).
pub async fn request_account_sync(
    app: &App,
    access: &Access,
    full: bool,
    trigger: Trigger,
) -> AppResult<Vec<RunId>> {
    if !access.account.enabled {
        return Err(account_disabled(&access.account));
    }
    access.require_sync()?;
    let account = access.account.id;
    let plan = plan_for(app, account).await?;
    let mut out = Vec::new();
    if let Some(master) = plan.import {
        let r = enqueue_run(
            app,
            account,
            master,
            JobKind::ImportProducts,
            trigger,
            full,
            OnLive::Fold,
        )
        .await?;
        out.push(r.run_id());
    } else {
        for ch in &plan.exports {
            let r = enqueue_run(
                app,
                account,
                *ch,
                JobKind::ExportProducts,
                trigger,
                full,
                OnLive::Fold,
            )
            .await?;
            out.push(r.run_id());
        }
    }
    if out.is_empty() {
        let reasons: Vec<String> = plan.idle.iter().map(|(_, why)| why.clone()).collect();
        return Err(AppError::Conflict {
            message: if reasons.is_empty() {
                "nothing to sync: the account has no channel that can import or receive products"
                    .into()
            } else {
                format!("nothing to sync: {}", reasons.join("; "))
            },
            details: json!({ "reason": "not_allowed", "idle": plan.idle.iter().map(|(c, why)| json!({"channel_id": c, "reason": why})).collect::<Vec<_>>() }),
        });
    }
    Ok(out)
}

/// The product job the rules allow on `ch` now, or why none.
pub(crate) fn direction(acc: &Account, ch: &Channel) -> AppResult<JobKind> {
    if !acc.enabled {
        return Err(account_disabled(acc));
    }
    if !ch.enabled {
        return Err(conflict(
            "channel_disabled",
            format!("{} is disabled: enable it to sync its products", ch.name),
        ));
    }
    let is_master = acc.master_product_source != MasterProductSource::Techoms
        && acc.master_product_channel_id == Some(ch.id);
    let (kind, rule) = if is_master {
        (JobKind::ImportProducts, may_import(acc, ch))
    } else {
        (JobKind::ExportProducts, may_export(acc, ch))
    };
    rule.map_err(|why| conflict("not_allowed", why))?;
    Ok(kind)
}

fn conflict(reason: &str, message: String) -> AppError {
    AppError::Conflict {
        message,
        details: json!({ "reason": reason }),
    }
}

fn account_disabled(acc: &Account) -> AppError {
    conflict(
        "account_disabled",
        format!(
            "account {} is disabled: nothing runs until it is enabled",
            acc.name
        ),
    )
}

fn already_running(ch: &Channel, run: RunId, status: Option<JobStatus>) -> AppError {
    let state = match status {
        Some(JobStatus::Running) => "running",
        Some(JobStatus::Queued) => "queued",
        _ => "queued or running",
    };
    AppError::Conflict {
        message: format!(
            "a sync of {} is already {state} (run {run}); wait for it to finish",
            ch.name
        ),
        details: json!({ "reason": "already_running", "run_id": run }),
    }
}

/// Rounds when the live job holding a key finishes between our refused insert and the look-up.
const ROUNDS: usize = 3;

/// Record a queued run of `kind` on `channel` together with its job (one transaction), unless
/// a run of the channel is already queued or running (see [`OnLive`]).
pub(crate) async fn enqueue_run(
    app: &App,
    account: AccountId,
    channel: ChannelId,
    kind: JobKind,
    trigger: Trigger,
    full: bool,
    on_live: OnLive,
) -> AppResult<Requested> {
    for _ in 0..ROUNDS {
        if let Some(r) = try_enqueue(app, account, channel, kind, trigger, full, on_live).await? {
            return Ok(r);
        }
    }
    Err(AppError::Internal(format!(
        "the sync queue of channel {channel} kept changing; try again"
    )))
}

async fn try_enqueue(
    app: &App,
    account: AccountId,
    channel: ChannelId,
    kind: JobKind,
    trigger: Trigger,
    full: bool,
    on_live: OnLive,
) -> AppResult<Option<Requested>> {
    let queue = queue_of(app);
    let primary = dedupe_key(channel, kind);
    let next = follow_up_key(channel, kind);
    let mut tx = WriteTx::begin(&app.db).await?;

    // A follow-up still waiting will read everything there is: any request folds into it. One
    // already running may have read past the change being propagated: then a propagation
    // queues a new run under the primary key, which the follow-up has freed.
    if let Some(job) = queue
        .live_by_dedupe_in(&mut tx, &next)
        .await
        .map_err(queue_error)?
        && !(on_live == OnLive::FollowUp && job.status == JobStatus::Running)
    {
        drop(tx);
        return live(app, account, channel, &job, on_live).await.map(Some);
    }

    let run = runs::create_in(
        &mut tx,
        account,
        &NewRun {
            channel_id: channel,
            job_kind: kind,
            trigger,
            full,
        },
        app.clock.now(),
    )
    .await?;
    let payload = serde_json::to_value(RunJob {
        account_id: account,
        run_id: run,
    })
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let job = NewJob::new(queue_kind(kind), payload)
        .account(account.as_uuid())
        .max_attempts(RUN_MAX_ATTEMPTS)
        .concurrency_key(concurrency_key(channel, kind))
        .dedupe_key(primary.clone());
    if queue
        .enqueue_in(&mut tx, &job)
        .await
        .map_err(queue_error)?
        .is_some()
    {
        tx.commit().await?;
        tracing::info!(%run, %channel, kind = kind.as_str(), trigger = trigger.as_str(), "run queued");
        return Ok(Some(Requested::Created(run)));
    }
    let Some(holder) = queue
        .live_by_dedupe_in(&mut tx, &primary)
        .await
        .map_err(queue_error)?
    else {
        // It finished meanwhile; the key is free now.
        return Ok(None);
    };
    if on_live == OnLive::FollowUp && holder.status == JobStatus::Running {
        let job = job.dedupe_key(next.clone());
        if queue
            .enqueue_in(&mut tx, &job)
            .await
            .map_err(queue_error)?
            .is_some()
        {
            tx.commit().await?;
            tracing::info!(%run, %channel, "follow-up run queued behind the running one");
            return Ok(Some(Requested::Created(run)));
        }
        let Some(holder) = queue
            .live_by_dedupe_in(&mut tx, &next)
            .await
            .map_err(queue_error)?
        else {
            return Ok(None);
        };
        drop(tx);
        return live(app, account, channel, &holder, on_live)
            .await
            .map(Some);
    }
    drop(tx);
    live(app, account, channel, &holder, on_live)
        .await
        .map(Some)
}

/// The answer when `job` (a live run job of the channel) stands in the way.
async fn live(
    app: &App,
    account: AccountId,
    channel: ChannelId,
    job: &Job,
    on_live: OnLive,
) -> AppResult<Requested> {
    let payload: RunJob = serde_json::from_value(job.payload.clone())
        .map_err(|e| AppError::Internal(format!("job {}: bad payload: {e}", job.id)))?;
    if on_live == OnLive::Refuse {
        let ch = channels::get(&app.db, account, channel).await?;
        return Err(already_running(&ch, payload.run_id, Some(job.status)));
    }
    Ok(Requested::Existing(payload.run_id))
}
