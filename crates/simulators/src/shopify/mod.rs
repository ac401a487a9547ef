//! A simulator of the Shopify Admin GraphQL API (the product subset a catalog connector uses).
//!
//! It serves `POST /admin/api/{version}/graphql.json` as a real GraphQL server: documents are
//! parsed with `graphql-parser` (operations, `operationName`, variables with defaults, aliases,
//! named and inline fragments such as `... on MediaImage`, `@include`/`@skip`), validated
//! against a hand-written subset of the Admin schema, costed, and executed.
//!
//! What it models:
//! - Queries `products`, `productVariants` (connections with `edges { cursor node }`, `nodes`,
//!   `pageInfo`, `first`/`after`, `last`/`before`, `reverse`, `sortKey` ID / TITLE /
//!   UPDATED_AT / CREATED_AT, and `query` search syntax: `sku:`, `updated_at:`, `created_at:`,
//!   `status:`, `title:`, `vendor:`, `product_type:`, `tag:`, `id:`, `product_id:`, AND / OR /
//!   NOT, quoting and escaping), `product(id:)`, `productVariant(id:)`, `productByHandle`,
//!   `node(s)`, `productsCount`, `shop`, `productOperation`; the mutation `productSet`
//!   (identifiers `id` and `handle`, list-replace semantics, `synchronous`, user errors).
//! - Cost: requested cost computed from the document (objects 1, connections 2 + first × node,
//!   interfaces the maximum of their selections, mutations 10), actual cost from what was
//!   returned, a leaky bucket per shop (default 1000 points restoring 50/s), THROTTLED answers
//!   as Shopify sends them (HTTP 200, `errors[].extensions.code = "THROTTLED"`, the `cost`
//!   extension with `actualQueryCost: null`), `MAX_COST_EXCEEDED` above 1000 points.
//! - Search that lags writes (`search_lag_ms`): `query:` filters see a write only after the
//!   lag, direct reads at once; date comparisons are inclusive; duplicate SKUs are allowed.
//! - Several shops, told apart by `Host` and by access token; a revoked or unknown token gets
//!   401 with Shopify's string `errors` body. Deterministic GIDs (`gid://shopify/Product/1001`
//!   …), timestamps from an injectable [`SimClock`].
//! - Faults per shop ([`Faults`], from Rust or `POST /_sim/shops/{domain}/faults`), a request
//!   log and counters ([`Stats`]), out-of-band edits.
//!
//! Not modelled: other Admin API resources (orders, inventory levels, locations, metafields,
//! collections), bulk operations, webhooks, `customId` identifiers, media processing (a file's
//! `originalSource` is served back as its URL at once), the 2025-10 dynamic productSet cost
//! (mutations cost a flat 10 plus their payload selection).
//!
//! ## Seed file format (`serve_standalone`)
//!
//! ```json
//! {"shops": [{
//!   "domain": "demo.myshopify.com",
//!   "access_token": "shpat_demo",
//!   "config": {"maximum_available": 1000, "restore_rate": 50, "search_lag_ms": 0,
//!              "weight_unit": "KILOGRAMS", "currency_code": "USD"},
//!   "generate": 100, "seed": 7,
//!   "products": [{
//!     "title": "Classic Tee", "vendor": "Acme", "product_type": "Shirts", "status": "ACTIVE",
//!     "tags": ["summer"], "description_html": "<p>Soft.</p>",
//!     "options": ["Size"], "images": ["https://example.com/tee.jpg"],
//!     "variants": [{"sku": "TEE-S", "option_values": ["S"], "price": "19.99",
//!                   "compare_at_price": "24.99", "cost": "7.10", "barcode": "0123456789012",
//!                   "weight": {"value": "0.2", "unit": "KILOGRAMS"}}]
//!   }]
//! }]}
//! ```
//!
//! Every field but `title`, `variants[].sku` and `variants[].price` may be left out.

mod admin;
mod bucket;
mod connection;
mod cost;
mod exec;
mod faults;
mod generate;
mod gql;
mod http;
pub mod model;
mod persist;
mod product_set;
mod schema;
mod search;
mod seed;
mod shop;
mod standalone;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::routing::post;

