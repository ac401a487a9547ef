//! A running job's checkpoint: where to continue (a page cursor, a phase) when another worker
//! resumes it after this one lost its lease. Saved and loaded under the lease's fence, so a
//! stale worker can neither overwrite the new attempt's progress nor act on it.

use serde_json::Value;
use sqlx::types::Json;
use techoms_db::on_db;

use crate::error::{QueueError, QueueResult};
use crate::finish::fence_result;
use crate::lease::fenced;
use crate::model::Lease;
use crate::queue::Queue;

impl Queue {
    /// Replace the job's checkpoint. `Err(LeaseLost)` when the job is no longer ours.
    pub async fn save_checkpoint(&self, lease: &Lease, checkpoint: &Value) -> QueueResult<()> {
        let now = self.now();
        let n = on_db!(&self.db, |p| sqlx::query(concat!(
            "UPDATE jobs SET checkpoint = $4, updated_at = $5 WHERE ",
            fenced!()
        ))
        .bind(lease.job_id.as_uuid())
        .bind(&lease.owner)
        .bind(lease.attempt)
        .bind(Json(checkpoint))
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        fence_result(n, lease)
    }

    /// The job's last saved checkpoint (from this or an earlier attempt), or `None`.
    /// `Err(LeaseLost)` when the job is no longer ours.
    pub async fn load_checkpoint(&self, lease: &Lease) -> QueueResult<Option<Value>> {
        let row: Option<(Option<Json<Value>>,)> = on_db!(&self.db, |p| sqlx::query_as(concat!(
            "SELECT checkpoint FROM jobs WHERE ",
            fenced!()
        ))
        .bind(lease.job_id.as_uuid())
        .bind(&lease.owner)
        .bind(lease.attempt)
        .fetch_optional(p)
        .await)?;
        match row {
            Some((cp,)) => Ok(cp.map(|j| j.0)),
            None => Err(QueueError::LeaseLost(lease.job_id)),
        }
    }
}
