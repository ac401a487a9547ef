//! An in-memory, scripted [`Connector`] for engine tests and benchmarks.
//!
//! It keeps a remote store of products and variants under deterministic ids
//! (`<name>-p<n>`, `<name>-v<n>`, `<name>-i<n>`), pages through it by product id, filters by
//! `updated_at` for changed-since reads, looks SKUs up case-insensitively (trimmed), counts
//! every call and every variant written, and fails on demand: one item by SKU with a given
//! message, the next N calls of a kind with any [`ChannelError`], "commit then time out", or
//! every call with an authentication error. Like a real channel it accepts duplicate SKUs, so
//! a test can see the engine create one. It can declare a reduced [`Fields`] set, like a 3PL:
//! it then reads every field it does not hold back as the empty default.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use techoms_channels::{
    ChannelError, Connector, ExportProduct, ExportVariant, Fields, ProductPage, ReadQuery,
    RemoteIds, RemoteProduct, RemoteVariant, WriteOutcome, WriteResult,
};
use techoms_domain::{Clock, ProductStatus, SystemClock, VariantStatus};

/// Which connector call a scripted failure applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Read,
    Find,
    Write,
}

/// Calls and variants seen by the connector.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub read_calls: u64,
    pub find_calls: u64,
    pub write_calls: u64,
    pub variants_created: u64,
    pub variants_updated: u64,
    pub variants_failed: u64,
}

impl Stats {
    /// Variants created or updated.
    pub fn variants_written(&self) -> u64 {
        self.variants_created + self.variants_updated
    }
}

#[derive(Default)]
struct Counters {
    read_calls: AtomicU64,
    find_calls: AtomicU64,
    write_calls: AtomicU64,
    created: AtomicU64,
    updated: AtomicU64,
    failed: AtomicU64,
}

#[derive(Default)]
struct Faults {
    by_sku: HashMap<String, String>,
    next: HashMap<Op, VecDeque<ChannelError>>,
    commit_then_timeout: u32,
    auth: bool,
}

#[derive(Default)]
struct Store {
    products: BTreeMap<u64, RemoteProduct>,
    /// Variant id → product number.
    variant_product: HashMap<String, u64>,
    /// Folded SKU → variant ids holding it.
    by_sku: HashMap<String, Vec<String>>,
    next_id: u64,
}

/// The in-memory connector. Cheap to share behind an `Arc`.
pub struct MemoryConnector {
    name: String,
    page_size: usize,
    batch_size: usize,
    flat: bool,
    fields: Fields,
    clock: Arc<dyn Clock>,
    store: Mutex<Store>,
    faults: Mutex<Faults>,
    counters: Counters,
}

