//! Faults a test (or the `/_sim/faults` endpoint) switches on for one shop. Counters are
//! consumed one per affected request.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Answer the next N requests with Shopify's THROTTLED body (HTTP 200), whatever the bucket.
    pub throttled: u32,
    /// Answer the next N requests with HTTP 429 and `Retry-After`.
    pub too_many_requests: u32,
    /// Answer the next N requests with a 5xx before executing anything.
    pub server_errors: u32,
    /// Like `server_errors`, but only mutation requests are affected.
    pub server_errors_on_mutations: u32,
    /// Status for injected server errors (default 503).
    pub server_error_status: Option<u16>,
    /// Execute the next N mutation requests, then stall `stall_ms` before answering (the write
    /// is committed; the client times out without knowing).
    pub timeouts_after_commit: u32,
    /// How long a stalled answer waits (default 30 s).
    pub stall_ms: Option<u64>,
    /// productSet refuses any variant with one of these SKUs (exact) with this message.
    pub bad_skus: BTreeMap<String, String>,
}

impl Faults {
    pub fn take(counter: &mut u32) -> bool {
        if *counter > 0 {
            *counter -= 1;
            true
        } else {
            false
        }
    }
}
