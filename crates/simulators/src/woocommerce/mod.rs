//! WooCommerce REST API v3 simulator: one or more WordPress sites, each with products and
//! variations, REST keys, settings, faults and a request log.
//!
//! # What it models
//! - Sites told apart by path prefix (`http://127.0.0.1:PORT/{site}/wp-json/wc/v3/…`, a
//!   WordPress subdirectory install) or by `Host` (`/wp-json/…` on a host named like the site;
//!   the site named `""` answers for any other host).
//! - Authentication as `WC_REST_Authentication` does it over HTTPS (the simulator speaks
//!   plain HTTP but behaves as if behind TLS, so OAuth 1.0a is not modelled): consumer key and
//!   secret from the query string when both are present, else HTTP Basic. Unknown key → the
//!   route's own 401 (`woocommerce_rest_cannot_view` "Sorry, you cannot list resources.",
//!   `…_cannot_create`, `…_cannot_edit`, `…_cannot_batch`); wrong secret → 401
//!   `woocommerce_rest_authentication_error` "Consumer secret is invalid."; a read-only key
//!   writing → 401 "The API key provided does not have write permissions.".
//! - `GET/POST /products`, `GET/PUT/PATCH/POST/DELETE /products/{id}`, `/products/batch`,
//!   `/products/{id}/variations[/{vid}|/batch]`, `GET /variations` (WooCommerce 10.3+; can be
//!   switched off with [`StoreSettings::global_variations_route`]), `GET /settings/products`
//!   (units in `woocommerce_weight_unit` / `woocommerce_dimension_unit`).
//! - Collection parameters `context, page, per_page (1–100, else 400 rest_invalid_param),
//!   offset, search, after, before, modified_after, modified_before, dates_are_gmt, include,
//!   exclude, order, orderby, status, type, sku, parent, _fields`, `X-WP-Total`,
//!   `X-WP-TotalPages`, `Link` (prev/next, repeating the request's query — credentials too,
//!   as WordPress does). A page past the end is `[]`.
//! - `modified_after`/`after` are **exclusive** (`WP_Date_Query` default `inclusive=false`:
//!   strictly later, at one-second precision), compared with the GMT column when
//!   `dates_are_gmt=true` and with the site-local column otherwise. A UTC offset in the value
//!   is accepted and, as in WordPress, not applied.
//! - Field shapes: money, weights and dimensions are strings; `date_*` are naive local times
//!   and `date_*_gmt` naive UTC (the site has a fixed UTC offset, +120 min by default);
//!   descriptions are `wpautop`-formatted unless `context=edit`; `variations` is an id list.
//!   Products, variations and sideloaded images share one id sequence (WordPress posts).
//! - Every save bumps that post's own `date_modified`; saving a variation never bumps its
//!   parent's. Out-of-band edits can bump or not (stock moves from orders do not, on older
//!   stores).
//! - SKUs are unique across products and variations, compared case-insensitively (MySQL's
//!   default `*_ci` collation; accent folding is not modelled), trashed posts excepted. A
//!   duplicate is 400 `product_invalid_sku` "Invalid or duplicated SKU." with
//!   `data.resource_id` (the holder) and `data.unique_sku` (`sku-1`, `sku-2`, …).
//!   `global_unique_id` is stripped to `[0-9Xx-]` and unique too.
//! - Batches: create+update+delete ≤ 100 (configurable) else 413
//!   `woocommerce_rest_request_entity_too_large`; per-item errors inside the 200 body as
//!   `{"id": 0|id, "error": {"code","message","data"}}`.
//! - Faults ([`Fault`]), per site, from Rust ([`StoreHandle::push_fault`]) or HTTP (`/_sim/…`,
//!   see `admin.rs`): 429 and 503 with HTML bodies and `Retry-After`, 5xx JSON critical
//!   errors, timeout-after-commit, 5xx-after-commit, duplicate-SKU-after-commit, and a bad
//!   item by SKU.
//!
//! # Not modelled
//! Global (`pa_*`) attributes, orders and stock reservations, webhooks, coupons, OAuth 1.0a,
//! categories/tags endpoints (terms come from seeds), `search_sku`, sale schedules.
//!
//! # Seed file
//! `serve_standalone` reads JSON of this shape (every field but `site` optional):
//! ```json
//! {"stores": [{
//!   "site": "shop",
//!   "settings": {"weight_unit": "lbs", "dimension_unit": "in", "utc_offset_minutes": -300,
//!                "batch_limit": 100, "global_variations_route": true},
//!   "keys": [{"consumer_key": "ck_…", "consumer_secret": "cs_…", "permissions": "read_write"}],
//!   "products": [
//!     {"name": "Mug", "sku": "MUG-1", "regular_price": "9.50", "weight": "0.4",
//!      "dimensions": {"length": "10", "width": "8", "height": "9"},
//!      "images": ["https://example.com/mug.jpg"], "categories": ["Kitchen"], "tags": ["gift"]},
//!     {"name": "Tee", "attributes": [{"name": "Size", "options": ["S", "M"]}],
//!      "variations": [{"sku": "TEE-S", "regular_price": "15", "attributes": {"Size": "S"}},
//!                     {"sku": "TEE-M", "regular_price": "15", "attributes": {"Size": "M"}}]}
//!   ]}]}
//! ```
//! A store without keys gets one read/write key. Without a seed file, one site `shop` with
//! `opts.generate` (default 25) generated products is served.

