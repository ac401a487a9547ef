//! The demo asks for its first sync itself; the channels' schedules (every 15 minutes) take
//! over one period later. A schedule created now would fire at once — exports racing the
//! import on a half-filled catalog, then again after it — so the fresh demo creates the
//! schedules and moves each one's first firing a period ahead.

use std::time::Duration;

use techoms_app::App;
use techoms_app::sync_jobs::{queue_of, reconcile_schedules};
use techoms_domain::AccountId;
use techoms_jobs::ScheduleSpec;

use super::seed::app_error;

/// Create the account's channel schedules, each first due one period from now. Schedules that
/// have already fired are left alone. Returns how many were deferred.
pub async fn defer_first_ticks(app: &App, account: AccountId) -> anyhow::Result<usize> {
    reconcile_schedules(app).await.map_err(app_error)?;
    let queue = queue_of(app);
    let now = app.clock.now();
    let mut deferred = 0;
    for s in queue
        .list_schedules(Some(account.as_uuid()))
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the schedules: {e}"))?
    {
        if s.last_enqueued_at.is_some() {
            continue;
        }
        let period = Duration::from_secs(u64::try_from(s.period_seconds).unwrap_or(1).max(1));
        let first = now + chrono::Duration::seconds(s.period_seconds.max(1));
        // The same schedule in every field the reconciliation compares, so that it is kept as
        // it is; only the first due time differs.
        let spec = ScheduleSpec {
            key: s.key.clone(),
            kind: s.kind,
            payload: s.payload,
            period,
            account_id: s.account_id,
            priority: s.priority,
            max_attempts: s.max_attempts,
            concurrency_key: s.concurrency_key,
            dedupe_key: s.dedupe_key,
            first_run_at: Some(first),
        };
        // An upsert keeps a stored schedule's due time, so replace it.
        let failed =
            |e: techoms_jobs::QueueError| anyhow::anyhow!("cannot schedule {}: {e}", s.key);
        queue.delete_schedule(&s.key).await.map_err(failed)?;
        queue.upsert_schedule(&spec).await.map_err(failed)?;
        deferred += 1;
    }
    Ok(deferred)
}
