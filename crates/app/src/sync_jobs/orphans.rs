//! Runs whose job ended without them: a job declared dead because its workers kept dying
//! (the reclaim sweep gives up after its attempts), or a queued job cancelled by an operator.
//! No handler runs for those, so the run would stay "queued" or "running" forever; the sweep
//! marks it failed with a Fatal message that says why.

use techoms_db::DbError;
use techoms_db::bindings::WriteTx;
use techoms_db::runs::{self, Level, NewMessage, Progress, RunStatus};
use techoms_jobs::{JobFilter, JobStatus};

use super::keys::{RunJob, run_kinds};
use super::{queue_error, queue_of};
use crate::App;
use crate::error::AppResult;

/// Jobs examined per status and kind in one sweep (the newest first).
const PER_SWEEP: u32 = 200;

/// Mark failed every unfinished run whose job ended (dead, failed or cancelled). Returns how
/// many runs it ended.
pub async fn reap_orphaned_runs(app: &App) -> AppResult<usize> {
    let queue = queue_of(app);
    let mut reaped = 0;
    for status in [JobStatus::Dead, JobStatus::Failed, JobStatus::Cancelled] {
        for kind in run_kinds() {
            let jobs = queue
                .list(&JobFilter {
                    status: Some(status),
                    kind: Some(kind.to_owned()),
                    limit: Some(PER_SWEEP),
                    ..JobFilter::default()
                })
                .await
                .map_err(queue_error)?;
            for job in jobs {
                let Ok(p) = serde_json::from_value::<RunJob>(job.payload.clone()) else {
                    continue;
                };
                let run = match runs::get(&app.db, p.account_id, p.run_id).await {
                    Ok(r) => r,
                    Err(DbError::NotFound) => continue,
                    Err(e) => return Err(e.into()),
                };
                if run.status.is_finished() {
                    continue;
                }
                let why = match status {
                    JobStatus::Cancelled => "the run was cancelled before it started".to_owned(),
                    _ => format!(
                        "the run was given up after {} attempts: {}",
                        job.attempts,
                        job.last_error.as_deref().unwrap_or("no error recorded")
                    ),
                };
                let now = app.clock.now();
                let seq = runs::last_seq(&app.db, p.account_id, p.run_id).await? + 1;
                let mut tx = WriteTx::begin(&app.db).await?;
                runs::record_progress(
                    &mut tx,
                    p.account_id,
                    p.run_id,
                    &Progress {
                        messages: vec![NewMessage {
                            level: Level::Fatal,
                            sku: None,
                            remote_id: None,
                            message: why.clone(),
                        }],
                        first_seq: seq,
                        ..Progress::default()
                    },
                    now,
                )
                .await?;
                tx.commit().await?;
                runs::finish(
                    &app.db,
                    p.account_id,
                    p.run_id,
                    RunStatus::Failed,
                    Some(&why),
                    now,
                )
                .await?;
                tracing::warn!(run = %p.run_id, job = %job.id, "{why}");
                reaped += 1;
            }
        }
    }
    Ok(reaped)
}