mod admin;
mod auth;
mod collection;
mod errors;
mod faults;
mod http;
mod mutate;
mod params;
mod persist;
mod render;
mod routes;
mod seed;
mod settings;
mod store;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, header};
use chrono::{DateTime, Utc};
use serde_json::Value;

pub use errors::WcError;
pub use faults::{BadItem, Fault, FaultScope};
pub use seed::{
    SeedAttribute, SeedDimensions, SeedFile, SeedProduct, SeedStore, SeedVariation, generate,
};
pub use store::{
    ApiKey, Attribute, KeyPermissions, LoggedRequest, Meta, Post, PostType, StoreSettings,
    VariationAttribute,
};

use crate::clock::SimClock;
use crate::server::{RunningSim, SimOptions};
use store::Store;

/// State shared by the HTTP handler and every handle.
pub(crate) struct Shared {
    clock: SimClock,
    stores: Mutex<BTreeMap<String, StoreHandle>>,
}

impl Shared {
    /// Now, at MySQL DATETIME precision.
    fn now(&self) -> DateTime<Utc> {
        let t = self.clock.now();
        DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
    }

    fn store(&self, site: &str) -> Option<StoreHandle> {
        self.stores
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(site)
            .cloned()
    }

    /// The site a request is for: `(handle, path prefix, path below the site root)`.
    fn resolve(&self, path: &str, headers: &HeaderMap) -> Option<(StoreHandle, String, String)> {
        if path.starts_with("/wp-json") {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("");
            let hostname = host.rsplit_once(':').map_or(host, |(h, _)| h);
            let handle = self.store(hostname).or_else(|| self.store(""))?;
            return Some((handle, String::new(), path.to_owned()));
        }
        let trimmed = path.trim_start_matches('/');
        let (site, rest) = trimmed.split_once('/')?;
        let handle = self.store(site)?;
        Some((handle, format!("/{site}"), format!("/{rest}")))
    }
}

/// A WooCommerce simulator serving any number of sites.
#[derive(Clone)]
pub struct WooSim {
    shared: Arc<Shared>,
}

