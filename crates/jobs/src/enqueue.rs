//! Enqueueing, idempotent by dedupe key.

use chrono::{DateTime, Utc};
use techoms_db::on_db;
use techoms_domain::clock::truncate_micros;
use uuid::Uuid;

use crate::error::{QueueError, QueueResult};
use crate::model::{Enqueued, JobId, NewJob};
use crate::queue::Queue;

/// Insert a queued job unless a live job holds its dedupe key. The conflict target names the
/// partial index's predicate, which both backends require to pick that index.
pub(crate) const INSERT: &str = "INSERT INTO jobs (id, account_id, kind, payload, status, priority, \
     run_at, attempts, max_attempts, concurrency_key, dedupe_key, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, 'queued', $5, $6, 0, $7, $8, $9, $10, $10) \
     ON CONFLICT (dedupe_key) WHERE status IN ('queued', 'running') DO NOTHING \
     RETURNING id";

pub(crate) const LIVE_BY_DEDUPE: &str =
    "SELECT id FROM jobs WHERE dedupe_key = $1 AND status IN ('queued', 'running')";

/// Bind [`INSERT`] for `job` and run it on `$ex` (a pool or `&mut *tx`), giving
/// `Result<Option<(Uuid,)>, sqlx::Error>`. A macro rather than a function because the executor
/// type differs per backend and per caller.
macro_rules! insert_job {
    ($ex:expr, $id:expr, $job:expr, $run_at:expr, $now:expr) => {
        sqlx::query_as::<_, (uuid::Uuid,)>($crate::enqueue::INSERT)
            .bind($id)
            .bind($job.account_id)
            .bind(&$job.kind)
            .bind(sqlx::types::Json(&$job.payload))
            .bind($job.priority)
            .bind($run_at)
            .bind($job.max_attempts.max(1))
            .bind($job.concurrency_key.as_deref())
            .bind($job.dedupe_key.as_deref())
            .bind($now)
            .fetch_optional($ex)
            .await
    };
}
pub(crate) use insert_job;

/// How often an enqueue retries when the live job holding its dedupe key finishes between the
/// refused insert and the look-up (then the key is free and the next insert succeeds).
pub(crate) const DEDUPE_ROUNDS: usize = 3;

pub(crate) fn validate(job: &NewJob) -> QueueResult<()> {
    if job.kind.trim().is_empty() {
        return Err(QueueError::Invalid("job kind is empty".into()));
    }
    Ok(())
}

pub(crate) fn run_at_of(job: &NewJob, now: DateTime<Utc>) -> DateTime<Utc> {
    job.run_at.map(truncate_micros).unwrap_or(now)
}

impl Queue {
    /// Enqueue `job`. When it has a dedupe key and a queued or running job already holds that
    /// key, nothing is inserted and that job's id is returned with `created: false`.
    pub async fn enqueue(&self, job: &NewJob) -> QueueResult<Enqueued> {
        validate(job)?;
        let now = self.now();
        let run_at = run_at_of(job, now);
        for _ in 0..DEDUPE_ROUNDS {
            let id = JobId::new();
            let inserted = on_db!(&self.db, |p| insert_job!(p, id.as_uuid(), job, run_at, now))?;
            if let Some((id,)) = inserted {
                return Ok(Enqueued {
                    id: id.into(),
                    created: true,
                });
            }
            let Some(key) = job.dedupe_key.as_deref() else {
                // Only the dedupe index can make the insert do nothing.
                return Err(QueueError::Invalid(
                    "insert refused without a dedupe key".into(),
                ));
            };
            let live: Option<(Uuid,)> = on_db!(&self.db, |p| sqlx::query_as(LIVE_BY_DEDUPE)
                .bind(key)
                .fetch_optional(p)
                .await)?;
            if let Some((id,)) = live {
                return Ok(Enqueued {
                    id: id.into(),
                    created: false,
                });
            }
        }
        Err(QueueError::Invalid(format!(
            "dedupe key {:?} kept changing hands; try again",
            job.dedupe_key
        )))
    }
}
