//! Fault injection, per warehouse (TPL tenant). Set from Rust through [`super::ExtensivSim`]
//! or over HTTP under `/_sim/customers/{customerId}/faults`.

use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use tokio::time::Instant;

/// Something a merchant (or another integration) does to an item "out of band".
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum OobAction {
    /// Merge this JSON into the item (objects merge recursively; other values replace), bump
    /// its row version (ETag) and `readOnly.lastModifiedDate`.
    Edit { patch: Value },
    /// Create an item with this body (it must carry the SKU).
    Create { item: Value },
}

/// A fixed request window: at most `max` API requests per `window`, else 429.
#[derive(Debug, Clone)]
pub(crate) struct RateLimit {
    pub max: u32,
    pub window: Duration,
    pub started: Instant,
    pub count: u32,
}

#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub throttle_next: u32,
    pub server_errors_next: u32,
    pub server_error_status: u16,
    pub timeout_after_commit_next: u32,
    pub stall: Duration,
    /// SKU key → the message every write of that SKU is refused with.
    pub rejected_skus: HashMap<String, String>,
    /// SKU key → what happens to the item just before the next write of that SKU is handled.
    pub before_next_write: HashMap<String, OobAction>,
    pub rate_limit: Option<RateLimit>,
    /// The `Retry-After` value sent with a 429 (None: no header; Extensiv documents none).
    pub retry_after: Option<String>,
    /// After this many more API requests, every token of the warehouse expires.
    pub expire_tokens_after: Option<u32>,
}

/// A fault request over HTTP (`POST /_sim/customers/{id}/faults`).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultRequest {
    Throttle {
        count: u32,
    },
    ServerError {
        count: u32,
        #[serde(default = "default_status")]
        status: u16,
    },
    TimeoutAfterCommit {
        count: u32,
        #[serde(default = "default_stall_ms")]
        stall_ms: u64,
    },
    RejectSku {
        sku: String,
        message: String,
    },
    BeforeNextWrite {
        sku: String,
        #[serde(flatten)]
        action: OobAction,
    },
    RateLimit {
        requests: u32,
        window_ms: u64,
    },
    RetryAfter {
        value: Option<String>,
    },
    ExpireTokens,
    ExpireTokensAfter {
        requests: u32,
    },
    Revoke,
    Restore,
    Clear,
}

fn default_status() -> u16 {
    500
}

fn default_stall_ms() -> u64 {
    5_000
}
