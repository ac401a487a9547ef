//! The matching rules of an import page (DESIGN §3): which catalog variant each remote
//! variant of the page stands for, decided before anything is written.
//!
//! 1. Each remote variant gets its techOMS SKU (SKU mapping, trimmed) and key. An empty SKU
//!    is skipped with a Warning; a SKU techOMS cannot store fails the item with an Error.
//! 2. Remote variants already bound to a catalog variant keep it (binding first); a bound
//!    variant whose SKU changed renames its catalog variant unless another one holds the new
//!    key.
//! 3. The others match the catalog by key. A key whose catalog variant is bound to a
//!    different remote variant of this channel that is still present stays with it: the
//!    newcomer is skipped with a Warning naming the SKU, the channel and both remote ids.
//!    Within a page the first occurrence wins the same way. A key held by a catalog variant
//!    whose remote variant has gone missing is adopted.

use std::collections::{HashMap, HashSet};

use techoms_channels::{Fields, RemoteProduct, RemoteVariant};
use techoms_db::bindings::{self, Bound, WriteTx};
use techoms_db::products;
use techoms_db::sku_mappings::Lookup;
use techoms_domain::{Sku, SkuError, SkuKey, Variant, VariantId};

use super::hash::ProductHasher;
use super::import_page::PageCtx;
use super::run_log::PageLog;
use crate::error::AppResult;

/// A remote variant with a SKU techOMS can store.
pub(crate) struct Cand<'p> {
    pub product: usize,
    pub rp: &'p RemoteProduct,
    pub rv: &'p RemoteVariant,
    pub channel_sku: &'p str,
    pub sku: Sku,
    pub hash: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Pending,
    Skip,
    Existing(VariantId),
    New,
}

/// What the page's catalog and ledger looked like before it.
pub(crate) struct Known {
    /// By remote variant id.
    pub bindings: HashMap<String, Bound>,
    pub catalog: HashMap<VariantId, Variant>,
    pub by_key: HashMap<SkuKey, VariantId>,
    /// Each loaded catalog variant's binding on this channel.
    pub bound: HashMap<VariantId, Bound>,
}

pub(crate) fn who(rid: &str, pid: &str) -> String {
    format!("remote variant {rid} (product {pid})")
}

/// What can be worked out of a page with no database at hand — so it overlaps the previous
/// page's writes: each remote variant's position, content hash and, when the channel has no
/// SKU mappings, its parsed techOMS SKU. Hashes cover the fields the channel holds.
pub(crate) struct Prepared {
    items: Vec<PreItem>,
}

struct PreItem {
    product: usize,
    variant: usize,
    hash: String,
    /// Parsed up front when no mapping can change the SKU.
    sku: Option<Result<Sku, SkuError>>,
}

pub(crate) fn prepare(page: &[RemoteProduct], fields: Fields, parse_skus: bool) -> Prepared {
    let mut items = Vec::with_capacity(page.iter().map(|p| p.variants.len()).sum());
    for (pi, rp) in page.iter().enumerate() {
        let hasher = ProductHasher::of_remote_for(fields, rp);
        for (vi, rv) in rp.variants.iter().enumerate() {
            let sku = rv.sku.trim();
            items.push(PreItem {
                product: pi,
                variant: vi,
                hash: hasher.remote_variant(rv),
                sku: (parse_skus && !sku.is_empty()).then(|| Sku::parse(sku)),
            });
        }
    }
    Prepared { items }
}