impl WooSim {
    pub fn new(clock: SimClock) -> Self {
        Self {
            shared: Arc::new(Shared {
                clock,
                stores: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    /// Add (or replace) the site `site`. Use `""` for a site served at the root.
    pub fn add_store(&self, site: &str, settings: StoreSettings) -> StoreHandle {
        let handle = StoreHandle {
            site: site.to_owned(),
            inner: Arc::new(Mutex::new(Store::new(site, settings))),
            clock: self.shared.clock.clone(),
        };
        self.shared
            .stores
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(site.to_owned(), handle.clone());
        handle
    }

    pub fn store(&self, site: &str) -> Option<StoreHandle> {
        self.shared.store(site)
    }

    pub fn router(&self) -> axum::Router {
        axum::Router::new()
            .fallback(http::handle)
            .with_state(self.shared.clone())
    }

    /// Serve on 127.0.0.1 on a free port.
    pub async fn start(&self) -> std::io::Result<RunningSim> {
        RunningSim::start(self.router()).await
    }
}

/// A cloneable handle on one site, for tests: keys, faults, out-of-band edits, the log.
#[derive(Clone)]
pub struct StoreHandle {
    site: String,
    inner: Arc<Mutex<Store>>,
    clock: SimClock,
}

impl StoreHandle {
    pub fn site(&self) -> &str {
        &self.site
    }

    /// The site URL a client uses (what WooCommerce calls the store URL).
    pub fn site_url(&self, sim: &RunningSim) -> String {
        if self.site.is_empty() {
            sim.base_url()
        } else {
            format!("{}/{}", sim.base_url(), self.site)
        }
    }

    fn now(&self) -> DateTime<Utc> {
        let t = self.clock.now();
        DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
    }

    pub(crate) fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut g)
    }

    pub fn issue_key(&self, permissions: KeyPermissions) -> ApiKey {
        self.with_store(|s| s.issue_key(permissions))
    }

    /// Register a key pair chosen by the caller (e.g. from a seed file).
    pub fn add_key(&self, key: ApiKey) {
        self.with_store(|s| s.keys.push(key));
    }

    /// Delete a key, as revoking it in WP Admin does. Returns whether it existed.
    /// The site's REST API keys.
    pub fn keys(&self) -> Vec<ApiKey> {
        self.with_store(|s| s.keys.clone())
    }

    pub fn revoke_key(&self, consumer_key: &str) -> bool {
        self.with_store(|s| {
            let before = s.keys.len();
            s.keys.retain(|k| k.consumer_key != consumer_key);
            before != s.keys.len()
        })
    }

    pub fn settings(&self) -> StoreSettings {
        self.with_store(|s| s.settings.clone())
    }

    pub fn update_settings(&self, f: impl FnOnce(&mut StoreSettings)) {
        self.with_store(|s| f(&mut s.settings));
    }

    pub fn push_fault(&self, scope: FaultScope, fault: Fault, times: usize) {
        self.with_store(|s| s.faults.push(scope, fault, times));
    }

    /// Refuse every create or update carrying `sku` with this per-item error.
    pub fn add_bad_item(&self, sku: &str, code: &str, message: &str) {
        self.with_store(|s| {
            s.faults.bad_items.push(BadItem {
                sku: sku.to_owned(),
                code: code.to_owned(),
                message: message.to_owned(),
            })
        });
    }

    pub fn pending_faults(&self) -> usize {
        self.with_store(|s| s.faults.pending())
    }

    pub fn clear_faults(&self) {
        self.with_store(|s| s.faults.clear());
    }

    pub fn log(&self) -> Vec<LoggedRequest> {
        self.with_store(|s| s.log.clone())
    }

    pub fn clear_log(&self) {
        self.with_store(|s| s.log.clear());
    }

    /// POST/PUT/PATCH/DELETE requests received (faulted ones included).
    pub fn write_count(&self) -> u64 {
        self.with_store(|s| s.writes)
    }

    /// Insert a seed product now; returns its id and its variations' ids.
    pub fn insert(&self, p: &SeedProduct) -> Result<(u64, Vec<u64>), WcError> {
        let now = self.now();
        self.with_store(|s| seed::insert(s, p, now))
    }

    pub fn post(&self, id: u64) -> Option<Post> {
        self.with_store(|s| s.posts.get(&id).cloned())
    }

    /// Every product and variation, trashed ones included, by id.
    pub fn posts(&self) -> Vec<Post> {
        self.with_store(|s| s.posts.values().cloned().collect())
    }

    /// The non-trashed posts holding `sku` (case-insensitively), to check for duplicates.
    pub fn posts_with_sku(&self, sku: &str) -> Vec<Post> {
        let key = store::sku_fold(sku);
        self.with_store(|s| {
            s.posts
                .values()
                .filter(|p| !p.is_trashed() && store::sku_fold(&p.sku) == key)
                .cloned()
                .collect()
        })
    }

    /// An out-of-band edit, as a merchant in WP Admin or a plugin would make it. With `bump`
    /// the post's own `date_modified` moves to now; a variation's parent never moves.
    pub fn edit(&self, id: u64, bump: bool, f: impl FnOnce(&mut Post)) -> bool {
        let now = self.now();
        self.with_store(|s| match s.posts.get_mut(&id) {
            Some(p) => {
                f(p);
                if bump {
                    p.date_modified = now;
                }
                true
            }
            None => false,
        })
    }

    /// An out-of-band edit given as REST fields (the `/_sim/{site}/edit` endpoint).
    pub fn edit_fields(&self, id: u64, bump: bool, fields: &Value) -> Result<(), String> {
        let now = self.now();
        let body = fields.as_object().cloned().unwrap_or_default();
        self.with_store(|s| {
            let Some(post) = s.posts.get(&id).cloned() else {
                return Err(format!("no post {id}"));
            };
            let r = match post.post_type {
                PostType::Product => mutate::update_product(s, id, &body, now),
                PostType::Variation => mutate::update_variation(s, post.parent_id, id, &body, now),
            };
            r.map_err(|e| e.message)?;
            if !bump && let Some(p) = s.posts.get_mut(&id) {
                p.date_modified = post.date_modified;
            }
            Ok(())
        })
    }
}

/// Serve a standalone WooCommerce simulator on `listener` until the process ends. Prints each
/// site's URL and key pair to stdout.
pub async fn serve_standalone(
    listener: tokio::net::TcpListener,
    opts: SimOptions,
) -> std::io::Result<()> {
    let sim = WooSim::new(SimClock::system());
    let stores = match &opts.seed_file {
        Some(path) => {
            let text = tokio::fs::read_to_string(path).await?;
            let file: SeedFile = serde_json::from_str(&text)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            file.stores
        }
        None => vec![SeedStore {
            site: "shop".into(),
            settings: StoreSettings::default(),
            keys: Vec::new(),
            products: generate(opts.generate.unwrap_or(25), opts.seed),
        }],
    };
    let addr = listener.local_addr()?;
    for s in &stores {
        let handle = sim.add_store(&s.site, s.settings.clone());
        for k in &s.keys {
            handle.add_key(k.clone());
        }
        let key = match s.keys.first() {
            Some(k) => k.clone(),
            None => handle.issue_key(KeyPermissions::ReadWrite),
        };
        for p in &s.products {
            handle
                .insert(p)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.message))?;
        }
        let url = if s.site.is_empty() {
            format!("http://{addr}")
        } else {
            format!("http://{addr}/{}", s.site)
        };
        println!("woocommerce site: {url}");
        println!("  consumer_key:    {}", key.consumer_key);
        println!("  consumer_secret: {}", key.consumer_secret);
        println!("  products:        {}", s.products.len());
    }
    axum::serve(listener, sim.router()).await
}
