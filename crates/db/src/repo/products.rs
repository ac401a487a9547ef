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

async fn variants_of(
    db: &Db,
    account: AccountId,
    ids: &[Uuid],
) -> DbResult<HashMap<Uuid, Vec<Variant>>> {
    let mut out: HashMap<Uuid, Vec<Variant>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows: Vec<VariantRow> = on_db!(db, |p| {
        let mut qb = QueryBuilder::new(concat!(
            "SELECT ",
            variant_columns!(),
            " FROM variants WHERE account_id = "
        ));
        qb.push_bind(account.as_uuid());
        qb.push(" AND product_id IN (");
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
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut variants = variants_of(db, account, &ids).await?;
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
         WHERE v.account_id = $1 AND v.product_id = p.id AND v.sku_key LIKE $4 ESCAPE '\\')) \
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
