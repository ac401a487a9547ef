//! Writing what was read: each product of the file is matched with the catalog, merged,
//! checked again as a whole, and written — all in one transaction.
//!
//! Matching: the SKU is the identity, so a product whose rows hold SKUs of a catalog product
//! is that product; a `product_handle` that is the id of one of the account's products (as an
//! export writes it) names it too. A variant never moves to another product, and two products
//! of the file never meet in one catalog product: both are errors of the rows concerned.
//!
//! Merging: a column the file does not have leaves the field as it is; variants of a catalog
//! product that the file does not list are kept (an import never deletes); the catalog's
//! variants keep their order and new ones follow in the file's order.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use techoms_db::bindings::WriteTx;
use techoms_db::products;
use techoms_domain::{AccountId, Product, ProductId, SkuKey, Variant, VariantStatus};

use super::columns::{Column, Header};
use super::parse::{Group, Row, shown};
use super::report::{Counts, ProblemLog};
use crate::error::AppResult;

/// What the write phase did (or, in a dry run, would do).
#[derive(Debug, Default)]
pub struct Written {
    pub products: Counts,
    pub variants: Counts,
    /// An error was found while matching (without `skip_invalid`: nothing written).
    pub refused: bool,
}

pub struct WriteCtx<'a> {
    pub account: AccountId,
    pub header: &'a Header,
    pub now: DateTime<Utc>,
    pub skip_invalid: bool,
    pub dry_run: bool,
}

fn label(p: &Product) -> String {
    format!("{} (id {})", shown(&p.title), p.id)
}