fn fold(sku: &str) -> String {
    sku.trim().to_lowercase()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl MemoryConnector {
    /// A connector named `name` (also the prefix of its ids): pages of 100 products, write
    /// batches of 50, variants grouped in products, the system clock.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            page_size: 100,
            batch_size: 50,
            flat: false,
            fields: Fields::ALL,
            clock: Arc::new(SystemClock),
            store: Mutex::default(),
            faults: Mutex::default(),
            counters: Counters::default(),
        }
    }

    pub fn with_page_size(mut self, n: usize) -> Self {
        self.page_size = n.max(1);
        self
    }

    pub fn with_batch_size(mut self, n: usize) -> Self {
        self.batch_size = n.max(1);
        self
    }

    /// A flat channel (a 3PL): every variant is its own product.
    pub fn flat(mut self, flat: bool) -> Self {
        self.flat = flat;
        self
    }

    /// The fields the channel holds (default: all); the others read back empty.
    pub fn with_fields(mut self, fields: Fields) -> Self {
        self.fields = fields;
        self
    }

    /// The clock that stamps `updated_at` on every change.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn ids(&self, n: u64) -> (String, String, String) {
        (
            format!("{}-p{n}", self.name),
            format!("{}-v{n}", self.name),
            format!("{}-i{n}", self.name),
        )
    }

    fn product_number(&self, id: &str) -> Option<u64> {
        id.strip_prefix(&self.name)?
            .strip_prefix("-p")?
            .parse()
            .ok()
    }

    // --- the remote store, as a test edits and inspects it -----------------------------------

    /// Add a product as if made at the channel. Empty remote ids are assigned; `updated_at`
    /// left empty is set to now. A flat connector stores one product per variant.
    pub fn insert(&self, product: RemoteProduct) -> Vec<RemoteProduct> {
        let now = self.clock.now();
        let mut st = lock(&self.store);
        let parts = if self.flat {
            product
                .variants
                .iter()
                .map(|v| RemoteProduct {
                    variants: vec![v.clone()],
                    ..product.clone()
                })
                .collect()
        } else {
            vec![product]
        };
        parts
            .into_iter()
            .map(|mut p| {
                st.next_id += 1;
                let n = st.next_id;
                p.remote_id = self.ids(n).0;
                p.updated_at.get_or_insert(now);
                for v in &mut p.variants {
                    if v.remote_id.is_empty() {
                        st.next_id += 1;
                        let (_, vid, iid) = self.ids(st.next_id);
                        v.remote_id = vid;
                        v.inventory_item_id = Some(iid);
                    }
                    v.updated_at.get_or_insert(now);
                    st.variant_product.insert(v.remote_id.clone(), n);
                    st.by_sku
                        .entry(fold(&v.sku))
                        .or_default()
                        .push(v.remote_id.clone());
                }
                st.products.insert(n, p.clone());
                p
            })
            .collect()
    }

    /// Edit the first variant holding `sku` (compared case-insensitively) and stamp it and its
    /// product as changed now. False when no variant holds the SKU.
    pub fn edit_variant(&self, sku: &str, f: impl FnOnce(&mut RemoteVariant)) -> bool {
        let now = self.clock.now();
        let mut st = lock(&self.store);
        let Some(vid) = st.by_sku.get(&fold(sku)).and_then(|v| v.first()).cloned() else {
            return false;
        };
        let Some(pn) = st.variant_product.get(&vid).copied() else {
            return false;
        };
        let Some(p) = st.products.get_mut(&pn) else {
            return false;
        };
        let Some(v) = p.variants.iter_mut().find(|v| v.remote_id == vid) else {
            return false;
        };
        let old = fold(&v.sku);
        f(v);
        v.updated_at = Some(now);
        let new = fold(&v.sku);
        p.updated_at = Some(now);
        if old != new {
            reindex(&mut st, &vid, &old, &new);
        }
        true
    }

    /// Edit the product holding `sku` and stamp it as changed now.
    pub fn edit_product_of(&self, sku: &str, f: impl FnOnce(&mut RemoteProduct)) -> bool {
        let now = self.clock.now();
        let mut st = lock(&self.store);
        let Some(vid) = st.by_sku.get(&fold(sku)).and_then(|v| v.first()).cloned() else {
            return false;
        };
        let Some(pn) = st.variant_product.get(&vid).copied() else {
            return false;
        };
        let Some(p) = st.products.get_mut(&pn) else {
            return false;
        };
        f(p);
        p.updated_at = Some(now);
        true
    }

    /// Delete the first variant holding `sku` (and its product when it was the last one).
    pub fn remove_variant(&self, sku: &str) -> bool {
        let mut st = lock(&self.store);
        let key = fold(sku);
        let Some(vid) = st.by_sku.get(&key).and_then(|v| v.first()).cloned() else {
            return false;
        };
        let Some(pn) = st.variant_product.remove(&vid) else {
            return false;
        };
        if let Some(list) = st.by_sku.get_mut(&key) {
            list.retain(|v| *v != vid);
        }
        if let Some(p) = st.products.get_mut(&pn) {
            p.variants.retain(|v| v.remote_id != vid);
            if p.variants.is_empty() {
                st.products.remove(&pn);
            }
        }
        true
    }

    /// Every product, by id.
    pub fn products(&self) -> Vec<RemoteProduct> {
        lock(&self.store).products.values().cloned().collect()
    }

    /// Every variant with the product that holds it.
    pub fn variants(&self) -> Vec<(RemoteProduct, RemoteVariant)> {
        let st = lock(&self.store);
        let mut out = Vec::new();
        for p in st.products.values() {
            let head = RemoteProduct {
                variants: Vec::new(),
                ..p.clone()
            };
            for v in &p.variants {
                out.push((head.clone(), v.clone()));
            }
        }
        out
    }

    pub fn variant_count(&self) -> usize {
        lock(&self.store).variant_product.len()
    }

    pub fn stats(&self) -> Stats {
        let c = &self.counters;
        Stats {
            read_calls: c.read_calls.load(Ordering::Relaxed),
            find_calls: c.find_calls.load(Ordering::Relaxed),
            write_calls: c.write_calls.load(Ordering::Relaxed),
            variants_created: c.created.load(Ordering::Relaxed),
            variants_updated: c.updated.load(Ordering::Relaxed),
            variants_failed: c.failed.load(Ordering::Relaxed),
        }
    }

    pub fn reset_stats(&self) {
        let c = &self.counters;
        for a in [
            &c.read_calls,
            &c.find_calls,
            &c.write_calls,
            &c.created,
            &c.updated,
            &c.failed,
        ] {
            a.store(0, Ordering::Relaxed);
        }
    }

    // --- scripted failures -------------------------------------------------------------------

    /// Refuse every write of the variant with this SKU with `message` (the channel's text).
    pub fn fail_sku(&self, sku: &str, message: &str) {
        lock(&self.faults)
            .by_sku
            .insert(fold(sku), message.to_owned());
    }

    /// Fail the next `n` calls of kind `op` with `error`.
    pub fn fail_next(&self, op: Op, n: usize, error: ChannelError) {
        let mut f = lock(&self.faults);
        let q = f.next.entry(op).or_default();
        q.extend(std::iter::repeat_n(error, n));
    }

    /// The next `n` write calls apply their writes, then answer with a timeout.
    pub fn commit_then_timeout(&self, n: u32) {
        lock(&self.faults).commit_then_timeout += n;
    }

    /// Refuse every call with an authentication error until turned off.
    pub fn set_auth_failure(&self, on: bool) {
        lock(&self.faults).auth = on;
    }

    /// Remove every scripted failure.
    pub fn clear_failures(&self) {
        *lock(&self.faults) = Faults::default();
    }

    fn scripted(&self, op: Op) -> Result<(), ChannelError> {
        let mut f = lock(&self.faults);
        if f.auth {
            return Err(ChannelError::Authentication(
                "[API] Invalid API key or access token (unrecognized login or wrong password)"
                    .into(),
            ));
        }
        match f.next.get_mut(&op).and_then(VecDeque::pop_front) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    // --- writing -----------------------------------------------------------------------------

    fn write_one(&self, st: &mut Store, p: &ExportProduct, now: DateTime<Utc>) -> Vec<WriteResult> {
        let failing = lock(&self.faults).by_sku.clone();
        let mut target = p
            .remote_id
            .as_deref()
            .and_then(|id| self.product_number(id))
            .filter(|n| st.products.contains_key(n));
        let mut out = Vec::new();
        let mut touched = Vec::new();
        for v in p.variants.iter().filter(|v| v.changed) {
            if let Some(message) = failing.get(&fold(&v.sku)) {
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                out.push(result(
                    v,
                    WriteOutcome::Failed {
                        message: message.clone(),
                    },
                ));
                continue;
            }
            let outcome = match &v.remote {
                Some(ids) => match st.variant_product.get(&ids.variant_id).copied() {
                    Some(pn) => {
                        self.update_variant(st, pn, &ids.variant_id, v, now);
                        touched.push(pn);
                        self.counters.updated.fetch_add(1, Ordering::Relaxed);
                        WriteOutcome::Updated {
                            ids: RemoteIds {
                                product_id: self.ids(pn).0,
                                ..ids.clone()
                            },
                            adopted: false,
                        }
                    }
                    None => {
                        self.counters.failed.fetch_add(1, Ordering::Relaxed);
                        WriteOutcome::Failed {
                            message: format!("variant {} not found", ids.variant_id),
                        }
                    }
                },
                None => {
                    let pn = match target.filter(|_| !self.flat) {
                        Some(pn) => pn,
                        None => {
                            st.next_id += 1;
                            let pn = st.next_id;
                            st.products.insert(pn, head_of(p, self.ids(pn).0, now));
                            if !self.flat {
                                target = Some(pn);
                            }
                            pn
                        }
                    };
                    st.next_id += 1;
                    let (_, vid, iid) = self.ids(st.next_id);
                    let rv = remote_variant(v, vid.clone(), Some(iid.clone()), now);
                    st.variant_product.insert(vid.clone(), pn);
                    st.by_sku.entry(fold(&v.sku)).or_default().push(vid.clone());
                    if let Some(prod) = st.products.get_mut(&pn) {
                        prod.variants.push(rv);
                    }
                    touched.push(pn);
                    self.counters.created.fetch_add(1, Ordering::Relaxed);
                    WriteOutcome::Created(RemoteIds {
                        product_id: self.ids(pn).0,
                        variant_id: vid,
                        inventory_item_id: Some(iid),
                    })
                }
            };
            out.push(result(v, outcome));
        }
        for pn in touched {
            if let Some(prod) = st.products.get_mut(&pn) {
                let variants = std::mem::take(&mut prod.variants);
                *prod = RemoteProduct {
                    variants,
                    ..head_of(p, prod.remote_id.clone(), now)
                };
            }
        }
        out
    }

    fn update_variant(
        &self,
        st: &mut Store,
        pn: u64,
        vid: &str,
        v: &ExportVariant,
        now: DateTime<Utc>,
    ) {
        let Some(prod) = st.products.get_mut(&pn) else {
            return;
        };
        let Some(rv) = prod.variants.iter_mut().find(|r| r.remote_id == vid) else {
            return;
        };
        let old = fold(&rv.sku);
        *rv = remote_variant(v, rv.remote_id.clone(), rv.inventory_item_id.clone(), now);
        let new = fold(&rv.sku);
        if old != new {
            reindex(st, vid, &old, &new);
        }
    }
}

