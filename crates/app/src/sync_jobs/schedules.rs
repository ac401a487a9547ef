//! Channel job periods → recurring queue schedules.
//!
//! The stored periods (`channel_jobs`) are the truth; the queue's schedules are derived from
//! them by [`reconcile_schedules`], which every runtime calls before each tick. So whatever
//! changed them — a period edit, a channel enabled, disabled or deleted, an account disabled,
//! a master switch — and in whichever process, the schedules follow within one tick interval,
//! without hooks in each use case. Reconciling is idempotent, so any number of processes may
//! do it at once. A tick that slips through before reconciling is harmless: the tick job
//! checks the rules again, and so does the run when it executes.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::Value;
use techoms_db::{accounts, channel_jobs, channels};
use techoms_domain::{Account, AccountId, Channel, JobKind};
use techoms_jobs::{Queue, ScheduleSpec};

use super::keys::{KIND_TICK, SCHEDULE_PREFIX, TickJob, schedule_key};
use super::queue_error;
use super::request::direction;
use crate::App;
use crate::error::{AppError, AppResult};

/// What [`reconcile_schedules`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduleReport {
    /// Schedules in force after the call.
    pub active: usize,
    /// Created or changed.
    pub upserted: Vec<String>,
    pub removed: Vec<String>,
}

/// Whether `kind` may run on `ch` by schedule now.
fn allowed(acc: &Account, ch: &Channel, kind: JobKind) -> bool {
    match kind {
        JobKind::AuthorizationRefresh => acc.enabled && ch.enabled,
        kind => direction(acc, ch).is_ok_and(|k| k == kind),
    }
}

/// The schedule of one channel job.
fn spec(acc: &Account, ch: &Channel, kind: JobKind, seconds: i64) -> AppResult<ScheduleSpec> {
    let key = schedule_key(ch.id, kind);
    let payload = serde_json::to_value(TickJob {
        account_id: acc.id,
        channel_id: ch.id,
        job_kind: kind,
    })
    .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(
        ScheduleSpec::new(key.clone(), KIND_TICK, Duration::from_secs(seconds as u64))
            .payload(payload)
            .account(acc.id.as_uuid())
            .max_attempts(3)
            // A tick still waiting when the next one comes folds into it.
            .dedupe_key(format!("tick:{key}")),
    )
}

/// Bring the queue's channel schedules in line with the stored job periods and rules.
pub async fn reconcile_schedules(app: &App) -> AppResult<ScheduleReport> {
    let queue = Queue::new(app.db.clone(), app.clock.clone());
    let active = channel_jobs::all_active(&app.db).await?;
    let mut accounts_seen: BTreeMap<AccountId, Option<(Account, Vec<Channel>)>> = BTreeMap::new();
    let mut desired: BTreeMap<String, ScheduleSpec> = BTreeMap::new();
    for (account, channel, kind, period) in active {
        let Some(seconds) = period.seconds() else {
            continue;
        };
        if let std::collections::btree_map::Entry::Vacant(slot) = accounts_seen.entry(account) {
            let loaded = match accounts::get(&app.db, account).await {
                Ok(a) => Some((a, channels::list(&app.db, account).await?)),
                Err(techoms_db::DbError::NotFound) => None,
                Err(e) => return Err(e.into()),
            };
            slot.insert(loaded);
        }
        let Some(Some((acc, chans))) = accounts_seen.get(&account) else {
            continue;
        };
        let Some(ch) = chans.iter().find(|c| c.id == channel) else {
            continue;
        };
        if allowed(acc, ch, kind) {
            let s = spec(acc, ch, kind, seconds)?;
            desired.insert(s.key.clone(), s);
        }
    }

    let existing = queue.list_schedules(None).await.map_err(queue_error)?;
    let mut report = ScheduleReport {
        active: desired.len(),
        ..ScheduleReport::default()
    };
    let mut present = BTreeSet::new();
    for s in existing
        .iter()
        .filter(|s| s.key.starts_with(SCHEDULE_PREFIX))
    {
        match desired.get(&s.key) {
            None => {
                if queue.delete_schedule(&s.key).await.map_err(queue_error)? {
                    report.removed.push(s.key.clone());
                }
            }
            Some(d) => {
                let same = s.enabled
                    && s.kind == d.kind
                    && s.payload == d.payload
                    && s.period_seconds == d.period.as_secs() as i64
                    && s.dedupe_key == d.dedupe_key
                    && s.account_id == d.account_id;
                if same {
                    present.insert(s.key.clone());
                }
            }
        }
    }
    for (key, s) in &desired {
        if !present.contains(key) {
            queue.upsert_schedule(s).await.map_err(queue_error)?;
            report.upserted.push(key.clone());
        }
    }
    if !report.upserted.is_empty() || !report.removed.is_empty() {
        tracing::info!(
            upserted = report.upserted.len(),
            removed = report.removed.len(),
            active = report.active,
            "channel schedules reconciled"
        );
    }
    Ok(report)
}

/// A schedule's payload as this module wrote it (for tests and diagnostics).
pub fn tick_of(payload: &Value) -> Option<TickJob> {
    serde_json::from_value(payload.clone()).ok()
}
