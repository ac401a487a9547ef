//! Errors of queue operations.

use techoms_db::DbError;

use crate::model::JobId;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// A fenced write found the job no longer running under this lease: it expired and was
    /// reclaimed, or another attempt holds it now. The caller must stop working on the job.
    #[error("lease on job {0} was lost")]
    LeaseLost(JobId),
    #[error("job {0} not found")]
    NotFound(JobId),
    #[error("schedule {0:?} not found")]
    ScheduleNotFound(String),
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for QueueError {
    fn from(e: sqlx::Error) -> Self {
        QueueError::Db(DbError::from(e))
    }
}

impl QueueError {
    pub fn is_lease_lost(&self) -> bool {
        matches!(self, QueueError::LeaseLost(_))
    }
}

pub type QueueResult<T> = Result<T, QueueError>;