fn reindex(st: &mut Store, vid: &str, old: &str, new: &str) {
    if let Some(list) = st.by_sku.get_mut(old) {
        list.retain(|v| v != vid);
    }
    st.by_sku
        .entry(new.to_owned())
        .or_default()
        .push(vid.to_owned());
}

fn result(v: &ExportVariant, outcome: WriteOutcome) -> WriteResult {
    WriteResult {
        key: v.key.clone(),
        sku: v.sku.clone(),
        outcome,
    }
}

fn head_of(p: &ExportProduct, remote_id: String, now: DateTime<Utc>) -> RemoteProduct {
    RemoteProduct {
        remote_id,
        title: p.title.clone(),
        description_html: p.description_html.clone(),
        vendor: p.vendor.clone(),
        product_type: p.product_type.clone(),
        tags: p.tags.clone(),
        status: p.status,
        options: p.options.clone(),
        images: p.images.clone(),
        updated_at: Some(now),
        variants: Vec::new(),
    }
}

fn remote_variant(
    v: &ExportVariant,
    remote_id: String,
    inventory_item_id: Option<String>,
    now: DateTime<Utc>,
) -> RemoteVariant {
    RemoteVariant {
        remote_id,
        inventory_item_id,
        sku: v.sku.clone(),
        option_values: v.option_values.clone(),
        barcode: v.barcode.clone(),
        price: v.price,
        compare_at_price: v.compare_at_price,
        cost: v.cost,
        weight: v.weight,
        length: v.length,
        width: v.width,
        height: v.height,
        status: v.status,
        updated_at: Some(now),
    }
}