/// Match, merge, check and (unless refused or a dry run) write.
pub async fn write(
    tx: &mut WriteTx,
    ctx: &WriteCtx<'_>,
    groups: &mut [Group],
    log: &mut ProblemLog,
) -> AppResult<Written> {
    let account = ctx.account;
    let keys: Vec<&str> = groups
        .iter()
        .filter(|g| !g.bad)
        .flat_map(|g| g.rows.iter().map(|r| r.sku.key().as_str()))
        .collect();
    let existing: HashMap<SkuKey, Variant> = products::variants_by_keys(&mut *tx, account, &keys)
        .await?
        .into_iter()
        .map(|v| (v.sku.key().clone(), v))
        .collect();
    let mut wanted: HashSet<ProductId> = existing.values().map(|v| v.product_id).collect();
    wanted.extend(
        groups
            .iter()
            .filter(|g| !g.bad)
            .filter_map(|g| g.handle.parse::<ProductId>().ok()),
    );
    let wanted: Vec<ProductId> = wanted.into_iter().collect();
    let mut catalog: HashMap<ProductId, Product> =
        products::heads_by_ids(&mut *tx, account, &wanted)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();

    // Which catalog product each product of the file is.
    let mut target: Vec<Option<ProductId>> = vec![None; groups.len()];
    // Catalog product → handle and first line of the file's product that is it.
    let mut claimed: HashMap<ProductId, (String, u64)> = HashMap::new();
    for (gi, g) in groups.iter_mut().enumerate() {
        if g.bad {
            continue;
        }
        let mut owners: Vec<(ProductId, &Row)> = Vec::new();
        for r in &g.rows {
            if let Some(v) = existing.get(r.sku.key())
                && !owners.iter().any(|(p, _)| *p == v.product_id)
            {
                owners.push((v.product_id, r));
            }
        }
        let by_id = g
            .handle
            .parse::<ProductId>()
            .ok()
            .filter(|id| catalog.contains_key(id));
        let mut problems: Vec<(u64, Column, String)> = Vec::new();
        if owners.len() > 1 {
            let (p0, r0) = owners[0];
            for (p, r) in &owners[1..] {
                problems.push((
                    r.line,
                    Column::Sku,
                    format!(
                        "SKU {} belongs to catalog product {}, but SKU {} (line {}) of the same product_handle belongs to {}; a variant never moves between products",
                        shown(r.sku.as_str()),
                        label(&catalog[p]),
                        shown(r0.sku.as_str()),
                        r0.line,
                        label(&catalog[&p0])
                    ),
                ));
            }
        } else if let (Some((p, r)), Some(id)) = (owners.first(), by_id)
            && *p != id
        {
            problems.push((
                r.line,
                Column::Sku,
                format!(
                    "SKU {} belongs to catalog product {}, but product_handle names product {}; a variant never moves between products",
                    shown(r.sku.as_str()),
                    label(&catalog[p]),
                    label(&catalog[&id])
                ),
            ));
        }
        let found = owners.first().map(|(p, _)| *p).or(by_id);
        if problems.is_empty()
            && let Some(p) = found
        {
            if let Some((other, at)) = claimed.get(&p) {
                // Both are the same catalog product: writing one would undo the other.
                problems.push((
                    g.line,
                    Column::ProductHandle,
                    format!(
                        "is the same catalog product {} as product_handle {} (line {at}); give all its rows one product_handle",
                        label(&catalog[&p]),
                        shown(other),
                    ),
                ));
            } else {
                claimed.insert(p, (g.handle.clone(), g.line));
                target[gi] = Some(p);
            }
        }
        for (line, c, m) in problems {
            log.error(line, Some(c.name()), m);
            g.bad = true;
        }
    }
    let targets: Vec<ProductId> = target.iter().flatten().copied().collect();
    for v in products::variants_of_products(&mut *tx, account, &targets).await? {
        if let Some(p) = catalog.get_mut(&v.product_id) {
            p.variants.push(v);
        }
    }

    let mut out = Written::default();
    let mut heads_out: Vec<Product> = Vec::new();
    let mut variants_out: Vec<Variant> = Vec::new();
    for (gi, g) in groups.iter_mut().enumerate() {
        if g.bad {
            out.products.skipped += 1;
            continue;
        }
        if g.rows.is_empty() {
            // Every row repeated a SKU of another product: nothing of it is imported.
            out.products.skipped += 1;
            continue;
        }
        let old = target[gi].and_then(|p| catalog.get(&p));
        if old.is_none() && !ctx.header.has(Column::Title) {
            log.error(
                g.line,
                Some(Column::Title.name()),
                "is required to create a product, and the file has no title column",
            );
            g.bad = true;
            out.products.skipped += 1;
            continue;
        }
        let (product, written) = merge(ctx, g, old);
        if !check(&product, g, log) {
            g.bad = true;
            out.products.skipped += 1;
            continue;
        }
        let head_changed = old.is_none_or(|o| !o.same_head(&product));
        let mut any = head_changed;
        for (v, row) in product.variants.iter().zip(written.iter()) {
            let before = old.and_then(|o| o.variants.iter().find(|x| x.id == v.id));
            let changed = before.is_none_or(|b| !b.same_content(v));
            if changed {
                variants_out.push(v.clone());
                any = true;
            }
            if row.is_some() {
                match before {
                    None => out.variants.created += 1,
                    Some(_) if changed => out.variants.updated += 1,
                    Some(_) => out.variants.unchanged += 1,
                }
            }
        }
        match (old, any) {
            (None, _) => out.products.created += 1,
            (Some(_), true) => out.products.updated += 1,
            (Some(_), false) => out.products.unchanged += 1,
        }
        if head_changed {
            heads_out.push(Product {
                variants: Vec::new(),
                ..product
            });
        }
    }
    if log.errors() > 0 && !ctx.skip_invalid {
        out.refused = true;
        return Ok(out);
    }
    if !ctx.dry_run {
        let heads: Vec<&Product> = heads_out.iter().collect();
        products::upsert_heads(tx, account, &heads, ctx.now).await?;
        let variants: Vec<&Variant> = variants_out.iter().collect();
        products::upsert_variants(tx, account, &variants, ctx.now).await?;
    }
    Ok(out)
}

