//! One page of an export to one channel (DESIGN §5).
//!
//! 1. Each catalog variant is rendered as the channel will receive it (SKU mapping applied)
//!    and hashed; a variant whose hash equals its binding's pushed hash is unchanged and not
//!    sent. A product with no changed variant is not sent at all.
//! 2. Before writing, changed variants that have no binding are looked up on the channel by
//!    SKU; a remote variant found is adopted (bound) — and not written at all when it already
//!    holds the same content. This runs again before every retry, so a write that committed
//!    and then timed out is adopted instead of created twice.
//! 3. Changed products go out in batches of the connector's size; each result becomes a
//!    binding with the pushed hash, or an Error message carrying the channel's own text.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use techoms_channels::{
    Connector, ExportProduct, ExportVariant, RemoteIds, RemoteProduct, RemoteVariant, WriteOutcome,
    WriteResult,
};
use techoms_db::bindings::{self, Bound, PushedBinding};
use techoms_db::products;
use techoms_db::sku_mappings::Lookup;
use techoms_domain::{AccountId, Channel, Product, SkuKey, VariantId};

use super::hash::ProductHasher;
use super::mapping::Mapper;
use super::run_log::PageLog;
use super::{EngineOptions, Fatal, retry};
use crate::App;
use crate::error::AppResult;

pub(crate) struct ExportCtx<'a> {
    pub app: &'a App,
    pub account: AccountId,
    pub channel: &'a Channel,
    pub connector: &'a dyn Connector,
    pub opts: &'a EngineOptions,
    pub mapper: &'a Mapper,
}

/// What a page did, to be committed with it.
#[derive(Default)]
pub(crate) struct PageResult {
    pub log: PageLog,
    pub pushed: Vec<PushedBinding>,
    /// The earliest change time among variants that failed (the watermark stays before it).
    pub min_failed: Option<DateTime<Utc>>,
    pub fatal: Option<Fatal>,
    /// Catalog variants compared.
    pub considered: u64,
    /// Variants found on the channel by SKU and bound instead of created.
    pub adopted: u64,
}

/// A catalog product rendered for the channel.
struct Prepared {
    export: ExportProduct,
    vids: Vec<VariantId>,
    hashes: Vec<String>,
    /// Catalog SKU keys, per variant.
    keys: Vec<SkuKey>,
    /// When each variant (or its product) last changed in the catalog.
    changed_at: Vec<DateTime<Utc>>,
}

impl Prepared {
    fn has_changes(&self) -> bool {
        self.export.variants.iter().any(|v| v.changed)
    }
}

fn ids_of(b: &Bound) -> RemoteIds {
    RemoteIds {
        product_id: b.remote_product_id.clone(),
        variant_id: b.remote_variant_id.clone(),
        inventory_item_id: b.inventory_item_id.clone(),
    }
}

fn pushed(p: &Prepared, vi: usize, ids: &RemoteIds) -> PushedBinding {
    let v = &p.export.variants[vi];
    PushedBinding {
        variant_id: p.vids[vi],
        remote_product_id: ids.product_id.clone(),
        remote_variant_id: ids.variant_id.clone(),
        inventory_item_id: ids.inventory_item_id.clone(),
        channel_sku: v.sku.clone(),
        sku_key: p.keys[vi].clone(),
        content_hash: p.hashes[vi].clone(),
    }
}

/// Export one page of catalog products (given without their variants).
pub(crate) async fn export_page(ctx: &ExportCtx<'_>, page: Vec<Product>) -> AppResult<PageResult> {
    let mut out = PageResult::default();
    let mut prepared = prepare(ctx, page, &mut out).await?;
    let size = ctx.connector.write_batch_size().max(1);
    for batch in prepared.chunks_mut(size) {
        let Some(results) = write_batch(ctx, batch, &mut out).await? else {
            return Ok(out);
        };
        record(ctx, batch, results, &mut out);
    }
    Ok(out)
}

