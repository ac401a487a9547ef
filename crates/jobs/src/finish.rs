//! Ending an attempt: success, failure (retry, dead or failed) or release at shutdown. Every
//! write is fenced by the lease, so a worker that lost its lease cannot overwrite the outcome
//! of a newer attempt.

use chrono::{DateTime, Utc};
use techoms_db::on_db;

use crate::error::{QueueError, QueueResult};
use crate::handler::JobError;
use crate::lease::fenced;
use crate::model::Lease;
use crate::queue::{Queue, after};

/// What [`Queue::fail`] did with the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    /// Back in the queue, not before `run_at`.
    Retrying { run_at: DateTime<Utc> },
    /// A retryable failure on the last allowed attempt.
    Dead,
    /// A permanent failure.
    Failed,
}

/// Longest error text kept; channel errors can carry whole response bodies.
const MAX_ERROR_LEN: usize = 4000;

fn clip(message: &str) -> String {
    if message.len() <= MAX_ERROR_LEN {
        return message.to_owned();
    }
    let mut end = MAX_ERROR_LEN;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &message[..end])
}

impl Queue {
    /// Mark the job succeeded. The lease owner stays recorded as the worker that ran it.
    pub async fn succeed(&self, lease: &Lease) -> QueueResult<()> {
        let now = self.now();
        let n = on_db!(&self.db, |p| sqlx::query(concat!(
            "UPDATE jobs SET status = 'succeeded', lease_expires_at = NULL, finished_at = $4, \
             updated_at = $4 WHERE ",
            fenced!()
        ))
        .bind(lease.job_id.as_uuid())
        .bind(&lease.owner)
        .bind(lease.attempt)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        fence_result(n, lease)
    }

    /// Record a failed attempt. Retryable: back to queued after `retry_after` if given, else
    /// after the policy's backoff; `dead` if this was attempt `max_attempts`. Permanent:
    /// `failed` at once.
    pub async fn fail(&self, lease: &Lease, error: &JobError) -> QueueResult<FailOutcome> {
        let now = self.now();
        let message = clip(error.message());
        let (status, run_at, outcome) = match error {
            JobError::Permanent(_) => ("failed", None, FailOutcome::Failed),
            JobError::Retryable { .. } if lease.attempt >= lease.max_attempts => {
                ("dead", None, FailOutcome::Dead)
            }
            JobError::Retryable { retry_after, .. } => {
                let delay =
                    retry_after.unwrap_or_else(|| self.retry.backoff(lease.job_id, lease.attempt));
                let run_at = after(now, delay);
                ("queued", Some(run_at), FailOutcome::Retrying { run_at })
            }
        };
        // Terminal: keep the owner (who ran it last) and stamp finished_at. Queued again: a
        // queued job has no owner.
        let n = on_db!(&self.db, |p| sqlx::query(concat!(
            "UPDATE jobs SET status = $4, last_error = $5, lease_expires_at = NULL, \
             run_at = COALESCE($6, run_at), \
             lease_owner = CASE WHEN $4 = 'queued' THEN NULL ELSE lease_owner END, \
             finished_at = CASE WHEN $4 = 'queued' THEN NULL ELSE $7 END, \
             updated_at = $7 WHERE ",
            fenced!()
        ))
        .bind(lease.job_id.as_uuid())
        .bind(&lease.owner)
        .bind(lease.attempt)
        .bind(status)
        .bind(&message)
        .bind(run_at)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        fence_result(n, lease)?;
        Ok(outcome)
    }

    /// Give the job back without blaming it: the worker is shutting down and the handler
    /// stopped at our request. Queued again for immediate pickup, checkpoint kept. The
    /// interrupted run must not use up the retry budget, but `attempts` cannot go down (it is
    /// the fencing token), so the budget grows by one instead.
    pub async fn release(&self, lease: &Lease) -> QueueResult<()> {
        let now = self.now();
        let n = on_db!(&self.db, |p| sqlx::query(concat!(
            "UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, \
             run_at = $4, max_attempts = max_attempts + 1, updated_at = $4 WHERE ",
            fenced!()
        ))
        .bind(lease.job_id.as_uuid())
        .bind(&lease.owner)
        .bind(lease.attempt)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        fence_result(n, lease)
    }
}

pub(crate) fn fence_result(rows: u64, lease: &Lease) -> QueueResult<()> {
    if rows == 0 {
        Err(QueueError::LeaseLost(lease.job_id))
    } else {
        Ok(())
    }
}