pub use faults::Faults;
pub use generate::{
    GenerateOptions, SkuCollision, generate_catalog, generate_catalog_with, sku_collisions,
};
pub use http::{INVALID_TOKEN_BODY, SUPPORTED_VERSIONS};
pub use model::{Media, Product, ProductOption, Variant, gid, parse_gid};
pub use seed::{SeedFile, SeedProduct, SeedShop, SeedVariant, SeedWeight, ShopSettings};
pub use shop::{LoggedRequest, Stats};
pub use standalone::serve_standalone;

use crate::clock::SimClock;
use crate::server::RunningSim;
use shop::Shop;

pub(crate) struct State {
    shops: BTreeMap<String, Shop>,
}

impl State {
    /// The shop a request is for: by `Host` when it names a shop, else by access token.
    fn find_shop_mut(&mut self, host: Option<&str>, token: &str) -> Option<&mut Shop> {
        if token.is_empty() {
            return None;
        }
        if let Some(h) = host
            && self.shops.contains_key(h)
        {
            return self
                .shops
                .get_mut(h)
                .filter(|s| s.tokens.iter().any(|t| t == token));
        }
        self.shops
            .values_mut()
            .find(|s| s.tokens.iter().any(|t| t == token))
    }
}

/// The simulator: any number of shops behind one HTTP server. Cheap to clone.
#[derive(Clone)]
pub struct ShopifySim {
    state: Arc<Mutex<State>>,
    clock: SimClock,
}

impl Default for ShopifySim {
    fn default() -> Self {
        Self::new(SimClock::system())
    }
}

impl ShopifySim {
    pub fn new(clock: SimClock) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                shops: BTreeMap::new(),
            })),
            clock,
        }
    }

    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Add (or replace) a shop reachable with `access_token`.
    pub fn add_shop(&self, domain: &str, access_token: &str, settings: ShopSettings) -> ShopHandle {
        let domain = domain.to_ascii_lowercase();
        self.lock()
            .shops
            .insert(domain.clone(), Shop::new(&domain, access_token, settings));
        self.shop(&domain)
    }

    /// A handle on a shop (which need not exist yet; calls on a missing shop do nothing).
    pub fn shop(&self, domain: &str) -> ShopHandle {
        ShopHandle {
            sim: self.clone(),
            domain: domain.to_ascii_lowercase(),
        }
    }

    pub fn shop_domains(&self) -> Vec<String> {
        self.lock().shops.keys().cloned().collect()
    }

    /// The API routes plus the `/_sim` admin routes.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/admin/api/{version}/graphql.json", post(http::graphql))
            .merge(admin::routes())
            .with_state(self.clone())
    }

    /// Serve on a free loopback port.
    pub async fn start(&self) -> std::io::Result<RunningSim> {
        RunningSim::start(self.router()).await
    }
}

/// Control and inspection of one shop, for tests and the demo.
#[derive(Clone)]
pub struct ShopHandle {
    sim: ShopifySim,
    domain: String,
}

impl ShopHandle {
    pub fn domain(&self) -> &str {
        &self.domain
    }

    fn with<R>(&self, f: impl FnOnce(&mut Shop) -> R) -> Option<R> {
        let mut state = self.sim.lock();
        state.shops.get_mut(&self.domain).map(f)
    }

    /// Create products as if the merchant had; returns their GIDs in order.
    pub fn seed(&self, products: &[SeedProduct]) -> Result<Vec<String>, String> {
        let now = self.sim.clock.now();
        self.with(|s| {
            products
                .iter()
                .map(|p| s.insert_seed(p, now).map(|id| gid("Product", id)))
                .collect()
        })
        .unwrap_or_else(|| Err(format!("no shop {}", self.domain)))
    }

    /// The access tokens the shop accepts.
    pub fn access_tokens(&self) -> Vec<String> {
        self.with(|s| s.tokens.clone()).unwrap_or_default()
    }

    /// Replace the shop's faults.
    pub fn set_faults(&self, faults: Faults) {
        self.with(|s| s.faults = faults);
    }

    /// Change the shop's faults in place.
    pub fn faults(&self, f: impl FnOnce(&mut Faults)) {
        self.with(|s| f(&mut s.faults));
    }

    pub fn inject_throttled(&self, n: u32) {
        self.faults(|f| f.throttled += n);
    }

    pub fn inject_too_many_requests(&self, n: u32) {
        self.faults(|f| f.too_many_requests += n);
    }

    pub fn inject_server_errors(&self, n: u32) {
        self.faults(|f| f.server_errors += n);
    }

