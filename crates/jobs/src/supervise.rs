//! Running one claimed job: the handler in its own task (so a panic is caught), a heartbeat
//! task renewing the lease every `lease/3`, and the fenced write of the outcome.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::{AbortHandle, JoinError};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::error::QueueError;
use crate::finish::FailOutcome;
use crate::handler::{JobContext, JobError, JobHandler};
use crate::model::{Claim, Lease};
use crate::queue::Queue;

/// How one run ended, as the worker counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    Succeeded,
    /// Failed retryably; queued again with backoff.
    Retrying,
    Failed,
    Dead,
    /// Handed back at shutdown without counting against the retry budget.
    Released,
    /// The lease was lost (expired and reclaimed, or renewals failed): the outcome was
    /// discarded and whoever holds the job now decides.
    LeaseLost,
    /// The outcome could not be written (database unreachable); the lease will expire and the
    /// job will be reclaimed.
    Unrecorded,
}

/// Timing of one run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunTiming {
    pub lease: Duration,
    pub heartbeat_every: Duration,
    /// How long a handler may keep running after its lease was lost before it is dropped.
    pub lost_grace: Duration,
}

/// Aborts a task when dropped: if the worker gives up on a run (shutdown deadline), the
/// handler and heartbeat tasks it spawned must not outlive it.
struct AbortOnDrop(AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub(crate) async fn supervise(
    queue: Queue,
    handler: Arc<dyn JobHandler>,
    claim: Claim,
    timing: RunTiming,
    shutdown: CancellationToken,
) -> RunOutcome {
    let span = tracing::info_span!(
        "job",
        id = %claim.job.id,
        kind = %claim.job.kind,
        attempt = claim.lease.attempt
    );
    run(queue, handler, claim, timing, shutdown)
        .instrument(span)
        .await
}

async fn run(
    queue: Queue,
    handler: Arc<dyn JobHandler>,
    claim: Claim,
    timing: RunTiming,
    shutdown: CancellationToken,
) -> RunOutcome {
    let Claim { job, lease } = claim;
    // The handler's token fires on shutdown (child of the worker's token) or on lease loss.
    let token = shutdown.child_token();
    let lost = CancellationToken::new();
    let stop_heartbeat = CancellationToken::new();

    let heartbeat = tokio::spawn(heartbeat_loop(
        queue.clone(),
        lease.clone(),
        timing,
        token.clone(),
        lost.clone(),
        stop_heartbeat.clone(),
    ));
    let _heartbeat_guard = AbortOnDrop(heartbeat.abort_handle());

    let ctx = JobContext::new(job, lease.clone(), queue.clone(), token.clone());
    let mut handler_task = tokio::spawn(async move { handler.run(&ctx).await }.in_current_span());
    let _handler_guard = AbortOnDrop(handler_task.abort_handle());

    let result: Option<Result<Result<(), JobError>, JoinError>> = tokio::select! {
        r = &mut handler_task => Some(r),
        _ = lost.cancelled() => {
            match tokio::time::timeout(timing.lost_grace, &mut handler_task).await {
                Ok(r) => Some(r),
                Err(_) => {
                    tracing::warn!("handler ignored cancellation after losing its lease; dropped");
                    handler_task.abort();
                    None
                }
            }
        }
    };

    // Stop renewing before writing the outcome, so no heartbeat races the final write.
    stop_heartbeat.cancel();
    let _ = heartbeat.await;

    if lost.is_cancelled() {
        tracing::warn!("lease lost; outcome discarded");
        return RunOutcome::LeaseLost;
    }
    let Some(result) = result else {
        return RunOutcome::LeaseLost;
    };
    let result = result.unwrap_or_else(|e| Err(join_failure(e)));
    record(&queue, &lease, result, shutdown.is_cancelled()).await
}

fn join_failure(e: JoinError) -> JobError {
    if e.is_panic() {
        let payload = e.into_panic();
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-text panic payload".to_owned());
        tracing::error!(panic = %msg, "job handler panicked");
        JobError::retryable(format!("handler panicked: {msg}"))
    } else {
        JobError::retryable("handler task was cancelled")
    }
}

/// Attempts to write an outcome before leaving it to lease expiry.
const RECORD_TRIES: u32 = 3;

async fn record(
    queue: &Queue,
    lease: &Lease,
    result: Result<(), JobError>,
    shutting_down: bool,
) -> RunOutcome {
    for n in 1..=RECORD_TRIES {
        let written = match &result {
            Ok(()) => queue.succeed(lease).await.map(|()| RunOutcome::Succeeded),
            // Stopped because we asked it to: not the job's fault.
            Err(e) if shutting_down && e.is_retryable() => {
                queue.release(lease).await.map(|()| RunOutcome::Released)
            }
            Err(e) => queue.fail(lease, e).await.map(|o| match o {
                FailOutcome::Retrying { .. } => RunOutcome::Retrying,
                FailOutcome::Dead => RunOutcome::Dead,
                FailOutcome::Failed => RunOutcome::Failed,
            }),
        };
        match written {
            Ok(outcome) => {
                match (&result, outcome) {
                    (Err(e), RunOutcome::Retrying | RunOutcome::Dead | RunOutcome::Failed) => {
                        tracing::warn!(error = %e.message(), outcome = ?outcome, "job failed")
                    }
                    _ => tracing::debug!(outcome = ?outcome, "job finished"),
                }
                return outcome;
            }
            Err(QueueError::LeaseLost(_)) => {
                tracing::warn!("lease lost before the outcome was written; discarded");
                return RunOutcome::LeaseLost;
            }
            Err(e) => {
                tracing::warn!(error = %e, try_no = n, "could not record job outcome");
                tokio::time::sleep(Duration::from_millis(100 * u64::from(n))).await;
            }
        }
    }
    RunOutcome::Unrecorded
}

async fn heartbeat_loop(
    queue: Queue,
    lease: Lease,
    timing: RunTiming,
    token: CancellationToken,
    lost: CancellationToken,
    stop: CancellationToken,
) {
    // Our own view of when the lease ends, in real time: if renewals keep failing (database
    // unreachable) past this point, another worker may take the job, so the handler must stop.
    let mut valid_until = Instant::now() + timing.lease;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(timing.heartbeat_every) => {}
        }
        let sent = Instant::now();
        match queue.heartbeat(&lease, timing.lease).await {
            Ok(_) => valid_until = sent + timing.lease,
            Err(QueueError::LeaseLost(_)) => {
                tracing::warn!("lease lost: the job was reclaimed or finished elsewhere");
                lost.cancel();
                token.cancel();
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "lease renewal failed");
                if Instant::now() >= valid_until {
                    lost.cancel();
                    token.cancel();
                    return;
                }
            }
        }
    }
}
