//! [`ExtensivSim`]: the cloneable handle tests use to set the simulator up, inject faults,
//! make out-of-band edits and read the request log and counters.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::faults::{FaultRequest, OobAction, RateLimit};
use super::item::with_links;
use super::state::{
    Customer, LoggedRequest, Shared, SimState, SimStats, Tenant, TenantCredentials, sku_key,
};
use super::store::{self, Refusal};
use crate::clock::SimClock;

/// A stateful Extensiv 3PL Warehouse Manager API. Cheap to clone; every clone shares state.
#[derive(Clone)]
pub struct ExtensivSim {
    pub(crate) state: Shared,
}

/// splitmix64: deterministic, well-spread values for ids and secrets.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl ExtensivSim {
    pub fn new(clock: SimClock) -> Self {
        Self {
            state: Arc::new(SimState::new(clock)),
        }
    }

    pub fn clock(&self) -> SimClock {
        self.state.clock.clone()
    }

    /// The axum router serving the API (and the `/_sim` admin endpoints).
    pub fn router(&self) -> axum::Router {
        super::router(self.state.clone())
    }

    /// Bind 127.0.0.1 on a free port and serve.
    pub async fn start(&self) -> std::io::Result<crate::RunningSim> {
        crate::RunningSim::start(self.router()).await
    }

    /// A new warehouse (TPL) with one API client, one user login, one customer and one
    /// facility. Credentials are deterministic: the n-th warehouse always gets the same ones.
    pub fn add_tenant(&self) -> TenantCredentials {
        let mut g = self.state.lock();
        let n = g.next_tenant;
        g.next_tenant += 1;
        let customer_id = g.next_customer;
        g.next_customer += 1;
        let h = mix(n);
        let creds = TenantCredentials {
            tpl_key: format!(
                "{{{:08X}-{:04X}-4{:03X}-8{:03X}-{:012X}}}",
                h >> 32,
                (h >> 16) & 0xFFFF,
                h & 0xFFF,
                (h >> 4) & 0xFFF,
                mix(h) & 0xFFFF_FFFF_FFFF
            ),
            client_id: format!(
                "{:08x}-5a11-4c1e-9e57-{:012x}",
                mix(h) >> 32,
                mix(h + 1) & 0xFFFF_FFFF_FFFF
            ),
            client_secret: format!("{:016x}{:016x}", mix(h + 2), mix(h + 3)),
            user_login_id: format!("{}", 10 + n),
            customer_id,
            facility_id: n,
        };
        let key = format!("tenant-{n}");
        g.tenants.insert(
            key.clone(),
            Tenant {
                creds: creds.clone(),
                user_login: format!("api-user-{n}"),
                revoked: false,
                faults: Default::default(),
            },
        );
        g.customers.insert(
            customer_id,
            Customer {
                tenant: key,
                name: format!("Customer {customer_id}"),
                items: Default::default(),
                sku_index: Default::default(),
            },
        );
        creds
    }

    /// The credentials of every warehouse, in the order they were added.
    pub fn tenants(&self) -> Vec<TenantCredentials> {
        let g = self.state.lock();
        let mut all: Vec<TenantCredentials> = g.tenants.values().map(|t| t.creds.clone()).collect();
        all.sort_by_key(|c| c.facility_id);
        all
    }

    /// How long newly issued tokens live (default one hour), measured on the sim clock.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        let secs = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
        self.state.lock().token_lifetime = chrono::Duration::seconds(secs);
    }

    /// Add an item as the API shapes it (`sku` and `description` required; the inventory unit
    /// defaults to "Each"). Returns its itemId.
    pub fn insert_item(&self, customer_id: u64, mut item: Value) -> Result<u64, String> {
        let has_unit = item
            .pointer("/options/inventoryUnit/unitIdentifier")
            .is_some_and(|u| !u.is_null());
        if !has_unit {
            super::item::merge_patch(
                &mut item,
                &serde_json::json!({"options": {"inventoryUnit": {"unitIdentifier": {"name": "Each", "id": 1}}}}),
            );
        }
        let now = self.state.now();
        let mut g = self.state.lock();
        store::create(&mut g, customer_id, &item, now).map_err(|r| describe(&r))
    }

    /// The item as a GET would serve it.
    pub fn item(&self, customer_id: u64, item_id: u64) -> Option<Value> {
        let g = self.state.lock();
        let stored = g.customers.get(&customer_id)?.items.get(&item_id)?;
        Some(with_links(&stored.value, customer_id))
    }

    pub fn item_by_sku(&self, customer_id: u64, sku: &str) -> Option<Value> {
        let id = store::find_by_sku(&self.state.lock(), customer_id, sku)?;
        self.item(customer_id, id)
    }

    /// Every item of a customer, in itemId order.
    pub fn items(&self, customer_id: u64) -> Vec<Value> {
        let g = self.state.lock();
        g.customers
            .get(&customer_id)
            .map(|c| {
                c.items
                    .values()
                    .map(|s| with_links(&s.value, customer_id))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// How many items hold this SKU (compared as the API compares SKUs).
    pub fn count_sku(&self, customer_id: u64, sku: &str) -> usize {
        let key = sku_key(sku);
        self.items(customer_id)
            .iter()
            .filter(|i| {
                i.get("sku").and_then(Value::as_str).map(sku_key).as_deref() == Some(key.as_str())
            })
            .count()
    }

    /// An out-of-band edit as a merchant would make it: merge `patch` (RFC 7386), bump the
    /// ETag and `readOnly.lastModifiedDate`.
    pub fn edit_item(&self, customer_id: u64, item_id: u64, patch: Value) -> bool {
        let now = self.state.now();
        store::edit(
            &mut self.state.lock(),
            customer_id,
            item_id,
            &patch,
            now,
            false,
        )
    }

    /// A change that bumps the ETag but not `lastModifiedDate` (the kind of change an
    /// incremental read misses).
    pub fn edit_item_silently(&self, customer_id: u64, item_id: u64, patch: Value) -> bool {
        let now = self.state.now();
        store::edit(
            &mut self.state.lock(),
            customer_id,
            item_id,
            &patch,
            now,
            true,
        )
    }

    /// Apply a fault to the warehouse that owns `customer_id`.
    pub fn fault(&self, customer_id: u64, request: FaultRequest) -> bool {
        let now = self.state.now();
        let mut guard = self.state.lock();
        let g = &mut *guard;
        let Some(key) = g.customers.get(&customer_id).map(|c| c.tenant.clone()) else {
            return false;
        };
        if let FaultRequest::ExpireTokens = request {
            for t in g.tokens.values_mut().filter(|t| t.tenant == key) {
                t.expires_at = now;
            }
            return true;
        }
        let Some(tenant) = g.tenants.get_mut(&key) else {
            return false;
        };
        let f = &mut tenant.faults;
        match request {
            FaultRequest::Throttle { count } => f.throttle_next += count,
            FaultRequest::ServerError { count, status } => {
                f.server_errors_next += count;
                f.server_error_status = status;
            }
            FaultRequest::TimeoutAfterCommit { count, stall_ms } => {
                f.timeout_after_commit_next += count;
                f.stall = Duration::from_millis(stall_ms);
            }
            FaultRequest::RejectSku { sku, message } => {
                f.rejected_skus.insert(sku_key(&sku), message);
            }
            FaultRequest::BeforeNextWrite { sku, action } => {
                f.before_next_write.insert(sku_key(&sku), action);
            }
            FaultRequest::RateLimit {
                requests,
                window_ms,
            } => {
                f.rate_limit = (requests > 0).then(|| RateLimit {
                    max: requests,
                    window: Duration::from_millis(window_ms),
                    started: tokio::time::Instant::now(),
                    count: 0,
                });
            }
            FaultRequest::RetryAfter { value } => f.retry_after = value,
            FaultRequest::ExpireTokensAfter { requests } => f.expire_tokens_after = Some(requests),
            FaultRequest::Revoke => tenant.revoked = true,
            FaultRequest::Restore => tenant.revoked = false,
            FaultRequest::Clear => *f = Default::default(),
            FaultRequest::ExpireTokens => {}
        }
        true
    }

    /// The next `n` API calls of the warehouse are answered 429.
    pub fn throttle_next(&self, customer_id: u64, n: u32) {
        self.fault(customer_id, FaultRequest::Throttle { count: n });
    }

    /// The next `n` API calls are answered with this 5xx status.
    pub fn fail_next(&self, customer_id: u64, n: u32, status: u16) {
        self.fault(customer_id, FaultRequest::ServerError { count: n, status });
    }

    /// The next `n` item writes commit, then stall `stall` before answering (past a client's
    /// timeout).
    pub fn timeout_after_commit(&self, customer_id: u64, n: u32, stall: Duration) {
        let stall_ms = u64::try_from(stall.as_millis()).unwrap_or(u64::MAX);
        self.fault(
            customer_id,
            FaultRequest::TimeoutAfterCommit { count: n, stall_ms },
        );
    }

    /// Every write of this SKU is refused (400 ValueNotSupported) with `message`.
    pub fn reject_sku(&self, customer_id: u64, sku: &str, message: &str) {
        self.fault(
            customer_id,
            FaultRequest::RejectSku {
                sku: sku.into(),
                message: message.into(),
            },
        );
    }

    /// Just before the next write of `sku` is handled, this happens out of band.
    pub fn before_next_write(&self, customer_id: u64, sku: &str, action: OobAction) {
        self.fault(
            customer_id,
            FaultRequest::BeforeNextWrite {
                sku: sku.into(),
                action,
            },
        );
    }

    /// At most `requests` API calls per `window`, else 429 (None lifts it).
    pub fn set_rate_limit(&self, customer_id: u64, limit: Option<(u32, Duration)>) {
        let (requests, window) = limit.unwrap_or((0, Duration::ZERO));
        let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
        self.fault(
            customer_id,
            FaultRequest::RateLimit {
                requests,
                window_ms,
            },
        );
    }

    /// The `Retry-After` value sent with injected 429s.
    pub fn set_retry_after(&self, customer_id: u64, value: Option<&str>) {
        self.fault(
            customer_id,
            FaultRequest::RetryAfter {
                value: value.map(str::to_string),
            },
        );
    }

    /// Every token of the warehouse expires now.
    pub fn expire_tokens(&self, customer_id: u64) {
        self.fault(customer_id, FaultRequest::ExpireTokens);
    }

    /// After `n` more API calls, every token of the warehouse expires (mid-run expiry).
    pub fn expire_tokens_after(&self, customer_id: u64, n: u32) {
        self.fault(customer_id, FaultRequest::ExpireTokensAfter { requests: n });
    }

    /// The warehouse revokes the API client: its tokens stop working and the token endpoint
    /// refuses its credentials.
    pub fn revoke_credentials(&self, customer_id: u64) {
        self.fault(customer_id, FaultRequest::Revoke);
    }

    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state.lock().log.iter().cloned().collect()
    }

    pub fn clear_requests(&self) {
        self.state.lock().log.clear();
    }

    pub fn stats(&self) -> SimStats {
        self.state.lock().stats.clone()
    }

    pub fn reset_stats(&self) {
        self.state.lock().stats = SimStats::default();
    }
}

fn describe(r: &Refusal) -> String {
    match r {
        Refusal::Required(name) => format!("{name} is required"),
        Refusal::Duplicate(sku) => format!("duplicate SKU {sku}"),
        Refusal::NotSupported { hint, .. } => hint.clone(),
    }
}
