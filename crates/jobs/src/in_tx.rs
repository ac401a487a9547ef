//! Enqueueing inside a caller's transaction, so that a job and the record it works on (a run)
//! are created together or not at all: a crash between the two cannot leave one without the
//! other, and a refused job (its dedupe key is live) rolls the record back with it.

use techoms_db::bindings::WriteTx;

use crate::enqueue::{insert_job, run_at_of, validate};
use crate::error::QueueResult;
use crate::model::{Job, JobId, NewJob};
use crate::queue::Queue;
use crate::row::{JobRow, job_columns};

/// Run one body with `$c: &mut <Connection>` of whichever backend `$tx` holds.
macro_rules! with_conn {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            WriteTx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            WriteTx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

impl Queue {
    /// Insert `job` in `tx` unless a queued or running job holds its dedupe key. `None` when
    /// the key is taken: nothing was inserted, and the caller decides (look the holder up with
    /// [`Queue::live_by_dedupe_in`], roll back, or try another key). On PostgreSQL a concurrent
    /// insert of the same key waits for the other transaction, so the answer is never stale;
    /// on SQLite writing transactions are serialised.
    pub async fn enqueue_in(&self, tx: &mut WriteTx, job: &NewJob) -> QueueResult<Option<JobId>> {
        validate(job)?;
        let now = self.now();
        let run_at = run_at_of(job, now);
        let id = JobId::new();
        let inserted = with_conn!(tx, |c| insert_job!(&mut *c, id.as_uuid(), job, run_at, now))?;
        Ok(inserted.map(|(id,)| JobId::from(id)))
    }

    /// The queued or running job holding `dedupe_key`, read in `tx`.
    pub async fn live_by_dedupe_in(
        &self,
        tx: &mut WriteTx,
        dedupe_key: &str,
    ) -> QueueResult<Option<Job>> {
        let row: Option<JobRow> = with_conn!(tx, |c| sqlx::query_as(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE dedupe_key = $1 AND status IN ('queued', 'running')"
        ))
        .bind(dedupe_key)
        .fetch_optional(&mut *c)
        .await)?;
        row.map(Job::try_from).transpose()
    }

    /// Queued or running jobs of one concurrency key (e.g. every live sync of a channel),
    /// oldest first.
    pub async fn live_by_concurrency_key(&self, key: &str) -> QueueResult<Vec<Job>> {
        let rows: Vec<JobRow> = techoms_db::on_db!(&self.db, |p| sqlx::query_as(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE concurrency_key = $1 AND status IN ('queued', 'running') \
             ORDER BY id"
        ))
        .bind(key)
        .fetch_all(p)
        .await)?;
        rows.into_iter().map(Job::try_from).collect()
    }
}