/// A product as a channel holding only `f` returns it: every other field empty.
fn held(f: &Fields, p: &RemoteProduct) -> RemoteProduct {
    let mut p = p.clone();
    if f.is_all() {
        return p;
    }
    let take = |held: bool, s: &mut String| {
        if !held {
            s.clear()
        }
    };
    take(f.title, &mut p.title);
    take(f.description_html, &mut p.description_html);
    take(f.vendor, &mut p.vendor);
    take(f.product_type, &mut p.product_type);
    if !f.tags {
        p.tags.clear();
    }
    if !f.status {
        p.status = ProductStatus::Active;
    }
    if !f.options {
        p.options.clear();
    }
    if !f.images {
        p.images.clear();
    }
    for v in &mut p.variants {
        if !f.option_values {
            v.option_values.clear();
        }
        v.barcode = v.barcode.take().filter(|_| f.barcode);
        v.price = v.price.filter(|_| f.price);
        v.compare_at_price = v.compare_at_price.filter(|_| f.compare_at_price);
        v.cost = v.cost.filter(|_| f.cost);
        v.weight = v.weight.filter(|_| f.weight);
        v.length = v.length.filter(|_| f.dimensions);
        v.width = v.width.filter(|_| f.dimensions);
        v.height = v.height.filter(|_| f.dimensions);
        if !f.variant_status {
            v.status = VariantStatus::Active;
        }
    }
    p
}

fn changed(p: &RemoteProduct, since: DateTime<Utc>) -> bool {
    p.updated_at.is_some_and(|t| t >= since)
        || p.variants
            .iter()
            .any(|v| v.updated_at.is_some_and(|t| t >= since))
}

#[async_trait]
impl Connector for MemoryConnector {
    fn name(&self) -> &str {
        &self.name
    }