/// Render and hash every variant; keep the products that have something to send.
async fn prepare(
    ctx: &ExportCtx<'_>,
    heads: Vec<Product>,
    out: &mut PageResult,
) -> AppResult<Vec<Prepared>> {
    let db = &ctx.app.db;
    let page = products::with_bindings(db, ctx.account, ctx.channel.id, heads).await?;
    let keys: Vec<&str> = page
        .iter()
        .flat_map(|(p, _)| p.variants.iter().map(|v| v.sku.key().as_str()))
        .collect();
    let mapped = ctx.mapper.lookup(db, Lookup::ToChannel, &keys).await?;
    let mut keep = Vec::new();
    // Only the fields the channel holds decide whether a variant changed for it.
    let fields = ctx.connector.fields();
    for (p, bound) in page {
        let hasher = ProductHasher::for_channel(
            fields,
            &p.title,
            &p.description_html,
            &p.vendor,
            &p.product_type,
            &p.tags,
            p.status,
            &p.options,
            &p.images,
        );
        let mut prep = Prepared {
            export: ExportProduct {
                key: p.id.to_string(),
                remote_id: None,
                title: p.title.clone(),
                description_html: p.description_html.clone(),
                vendor: p.vendor.clone(),
                product_type: p.product_type.clone(),
                tags: p.tags.clone(),
                status: p.status,
                options: p.options.clone(),
                images: p.images.clone(),
                variants: Vec::with_capacity(p.variants.len()),
            },
            vids: Vec::with_capacity(p.variants.len()),
            hashes: Vec::with_capacity(p.variants.len()),
            keys: Vec::with_capacity(p.variants.len()),
            changed_at: Vec::with_capacity(p.variants.len()),
        };
        for (v, b) in p.variants.iter().zip(&bound) {
            let b = b.as_ref();
            let mut ev = ExportVariant {
                key: v.id.to_string(),
                remote: b.map(ids_of),
                changed: true,
                sku: mapped
                    .get(v.sku.key())
                    .cloned()
                    .unwrap_or_else(|| v.sku.to_string()),
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
            };
            let hash = hasher.export_variant(&ev);
            ev.changed = b.and_then(|b| b.content_hash.as_deref()) != Some(hash.as_str());
            if prep.export.remote_id.is_none() {
                prep.export.remote_id = b.map(|b| b.remote_product_id.clone());
            }
            prep.export.variants.push(ev);
            prep.vids.push(v.id);
            prep.hashes.push(hash);
            prep.keys.push(v.sku.key().clone());
            prep.changed_at.push(v.updated_at.max(p.updated_at));
        }
        out.considered += prep.export.variants.len() as u64;
        let unchanged = prep.export.variants.iter().filter(|v| !v.changed).count();
        out.log.counts.unchanged += unchanged as i64;
        if prep.has_changes() {
            keep.push(prep);
        }
    }
    Ok(keep)
}

/// Adopt what the channel already holds, then write; retried within the budget. None: the
/// run must stop (`out.fatal` says why).
async fn write_batch(
    ctx: &ExportCtx<'_>,
    batch: &mut [Prepared],
    out: &mut PageResult,
) -> AppResult<Option<Vec<WriteResult>>> {
    let mut attempt = 1;
    loop {
        if !adopt(ctx, batch, out).await? {
            return Ok(None);
        }
        let payload: Vec<ExportProduct> = batch
            .iter()
            .filter(|p| p.has_changes())
            .map(|p| p.export.clone())
            .collect();
        if payload.is_empty() {
            return Ok(Some(Vec::new()));
        }
        match ctx.connector.write_products(payload).await {
            Ok(results) => return Ok(Some(results)),
            Err(e) => match retry::delay(ctx.opts, &e, attempt) {
                Some(d) => {
                    tracing::debug!(
                        attempt,
                        "write to {} failed: {e}; retrying",
                        ctx.channel.name
                    );
                    tokio::time::sleep(d).await;
                    attempt += 1;
                }
                None => {
                    out.fatal = Some(retry::fatal(&e, "Writing products", &ctx.channel.name));
                    return Ok(None);
                }
            },
        }
    }
}

