//! One simulated shop: its catalog, its bucket, its faults, and what it has seen.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::bucket::Bucket;
use super::faults::Faults;
use super::model::{IdGen, Media, Product, ProductOption, Variant, handleize, truncate_secs};
use super::seed::{SeedProduct, ShopSettings};

/// One request as the shop received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub body: String,
    /// The HTTP status answered.
    pub status: u16,
    /// Answered with a THROTTLED body.
    pub throttled: bool,
    /// `query` or `mutation` when the body parsed.
    pub operation: Option<String>,
}

/// Counters for assertions and benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub requests: u64,
    pub throttled_responses: u64,
    pub too_many_requests: u64,
    pub server_errors: u64,
    pub unauthorized: u64,
    /// Requests carrying a mutation operation (whatever their outcome).
    pub mutation_requests: u64,
    /// Mutation fields that changed the catalog.
    pub committed_writes: u64,
    /// Sum of `actualQueryCost` over executed requests.
    pub points_consumed: f64,
    /// Sum of `requestedQueryCost` over executed requests.
    pub points_requested: f64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    pub field: Option<Vec<String>>,
    pub message: String,
    pub code: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub product_id: Option<u64>,
    pub errors: Vec<UserError>,
}

#[derive(Debug)]
pub struct Shop {
    pub domain: String,
    pub tokens: Vec<String>,
    pub revoked: bool,
    pub settings: ShopSettings,
    pub products: BTreeMap<u64, Product>,
    pub ids: IdGen,
    pub bucket: Bucket,
    pub faults: Faults,
    pub log: Vec<LoggedRequest>,
    pub stats: Stats,
    pub operations: BTreeMap<u64, Operation>,
}

impl Shop {
    pub fn new(domain: &str, token: &str, settings: ShopSettings) -> Self {
        Self {
            domain: domain.to_owned(),
            tokens: vec![token.to_owned()],
            revoked: false,
            bucket: Bucket::new(settings.maximum_available, settings.restore_rate),
            settings,
            products: BTreeMap::new(),
            ids: IdGen::default(),
            faults: Faults::default(),
            log: Vec::new(),
            stats: Stats::default(),
            operations: BTreeMap::new(),
        }
    }

    pub fn lag(&self) -> Duration {
        Duration::milliseconds(self.settings.search_lag_ms as i64)
    }

    /// Add a product as the merchant would have made it; seeded products are searchable at
    /// once. Returns the product id.
    pub fn insert_seed(&mut self, seed: &SeedProduct, now: DateTime<Utc>) -> Result<u64, String> {
        let now = truncate_secs(now);
        let (names, values): (Vec<String>, Vec<Vec<String>>) = if seed.options.is_empty() {
            if seed.variants.len() > 1 {
                return Err(format!(
                    "product {:?} has {} variants but no options",
                    seed.title,
                    seed.variants.len()
                ));
            }
            (
                vec!["Title".to_owned()],
                vec![vec!["Default Title".to_owned()]],
            )
        } else {
            let mut per_option: Vec<Vec<String>> = vec![Vec::new(); seed.options.len()];
            for v in &seed.variants {
                if v.option_values.len() != seed.options.len() {
                    return Err(format!(
                        "variant {:?} needs {} option values",
                        v.sku,
                        seed.options.len()
                    ));
                }
                for (i, val) in v.option_values.iter().enumerate() {
                    if !per_option[i].contains(val) {
                        per_option[i].push(val.clone());
                    }
                }
            }
            (seed.options.clone(), per_option)
        };
        let id = self.ids.next("Product");
        let options = names
            .into_iter()
            .zip(values)
            .map(|(name, values)| ProductOption {
                id: self.ids.next("ProductOption"),
                name,
                values,
            })
            .collect();
        let variants = seed
            .variants
            .iter()
            .map(|v| Variant {
                id: self.ids.next("ProductVariant"),
                inventory_item_id: self.ids.next("InventoryItem"),
                sku: v.sku.clone(),
                barcode: v.barcode.clone(),
                price: v.price,
                compare_at_price: v.compare_at_price,
                cost: v.cost,
                weight: v
                    .weight
                    .as_ref()
                    .map(|w| (w.value, w.unit.to_ascii_uppercase())),
                option_values: if seed.options.is_empty() {
                    vec!["Default Title".to_owned()]
                } else {
                    v.option_values.clone()
                },
                tracked: true,
                requires_shipping: true,
                created_at: now,
                updated_at: now,
            })
            .collect();
        let media = seed
            .images
            .iter()
            .map(|url| Media {
                id: self.ids.next("MediaImage"),
                url: url.clone(),
                alt: seed.title.clone(),
            })
            .collect();
        let handle = self.unique_handle(seed.handle.as_deref().unwrap_or(&seed.title), None);
        let mut p = Product {
            id,
            title: seed.title.clone(),
            handle,
            description_html: seed.description_html.clone(),
            vendor: seed.vendor.clone(),
            product_type: seed.product_type.clone(),
            tags: seed.tags.clone(),
            status: seed.status.to_ascii_uppercase(),
            options,
            variants,
            media,
            created_at: now,
            updated_at: now,
            search: Vec::new(),
        };
        p.reindex(now, Duration::zero());
        self.products.insert(id, p);
        Ok(id)
    }

    /// Shopify appends `-1`, `-2`… when a handle is taken.
    pub fn unique_handle(&self, wanted: &str, except: Option<u64>) -> String {
        let base = handleize(wanted);
        let taken = |h: &str| {
            self.products
                .values()
                .any(|p| p.handle == h && Some(p.id) != except)
        };
        if !taken(&base) {
            return base;
        }
        (1..)
            .map(|n| format!("{base}-{n}"))
            .find(|h| !taken(h))
            .unwrap_or(base)
    }

    /// Change a product out of band, as a merchant in the admin or another app would. With
    /// `bump` the product's (and every variant's) `updatedAt` moves to `now`; without it the
    /// timestamps stay (as with inventory-only changes), and the search index catches up after
    /// its usual lag either way.
    pub fn edit_product(
        &mut self,
        id: u64,
        now: DateTime<Utc>,
        bump: bool,
        edit: impl FnOnce(&mut Product),
    ) -> bool {
        let lag = self.lag();
        let now = truncate_secs(now);
        let Some(p) = self.products.get_mut(&id) else {
            return false;
        };
        let before = p.variants.clone();
        edit(p);
        if bump {
            p.updated_at = now;
            for v in &mut p.variants {
                if before.iter().find(|b| b.id == v.id) != Some(v) {
                    v.updated_at = now;
                }
            }
        }
        p.reindex(now, lag);
        true
    }

    /// The ids (product, variant) of every variant with this SKU (exact), in id order.
    pub fn find_sku(&self, sku: &str) -> Vec<(u64, u64)> {
        self.products
            .values()
            .flat_map(|p| {
                p.variants
                    .iter()
                    .filter(|v| v.sku == sku)
                    .map(move |v| (p.id, v.id))
            })
            .collect()
    }

    pub fn delete_product(&mut self, id: u64) -> bool {
        // The record and its index entries go together: a deleted product is gone from
        // reads and searches alike.
        self.products.remove(&id).is_some()
    }
}
