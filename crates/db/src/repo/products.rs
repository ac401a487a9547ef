//! The catalog: products and their variants. A product and its variants are written in one
//! transaction, so a reader never sees a product without its variants.

use std::collections::HashMap;

use sqlx::QueryBuilder;
use sqlx::types::Json;
use techoms_domain::{AccountId, Product, ProductId, SkuKey, Variant};
use uuid::Uuid;

use crate::error::{DbError, DbResult};
use crate::on_db;
use crate::pool::{BeginWrite, Db};
use crate::rows::{ProductRow, VariantRow, dec_text, product_columns, variant_columns};

const INSERT_PRODUCT: &str = concat!(
    "INSERT INTO products (",
    product_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
);

const INSERT_VARIANT: &str = "INSERT INTO variants (id, account_id, product_id, sku, sku_key, \
     position, option_values, barcode, price, compare_at_price, cost, weight_g, length_mm, \
     width_mm, height_mm, status, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";

/// Explain a SKU uniqueness conflict in the merchant's terms.
fn sku_conflict(e: DbError, product: &Product) -> DbError {
    if e.is_conflict_on("sku") {
        let skus: Vec<&str> = product.variants.iter().map(|v| v.sku.as_str()).collect();
        DbError::Conflict {
            constraint: "variants_account_sku_key".into(),
            message: format!(
                "a SKU of this product is already used by another product (SKUs: {})",
                skus.join(", ")
            ),
        }
    } else {
        e
    }
}

macro_rules! bind_variant {
    ($q:expr, $account:expr, $v:expr) => {
        $q.bind($v.id.as_uuid())
            .bind($account.as_uuid())
            .bind($v.product_id.as_uuid())
            .bind($v.sku.as_str())
            .bind($v.sku.key().as_str())
            .bind($v.position)
            .bind(Json(&$v.option_values))
            .bind($v.barcode.as_deref())
            .bind(dec_text($v.price))
            .bind(dec_text($v.compare_at_price))
            .bind(dec_text($v.cost))
            .bind(dec_text($v.weight.map(|w| w.grams())))
            .bind(dec_text($v.length.map(|l| l.mm())))
            .bind(dec_text($v.width.map(|l| l.mm())))
            .bind(dec_text($v.height.map(|l| l.mm())))
            .bind($v.status.as_str())
            .bind($v.created_at)
            .bind($v.updated_at)
    };
}

