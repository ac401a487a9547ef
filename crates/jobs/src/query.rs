//! Read side for operations and the UI: one job, filtered listings, counts; and clean-up of
//! old finished jobs.

use chrono::{DateTime, Utc};
use techoms_db::on_db;
use uuid::Uuid;

use crate::error::QueueResult;
use crate::model::{Job, JobId, JobStatus};
use crate::queue::Queue;
use crate::row::{JobRow, job_columns};

/// Filter for [`Queue::list`]. Results come newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    pub status: Option<JobStatus>,
    pub kind: Option<String>,
    pub account_id: Option<Uuid>,
    /// Keyset pagination: only jobs older than this one (pass the last id of the previous page).
    pub before: Option<JobId>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
}

/// Number of jobs per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub queued: i64,
    pub running: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub dead: i64,
    pub cancelled: i64,
}

impl JobCounts {
    pub fn get(&self, status: JobStatus) -> i64 {
        match status {
            JobStatus::Queued => self.queued,
            JobStatus::Running => self.running,
            JobStatus::Succeeded => self.succeeded,
            JobStatus::Failed => self.failed,
            JobStatus::Dead => self.dead,
            JobStatus::Cancelled => self.cancelled,
        }
    }

    fn slot(&mut self, status: JobStatus) -> &mut i64 {
        match status {
            JobStatus::Queued => &mut self.queued,
            JobStatus::Running => &mut self.running,
            JobStatus::Succeeded => &mut self.succeeded,
            JobStatus::Failed => &mut self.failed,
            JobStatus::Dead => &mut self.dead,
            JobStatus::Cancelled => &mut self.cancelled,
        }
    }
}

impl Queue {
    pub async fn get(&self, id: JobId) -> QueueResult<Option<Job>> {
        let row: Option<JobRow> = on_db!(&self.db, |p| sqlx::query_as(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE id = $1"
        ))
        .bind(id.as_uuid())
        .fetch_optional(p)
        .await)?;
        row.map(Job::try_from).transpose()
    }

    pub async fn list(&self, filter: &JobFilter) -> QueueResult<Vec<Job>> {
        let limit = i64::from(filter.limit.unwrap_or(100).clamp(1, 1000));
        // Each arm builds its own QueryBuilder (the placeholder style differs per driver); the
        // filter text is the same.
        let rows: Vec<JobRow> = on_db!(&self.db, |p| {
            let mut qb = sqlx::QueryBuilder::new(concat!(
                "SELECT ",
                job_columns!(),
                " FROM jobs WHERE 1 = 1"
            ));
            if let Some(s) = filter.status {
                qb.push(" AND status = ").push_bind(s.as_str());
            }
            if let Some(k) = &filter.kind {
                qb.push(" AND kind = ").push_bind(k.clone());
            }
            if let Some(a) = filter.account_id {
                qb.push(" AND account_id = ").push_bind(a);
            }
            if let Some(b) = filter.before {
                qb.push(" AND id < ").push_bind(b.as_uuid());
            }
            qb.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
            qb.build_query_as().fetch_all(p).await
        })?;
        rows.into_iter().map(Job::try_from).collect()
    }

    /// Jobs per status, for one account or (`None`) all.
    pub async fn counts(&self, account_id: Option<Uuid>) -> QueueResult<JobCounts> {
        let rows: Vec<(String, i64)> = on_db!(&self.db, |p| sqlx::query_as(
            "SELECT status, COUNT(*) FROM jobs WHERE ($1 IS NULL OR account_id = $1) \
             GROUP BY status"
        )
        .bind(account_id)
        .fetch_all(p)
        .await)?;
        let mut c = JobCounts::default();
        for (status, n) in rows {
            if let Ok(s) = status.parse::<JobStatus>() {
                *c.slot(s) = n;
            }
        }
        Ok(c)
    }

    /// Delete finished jobs (succeeded, failed, dead, cancelled) that finished before `before`.
    /// Returns how many were deleted.
    pub async fn purge_finished(&self, before: DateTime<Utc>) -> QueueResult<u64> {
        let n = on_db!(&self.db, |p| sqlx::query(
            "DELETE FROM jobs WHERE status IN ('succeeded', 'failed', 'dead', 'cancelled') \
             AND finished_at < $1"
        )
        .bind(before)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n)
    }
}