    async fn read_products(
        &self,
        query: &ReadQuery,
        cursor: Option<String>,
    ) -> Result<ProductPage, ChannelError> {
        self.counters.read_calls.fetch_add(1, Ordering::Relaxed);
        self.scripted(Op::Read)?;
        let after = match cursor.as_deref() {
            None => 0,
            Some(c) => c
                .parse::<u64>()
                .map_err(|_| ChannelError::Permanent(format!("bad cursor {c:?}")))?,
        };
        let st = lock(&self.store);
        let keep = |p: &&RemoteProduct| query.changed_since.is_none_or(|s| changed(p, s));
        let mut iter = st.products.range(after + 1..).filter(|(_, p)| keep(p));
        let mut products = Vec::with_capacity(self.page_size);
        let mut last = after;
        for (n, p) in iter.by_ref().take(self.page_size) {
            products.push(held(&self.fields, p));
            last = *n;
        }
        let more = iter.next().is_some();
        let total_hint = cursor
            .is_none()
            .then(|| st.products.values().filter(|p| keep(p)).count() as u64);
        Ok(ProductPage {
            products,
            next_cursor: more.then(|| last.to_string()),
            total_hint,
        })
    }

    /// Like a token-based API: fails while authentication is refused, else a fresh hour.
    async fn refresh_authorization(&self) -> Result<techoms_channels::AuthStatus, ChannelError> {
        if lock(&self.faults).auth {
            return Err(ChannelError::Authentication(
                "invalid_client: the client credentials were refused".into(),
            ));
        }
        Ok(techoms_channels::AuthStatus::Refreshed {
            expires_at: self.clock.now() + chrono::Duration::hours(1),
        })
    }

    async fn find_by_skus(&self, skus: &[String]) -> Result<Vec<RemoteProduct>, ChannelError> {
        self.counters.find_calls.fetch_add(1, Ordering::Relaxed);
        self.scripted(Op::Find)?;
        let st = lock(&self.store);
        let mut numbers: Vec<u64> = skus
            .iter()
            .filter_map(|s| st.by_sku.get(&fold(s)))
            .flatten()
            .filter_map(|vid| st.variant_product.get(vid).copied())
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        Ok(numbers
            .into_iter()
            .filter_map(|n| st.products.get(&n))
            .map(|p| held(&self.fields, p))
            .collect())
    }

    fn fields(&self) -> Fields {
        self.fields
    }

    fn write_batch_size(&self) -> usize {
        self.batch_size
    }

    async fn write_products(
        &self,
        products: Vec<ExportProduct>,
    ) -> Result<Vec<WriteResult>, ChannelError> {
        self.counters.write_calls.fetch_add(1, Ordering::Relaxed);
        self.scripted(Op::Write)?;
        let now = self.clock.now();
        let results: Vec<WriteResult> = {
            let mut st = lock(&self.store);
            products
                .iter()
                .flat_map(|p| self.write_one(&mut st, p, now))
                .collect()
        };
        let mut f = lock(&self.faults);
        if f.commit_then_timeout > 0 {
            f.commit_then_timeout -= 1;
            return Err(ChannelError::Transient(
                "request timed out after 30 s (the channel may have applied it)".into(),
            ));
        }
        Ok(results)
    }
}

/// A product to seed a channel with: one variant per SKU, priced 10.00 + its position, with a
/// barcode and a weight. Remote ids are left empty for [`MemoryConnector::insert`] to assign.
pub fn seed_product(title: &str, skus: &[&str]) -> RemoteProduct {
    RemoteProduct {
        remote_id: String::new(),
        title: title.to_owned(),
        description_html: format!("<p>{title}</p>"),
        vendor: "Acme".into(),
        product_type: "Gear".into(),
        tags: vec!["seed".into()],
        status: ProductStatus::Active,
        options: if skus.len() > 1 {
            vec!["Size".into()]
        } else {
            Vec::new()
        },
        images: Vec::new(),
        updated_at: None,
        variants: skus
            .iter()
            .enumerate()
            .map(|(i, s)| seed_variant(s, i))
            .collect(),
    }
}

/// One variant of [`seed_product`].
pub fn seed_variant(sku: &str, position: usize) -> RemoteVariant {
    RemoteVariant {
        remote_id: String::new(),
        inventory_item_id: None,
        sku: sku.to_owned(),
        option_values: vec![format!("S{position}")],
        barcode: Some(format!("400{position:010}")),
        price: Some(Decimal::new(1000 + position as i64, 2)),
        compare_at_price: None,
        cost: Some(Decimal::new(450, 2)),
        weight: Some(techoms_domain::Weight::from_grams(Decimal::new(250, 0))),
        length: None,
        width: None,
        height: None,
        status: VariantStatus::Active,
        updated_at: None,
    }
}
