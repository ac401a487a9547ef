//! One page of an import, decided ([`super::import_match`]) and written inside the page's
//! transaction.
//!
//! Products and variants whose content differs are upserted (unchanged rows are not written,
//! so their `updated_at` keeps driving incremental exports). A catalog variant never moves to
//! another product, and a catalog product's own fields follow one remote product (see
//! [`write`]). Every remote variant read has its binding upserted — or, when nothing about it
//! changed, only marked read by this run (what a full read's missing-at-master check uses).

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use techoms_channels::{Fields, RemoteProduct};
use techoms_db::bindings::{self, ReadBinding, WriteTx};
use techoms_db::products;
use techoms_domain::{AccountId, Channel, Product, ProductId, RunId, Sku, Variant, VariantId};

use super::import_match::{Cand, Decision, Known, Prepared, candidates, decide, load};
use super::mapping::Mapper;
use super::run_log::PageLog;
use crate::error::AppResult;

pub(crate) struct PageCtx<'a> {
    pub account: AccountId,
    pub channel: &'a Channel,
    pub run: RunId,
    pub now: DateTime<Utc>,
    pub mapper: &'a Mapper,
    /// The fields the channel holds; the catalog keeps its value of every other one.
    pub fields: Fields,
}

/// Import one page (with what [`super::import_match::prepare`] worked out of it); returns
/// how many remote variants it held.
pub(crate) async fn apply(
    tx: &mut WriteTx,
    ctx: &PageCtx<'_>,
    page: &[RemoteProduct],
    prepared: Prepared,
    log: &mut PageLog,
) -> AppResult<u64> {
    let cands = candidates(tx, ctx, page, prepared, log).await?;
    let known = load(tx, ctx, &cands).await?;
    let decisions = decide(ctx, &cands, &known, log);
    write(tx, ctx, page, &cands, &decisions, &known, log).await?;
    Ok(page.iter().map(|p| p.variants.len() as u64).sum())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// Write the page as decided. Products: a remote product's new variants join a catalog
/// product it is the primary source of (else a new one); existing variants stay where they
/// are; a catalog product fed by several remote products takes its own fields and variant
/// order from the first of them by remote id, so that nothing flips from run to run.
async fn write(
    tx: &mut WriteTx,
    ctx: &PageCtx<'_>,
    page: &[RemoteProduct],
    cands: &[Cand<'_>],
    decisions: &[Decision],
    k: &Known,
    log: &mut PageLog,
) -> AppResult<()> {
    let (account, now) = (ctx.account, ctx.now);
    let existing_pids: Vec<ProductId> = decisions
        .iter()
        .filter_map(|d| match d {
            Decision::Existing(v) => k.catalog.get(v).map(|v| v.product_id),
            _ => None,
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let heads: HashMap<ProductId, Product> =
        products::heads_by_ids(&mut *tx, account, &existing_pids)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
    let mut owners: HashMap<ProductId, BTreeSet<String>> = HashMap::new();
    for (p, r) in
        bindings::product_owners(&mut *tx, account, ctx.channel.id, &existing_pids).await?
    {
        owners.entry(p).or_default().insert(r);
    }
    // ... and as they stand after this page, so that who sets a product's fields is decided
    // the same way in the run that adopts a variant and in every run after it.
    for (i, c) in cands.iter().enumerate() {
        if let Decision::Existing(v) = decisions[i]
            && let Some(v) = k.catalog.get(&v)
        {
            owners
                .entry(v.product_id)
                .or_default()
                .insert(c.rp.remote_id.clone());
        }
    }
    let mut heads_out: Vec<Product> = Vec::new();
    let mut heads_done: HashSet<ProductId> = HashSet::new();
    let mut variants_out: Vec<Variant> = Vec::new();
    let mut reads: Vec<ReadBinding> = Vec::with_capacity(cands.len());
    let mut release: Vec<VariantId> = Vec::new();

    let assigned: HashSet<VariantId> = decisions
        .iter()
        .filter_map(|d| match d {
            Decision::Existing(v) => Some(*v),
            _ => None,
        })
        .collect();
    let mut by_product: Vec<Vec<usize>> = vec![Vec::new(); page.len()];
    for (i, c) in cands.iter().enumerate() {
        match decisions[i] {
            Decision::Existing(_) | Decision::New => by_product[c.product].push(i),
            Decision::Skip | Decision::Pending => {
                // Remembered so the preview of a master switch can count it, and so a bound
                // variant keeps its binding (unless another remote variant takes it over).
                let keep = k
                    .bindings
                    .get(&c.rv.remote_id)
                    .and_then(|b| b.variant_id)
                    .filter(|v| !assigned.contains(v));
                reads.push(read_row(c, keep));
            }
        }
    }
    for (pi, members) in by_product.iter().enumerate() {
        let Some(&first) = members.first() else {
            continue;
        };
        let rp = &page[pi];
        // Several remote products may feed one catalog product (a SKU re-created in another
        // product at the master, a flat channel's items of a product made elsewhere): its own
        // fields and order follow one of them, the first by remote id among those holding its
        // variants, so that they do not flip from run to run.
        let primary = |p: &ProductId| {
            owners
                .get(p)
                .and_then(|o| o.first())
                .is_none_or(|f| f.as_str() >= rp.remote_id.as_str())
        };
        let existing_product = |i: usize| match decisions[i] {
            Decision::Existing(v) => k.catalog.get(&v).map(|v| v.product_id),
            _ => None,
        };
        // A catalog variant never moves to another product (a channel cannot move a variant
        // between products without deleting it). New variants join a product this remote
        // product is the primary source of, else a new one.
        let home = members
            .iter()
            .filter_map(|&i| existing_product(i))
            .find(|p| primary(p))
            .unwrap_or_default();
        let mut touched: Vec<ProductId> = Vec::new();
        for &i in members {
            let p = existing_product(i).unwrap_or(home);
            if !touched.contains(&p) {
                touched.push(p);
            }
        }
        let mut changed_heads: HashSet<ProductId> = HashSet::new();
        for p in touched {
            if !primary(&p) || !heads_done.insert(p) {
                continue;
            }
            let old = heads.get(&p);
            let head = head_of(rp, p, old, &cands[first].sku, ctx.fields, account, now);
            if old.is_none_or(|o| !o.same_head(&head)) {
                heads_out.push(head);
                changed_heads.insert(p);
            }
        }
        let single = rp.variants.len() == 1;
        for (pos, &i) in members.iter().enumerate() {
            let c = &cands[i];
            let existing = match decisions[i] {
                Decision::Existing(v) => k.catalog.get(&v),
                _ => None,
            };
            let rv = c.rv;
            let pid = existing.map_or(home, |e| e.product_id);
            // A flat channel has no order of its own: the catalog keeps its order then.
            let ordered = !single && primary(&pid);
            // A field the channel does not hold keeps the catalog's value (a new variant takes
            // what the read gave, the empty default).
            let f = &ctx.fields;
            let keep = |held: bool| existing.filter(|_| !held);
            let mut v = Variant {
                id: existing.map(|e| e.id).unwrap_or_default(),
                product_id: pid,
                sku: c.sku.clone(),
                position: match existing {
                    Some(e) if !ordered => e.position,
                    _ => pos as i32,
                },
                option_values: keep(f.option_values)
                    .map_or_else(|| rv.option_values.clone(), |e| e.option_values.clone()),
                barcode: keep(f.barcode).map_or_else(|| rv.barcode.clone(), |e| e.barcode.clone()),
                price: keep(f.price).map_or(rv.price, |e| e.price),
                compare_at_price: keep(f.compare_at_price)
                    .map_or(rv.compare_at_price, |e| e.compare_at_price),
                cost: keep(f.cost).map_or(rv.cost, |e| e.cost),
                weight: keep(f.weight).map_or(rv.weight, |e| e.weight),
                length: keep(f.dimensions).map_or(rv.length, |e| e.length),
                width: keep(f.dimensions).map_or(rv.width, |e| e.width),
                height: keep(f.dimensions).map_or(rv.height, |e| e.height),
                status: keep(f.variant_status).map_or(rv.status, |e| e.status),
                created_at: existing.map(|e| e.created_at).unwrap_or(now),
                updated_at: now,
            };
            let outcome = match existing {
                None => Outcome::Created,
                Some(e) if !e.same_content(&v) => Outcome::Updated,
                Some(_) if changed_heads.contains(&pid) => Outcome::Updated,
                Some(_) => Outcome::Unchanged,
            };
            if let Some(e) = existing {
                if !e.same_content(&v) {
                    variants_out.push(v.clone());
                } else {
                    v.updated_at = e.updated_at;
                }
                let prior = k.bindings.get(&rv.remote_id).and_then(|b| b.variant_id);
                if prior != Some(e.id) {
                    release.push(e.id);
                }
            } else {
                variants_out.push(v.clone());
            }
            let seen_this_run = k
                .bindings
                .get(&rv.remote_id)
                .is_some_and(|b| b.last_read_run_id == Some(ctx.run));
            match outcome {
                Outcome::Created => log.counts.created += 1,
                Outcome::Updated => log.counts.updated += 1,
                // Read again within the run (an overlapping page): counted once.
                Outcome::Unchanged if seen_this_run => {}
                Outcome::Unchanged => log.counts.unchanged += 1,
            }
            reads.push(read_row(c, Some(v.id)));
        }
    }
    let head_refs: Vec<&Product> = heads_out.iter().collect();
    products::upsert_heads(tx, account, &head_refs, now).await?;
    let variant_refs: Vec<&Variant> = variants_out.iter().collect();
    products::upsert_variants(tx, account, &variant_refs, now).await?;
    // A re-read that changes nothing about the binding only marks it read.
    let (same, changed): (Vec<ReadBinding>, Vec<ReadBinding>) = reads.into_iter().partition(|r| {
        k.bindings.get(&r.remote_variant_id).is_some_and(|b| {
            b.variant_id == r.variant_id
                && b.remote_product_id == r.remote_product_id
                && b.inventory_item_id == r.inventory_item_id
                && b.content_hash.as_deref() == Some(r.content_hash.as_str())
        })
    });
    let same: Vec<&str> = same.iter().map(|r| r.remote_variant_id.as_str()).collect();
    bindings::mark_read(tx, account, ctx.channel.id, ctx.run, &same, now).await?;
    bindings::record_read(
        tx,
        account,
        ctx.channel.id,
        ctx.run,
        &changed,
        &release,
        now,
    )
    .await?;
    Ok(())
}

/// The catalog product `id` with the remote product's own fields. An empty title (3PL items
/// often have none) becomes the SKU. A field the channel does not hold keeps the catalog's
/// value (`old`); a new product takes what the read gave, the empty default.
fn head_of(
    rp: &RemoteProduct,
    id: ProductId,
    old: Option<&Product>,
    sku: &Sku,
    f: Fields,
    account: AccountId,
    now: DateTime<Utc>,
) -> Product {
    let keep = |held: bool| old.filter(|_| !held);
    Product {
        id,
        account_id: account,
        title: match (keep(f.title), rp.title.trim()) {
            (Some(o), _) => o.title.clone(),
            (None, "") => sku.to_string(),
            (None, t) => t.to_owned(),
        },
        description_html: keep(f.description_html).map_or_else(
            || rp.description_html.clone(),
            |o| o.description_html.clone(),
        ),
        vendor: keep(f.vendor).map_or_else(|| rp.vendor.clone(), |o| o.vendor.clone()),
        product_type: keep(f.product_type)
            .map_or_else(|| rp.product_type.clone(), |o| o.product_type.clone()),
        tags: keep(f.tags).map_or_else(|| rp.tags.clone(), |o| o.tags.clone()),
        status: keep(f.status).map_or(rp.status, |o| o.status),
        options: keep(f.options).map_or_else(|| rp.options.clone(), |o| o.options.clone()),
        images: keep(f.images).map_or_else(|| rp.images.clone(), |o| o.images.clone()),
        variants: Vec::new(),
        created_at: old.map(|h| h.created_at).unwrap_or(now),
        updated_at: now,
    }
}

fn read_row(c: &Cand<'_>, variant: Option<VariantId>) -> ReadBinding {
    ReadBinding {
        variant_id: variant,
        remote_product_id: c.rp.remote_id.clone(),
        remote_variant_id: c.rv.remote_id.clone(),
        inventory_item_id: c.rv.inventory_item_id.clone(),
        channel_sku: c.channel_sku.to_owned(),
        sku_key: c.sku.key().clone(),
        remote_updated_at: c.rv.updated_at.or(c.rp.updated_at),
        content_hash: c.hash.clone(),
    }
}
