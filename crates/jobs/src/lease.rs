//! Keeping a lease alive.

use std::time::Duration;

use chrono::{DateTime, Utc};
use techoms_db::on_db;

use crate::error::{QueueError, QueueResult};
use crate::model::Lease;
use crate::queue::{Queue, after};

/// The fence every write about a running job carries: still running, same owner, same attempt.
/// A lease that has expired but not yet been reclaimed still passes: nobody else holds the job,
/// so the late heartbeat or finish is harmless; once reclaimed, the status (and the owner)
/// have changed and every stale write finds 0 rows.
macro_rules! fenced {
    () => {
        "id = $1 AND status = 'running' AND lease_owner = $2 AND attempts = $3"
    };
}
pub(crate) use fenced;

impl Queue {
    /// Extend `lease` to `now + lease_for`. `Err(LeaseLost)` when the job is no longer ours:
    /// the caller must stop working on it.
    pub async fn heartbeat(
        &self,
        lease: &Lease,
        lease_for: Duration,
    ) -> QueueResult<DateTime<Utc>> {
        let now = self.now();
        let expires = after(now, lease_for);
        let n = on_db!(&self.db, |p| sqlx::query(concat!(
            "UPDATE jobs SET lease_expires_at = $4, updated_at = $5 WHERE ",
            fenced!()
        ))
        .bind(lease.job_id.as_uuid())
        .bind(&lease.owner)
        .bind(lease.attempt)
        .bind(expires)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(QueueError::LeaseLost(lease.job_id));
        }
        Ok(expires)
    }
}
