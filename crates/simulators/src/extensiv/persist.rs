//! Saving and restoring the simulator's warehouses, so that a demo stopped and started again
//! finds its items (and the ids techOMS's channel bindings name) as it left them.
//!
//! Kept: tenants (credentials, whether revoked), customers with their items and row
//! versions, token lifetime and every sequence. Not kept: issued tokens (clients fetch new
//! ones), faults, the request log and the counters.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ExtensivSim;
use super::state::{Customer, StoredItem, Tenant, TenantCredentials, sku_key};

#[derive(Serialize, Deserialize)]
struct Snapshot {
    tenants: Vec<TenantSnapshot>,
    customers: Vec<CustomerSnapshot>,
    token_lifetime_seconds: i64,
    next_tenant: u64,
    next_customer: u64,
    next_item: u64,
    next_token: u64,
    rowversion: u64,
}

#[derive(Serialize, Deserialize)]
struct TenantSnapshot {
    key: String,
    creds: TenantCredentials,
    user_login: String,
    revoked: bool,
}

#[derive(Serialize, Deserialize)]
struct CustomerSnapshot {
    customer_id: u64,
    tenant: String,
    name: String,
    /// (item id, item as served, row version)
    items: Vec<(u64, Value, u64)>,
}

impl ExtensivSim {
    /// The simulator's durable state as JSON.
    pub fn snapshot(&self) -> Value {
        let g = self.state.lock();
        let snap = Snapshot {
            tenants: g
                .tenants
                .iter()
                .map(|(k, t)| TenantSnapshot {
                    key: k.clone(),
                    creds: t.creds.clone(),
                    user_login: t.user_login.clone(),
                    revoked: t.revoked,
                })
                .collect(),
            customers: g
                .customers
                .iter()
                .map(|(id, c)| CustomerSnapshot {
                    customer_id: *id,
                    tenant: c.tenant.clone(),
                    name: c.name.clone(),
                    items: c
                        .items
                        .iter()
                        .map(|(id, i)| (*id, i.value.clone(), i.rowversion))
                        .collect(),
                })
                .collect(),
            token_lifetime_seconds: g.token_lifetime.num_seconds(),
            next_tenant: g.next_tenant,
            next_customer: g.next_customer,
            next_item: g.next_item,
            next_token: g.next_token,
            rowversion: g.rowversion,
        };
        serde_json::to_value(snap).unwrap_or(Value::Null)
    }

    /// Replace the simulator's state with a [`Self::snapshot`]. Nothing changes when the
    /// snapshot does not parse.
    pub fn restore(&self, snapshot: &Value) -> Result<(), String> {
        let snap: Snapshot = serde_json::from_value(snapshot.clone())
            .map_err(|e| format!("Extensiv simulator snapshot: {e}"))?;
        let mut g = self.state.lock();
        g.tenants = snap
            .tenants
            .into_iter()
            .map(|t| {
                (
                    t.key,
                    Tenant {
                        creds: t.creds,
                        user_login: t.user_login,
                        revoked: t.revoked,
                        faults: Default::default(),
                    },
                )
            })
            .collect();
        g.customers = snap
            .customers
            .into_iter()
            .map(|c| {
                let sku_index = c
                    .items
                    .iter()
                    .filter_map(|(id, v, _)| {
                        v.get("sku")
                            .and_then(Value::as_str)
                            .map(|s| (sku_key(s), *id))
                    })
                    .collect();
                let items = c
                    .items
                    .into_iter()
                    .map(|(id, value, rowversion)| (id, StoredItem { value, rowversion }))
                    .collect();
                (
                    c.customer_id,
                    Customer {
                        tenant: c.tenant,
                        name: c.name,
                        items,
                        sku_index,
                    },
                )
            })
            .collect();
        g.tokens.clear();
        g.token_lifetime = chrono::Duration::seconds(snap.token_lifetime_seconds);
        g.next_tenant = snap.next_tenant;
        g.next_customer = snap.next_customer;
        g.next_item = snap.next_item;
        g.next_token = snap.next_token;
        g.rowversion = snap.rowversion;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimClock;
    use serde_json::json;

    #[test]
    fn a_restored_warehouse_keeps_items_credentials_and_sku_index() {
        let sim = ExtensivSim::new(SimClock::system());
        let creds = sim.add_tenant();
        let id = sim
            .insert_item(
                creds.customer_id,
                json!({"sku": "TEE-1", "description": "Tee"}),
            )
            .unwrap();
        let snap = sim.snapshot();

        let again = ExtensivSim::new(SimClock::system());
        again.restore(&snap).unwrap();
        assert_eq!(
            again.item(creds.customer_id, id),
            sim.item(creds.customer_id, id)
        );
        assert_eq!(again.count_sku(creds.customer_id, " tee-1"), 1);
        // Same sequences: the next warehouse gets fresh credentials, the next item a new id.
        assert_ne!(again.add_tenant(), creds);
        let next = again
            .insert_item(
                creds.customer_id,
                json!({"sku": "TEE-2", "description": "Tee"}),
            )
            .unwrap();
        assert!(next > id);
        assert!(again.restore(&json!(null)).is_err());
    }
}
