//! The reclaim sweep: running jobs whose lease expired (the worker died, hung or lost its
//! connection) go back to the queue, which also frees their concurrency key. The attempt was
//! counted when it was claimed, so a job that keeps killing its workers goes `dead` once it has
//! used `max_attempts` instead of looping forever.

use techoms_db::on_db;
use uuid::Uuid;

use crate::error::QueueResult;
use crate::model::JobId;
use crate::queue::Queue;

/// What a sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reclaimed {
    /// Queued again, checkpoint kept, ready at once.
    pub requeued: Vec<JobId>,
    /// Out of attempts.
    pub dead: Vec<JobId>,
}

impl Reclaimed {
    pub fn is_empty(&self) -> bool {
        self.requeued.is_empty() && self.dead.is_empty()
    }
}

// SET expressions all read the row as it was before the update (on both backends), so the
// CASEs see the old status, owner and attempts.
const RECLAIM: &str = "UPDATE jobs SET \
     status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, \
     lease_owner = CASE WHEN attempts >= max_attempts THEN lease_owner ELSE NULL END, \
     finished_at = CASE WHEN attempts >= max_attempts THEN $1 ELSE NULL END, \
     last_error = 'lease expired: worker ' || COALESCE(lease_owner, '?') || ' stopped renewing it', \
     lease_expires_at = NULL, updated_at = $1 \
     WHERE status = 'running' AND lease_expires_at < $1 \
     RETURNING id, status";

impl Queue {
    /// Requeue (or declare dead) every running job whose lease expired before now.
    pub async fn reclaim_expired(&self) -> QueueResult<Reclaimed> {
        let now = self.now();
        let rows: Vec<(Uuid, String)> = on_db!(&self.db, |p| sqlx::query_as(RECLAIM)
            .bind(now)
            .fetch_all(p)
            .await)?;
        let mut out = Reclaimed::default();
        for (id, status) in rows {
            if status == "dead" {
                out.dead.push(id.into());
            } else {
                out.requeued.push(id.into());
            }
        }
        if !out.is_empty() {
            tracing::info!(
                requeued = out.requeued.len(),
                dead = out.dead.len(),
                "reclaimed jobs with expired leases"
            );
        }
        Ok(out)
    }
}