/// The product as it will stand: the file's fields over the catalog's (or defaults), the
/// file's variants first, then the catalog's other variants. The second value says, for
/// each variant, which row of the file gave it.
pub(super) fn merge<'g>(
    ctx: &WriteCtx<'_>,
    g: &'g Group,
    old: Option<&Product>,
) -> (Product, Vec<Option<&'g Row>>) {
    let h = ctx.header;
    let blank = Product {
        id: ProductId::new(),
        account_id: ctx.account,
        title: String::new(),
        description_html: String::new(),
        vendor: String::new(),
        product_type: String::new(),
        tags: Vec::new(),
        status: Default::default(),
        options: Vec::new(),
        images: Vec::new(),
        variants: Vec::new(),
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    let base = old.unwrap_or(&blank);
    let pick = |c: Column| h.has(c);
    let f = &g.head;
    let mut p = Product {
        id: base.id,
        account_id: ctx.account,
        title: if pick(Column::Title) {
            f.title.clone()
        } else {
            base.title.clone()
        },
        description_html: if pick(Column::DescriptionHtml) {
            f.description_html.clone()
        } else {
            base.description_html.clone()
        },
        vendor: if pick(Column::Vendor) {
            f.vendor.clone()
        } else {
            base.vendor.clone()
        },
        product_type: if pick(Column::ProductType) {
            f.product_type.clone()
        } else {
            base.product_type.clone()
        },
        tags: if pick(Column::Tags) {
            f.tags.clone()
        } else {
            base.tags.clone()
        },
        status: if pick(Column::Status) {
            f.status
        } else {
            base.status
        },
        options: if h.has_options() {
            f.options.clone()
        } else {
            base.options.clone()
        },
        images: if pick(Column::Images) {
            f.images.clone()
        } else {
            base.images.clone()
        },
        variants: Vec::new(),
        created_at: base.created_at,
        updated_at: ctx.now,
    };
    let rows: HashMap<&SkuKey, &Row> = g.rows.iter().map(|r| (r.sku.key(), r)).collect();
    let known: HashSet<&SkuKey> = base.variants.iter().map(|v| v.sku.key()).collect();
    let keep = |c: Column| !h.has(c);
    let build = |r: &Row, e: Option<&Variant>| Variant {
        id: e.map(|e| e.id).unwrap_or_default(),
        product_id: p.id,
        sku: r.sku.clone(),
        position: 0,
        option_values: match e {
            Some(e) if !h.has_options() => e.option_values.clone(),
            _ => r.option_values.clone(),
        },
        barcode: match e {
            Some(e) if keep(Column::Barcode) => e.barcode.clone(),
            _ => r.barcode.clone(),
        },
        price: match e {
            Some(e) if keep(Column::Price) => e.price,
            _ => r.price,
        },
        compare_at_price: match e {
            Some(e) if keep(Column::CompareAtPrice) => e.compare_at_price,
            _ => r.compare_at_price,
        },
        cost: match e {
            Some(e) if keep(Column::Cost) => e.cost,
            _ => r.cost,
        },
        weight: match e {
            Some(e) if keep(Column::Weight) => e.weight,
            _ => r.weight,
        },
        length: match e {
            Some(e) if keep(Column::Length) => e.length,
            _ => r.length,
        },
        width: match e {
            Some(e) if keep(Column::Width) => e.width,
            _ => r.width,
        },
        height: match e {
            Some(e) if keep(Column::Height) => e.height,
            _ => r.height,
        },
        status: match e {
            Some(e) if keep(Column::VariantStatus) => e.status,
            _ if keep(Column::VariantStatus) => VariantStatus::Active,
            _ => r.status,
        },
        created_at: e.map_or(ctx.now, |e| e.created_at),
        updated_at: ctx.now,
    };
    // The catalog's variants keep their order (a price list must not reorder them); new ones
    // follow in the file's order.
    let mut variants: Vec<Variant> = Vec::new();
    let mut from: Vec<Option<&Row>> = Vec::new();
    for e in &base.variants {
        match rows.get(e.sku.key()) {
            Some(r) => {
                variants.push(build(r, Some(e)));
                from.push(Some(*r));
            }
            None => {
                variants.push(e.clone());
                from.push(None);
            }
        }
    }
    for r in g.rows.iter().filter(|r| !known.contains(r.sku.key())) {
        variants.push(build(r, None));
        from.push(Some(r));
    }
    for (i, v) in variants.iter_mut().enumerate() {
        v.position = i as i32;
    }
    p.variants = variants;
    (p, from)
}

/// The merged product as a whole: one option value per option on every variant (also on
/// variants the file does not list), and the domain's own rules.
fn check(p: &Product, g: &Group, log: &mut ProblemLog) -> bool {
    let before = log.errors();
    let n = p.options.len();
    for v in &p.variants {
        if v.option_values.len() == n {
            continue;
        }
        match g.rows.iter().find(|r| r.sku.key() == v.sku.key()) {
            Some(r) => log.error(
                r.line,
                Some(Column::Option1Value.name()),
                format!(
                    "the product has {n} option{} in the catalog ({}); give this row a value for each (the file has no option columns)",
                    if n == 1 { "" } else { "s" },
                    p.options.join(", ")
                ),
            ),
            None => log.error(
                g.line,
                Some(Column::Option1Name.name()),
                format!(
                    "the file gives the product {n} option{}, but its variant {} (not in the file) has {}; list that variant too",
                    if n == 1 { "" } else { "s" },
                    shown(v.sku.as_str()),
                    v.option_values.len()
                ),
            ),
        }
    }
    if let Err(errors) = p.validate() {
        for e in errors {
            log.error(g.line, None, format!("{}: {}", e.field, e.message));
        }
    }
    log.errors() == before
}
