//! [`ShipBobSim`]: the cloneable handle tests and the demo use to run the simulator, set up
//! merchants, inject faults, edit records out of band and read the request log.

use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Value, json};

use super::faults::{Fault, FaultRule, Scope};
use super::gateway::{self, Incoming, Reply};
use super::ratelimit::RateLimit;
use super::requests;
use super::state::{LoggedRequest, SimState};
use super::store::{OpError, sku_key};
use super::views;
use crate::clock::SimClock;
use crate::server::RunningSim;

/// A merchant account and the credentials a client needs for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merchant {
    pub user_id: u64,
    pub name: String,
    /// A personal access token (send as `Authorization: Bearer`).
    pub token: String,
    /// The API channel's id (send as `shipbob_channel_id`).
    pub channel_id: u64,
}

#[derive(Clone)]
pub struct ShipBobSim {
    state: Arc<Mutex<SimState>>,
}

impl ShipBobSim {
    pub fn new(clock: SimClock) -> Self {
        Self {
            state: Arc::new(Mutex::new(SimState::new(clock))),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, SimState> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn process(&self, req: &Incoming<'_>) -> Reply {
        gateway::process(&mut self.lock(), req)
    }

    pub fn clock(&self) -> SimClock {
        self.lock().clock.clone()
    }

    pub fn router(&self) -> axum::Router {
        super::routes::router(self.clone())
    }

    /// Serve on a free loopback port.
    pub async fn start(&self) -> std::io::Result<RunningSim> {
        RunningSim::start(self.router()).await
    }

    pub fn add_merchant(&self, name: &str) -> Merchant {
        let mut s = self.lock();
        let (user_id, channel_id) = s.add_account(name);
        let token = s.issue_token(user_id);
        Merchant {
            user_id,
            name: name.to_owned(),
            token,
            channel_id,
        }
    }

    pub fn merchants(&self) -> Vec<Merchant> {
        let s = self.lock();
        s.accounts
            .values()
            .map(|a| {
                let mut tokens: Vec<&String> = s
                    .tokens
                    .iter()
                    .filter(|(_, t)| t.user_id == a.user_id && !t.revoked)
                    .map(|(k, _)| k)
                    .collect();
                tokens.sort();
                Merchant {
                    user_id: a.user_id,
                    name: a.name.clone(),
                    token: tokens.first().map(|t| (*t).clone()).unwrap_or_default(),
                    channel_id: a.channel_id,
                }
            })
            .collect()
    }

    /// Another token for the same merchant (ShipBob allows several PATs).
    pub fn issue_token(&self, user_id: u64) -> Option<String> {
        let mut s = self.lock();
        s.accounts
            .contains_key(&user_id)
            .then(|| s.issue_token(user_id))
    }

    /// Revoke one token: every later request with it gets 401.
    pub fn revoke_token(&self, token: &str) -> bool {
        let mut s = self.lock();
        match s.tokens.get_mut(token) {
            Some(t) => {
                t.revoked = true;
                true
            }
            None => false,
        }
    }

    pub fn revoke_all(&self, user_id: u64) {
        for t in self
            .lock()
            .tokens
            .values_mut()
            .filter(|t| t.user_id == user_id)
        {
            t.revoked = true;
        }
    }

    /// The sliding window every token is held to (150 per 60 s unless changed).
    pub fn set_rate_limit(&self, requests: u32, window: std::time::Duration) {
        let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::seconds(60));
        self.lock().rate = RateLimit { requests, window };
    }

    pub fn inject(&self, user_id: u64, rule: FaultRule) {
        if let Some(a) = self.lock().accounts.get_mut(&user_id) {
            a.faults.push(rule);
        }
    }

    /// The next `times` requests get 429 with this `x-retry-after`.
    pub fn throttle_next(&self, user_id: u64, times: u32, retry_after_secs: u64) {
        self.inject(
            user_id,
            FaultRule {
                scope: Scope::Any,
                fault: Fault::Throttle { retry_after_secs },
                times,
            },
        );
    }

    /// The next `times` requests in `scope` get `status`; with `after_commit` they are
    /// carried out first.
    pub fn fail_next(
        &self,
        user_id: u64,
        scope: Scope,
        status: u16,
        after_commit: bool,
        times: u32,
    ) {
        self.inject(
            user_id,
            FaultRule {
                scope,
                fault: Fault::ServerError {
                    status,
                    after_commit,
                },
                times,
            },
        );
    }

    /// The next `times` writes are committed, then answered only after `stall`.
    pub fn stall_next_writes(&self, user_id: u64, stall: std::time::Duration, times: u32) {
        let stall_ms = u64::try_from(stall.as_millis()).unwrap_or(u64::MAX);
        self.inject(
            user_id,
            FaultRule {
                scope: Scope::Writes,
                fault: Fault::StallAfterCommit { stall_ms },
                times,
            },
        );
    }

    /// Every write carrying this SKU is refused with a 400 carrying `message`.
    pub fn refuse_sku(&self, user_id: u64, sku: &str, message: &str) {
        if let Some(a) = self.lock().accounts.get_mut(&user_id) {
            a.faults.bad_skus.push((sku_key(sku), message.to_owned()));
        }
    }

    pub fn clear_faults(&self, user_id: u64) {
        if let Some(a) = self.lock().accounts.get_mut(&user_id) {
            a.faults.clear();
        }
    }

    /// Create a product as the merchant would in ShipBob's app. `body` has the shape of a
    /// `POST /product` request. Returns the product view, or the error body.
    pub fn create_product(&self, user_id: u64, body: &Value) -> Result<Value, Value> {
        let mut guard = self.lock();
        let s = &mut *guard;
        let now = s.clock.now();
        let seq = s.next_seq();
        let input = requests::product_input(body).map_err(|e| error_body(e, seq))?;
        let account = s
            .accounts
            .get_mut(&user_id)
            .ok_or_else(|| views::not_found(seq))?;
        let pid = account
            .catalog
            .create_product(&mut s.ids, input, now)
            .map_err(|e| error_body(e, seq))?;
        account
            .catalog
            .products
            .get(&pid)
            .map(|p| views::product(p, user_id))
            .ok_or_else(|| views::not_found(seq))
    }

    /// Edit the variant holding `sku` as the merchant would in ShipBob's app. `changes` has
    /// the shape of a variant in a `PATCH /product/{id}` request (`name`, `sku`, `weight`,
    /// `dimension`, `barcodes`, `status_id`…). With `bump_timestamps` false the product's and
    /// variant's `updated_on` stay as they were, as with changes ShipBob does not stamp.
    pub fn edit_variant(
        &self,
        user_id: u64,
        sku: &str,
        changes: &Value,
        bump_timestamps: bool,
    ) -> Result<Value, Value> {
        let mut guard = self.lock();
        let s = &mut *guard;
        let now = s.clock.now();
        let seq = s.next_seq();
        let account = s
            .accounts
            .get_mut(&user_id)
            .ok_or_else(|| views::not_found(seq))?;
        let (pid, vid) = account
            .catalog
            .find_sku(sku)
            .map(|(p, v)| (p.id, v.id))
            .ok_or_else(|| views::not_found(seq))?;
        let mut variant = changes.clone();
        if let Some(obj) = variant.as_object_mut() {
            obj.insert("id".to_owned(), json!(vid));
        }
        let input = requests::product_input(&json!({ "variants": [variant] }))
            .map_err(|e| error_body(e, seq))?;
        let before = account.catalog.products.get(&pid).cloned();
        account
            .catalog
            .patch_product(pid, input, now)
            .map_err(|e| error_body(e, seq))?;
        let product = account
            .catalog
            .products
            .get_mut(&pid)
            .ok_or_else(|| views::not_found(seq))?;
        if !bump_timestamps && let Some(before) = before {
            product.updated_on = before.updated_on;
            for v in &mut product.variants {
                if let Some(old) = before.variants.iter().find(|o| o.id == v.id) {
                    v.updated_on = old.updated_on;
                }
            }
        }
        Ok(views::product(product, user_id))
    }

    /// The product holding this SKU, as `GET /product/{id}` shows it.
    pub fn product_with_sku(&self, user_id: u64, sku: &str) -> Option<Value> {
        let s = self.lock();
        let (p, _) = s.accounts.get(&user_id)?.catalog.find_sku(sku)?;
        Some(views::product(p, user_id))
    }

    pub fn products(&self, user_id: u64) -> Vec<Value> {
        let s = self.lock();
        s.accounts
            .get(&user_id)
            .map(|a| {
                a.catalog
                    .products
                    .values()
                    .map(|p| views::product(p, user_id))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn product_count(&self, user_id: u64) -> usize {
        self.lock()
            .accounts
            .get(&user_id)
            .map_or(0, |a| a.catalog.products.len())
    }

    pub fn variant_count(&self, user_id: u64) -> usize {
        self.lock()
            .accounts
            .get(&user_id)
            .map_or(0, |a| a.catalog.variant_count())
    }

    /// How many write requests (POST/PATCH) of this merchant reached the API.
    pub fn write_calls(&self, user_id: u64) -> u64 {
        self.lock()
            .accounts
            .get(&user_id)
            .map_or(0, |a| a.write_calls)
    }

    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.lock().log.clone()
    }

    pub fn clear_requests(&self) {
        self.lock().log.clear();
    }
}

fn error_body(e: OpError, seq: u64) -> Value {
    match e {
        OpError::NotFound => views::not_found(seq),
        OpError::Invalid(errs) => views::validation_problem(400, &errs, seq),
        OpError::Duplicate(errs) => views::validation_problem(422, &errs, seq),
    }
}
