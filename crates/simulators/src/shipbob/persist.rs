//! Saving and restoring the simulator's merchants, so that a demo stopped and started again
//! finds its catalogs (and the ids techOMS's channel bindings name) as it left them.
//!
//! Kept: merchants, their catalogs, tokens (and whether revoked), the rate limit and every
//! id sequence. Not kept: rate windows (they start empty), faults, the request log and the
//! write counters.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ShipBobSim;
use super::ratelimit::{RateLimit, Window};
use super::state::{Account, Token};
use super::store::{Catalog, IdGen, Product};

#[derive(Serialize, Deserialize)]
struct Snapshot {
    ids: IdGen,
    next_user: u64,
    next_channel: u64,
    next_token: u64,
    rate_limit_requests: u32,
    rate_limit_window_seconds: i64,
    merchants: Vec<MerchantSnapshot>,
    /// token → (user id, revoked)
    tokens: Vec<(String, u64, bool)>,
}

#[derive(Serialize, Deserialize)]
struct MerchantSnapshot {
    user_id: u64,
    name: String,
    channel_id: u64,
    products: Vec<Product>,
}

impl ShipBobSim {
    /// The simulator's durable state as JSON.
    pub fn snapshot(&self) -> Value {
        let s = self.lock();
        let mut tokens: Vec<(String, u64, bool)> = s
            .tokens
            .iter()
            .map(|(k, t)| (k.clone(), t.user_id, t.revoked))
            .collect();
        tokens.sort();
        let snap = Snapshot {
            ids: s.ids.clone(),
            next_user: s.next_user,
            next_channel: s.next_channel,
            next_token: s.next_token,
            rate_limit_requests: s.rate.requests,
            rate_limit_window_seconds: s.rate.window.num_seconds(),
            merchants: s
                .accounts
                .values()
                .map(|a| MerchantSnapshot {
                    user_id: a.user_id,
                    name: a.name.clone(),
                    channel_id: a.channel_id,
                    products: a.catalog.products.values().cloned().collect(),
                })
                .collect(),
            tokens,
        };
        serde_json::to_value(snap).unwrap_or(Value::Null)
    }

    /// Replace the simulator's state with a [`Self::snapshot`]. Nothing changes when the
    /// snapshot does not parse.
    pub fn restore(&self, snapshot: &Value) -> Result<(), String> {
        let snap: Snapshot = serde_json::from_value(snapshot.clone())
            .map_err(|e| format!("ShipBob simulator snapshot: {e}"))?;
        let mut s = self.lock();
        s.ids = snap.ids;
        s.next_user = snap.next_user;
        s.next_channel = snap.next_channel;
        s.next_token = snap.next_token;
        s.rate = RateLimit {
            requests: snap.rate_limit_requests,
            window: chrono::Duration::seconds(snap.rate_limit_window_seconds),
        };
        s.accounts = snap
            .merchants
            .into_iter()
            .map(|m| {
                (
                    m.user_id,
                    Account {
                        user_id: m.user_id,
                        name: m.name,
                        channel_id: m.channel_id,
                        catalog: Catalog::from_products(m.products),
                        faults: Default::default(),
                        write_calls: 0,
                    },
                )
            })
            .collect();
        s.tokens = snap
            .tokens
            .into_iter()
            .map(|(k, user_id, revoked)| {
                (
                    k,
                    Token {
                        user_id,
                        revoked,
                        window: Window::default(),
                    },
                )
            })
            .collect::<HashMap<_, _>>();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimClock;
    use serde_json::json;

    #[test]
    fn a_restored_merchant_keeps_products_tokens_and_sku_index() {
        let sim = ShipBobSim::new(SimClock::system());
        let m = sim.add_merchant("Demo");
        sim.set_rate_limit(900, std::time::Duration::from_secs(60));
        sim.create_product(
            m.user_id,
            &json!({"name": "Tee", "variants": [{"sku": "TEE-1", "name": "Tee S"}]}),
        )
        .unwrap();
        let snap = sim.snapshot();

        let again = ShipBobSim::new(SimClock::system());
        again.restore(&snap).unwrap();
        assert_eq!(again.merchants(), sim.merchants());
        assert_eq!(again.products(m.user_id), sim.products(m.user_id));
        assert!(again.product_with_sku(m.user_id, " tee-1 ").is_some());
        assert_eq!(again.lock().rate.requests, 900);
        // The SKU index is back: the same SKU cannot be created twice.
        assert!(
            again
                .create_product(
                    m.user_id,
                    &json!({"name": "Tee", "variants": [{"sku": "TEE-1", "name": "Tee S"}]}),
                )
                .is_err()
        );
        assert!(again.restore(&json!({"ids": 1})).is_err());
    }
}