/// The page's remote variants that carry a SKU techOMS can store (SKU mappings applied);
/// the others are skipped (empty SKU, a Warning) or failed (an Error).
pub(crate) async fn candidates<'p>(
    tx: &mut WriteTx,
    ctx: &PageCtx<'_>,
    page: &'p [RemoteProduct],
    prepared: Prepared,
    log: &mut PageLog,
) -> AppResult<Vec<Cand<'p>>> {
    let label = &ctx.channel.name;
    let mut seen: HashSet<&str> = HashSet::new();
    let mut pre = Vec::new();
    for item in prepared.items {
        let (Some(rp), Some(rv)) = (
            page.get(item.product),
            page.get(item.product)
                .and_then(|p| p.variants.get(item.variant)),
        ) else {
            continue;
        };
        // A channel listing the same variant twice in a page is read once.
        if !seen.insert(rv.remote_id.as_str()) {
            continue;
        }
        let channel_sku = rv.sku.trim();
        if channel_sku.is_empty() {
            log.skipped(
                None,
                Some(&rv.remote_id),
                format!(
                    "{label}: {} has no SKU; skipped",
                    who(&rv.remote_id, &rp.remote_id)
                ),
            );
            continue;
        }
        pre.push((item.product, rp, rv, channel_sku, item.hash, item.sku));
    }
    // Channel keys are only needed to look mappings up (a key costs a Unicode fold).
    let keys: Vec<SkuKey> = match ctx.mapper.active() {
        true => pre.iter().map(|p| SkuKey::of(p.3)).collect(),
        false => Vec::new(),
    };
    let key_refs: Vec<&str> = keys.iter().map(SkuKey::as_str).collect();
    let mapped = ctx
        .mapper
        .lookup(&mut *tx, Lookup::FromChannel, &key_refs)
        .await?;
    let mut out = Vec::with_capacity(pre.len());
    for (n, (pi, rp, rv, channel_sku, hash, parsed)) in pre.into_iter().enumerate() {
        let parsed = match (keys.get(n).and_then(|k| mapped.get(k)), parsed) {
            (Some(text), _) => Sku::parse(text),
            (None, Some(p)) => p,
            (None, None) => Sku::parse(channel_sku),
        };
        match parsed {
            Ok(sku) => out.push(Cand {
                product: pi,
                rp,
                rv,
                channel_sku,
                sku,
                hash,
            }),
            Err(e) => log.failed(
                Some(channel_sku),
                Some(&rv.remote_id),
                format!(
                    "{label}: SKU {channel_sku:?} of {} cannot be imported: {e}",
                    who(&rv.remote_id, &rp.remote_id)
                ),
            ),
        }
    }
    Ok(out)
}

