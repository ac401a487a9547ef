//! Claiming the next ready job.
//!
//! Ready means: queued, `run_at <= now`, of a kind this worker serves, and no running job
//! shares its concurrency key. The claim sets the lease (owner, expiry) and counts the attempt
//! in the same statement.
//!
//! The two backends differ here, so the SQL is written twice:
//! - PostgreSQL selects the row `FOR UPDATE SKIP LOCKED`, so concurrent claimers pass over each
//!   other's candidates instead of queueing behind them. Two claimers can still pick two jobs
//!   with the same concurrency key at once (neither sees the other's uncommitted `running`
//!   row); the partial unique index on running concurrency keys refuses the second, and that
//!   claimer tries again (the key is then excluded).
//! - SQLite runs the statement inside `BEGIN IMMEDIATE`: writers are serialised, so the check
//!   and the update are atomic and no conflict can arise.

use std::time::Duration;

use techoms_db::pool::BeginWrite;
use techoms_db::{Db, DbError};

use crate::error::{QueueError, QueueResult};
use crate::model::{Claim, Job, Lease};
use crate::queue::{Queue, after};
use crate::row::{JobRow, job_columns};

const CLAIM_POSTGRES: &str = concat!(
    "WITH next AS (",
    " SELECT id FROM jobs",
    " WHERE status = 'queued' AND run_at <= $1 AND kind = ANY($2)",
    " AND (concurrency_key IS NULL OR NOT EXISTS (",
    "   SELECT 1 FROM jobs r WHERE r.status = 'running' AND r.concurrency_key = jobs.concurrency_key))",
    " ORDER BY priority DESC, run_at, id",
    " LIMIT 1",
    " FOR UPDATE SKIP LOCKED",
    ") ",
    "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = $3, ",
    "lease_expires_at = $4, updated_at = $1 ",
    "WHERE id IN (SELECT id FROM next) ",
    "RETURNING ",
    job_columns!()
);

const CLAIM_SQLITE: &str = concat!(
    "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = $3, ",
    "lease_expires_at = $4, updated_at = $1 ",
    "WHERE id = (",
    " SELECT j.id FROM jobs j",
    " WHERE j.status = 'queued' AND j.run_at <= $1",
    " AND j.kind IN (SELECT value FROM json_each($2))",
    " AND (j.concurrency_key IS NULL OR NOT EXISTS (",
    "   SELECT 1 FROM jobs r WHERE r.status = 'running' AND r.concurrency_key = j.concurrency_key))",
    " ORDER BY j.priority DESC, j.run_at, j.id",
    " LIMIT 1",
    ") ",
    "RETURNING ",
    job_columns!()
);

/// How many times a claim is retried after losing a concurrency-key race before giving up
/// until the next poll.
const CONFLICT_ROUNDS: usize = 5;

impl Queue {
    /// Claim the next ready job of one of `kinds` for `worker`, holding it for `lease`.
    /// `None` when nothing is ready.
    pub async fn claim(
        &self,
        worker: &str,
        kinds: &[String],
        lease: Duration,
    ) -> QueueResult<Option<Claim>> {
        if kinds.is_empty() {
            return Ok(None);
        }
        if worker.is_empty() {
            return Err(QueueError::Invalid("worker id is empty".into()));
        }
        for _ in 0..CONFLICT_ROUNDS {
            let now = self.now();
            let expires = after(now, lease);
            let row: Result<Option<JobRow>, DbError> = match &self.db {
                Db::Postgres(p) => sqlx::query_as(CLAIM_POSTGRES)
                    .bind(now)
                    .bind(kinds)
                    .bind(worker)
                    .bind(expires)
                    .fetch_optional(p)
                    .await
                    .map_err(DbError::from),
                Db::Sqlite(p) => {
                    let kinds_json = serde_json::to_string(kinds)
                        .map_err(|e| QueueError::Invalid(format!("kinds: {e}")))?;
                    async {
                        let mut tx = p.begin_write().await?;
                        let row: Option<JobRow> = sqlx::query_as(CLAIM_SQLITE)
                            .bind(now)
                            .bind(kinds_json)
                            .bind(worker)
                            .bind(expires)
                            .fetch_optional(&mut *tx)
                            .await?;
                        tx.commit().await?;
                        Ok(row)
                    }
                    .await
                }
            };
            match row {
                Ok(None) => return Ok(None),
                Ok(Some(row)) => {
                    let job = Job::try_from(row)?;
                    let lease = Lease {
                        job_id: job.id,
                        owner: worker.to_owned(),
                        attempt: job.attempts,
                        max_attempts: job.max_attempts,
                    };
                    return Ok(Some(Claim { job, lease }));
                }
                // Another worker started a job with the same concurrency key between our
                // check and our update: it won; look again.
                Err(e) if e.is_conflict_on("concurrency_key") => {
                    tracing::debug!(worker, "claim lost a concurrency-key race; retrying");
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(None)
    }
}