/// Insert a product with its variants. The product's `account_id` must be `account`.
pub async fn create(db: &Db, account: AccountId, product: &Product) -> DbResult<()> {
    if product.account_id != account {
        return Err(DbError::NotFound);
    }
    let res: DbResult<()> = on_db!(db, |p| {
        let mut tx = p.begin_write().await?;
        sqlx::query(INSERT_PRODUCT)
            .bind(product.id.as_uuid())
            .bind(account.as_uuid())
            .bind(&product.title)
            .bind(&product.description_html)
            .bind(&product.vendor)
            .bind(&product.product_type)
            .bind(Json(&product.tags))
            .bind(product.status.as_str())
            .bind(Json(&product.options))
            .bind(Json(&product.images))
            .bind(product.created_at)
            .bind(product.updated_at)
            .execute(&mut *tx)
            .await?;
        for v in &product.variants {
            bind_variant!(sqlx::query(INSERT_VARIANT), account, v)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    });
    res.map_err(|e| sku_conflict(e, product))
}

/// Replace a product's fields and its variant list (variants not in `product` are deleted).
pub async fn update(db: &Db, account: AccountId, product: &Product) -> DbResult<()> {
    if product.account_id != account {
        return Err(DbError::NotFound);
    }
    let res: DbResult<()> = on_db!(db, |p| {
        let mut tx = p.begin_write().await?;
        let n = sqlx::query(
            "UPDATE products SET title = $3, description_html = $4, vendor = $5, \
             product_type = $6, tags = $7, status = $8, options = $9, images = $10, \
             updated_at = $11 WHERE account_id = $1 AND id = $2",
        )
        .bind(account.as_uuid())
        .bind(product.id.as_uuid())
        .bind(&product.title)
        .bind(&product.description_html)
        .bind(&product.vendor)
        .bind(&product.product_type)
        .bind(Json(&product.tags))
        .bind(product.status.as_str())
        .bind(Json(&product.options))
        .bind(Json(&product.images))
        .bind(product.updated_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(DbError::NotFound);
        }
        sqlx::query("DELETE FROM variants WHERE account_id = $1 AND product_id = $2")
            .bind(account.as_uuid())
            .bind(product.id.as_uuid())
            .execute(&mut *tx)
            .await?;
        for v in &product.variants {
            bind_variant!(sqlx::query(INSERT_VARIANT), account, v)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    });
    res.map_err(|e| sku_conflict(e, product))
}

pub async fn delete(db: &Db, account: AccountId, id: ProductId) -> DbResult<()> {
    let n = on_db!(db, |p| sqlx::query(
        "DELETE FROM products WHERE account_id = $1 AND id = $2"
    )
    .bind(account.as_uuid())
    .bind(id.as_uuid())
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    if n == 0 {
        Err(DbError::NotFound)
    } else {
        Ok(())
    }
}

/// The variants of these products. Callers pass ids of products read under the account's
/// filter; the lookup goes by product id alone because beside `account_id = ?` SQLite, which
/// has no statistics here, would walk the account's whole catalog instead of probing the
/// product index once per id.
async fn variants_of(db: &Db, ids: &[Uuid]) -> DbResult<HashMap<Uuid, Vec<Variant>>> {
    let mut out: HashMap<Uuid, Vec<Variant>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows: Vec<VariantRow> = on_db!(db, |p| {
        let mut qb = QueryBuilder::new(concat!(
            "SELECT ",
            variant_columns!(),
            " FROM variants WHERE"
        ));
        qb.push(" product_id IN (");
        let mut sep = qb.separated(", ");
        for id in ids {
            sep.push_bind(*id);
        }
        qb.push(") ORDER BY product_id, position, id");
        qb.build_query_as().fetch_all(p).await?
    });
    for r in rows {
        let pid = r.product_id;
        out.entry(pid).or_default().push(r.try_into()?);
    }
    Ok(out)
}

async fn assemble(db: &Db, account: AccountId, rows: Vec<ProductRow>) -> DbResult<Vec<Product>> {
    // The variants are read by product id alone (see `variants_of`): only the account's
    // products may ask for theirs.
    if rows.iter().any(|r| r.account_id != account.as_uuid()) {
        return Err(DbError::NotFound);
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut variants = variants_of(db, &ids).await?;
    rows.into_iter()
        .map(|r| {
            let v = variants.remove(&r.id).unwrap_or_default();
            r.into_product(v)
        })
        .collect()
}

pub async fn get(db: &Db, account: AccountId, id: ProductId) -> DbResult<Product> {
    let row: ProductRow = on_db!(db, |p| sqlx::query_as(concat!(
        "SELECT ",
        product_columns!(),
        " FROM products WHERE account_id = $1 AND id = $2"
    ))
    .bind(account.as_uuid())
    .bind(id.as_uuid())
    .fetch_one(p)
    .await)?;
    assemble(db, account, vec![row])
        .await?
        .pop()
        .ok_or(DbError::NotFound)
}

/// The product holding the variant with this SKU key, if any.
pub async fn find_by_sku(db: &Db, account: AccountId, key: &SkuKey) -> DbResult<Option<Product>> {
    if key.is_empty() {
        return Ok(None);
    }
    let pid: Option<(Uuid,)> = on_db!(db, |p| sqlx::query_as(
        "SELECT product_id FROM variants WHERE account_id = $1 AND sku_key = $2"
    )
    .bind(account.as_uuid())
    .bind(key.as_str())
    .fetch_optional(p)
    .await)?;
    match pid {
        None => Ok(None),
        Some((id,)) => get(db, account, id.into()).await.map(Some),
    }
}

/// A page of the catalog search.
#[derive(Debug, Clone, Default)]
pub struct ProductQuery {
    /// Matches titles containing the text (case-insensitive) or SKUs starting with it.
    pub text: Option<String>,
    /// Keyset cursor: return products after this one.
    pub after: Option<ProductId>,
    pub limit: u32,
}

fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Search the catalog, ordered by creation (ids are time-ordered), with keyset pagination.
/// The SKU test is tied to the product (`v.product_id = p.id`, whose account is filtered)
/// rather than to the account, so that it probes the product index of variants.
pub async fn search(db: &Db, account: AccountId, q: &ProductQuery) -> DbResult<Vec<Product>> {
    let text = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let title_pat = text.map(|t| format!("%{}%", like_escape(&t.to_lowercase())));
    let sku_pat = text.map(|t| format!("{}%", like_escape(SkuKey::of(t).as_str())));
    let limit = i64::from(q.limit.clamp(1, 500));
    let rows: Vec<ProductRow> = on_db!(db, |p| sqlx::query_as(concat!(
        "SELECT ",
        product_columns!(),
        " FROM products p WHERE p.account_id = $1 AND ($2 IS NULL OR p.id > $2) \
         AND ($3 IS NULL OR lower(p.title) LIKE $3 ESCAPE '\\' OR EXISTS (SELECT 1 FROM variants v \
         WHERE v.product_id = p.id AND v.sku_key LIKE $4 ESCAPE '\\')) \
         ORDER BY p.id LIMIT $5"
    ))
    .bind(account.as_uuid())
    .bind(q.after.map(|a| a.as_uuid()))
    .bind(title_pat.as_deref())
    .bind(sku_pat.as_deref())
    .bind(limit)
    .fetch_all(p)
    .await)?;
    assemble(db, account, rows).await
}

/// Number of products and variants in the account's catalog.
pub async fn counts(db: &Db, account: AccountId) -> DbResult<(i64, i64)> {
    let (p_count,): (i64,) = on_db!(db, |p| sqlx::query_as(
        "SELECT COUNT(*) FROM products WHERE account_id = $1"
    )
    .bind(account.as_uuid())
    .fetch_one(p)
    .await)?;
    let (v_count,): (i64,) = on_db!(db, |p| sqlx::query_as(
        "SELECT COUNT(*) FROM variants WHERE account_id = $1"
    )
    .bind(account.as_uuid())
    .fetch_one(p)
    .await)?;
    Ok((p_count, v_count))
}

// ---------------------------------------------------------------------------------------------
// Bulk reads and writes for the import/export engine. Imports write a page of products and
// variants with multi-row upserts inside the page's transaction; exports stream the catalog in
// keyset pages. Every statement stays under SQLite's bound-parameter limit.

use chrono::{DateTime, Utc};
use techoms_domain::VariantId;

use techoms_domain::ChannelId;

use crate::repo::bindings::{
    Bound, Exec, IN_CHUNK, Keys, WriteTx, key_match, key_source, on_exec, on_tx, rows_per_statement,
};

/// [`variant_columns!`] qualified by the alias `v`.
macro_rules! v_columns {
    () => {
        "v.id, v.product_id, v.sku, v.position, v.option_values, v.barcode, v.price, \
         v.compare_at_price, v.cost, v.weight_g, v.length_mm, v.width_mm, v.height_mm, v.status, \
         v.created_at, v.updated_at"
    };
}

/// [`product_columns!`] qualified by the alias `p`.
macro_rules! p_columns {
    () => {
        "p.id, p.account_id, p.title, p.description_html, p.vendor, p.product_type, p.tags, \
         p.status, p.options, p.images, p.created_at, p.updated_at"
    };
}

/// The account's variants with these SKU keys.
pub async fn variants_by_keys<'a>(
    exec: impl Into<Exec<'a>>,
    account: AccountId,
    keys: &[&str],
) -> DbResult<Vec<Variant>> {
    let mut rows: Vec<VariantRow> = Vec::with_capacity(keys.len());
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    on_exec!(exec.into(), |c| {
        for chunk in keys.chunks(IN_CHUNK) {
            let keys = Keys::Text(chunk);
            let mut qb = QueryBuilder::new(concat!("SELECT ", v_columns!(), " FROM "));
            key_source(&mut qb, keys);
            qb.push("variants v WHERE ");
            key_match(&mut qb, "v.sku_key", keys);
            qb.push(" AND v.account_id = ").push_bind(account.as_uuid());
            let part: Vec<VariantRow> = qb.build_query_as().fetch_all(&mut *c).await?;
            rows.extend(part);
        }
    });
    rows.into_iter().map(TryInto::try_into).collect()
}

/// The account's variants with these ids.
pub async fn variants_by_ids<'a>(
    exec: impl Into<Exec<'a>>,
    account: AccountId,
    ids: &[VariantId],
) -> DbResult<Vec<Variant>> {
    let mut rows: Vec<VariantRow> = Vec::with_capacity(ids.len());
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    on_exec!(exec.into(), |c| {
        for chunk in ids.chunks(IN_CHUNK) {
            let ids: Vec<Uuid> = chunk.iter().map(VariantId::as_uuid).collect();
            let keys = Keys::Uuids(&ids);
            let mut qb = QueryBuilder::new(concat!("SELECT ", v_columns!(), " FROM "));
            key_source(&mut qb, keys);
            qb.push("variants v WHERE ");
            key_match(&mut qb, "v.id", keys);
            qb.push(" AND v.account_id = ").push_bind(account.as_uuid());
            let part: Vec<VariantRow> = qb.build_query_as().fetch_all(&mut *c).await?;
            rows.extend(part);
        }
    });
    rows.into_iter().map(TryInto::try_into).collect()
}

/// The account's products with these ids, without their variants (`variants` is empty).
pub async fn heads_by_ids<'a>(
    exec: impl Into<Exec<'a>>,
    account: AccountId,
    ids: &[ProductId],
) -> DbResult<Vec<Product>> {
    let mut rows: Vec<ProductRow> = Vec::with_capacity(ids.len());
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    on_exec!(exec.into(), |c| {
        for chunk in ids.chunks(IN_CHUNK) {
            let ids: Vec<Uuid> = chunk.iter().map(ProductId::as_uuid).collect();
            let keys = Keys::Uuids(&ids);
            let mut qb = QueryBuilder::new(concat!("SELECT ", p_columns!(), " FROM "));
            key_source(&mut qb, keys);
            qb.push("products p WHERE ");
            key_match(&mut qb, "p.id", keys);
            qb.push(" AND p.account_id = ").push_bind(account.as_uuid());
            let part: Vec<ProductRow> = qb.build_query_as().fetch_all(&mut *c).await?;
            rows.extend(part);
        }
    });
    rows.into_iter()
        .map(|r| r.into_product(Vec::new()))
        .collect()
}

/// Insert or update product rows (not their variants) by id, stamped `now` (`created_at` of
/// new rows, `updated_at` of all). A row of another account is never touched.
pub async fn upsert_heads(
    tx: &mut WriteTx,
    account: AccountId,
    products: &[&Product],
    now: DateTime<Utc>,
) -> DbResult<()> {
    on_tx!(tx, |c| {
        // Per-row values only; the account and the time are bound once.
        for chunk in products.chunks(rows_per_statement(9)) {
            let mut qb = QueryBuilder::new(
                "INSERT INTO products (id, account_id, title, description_html, vendor, \
                 product_type, tags, status, options, images, created_at, updated_at) \
                 SELECT k.column1, ",
            );
            qb.push_bind(account.as_uuid())
                .push(", k.column2, k.column3, k.column4, k.column5, k.column6, k.column7, k.column8, k.column9, ")
                .push_bind(now)
                .push(", ")
                .push_bind(now)
                .push(" FROM (");
            qb.push_values(chunk, |mut b, p| {
                b.push_bind(p.id.as_uuid())
                    .push_bind(&p.title)
                    .push_bind(&p.description_html)
                    .push_bind(&p.vendor)
                    .push_bind(&p.product_type)
                    .push_bind(Json(&p.tags))
                    .push_bind(p.status.as_str())
                    .push_bind(Json(&p.options))
                    .push_bind(Json(&p.images));
            });
            // `WHERE TRUE` keeps SQLite from reading ON CONFLICT as a join constraint.
            qb.push(
                ") k WHERE TRUE ON CONFLICT (id) DO UPDATE SET title = excluded.title, \
                 description_html = excluded.description_html, vendor = excluded.vendor, \
                 product_type = excluded.product_type, tags = excluded.tags, \
                 status = excluded.status, options = excluded.options, images = excluded.images, \
                 updated_at = excluded.updated_at WHERE products.account_id = excluded.account_id",
            );
            qb.build().execute(&mut *c).await?;
        }
    });
    Ok(())
}

/// Insert or update variant rows by id, stamped `now` (`created_at` of new rows, `updated_at`
/// of all). The caller guarantees that no SKU key is taken from another variant in the same
/// call (a uniqueness conflict fails the statement).
pub async fn upsert_variants(
    tx: &mut WriteTx,
    account: AccountId,
    variants: &[&Variant],
    now: DateTime<Utc>,
) -> DbResult<()> {
    on_tx!(tx, |c| {
        for chunk in variants.chunks(rows_per_statement(15)) {
            let mut qb = QueryBuilder::new(
                "INSERT INTO variants (id, account_id, product_id, sku, sku_key, position, \
                 option_values, barcode, price, compare_at_price, cost, weight_g, length_mm, \
                 width_mm, height_mm, status, created_at, updated_at) SELECT k.column1, ",
            );
            qb.push_bind(account.as_uuid())
                .push(
                    ", k.column2, k.column3, k.column4, k.column5, k.column6, k.column7, \
                     k.column8, k.column9, k.column10, k.column11, k.column12, k.column13, \
                     k.column14, k.column15, ",
                )
                .push_bind(now)
                .push(", ")
                .push_bind(now)
                .push(" FROM (");
            qb.push_values(chunk, |mut b, v| {
                b.push_bind(v.id.as_uuid())
                    .push_bind(v.product_id.as_uuid())
                    .push_bind(v.sku.as_str())
                    .push_bind(v.sku.key().as_str())
                    .push_bind(v.position)
                    .push_bind(Json(&v.option_values))
                    .push_bind(v.barcode.as_deref())
                    .push_bind(dec_text(v.price))
                    .push_bind(dec_text(v.compare_at_price))
                    .push_bind(dec_text(v.cost))
                    .push_bind(dec_text(v.weight.map(|w| w.grams())))
                    .push_bind(dec_text(v.length.map(|l| l.mm())))
                    .push_bind(dec_text(v.width.map(|l| l.mm())))
                    .push_bind(dec_text(v.height.map(|l| l.mm())))
                    .push_bind(v.status.as_str());
            });
            qb.push(
                ") k WHERE TRUE ON CONFLICT (id) DO UPDATE SET product_id = excluded.product_id, \
                 sku = excluded.sku, sku_key = excluded.sku_key, position = excluded.position, \
                 option_values = excluded.option_values, barcode = excluded.barcode, \
                 price = excluded.price, compare_at_price = excluded.compare_at_price, \
                 cost = excluded.cost, weight_g = excluded.weight_g, \
                 length_mm = excluded.length_mm, width_mm = excluded.width_mm, \
                 height_mm = excluded.height_mm, status = excluded.status, \
                 updated_at = excluded.updated_at WHERE variants.account_id = excluded.account_id",
            );
            qb.build().execute(&mut *c).await?;
        }
    });
    Ok(())
}

/// Products with their variants, for the engine's pages. Variants are found through the
/// products, so the cost follows the page and not the size of the account's catalog.
async fn assemble_page(
    db: &Db,
    account: AccountId,
    rows: Vec<ProductRow>,
) -> DbResult<Vec<Product>> {
    let mut variants: HashMap<Uuid, Vec<Variant>> = HashMap::new();
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    for chunk in ids.chunks(IN_CHUNK) {
        let part: Vec<VariantRow> = on_db!(db, |p| {
            let keys = Keys::Uuids(chunk);
            let mut qb = QueryBuilder::new(concat!("SELECT ", v_columns!(), " FROM "));
            key_source(&mut qb, keys);
            qb.push("products p CROSS JOIN variants v WHERE ");
            key_match(&mut qb, "p.id", keys);
            qb.push(" AND v.product_id = p.id AND p.account_id = ")
                .push_bind(account.as_uuid())
                .push(" ORDER BY v.product_id, v.position, v.id");
            qb.build_query_as().fetch_all(p).await?
        });
        for r in part {
            let pid = r.product_id;
            variants.entry(pid).or_default().push(r.try_into()?);
        }
    }
    rows.into_iter()
        .map(|r| {
            let v = variants.remove(&r.id).unwrap_or_default();
            r.into_product(v)
        })
        .collect()
}

/// A variant row with its binding on one channel (NULLs when unbound).
#[derive(sqlx::FromRow)]
struct VariantBoundRow {
    #[sqlx(flatten)]
    variant: VariantRow,
    b_variant_id: Option<Uuid>,
    b_remote_product_id: Option<String>,
    b_remote_variant_id: Option<String>,
    b_inventory_item_id: Option<String>,
    b_content_hash: Option<String>,
}

/// These products (in the given order) with their variants and each variant's binding on
/// `channel`, in one result set: an export page's whole read.
pub async fn with_bindings(
    db: &Db,
    account: AccountId,
    channel: ChannelId,
    heads: Vec<Product>,
) -> DbResult<Vec<(Product, Vec<Option<Bound>>)>> {
    let mut by_product: HashMap<Uuid, Vec<(Variant, Option<Bound>)>> = HashMap::new();
    let ids: Vec<Uuid> = heads.iter().map(|p| p.id.as_uuid()).collect();
    for chunk in ids.chunks(IN_CHUNK) {
        let rows: Vec<VariantBoundRow> = on_db!(db, |p| {
            let mut qb = QueryBuilder::new(concat!(
                "SELECT ",
                v_columns!(),
                ", b.variant_id AS b_variant_id, b.remote_product_id AS b_remote_product_id, \
                 b.remote_variant_id AS b_remote_variant_id, \
                 b.inventory_item_id AS b_inventory_item_id, b.content_hash AS b_content_hash FROM "
            ));
            let keys = Keys::Uuids(chunk);
            key_source(&mut qb, keys);
            qb.push(
                "products p CROSS JOIN variants v LEFT JOIN channel_bindings b \
                 ON b.variant_id = v.id AND b.channel_id = ",
            )
            .push_bind(channel.as_uuid())
            .push(" WHERE ");
            key_match(&mut qb, "p.id", keys);
            qb.push(" AND v.product_id = p.id AND p.account_id = ")
                .push_bind(account.as_uuid())
                .push(" ORDER BY v.product_id, v.position, v.id");
            qb.build_query_as().fetch_all(p).await?
        });
        for r in rows {
            let bound = match (r.b_remote_product_id, r.b_remote_variant_id) {
                (Some(remote_product_id), Some(remote_variant_id)) => Some(Bound {
                    variant_id: r.b_variant_id.map(Into::into),
                    remote_product_id,
                    remote_variant_id,
                    inventory_item_id: r.b_inventory_item_id,
                    content_hash: r.b_content_hash,
                    last_read_run_id: None,
                    missing_at_master: false,
                }),
                _ => None,
            };
            let pid = r.variant.product_id;
            by_product
                .entry(pid)
                .or_default()
                .push((r.variant.try_into()?, bound));
        }
    }
    Ok(heads
        .into_iter()
        .map(|mut p| {
            let (variants, bound): (Vec<Variant>, Vec<Option<Bound>>) = by_product
                .remove(&p.id.as_uuid())
                .unwrap_or_default()
                .into_iter()
                .unzip();
            p.variants = variants;
            (p, bound)
        })
        .collect())
}

/// One keyset page of product rows (without variants), by product id.
pub async fn heads_after(
    db: &Db,
    account: AccountId,
    after: Option<ProductId>,
    limit: u32,
) -> DbResult<Vec<Product>> {
    let rows = head_rows_after(db, account, after, limit).await?;
    rows.into_iter()
        .map(|r| r.into_product(Vec::new()))
        .collect()
}

/// One keyset page of changed product rows (without variants); see [`changed_page`].
pub async fn changed_heads(
    db: &Db,
    account: AccountId,
    since: DateTime<Utc>,
    after: Option<ProductId>,
    limit: u32,
) -> DbResult<Vec<Product>> {
    let rows = changed_rows(db, account, since, after, limit).await?;
    rows.into_iter()
        .map(|r| r.into_product(Vec::new()))
        .collect()
}

/// One keyset page of the whole catalog, by product id, with variants.
pub async fn page_after(
    db: &Db,
    account: AccountId,
    after: Option<ProductId>,
    limit: u32,
) -> DbResult<Vec<Product>> {
    let rows = head_rows_after(db, account, after, limit).await?;
    assemble_page(db, account, rows).await
}

async fn head_rows_after(
    db: &Db,
    account: AccountId,
    after: Option<ProductId>,
    limit: u32,
) -> DbResult<Vec<ProductRow>> {
    // Two texts rather than `($2 IS NULL OR id > $2)`, which no index can serve: each page
    // starts where the last one ended.
    Ok(match after {
        None => on_db!(db, |p| sqlx::query_as(concat!(
            "SELECT ",
            product_columns!(),
            " FROM products WHERE account_id = $1 ORDER BY account_id, id LIMIT $2"
        ))
        .bind(account.as_uuid())
        .bind(i64::from(limit.max(1)))
        .fetch_all(p)
        .await)?,
        Some(a) => on_db!(db, |p| sqlx::query_as(concat!(
            "SELECT ",
            product_columns!(),
            " FROM products WHERE account_id = $1 AND id > $2 ORDER BY account_id, id LIMIT $3"
        ))
        .bind(account.as_uuid())
        .bind(a.as_uuid())
        .bind(i64::from(limit.max(1)))
        .fetch_all(p)
        .await)?,
    })
}

/// The products changed at or after `since` (the product row or any of its variants), driven
/// by the `updated_at` indexes so that the work follows the number of changes.
const CHANGED_IDS: &str = "SELECT id AS pid FROM products WHERE account_id = $1 AND updated_at >= $2 \
     UNION SELECT product_id AS pid FROM variants WHERE account_id = $1 AND updated_at >= $2";

/// How many products changed at or after `since`.
pub async fn count_changed(db: &Db, account: AccountId, since: DateTime<Utc>) -> DbResult<i64> {
    let sql = format!("SELECT COUNT(*) FROM ({CHANGED_IDS}) ch");
    let (n,): (i64,) = on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(account.as_uuid())
        .bind(since)
        .fetch_one(p)
        .await)?;
    Ok(n)
}

/// One keyset page of the products changed at or after `since`, with variants.
pub async fn changed_page(
    db: &Db,
    account: AccountId,
    since: DateTime<Utc>,
    after: Option<ProductId>,
    limit: u32,
) -> DbResult<Vec<Product>> {
    let rows = changed_rows(db, account, since, after, limit).await?;
    assemble_page(db, account, rows).await
}

async fn changed_rows(
    db: &Db,
    account: AccountId,
    since: DateTime<Utc>,
    after: Option<ProductId>,
    limit: u32,
) -> DbResult<Vec<ProductRow>> {
    // CROSS JOIN keeps the (small) set of changed ids as the outer loop on SQLite.
    let sql = format!(
        "SELECT {} FROM ({CHANGED_IDS}) ch CROSS JOIN products p \
         WHERE p.id = ch.pid AND p.account_id = $1 AND ($3 IS NULL OR ch.pid > $3) \
         ORDER BY ch.pid LIMIT $4",
        p_columns!()
    );
    let rows: Vec<ProductRow> = on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(account.as_uuid())
        .bind(since)
        .bind(after.map(|a| a.as_uuid()))
        .bind(i64::from(limit.max(1)))
        .fetch_all(p)
        .await)?;
    Ok(rows)
}
