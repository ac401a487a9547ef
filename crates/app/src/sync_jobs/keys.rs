//! Names the queue sees: job kinds, payloads, and the per-channel keys that keep one sync per
//! channel.

use serde::{Deserialize, Serialize};
use techoms_domain::{AccountId, ChannelId, JobKind, RunId};

/// Queue kind of a schedule's tick: it checks the rules and requests the run (so a scheduled
/// run, like every other, is created together with its job).
pub const KIND_TICK: &str = "scheduled_sync";

/// Queue kind of a run job: the run's job kind (`import_products`, `export_products`,
/// `authorization_refresh`).
pub fn queue_kind(kind: JobKind) -> &'static str {
    kind.as_str()
}

/// Every queue kind that executes a run.
pub fn run_kinds() -> [&'static str; 3] {
    JobKind::ALL.map(queue_kind)
}

/// Payload of a run job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunJob {
    pub account_id: AccountId,
    pub run_id: RunId,
}

/// Payload of a schedule's tick job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TickJob {
    pub account_id: AccountId,
    pub channel_id: ChannelId,
    pub job_kind: JobKind,
}

/// Product runs (import and export) of a channel share one lane; authorization refreshes have
/// their own, so a long export does not delay a token renewal.
fn lane(kind: JobKind) -> &'static str {
    match kind {
        JobKind::ImportProducts | JobKind::ExportProducts => "products",
        JobKind::AuthorizationRefresh => "auth",
    }
}

/// At most one job of this key executes at a time.
pub(crate) fn concurrency_key(channel: ChannelId, kind: JobKind) -> String {
    format!("channel:{channel}:{}", lane(kind))
}

/// At most one job of this key is queued or running.
pub(crate) fn dedupe_key(channel: ChannelId, kind: JobKind) -> String {
    concurrency_key(channel, kind)
}

/// The one follow-up run that may wait behind a running one.
pub(crate) fn follow_up_key(channel: ChannelId, kind: JobKind) -> String {
    format!("{}:next", concurrency_key(channel, kind))
}

/// The queue schedule of one channel job.
pub(crate) fn schedule_key(channel: ChannelId, kind: JobKind) -> String {
    format!("channel:{channel}:{}", kind.as_str())
}

/// Prefix of every schedule this module owns.
pub(crate) const SCHEDULE_PREFIX: &str = "channel:";