    pub fn inject_server_errors_on_mutations(&self, n: u32) {
        self.faults(|f| f.server_errors_on_mutations += n);
    }

    /// The next `n` mutation requests commit, then stall `stall` before answering.
    pub fn inject_timeout_after_commit(&self, n: u32, stall: std::time::Duration) {
        self.faults(|f| {
            f.timeouts_after_commit += n;
            f.stall_ms = Some(stall.as_millis() as u64);
        });
    }

    /// productSet refuses variants with this SKU with `message`.
    pub fn refuse_sku(&self, sku: &str, message: &str) {
        self.faults(|f| {
            f.bad_skus.insert(sku.to_owned(), message.to_owned());
        });
    }

    /// Every token of the shop stops working (401), as when the app is uninstalled.
    pub fn revoke_token(&self) {
        self.with(|s| s.revoked = true);
    }

    pub fn restore_token(&self) {
        self.with(|s| s.revoked = false);
    }

    /// Resize the bucket (it starts full).
    pub fn set_bucket(&self, maximum_available: f64, restore_rate: f64) {
        self.with(|s| {
            s.settings.maximum_available = maximum_available;
            s.settings.restore_rate = restore_rate;
            s.bucket.reset(maximum_available, restore_rate);
        });
    }

    pub fn set_search_lag(&self, lag: std::time::Duration) {
        self.with(|s| s.settings.search_lag_ms = lag.as_millis() as u64);
    }

    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.with(|s| s.log.clone()).unwrap_or_default()
    }

    pub fn clear_requests(&self) {
        self.with(|s| s.log.clear());
    }

    pub fn stats(&self) -> Stats {
        self.with(|s| s.stats.clone()).unwrap_or_default()
    }

    pub fn reset_stats(&self) {
        self.with(|s| s.stats = Stats::default());
    }

    /// Mutation requests received (whatever their outcome).
    pub fn mutation_requests(&self) -> u64 {
        self.stats().mutation_requests
    }

    /// Mutation fields that changed the catalog.
    pub fn committed_writes(&self) -> u64 {
        self.stats().committed_writes
    }

    /// A copy of every product, in id order.
    pub fn products(&self) -> Vec<Product> {
        self.with(|s| s.products.values().cloned().collect())
            .unwrap_or_default()
    }

    pub fn product(&self, product_gid: &str) -> Option<Product> {
        let id = parse_gid("Product", product_gid)?;
        self.with(|s| s.products.get(&id).cloned()).flatten()
    }

    pub fn product_count(&self) -> usize {
        self.with(|s| s.products.len()).unwrap_or(0)
    }

    /// (product GID, variant GID) of every variant whose SKU is exactly `sku`.
    pub fn variants_with_sku(&self, sku: &str) -> Vec<(String, String)> {
        self.with(|s| {
            s.find_sku(sku)
                .into_iter()
                .map(|(p, v)| (gid("Product", p), gid("ProductVariant", v)))
                .collect()
        })
        .unwrap_or_default()
    }

    /// Edit a product out of band (see [`Shop::edit_product`] for `bump`).
    pub fn edit_product(
        &self,
        product_gid: &str,
        bump: bool,
        f: impl FnOnce(&mut Product),
    ) -> bool {
        let now = self.sim.clock.now();
        let Some(id) = parse_gid("Product", product_gid) else {
            return false;
        };
        self.with(|s| s.edit_product(id, now, bump, f))
            .unwrap_or(false)
    }

    /// Edit every variant with this SKU out of band; returns how many were changed.
    pub fn edit_variant_by_sku(&self, sku: &str, bump: bool, f: impl Fn(&mut Variant)) -> usize {
        let now = self.sim.clock.now();
        self.with(|s| {
            let hits = s.find_sku(sku);
            for (pid, vid) in &hits {
                s.edit_product(*pid, now, bump, |p| {
                    if let Some(v) = p.variants.iter_mut().find(|v| v.id == *vid) {
                        f(v);
                    }
                });
            }
            hits.len()
        })
        .unwrap_or(0)
    }

    pub fn delete_product(&self, product_gid: &str) -> bool {
        let Some(id) = parse_gid("Product", product_gid) else {
            return false;
        };
        self.with(|s| s.delete_product(id)).unwrap_or(false)
    }
}

#[cfg(test)]
mod tests;
