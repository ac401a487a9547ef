//! Cancelling a job that has not started. A running job is not interrupted from here: its
//! worker holds the lease and decides (the job's handler sees its cancellation token only on
//! lease loss or shutdown).

use techoms_db::on_db;

use crate::error::{QueueError, QueueResult};
use crate::model::JobId;
use crate::queue::Queue;

impl Queue {
    /// Cancel a queued job. `Ok(false)` when the job exists but is not queued (running or
    /// finished); `Err(NotFound)` when there is no such job.
    pub async fn cancel(&self, id: JobId) -> QueueResult<bool> {
        let now = self.now();
        let n = on_db!(&self.db, |p| sqlx::query(
            "UPDATE jobs SET status = 'cancelled', finished_at = $2, updated_at = $2 \
             WHERE id = $1 AND status = 'queued'"
        )
        .bind(id.as_uuid())
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        if n > 0 {
            return Ok(true);
        }
        match self.get(id).await? {
            Some(_) => Ok(false),
            None => Err(QueueError::NotFound(id)),
        }
    }
}
