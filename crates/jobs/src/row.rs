//! The `jobs` row as both backends return it, and its conversion into [`Job`].

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use techoms_db::DbError;
use uuid::Uuid;

use crate::error::QueueError;
use crate::model::Job;

/// Column list of the `jobs` row, for `concat!` into `&'static str` SQL.
macro_rules! job_columns {
    () => {
        "id, account_id, kind, payload, status, priority, run_at, attempts, max_attempts, \
         lease_owner, lease_expires_at, concurrency_key, dedupe_key, checkpoint, last_error, \
         created_at, updated_at, finished_at"
    };
}
pub(crate) use job_columns;

#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    pub id: Uuid,
    pub account_id: Option<Uuid>,
    pub kind: String,
    pub payload: Json<serde_json::Value>,
    pub status: String,
    pub priority: i32,
    pub run_at: DateTime<Utc>,
    pub attempts: i32,
    pub max_attempts: i32,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub concurrency_key: Option<String>,
    pub dedupe_key: Option<String>,
    pub checkpoint: Option<Json<serde_json::Value>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl TryFrom<JobRow> for Job {
    type Error = QueueError;
    fn try_from(r: JobRow) -> Result<Self, QueueError> {
        Ok(Job {
            id: r.id.into(),
            account_id: r.account_id,
            kind: r.kind,
            payload: r.payload.0,
            status: r
                .status
                .parse()
                .map_err(|e| DbError::Corrupt(format!("jobs.status: {e}")))?,
            priority: r.priority,
            run_at: r.run_at,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            lease_owner: r.lease_owner,
            lease_expires_at: r.lease_expires_at,
            concurrency_key: r.concurrency_key,
            dedupe_key: r.dedupe_key,
            checkpoint: r.checkpoint.map(|j| j.0),
            last_error: r.last_error,
            created_at: r.created_at,
            updated_at: r.updated_at,
            finished_at: r.finished_at,
        })
    }
}