pub(crate) async fn load(
    tx: &mut WriteTx,
    ctx: &PageCtx<'_>,
    cands: &[Cand<'_>],
) -> AppResult<Known> {
    let (account, channel) = (ctx.account, ctx.channel.id);
    let rids: Vec<&str> = cands.iter().map(|c| c.rv.remote_id.as_str()).collect();
    let bindings: HashMap<String, Bound> =
        bindings::by_remote_variants(&mut *tx, account, channel, &rids)
            .await?
            .into_iter()
            .map(|b| (b.remote_variant_id.clone(), b))
            .collect();
    let keys: Vec<&str> = cands.iter().map(|c| c.sku.key().as_str()).collect();
    let mut catalog: HashMap<VariantId, Variant> =
        products::variants_by_keys(&mut *tx, account, &keys)
            .await?
            .into_iter()
            .map(|v| (v.id, v))
            .collect();
    let missing: Vec<VariantId> = bindings
        .values()
        .filter_map(|b| b.variant_id)
        .filter(|v| !catalog.contains_key(v))
        .collect();
    for v in products::variants_by_ids(&mut *tx, account, &missing).await? {
        catalog.insert(v.id, v);
    }
    let by_key = catalog
        .values()
        .map(|v| (v.sku.key().clone(), v.id))
        .collect();
    // Each catalog variant's binding on this channel: the page's own bindings already say it
    // for most; only the others are looked up.
    let mut bound: HashMap<VariantId, Bound> = bindings
        .values()
        .filter_map(|b| b.variant_id.map(|v| (v, b.clone())))
        .collect();
    let unknown: Vec<VariantId> = catalog
        .keys()
        .filter(|v| !bound.contains_key(v))
        .copied()
        .collect();
    for b in bindings::by_variants(&mut *tx, account, channel, &unknown).await? {
        if let Some(v) = b.variant_id {
            bound.insert(v, b);
        }
    }
    Ok(Known {
        bindings,
        catalog,
        by_key,
        bound,
    })
}

pub(crate) fn decide(
    ctx: &PageCtx<'_>,
    cands: &[Cand<'_>],
    k: &Known,
    log: &mut PageLog,
) -> Vec<Decision> {
    let label = &ctx.channel.name;
    let mut decisions = vec![Decision::Pending; cands.len()];
    let mut key_claim: HashMap<&SkuKey, usize> = HashMap::new();
    let mut var_claim: HashMap<VariantId, usize> = HashMap::new();
    let dup = |log: &mut PageLog, c: &Cand<'_>, holder: String| {
        log.skipped(
            Some(c.channel_sku),
            Some(&c.rv.remote_id),
            format!(
                "Duplicate SKU {:?} at {label}: {} skipped; the SKU is already held by {holder}",
                c.channel_sku,
                who(&c.rv.remote_id, &c.rp.remote_id)
            ),
        )
    };
    let claimer = |j: usize| who(&cands[j].rv.remote_id, &cands[j].rp.remote_id);
    // Pass 1: remote variants bound to a catalog variant keep it.
    for (i, c) in cands.iter().enumerate() {
        let Some(vid) = k
            .bindings
            .get(&c.rv.remote_id)
            .and_then(|b| b.variant_id)
            .filter(|v| k.catalog.contains_key(v))
        else {
            continue;
        };
        let key = c.sku.key();
        if let Some(&j) = key_claim.get(key) {
            dup(log, c, claimer(j));
            decisions[i] = Decision::Skip;
            continue;
        }
        if let Some(h) = k.by_key.get(key).filter(|h| **h != vid) {
            let holder = match k.bound.get(h) {
                Some(b) => format!(
                    " (bound to {})",
                    who(&b.remote_variant_id, &b.remote_product_id)
                ),
                None => String::new(),
            };
            let old = k
                .catalog
                .get(&vid)
                .map(|v| v.sku.to_string())
                .unwrap_or_default();
            log.skipped(
                Some(c.channel_sku),
                Some(&c.rv.remote_id),
                format!(
                    "{label}: the SKU of {} changed to {:?}, which another catalog variant \
                     already uses{holder}; skipped, the catalog keeps SKU {old:?}",
                    who(&c.rv.remote_id, &c.rp.remote_id),
                    c.channel_sku
                ),
            );
            decisions[i] = Decision::Skip;
            continue;
        }
        decisions[i] = Decision::Existing(vid);
        key_claim.insert(key, i);
        var_claim.insert(vid, i);
    }
    // Pass 2: the others match by key; a key stays with the remote variant that holds it.
    for (i, c) in cands.iter().enumerate() {
        if decisions[i] != Decision::Pending {
            continue;
        }
        let key = c.sku.key();
        if let Some(&j) = key_claim.get(key) {
            dup(log, c, claimer(j));
            decisions[i] = Decision::Skip;
            continue;
        }
        match k.by_key.get(key) {
            Some(h) => {
                if let Some(&j) = var_claim.get(h) {
                    dup(log, c, claimer(j));
                    decisions[i] = Decision::Skip;
                    continue;
                }
                if let Some(b) = k
                    .bound
                    .get(h)
                    .filter(|b| !b.missing_at_master && b.remote_variant_id != c.rv.remote_id)
                {
                    dup(log, c, who(&b.remote_variant_id, &b.remote_product_id));
                    decisions[i] = Decision::Skip;
                    continue;
                }
                decisions[i] = Decision::Existing(*h);
                var_claim.insert(*h, i);
            }
            None => decisions[i] = Decision::New,
        }
        key_claim.insert(key, i);
    }
    decisions
}
