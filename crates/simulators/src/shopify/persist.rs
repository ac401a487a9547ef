//! Saving and restoring the simulator's catalogs, so that a demo stopped and started again
//! finds its shops as it left them (channel bindings in techOMS name these products' ids).
//!
//! What is kept: each shop's domain, tokens, settings, products (with their search index
//! snapshots) and id counters. What is not: the throttle bucket (it starts full), faults,
//! the request log and counters — transient state of one process.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ShopifySim;
use super::model::{IdGen, Product};
use super::seed::ShopSettings;
use super::shop::Shop;

#[derive(Serialize, Deserialize)]
struct Snapshot {
    shops: Vec<ShopSnapshot>,
}

#[derive(Serialize, Deserialize)]
struct ShopSnapshot {
    domain: String,
    tokens: Vec<String>,
    revoked: bool,
    settings: ShopSettings,
    products: Vec<Product>,
    ids: IdGen,
}

impl ShopifySim {
    /// Every shop's durable state as JSON.
    pub fn snapshot(&self) -> Value {
        let state = self.lock();
        let snap = Snapshot {
            shops: state
                .shops
                .values()
                .map(|s| ShopSnapshot {
                    domain: s.domain.clone(),
                    tokens: s.tokens.clone(),
                    revoked: s.revoked,
                    settings: s.settings.clone(),
                    products: s.products.values().cloned().collect(),
                    ids: s.ids.clone(),
                })
                .collect(),
        };
        serde_json::to_value(snap).unwrap_or(Value::Null)
    }

    /// Replace every shop with those of a [`Self::snapshot`]. Nothing changes when the
    /// snapshot does not parse.
    pub fn restore(&self, snapshot: &Value) -> Result<(), String> {
        let snap: Snapshot = serde_json::from_value(snapshot.clone())
            .map_err(|e| format!("Shopify simulator snapshot: {e}"))?;
        let mut state = self.lock();
        state.shops.clear();
        for s in snap.shops {
            let mut shop = Shop::new(&s.domain, "", s.settings);
            shop.tokens = s.tokens;
            shop.revoked = s.revoked;
            shop.ids = s.ids;
            shop.products = s.products.into_iter().map(|p| (p.id, p)).collect();
            state.shops.insert(s.domain, shop);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shopify::generate_catalog;

    #[test]
    fn a_restored_shop_keeps_its_products_ids_and_tokens() {
        let sim = ShopifySim::default();
        let shop = sim.add_shop("a.myshopify.com", "shpat_a", ShopSettings::default());
        let ids = shop.seed(&generate_catalog(5, 3)).unwrap();
        let snap = sim.snapshot();

        let again = ShopifySim::default();
        again.restore(&snap).unwrap();
        let shop2 = again.shop("a.myshopify.com");
        assert_eq!(shop2.products(), shop.products());
        assert_eq!(
            shop2.product(&ids[2]).map(|p| p.title),
            shop.product(&ids[2]).map(|p| p.title)
        );
        // The id counters carry on where they were: the next product gets a fresh id.
        let next = shop2.seed(&generate_catalog(1, 9)).unwrap();
        assert!(!ids.contains(&next[0]), "{next:?} reuses an id");
        // And a bad snapshot changes nothing.
        assert!(again.restore(&serde_json::json!({"shops": 3})).is_err());
        assert_eq!(again.shop("a.myshopify.com").product_count(), 6);
    }
}