/// Look the batch's unbound changed variants up by SKU and adopt what is there. False when
/// the lookup failed beyond the budget (`out.fatal` is set).
async fn adopt(
    ctx: &ExportCtx<'_>,
    batch: &mut [Prepared],
    out: &mut PageResult,
) -> AppResult<bool> {
    let wanted: Vec<(usize, usize)> = batch
        .iter()
        .enumerate()
        .flat_map(|(pi, p)| {
            p.export
                .variants
                .iter()
                .enumerate()
                .filter(|(_, v)| v.changed && v.remote.is_none())
                .map(move |(vi, _)| (pi, vi))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(true);
    }
    let skus: Vec<String> = wanted
        .iter()
        .map(|&(pi, vi)| batch[pi].export.variants[vi].sku.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let found = match retry::call(ctx.opts, || ctx.connector.find_by_skus(&skus)).await {
        Ok(f) => f,
        Err(e) => {
            out.fatal = Some(retry::fatal(&e, "Looking SKUs up", &ctx.channel.name));
            return Ok(false);
        }
    };
    let mut by_key: HashMap<SkuKey, (&RemoteProduct, &RemoteVariant)> = HashMap::new();
    for rp in &found {
        for rv in &rp.variants {
            by_key.entry(SkuKey::of(&rv.sku)).or_insert((rp, rv));
        }
    }
    if by_key.is_empty() {
        return Ok(true);
    }
    // A remote variant already bound to another catalog variant is not taken over.
    let rids: Vec<&str> = by_key
        .values()
        .map(|(_, rv)| rv.remote_id.as_str())
        .collect();
    let ours: HashSet<String> = wanted
        .iter()
        .map(|&(pi, vi)| batch[pi].export.variants[vi].key.clone())
        .collect();
    let taken: HashMap<String, Bound> =
        bindings::by_remote_variants(&ctx.app.db, ctx.account, ctx.channel.id, &rids)
            .await?
            .into_iter()
            .filter(|b| b.variant_id.is_some_and(|v| !ours.contains(&v.to_string())))
            .map(|b| (b.remote_variant_id.clone(), b))
            .collect();
    let mut used: HashSet<String> = HashSet::new();
    for (pi, vi) in wanted {
        let p = &mut batch[pi];
        let key = SkuKey::of(&p.export.variants[vi].sku);
        let Some((rp, rv)) = by_key.get(&key) else {
            continue;
        };
        let sku = p.export.variants[vi].sku.clone();
        if taken.contains_key(&rv.remote_id) || !used.insert(rv.remote_id.clone()) {
            p.export.variants[vi].changed = false;
            out.log.skipped(
                Some(&sku),
                Some(&rv.remote_id),
                format!(
                    "{}: SKU {sku:?} is held by remote variant {} (product {}), which stands \
                     for another catalog variant; skipped so that no duplicate is made",
                    ctx.channel.name, rv.remote_id, rp.remote_id
                ),
            );
            continue;
        }
        let ids = RemoteIds {
            product_id: rp.remote_id.clone(),
            variant_id: rv.remote_id.clone(),
            inventory_item_id: rv.inventory_item_id.clone(),
        };
        out.adopted += 1;
        p.export
            .remote_id
            .get_or_insert_with(|| rp.remote_id.clone());
        if ProductHasher::of_remote_for(ctx.connector.fields(), rp).remote_variant(rv)
            == p.hashes[vi]
        {
            // Already there as the catalog has it: bind, nothing to send.
            p.export.variants[vi].changed = false;
            out.log.counts.unchanged += 1;
            out.pushed.push(pushed(p, vi, &ids));
        }
        p.export.variants[vi].remote = Some(ids);
    }
    Ok(true)
}

/// Turn a batch's results into bindings, counts and messages.
fn record(
    ctx: &ExportCtx<'_>,
    batch: &[Prepared],
    results: Vec<WriteResult>,
    out: &mut PageResult,
) {
    let by_key: HashMap<String, WriteOutcome> =
        results.into_iter().map(|r| (r.key, r.outcome)).collect();
    for p in batch {
        for (vi, v) in p.export.variants.iter().enumerate() {
            if !v.changed {
                continue;
            }
            let remote = v.remote.as_ref().map(|r| r.variant_id.as_str());
            match by_key.get(&v.key) {
                Some(WriteOutcome::Created(ids)) => {
                    out.log.counts.created += 1;
                    out.pushed.push(pushed(p, vi, ids));
                }
                Some(WriteOutcome::Updated { ids, .. }) => {
                    out.log.counts.updated += 1;
                    out.pushed.push(pushed(p, vi, ids));
                }
                Some(WriteOutcome::Failed { message }) => {
                    earliest(&mut out.min_failed, p.changed_at[vi]);
                    out.log.failed(
                        Some(&v.sku),
                        remote,
                        format!("{} refused SKU {:?}: {message}", ctx.channel.name, v.sku),
                    );
                }
                None => {
                    earliest(&mut out.min_failed, p.changed_at[vi]);
                    out.log.failed(
                        Some(&v.sku),
                        remote,
                        format!(
                            "{} returned no result for SKU {:?}; it will be sent again",
                            ctx.channel.name, v.sku
                        ),
                    );
                }
            }
        }
    }
}

fn earliest(slot: &mut Option<DateTime<Utc>>, t: DateTime<Utc>) {
    *slot = Some(slot.map_or(t, |s| s.min(t)));
}
