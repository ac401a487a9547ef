//! What a job kind's code implements ([`JobHandler`]), what it is given ([`JobContext`]) and
//! how it reports failure ([`JobError`]).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use crate::error::{QueueError, QueueResult};
use crate::model::{Job, Lease};
use crate::queue::Queue;

/// Why a run failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Worth trying again: after `retry_after` when the remote said so (a throttle), else after
    /// the queue's backoff. The job goes `dead` once it has used its attempts.
    #[error("{message}")]
    Retryable {
        message: String,
        retry_after: Option<Duration>,
    },
    /// Trying again cannot help (bad payload, credentials revoked): the job fails at once.
    #[error("{0}")]
    Permanent(String),
}

impl JobError {
    pub fn retryable(message: impl Into<String>) -> Self {
        JobError::Retryable {
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn retry_after(message: impl Into<String>, after: Duration) -> Self {
        JobError::Retryable {
            message: message.into(),
            retry_after: Some(after),
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        JobError::Permanent(message.into())
    }

    pub fn message(&self) -> &str {
        match self {
            JobError::Retryable { message, .. } => message,
            JobError::Permanent(m) => m,
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, JobError::Retryable { .. })
    }
}

/// Queue errors inside a handler (a lost lease, a database hiccup while saving a checkpoint)
/// are worth retrying; if the lease is gone, the outcome is discarded anyway.
impl From<QueueError> for JobError {
    fn from(e: QueueError) -> Self {
        JobError::retryable(e.to_string())
    }
}

/// The code of one job kind.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync + 'static {
    /// Run one attempt. Long runs should save checkpoints as they go and stop at the next safe
    /// point once `ctx.cancelled()` fires (lease lost or worker shutting down).
    async fn run(&self, ctx: &JobContext) -> Result<(), JobError>;
}

/// A handler made from an async closure, for small kinds and tests.
pub struct FnHandler<F>(pub F);

#[async_trait::async_trait]
impl<F, Fut> JobHandler for FnHandler<F>
where
    F: Fn(JobContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    async fn run(&self, ctx: &JobContext) -> Result<(), JobError> {
        (self.0)(ctx.clone()).await
    }
}

/// Wrap an async closure `|ctx: JobContext| async move { … }` as a handler.
pub fn handler_fn<F, Fut>(f: F) -> Arc<dyn JobHandler>
where
    F: Fn(JobContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    Arc::new(FnHandler(f))
}

/// What a handler gets: the job, its checkpoint (fenced by the lease) and a cancellation
/// token. Cheap to clone.
#[derive(Clone)]
pub struct JobContext {
    job: Arc<Job>,
    lease: Lease,
    queue: Queue,
    token: CancellationToken,
}

impl std::fmt::Debug for JobContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobContext")
            .field("job", &self.job.id)
            .field("kind", &self.job.kind)
            .field("attempt", &self.lease.attempt)
            .field("cancelled", &self.token.is_cancelled())
            .finish()
    }
}

impl JobContext {
    pub fn new(job: Job, lease: Lease, queue: Queue, token: CancellationToken) -> Self {
        Self {
            job: Arc::new(job),
            lease,
            queue,
            token,
        }
    }

    /// The job as claimed (its `checkpoint` is the one saved before this attempt started).
    pub fn job(&self) -> &Job {
        &self.job
    }

    pub fn lease(&self) -> &Lease {
        &self.lease
    }

    /// This attempt's number, from 1.
    pub fn attempt(&self) -> i32 {
        self.lease.attempt
    }

    /// The payload decoded as `T`; a payload that does not decode is a permanent failure.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, JobError> {
        serde_json::from_value(self.job.payload.clone()).map_err(|e| {
            JobError::permanent(format!(
                "job {} ({}): bad payload: {e}",
                self.job.id, self.job.kind
            ))
        })
    }

    /// The latest checkpoint, decoded as `T`. `Err(LeaseLost)` when the job is no longer ours.
    pub async fn load_checkpoint<T: DeserializeOwned>(&self) -> QueueResult<Option<T>> {
        match self.queue.load_checkpoint(&self.lease).await? {
            None => Ok(None),
            Some(v) => serde_json::from_value(v).map(Some).map_err(|e| {
                QueueError::Invalid(format!(
                    "job {}: checkpoint does not decode: {e}",
                    self.job.id
                ))
            }),
        }
    }

    /// Save a checkpoint. `Err(LeaseLost)` when the job is no longer ours: stop at once, another
    /// worker owns it now.
    pub async fn save_checkpoint<T: Serialize + ?Sized>(&self, value: &T) -> QueueResult<()> {
        let v = serde_json::to_value(value)
            .map_err(|e| QueueError::Invalid(format!("checkpoint does not encode: {e}")))?;
        self.queue.save_checkpoint(&self.lease, &v).await
    }

    /// Fires when the lease is lost or the worker is shutting down.
    pub fn cancelled(&self) -> &CancellationToken {
        &self.token
    }

    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// The queue, e.g. to enqueue follow-up jobs.
    pub fn queue(&self) -> &Queue {
        &self.queue
    }
}
