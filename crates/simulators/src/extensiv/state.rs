//! The simulator's state: warehouses (one per TPL key) with their API client and customers,
//! every customer's items, issued tokens, per-warehouse faults, the request log and counters.
//! One `std::sync::Mutex` guards it all; no handler holds it across an `.await`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::Value;

use super::faults::Faults;
use crate::clock::SimClock;

/// The most requests the log keeps (oldest dropped first), so a long standalone run stays small.
const LOG_CAPACITY: usize = 20_000;

/// What a client needs to talk to one simulated warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TenantCredentials {
    pub tpl_key: String,
    pub client_id: String,
    pub client_secret: String,
    pub user_login_id: String,
    pub customer_id: u64,
    pub facility_id: u64,
}

/// One request as the simulator received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedRequest {
    pub seq: u64,
    pub method: String,
    pub path: String,
    /// The raw (still percent-encoded) query string, if any.
    pub query: Option<String>,
    /// The headers a connector's behaviour depends on (authorization, if-match, content-type,
    /// accept), lower-cased names.
    pub headers: BTreeMap<String, String>,
    pub body: String,
    /// When it arrived, in milliseconds since the simulator was created (wall time, so tests
    /// can check how a client spaces its requests).
    pub at_ms: u64,
    /// The response status; 0 while the request is still being handled (or was abandoned).
    pub status: u16,
}

impl LoggedRequest {
    /// The query parameters, percent-decoded (`+` is a space), in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .as_deref()
            .map(super::http::decode_query)
            .unwrap_or_default()
    }

    /// One decoded query parameter.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

/// Counters a test can assert on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SimStats {
    /// Calls to the token endpoint, granted or refused.
    pub token_requests: u64,
    pub tokens_issued: u64,
    /// Authenticated POST/PUT item requests received (whatever their outcome).
    pub item_writes: u64,
    /// Items created and items updated (committed).
    pub creates: u64,
    pub updates: u64,
    /// 412 answers to a stale `If-Match`.
    pub conflicts: u64,
    /// 429 answers.
    pub throttled: u64,
    /// 401 answers on API calls.
    pub unauthorized: u64,
}

pub(crate) struct Tenant {
    pub creds: TenantCredentials,
    /// The `user_login` name also accepted by the token endpoint.
    pub user_login: String,
    pub revoked: bool,
    pub faults: Faults,
}

pub(crate) struct Token {
    pub tenant: String,
    pub expires_at: DateTime<Utc>,
}

pub(crate) struct StoredItem {
    /// The item as served (itemId, readOnly …), without `_links`.
    pub value: Value,
    pub rowversion: u64,
}

pub(crate) struct Customer {
    pub tenant: String,
    pub name: String,
    pub items: BTreeMap<u64, StoredItem>,
    /// SKU key (trimmed, lower-cased) → item id. SKUs are unique per customer.
    pub sku_index: HashMap<String, u64>,
}

pub(crate) struct Inner {
    pub tenants: BTreeMap<String, Tenant>,
    pub customers: BTreeMap<u64, Customer>,
    pub tokens: HashMap<String, Token>,
    pub token_lifetime: Duration,
    pub next_tenant: u64,
    pub next_customer: u64,
    pub next_item: u64,
    pub next_token: u64,
    pub rowversion: u64,
    pub next_seq: u64,
    pub log: VecDeque<LoggedRequest>,
    pub stats: SimStats,
}

pub(crate) struct SimState {
    pub clock: SimClock,
    pub started: std::time::Instant,
    inner: Mutex<Inner>,
}

pub(crate) type Shared = Arc<SimState>;

/// How the simulator compares SKUs: trimmed and case-insensitive, as the warehouse's database
/// collation does.
pub(crate) fn sku_key(sku: &str) -> String {
    sku.trim().to_lowercase()
}

/// A TPL key compared without braces and case.
pub(crate) fn tpl_key_norm(tpl: &str) -> String {
    tpl.trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .to_ascii_lowercase()
}

impl SimState {
    pub fn new(clock: SimClock) -> Self {
        Self {
            clock,
            started: std::time::Instant::now(),
            inner: Mutex::new(Inner {
                tenants: BTreeMap::new(),
                customers: BTreeMap::new(),
                tokens: HashMap::new(),
                token_lifetime: Duration::seconds(3600),
                next_tenant: 1,
                next_customer: 1001,
                next_item: 20001,
                next_token: 1,
                rowversion: 0x0000_0000_0007_d000,
                next_seq: 1,
                log: VecDeque::new(),
                stats: SimStats::default(),
            }),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Now on the injectable clock, at millisecond precision (what the API serves).
    pub fn now(&self) -> DateTime<Utc> {
        let t = self.clock.now();
        DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
    }
}

impl Inner {
    pub fn next_rowversion(&mut self) -> u64 {
        self.rowversion += 1;
        self.rowversion
    }

    pub fn push_log(&mut self, mut entry: LoggedRequest) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        entry.seq = seq;
        if self.log.len() >= LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(entry);
        seq
    }

    pub fn set_log_status(&mut self, seq: u64, status: u16) {
        if let Some(e) = self.log.iter_mut().rev().find(|e| e.seq == seq) {
            e.status = status;
        }
    }
}
