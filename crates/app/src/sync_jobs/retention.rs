//! Retention: finished runs, their messages and finished queue jobs older than the configured
//! period are deleted by a periodic sweep (DESIGN §5 keeps run history; it must not grow
//! without bound). Queued and running runs are never touched, however old.

use std::time::Duration;

use chrono::TimeDelta;
use techoms_db::runs;

use super::{queue_error, queue_of};
use crate::App;
use crate::error::AppResult;

/// The default of the `run_retention_days` setting.
pub const DEFAULT_RUN_RETENTION_DAYS: u32 = 90;

/// Runs deleted per statement batch (keeps each transaction short).
const BATCH: i64 = 1000;

/// What one sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    pub runs: u64,
    pub messages: u64,
    pub jobs: u64,
}

/// Delete what finished more than `keep` ago (by the application's clock).
pub async fn sweep_retention(app: &App, keep: Duration) -> AppResult<RetentionReport> {
    let span = TimeDelta::from_std(keep).unwrap_or(TimeDelta::MAX);
    let cutoff = app
        .clock
        .now()
        .checked_sub_signed(span)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    let mut report = RetentionReport::default();
    loop {
        let p = runs::purge_finished_before(&app.db, cutoff, BATCH).await?;
        report.runs += p.runs;
        report.messages += p.messages;
        if (p.runs as i64) < BATCH {
            break;
        }
    }
    report.jobs = queue_of(app)
        .purge_finished(cutoff)
        .await
        .map_err(queue_error)?;
    if report != RetentionReport::default() {
        tracing::info!(
            runs = report.runs,
            messages = report.messages,
            jobs = report.jobs,
            "retention sweep deleted old history"
        );
    }
    Ok(report)
}
