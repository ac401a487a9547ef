//! The catalog as techOMS edits it: create, change, delete and search products (DESIGN §2, §4).
//!
//! Products are edited in techOMS only while the account's Master Product Source is techOMS;
//! otherwise an edit would be overwritten by the next import, so it is refused with a
//! Conflict that names the master channel.

use serde::Deserialize;
use techoms_db::channels;
use techoms_db::products::{self, ProductQuery};
use techoms_domain::product::MAX_OPTIONS;
use techoms_domain::{
    Length, MasterProductSource, Product, ProductId, ProductStatus, Sku, SkuKey, Variant,
    VariantId, VariantStatus, Weight,
};

use crate::App;
use crate::access::Access;
use crate::error::{AppError, AppResult, FieldError};

/// A product as submitted. Weights in grams and lengths in millimetres; money as decimal text.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    pub title: Option<String>,
    #[serde(default)]
    pub description_html: String,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub product_type: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub status: Option<String>,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub images: Vec<String>,
    #[serde(default)]
    pub variants: Vec<VariantInput>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantInput {
    pub sku: Option<String>,
    #[serde(default)]
    pub option_values: Vec<String>,
    pub barcode: Option<String>,
    pub price: Option<String>,
    pub compare_at_price: Option<String>,
    pub cost: Option<String>,
    pub weight_g: Option<String>,
    pub length_mm: Option<String>,
    pub width_mm: Option<String>,
    pub height_mm: Option<String>,
    pub status: Option<String>,
}

/// Refuse edits unless techOMS is the master.
pub(crate) async fn require_techoms_master(app: &App, access: &Access) -> AppResult<()> {
    if access.account.master_product_source == MasterProductSource::Techoms {
        return Ok(());
    }
    let name = match access.account.master_product_channel_id {
        Some(id) => channels::get(&app.db, access.account.id, id)
            .await
            .map(|c| c.name)
            .unwrap_or_else(|_| "the master channel".into()),
        None => "the master channel".into(),
    };
    Err(AppError::Conflict {
        message: format!(
            "products are managed in {name}, the Master Product Channel; edit them there (an edit here would be overwritten by the next import)"
        ),
        details: serde_json::json!({ "master_product_source": access.account.master_product_source.as_str(), "master_channel": name }),
    })
}

fn decimal(
    errors: &mut Vec<FieldError>,
    field: String,
    v: &Option<String>,
) -> Option<rust_decimal::Decimal> {
    let t = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    match techoms_domain::money::parse_amount(t) {
        Ok(d) if d.is_sign_negative() => {
            errors.push(FieldError::new(field, "must not be negative"));
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError::new(
                field,
                format!("{t:?} is not a decimal number"),
            ));
            None
        }
    }
}

/// Build a valid product from input, or every field error at once.
pub fn build(
    access: &Access,
    id: ProductId,
    input: &ProductInput,
    now: chrono::DateTime<chrono::Utc>,
    created_at: chrono::DateTime<chrono::Utc>,
) -> AppResult<Product> {
    let mut errors = Vec::new();
    let title = input.title.as_deref().unwrap_or("").trim().to_owned();
    if title.is_empty() {
        errors.push(FieldError::new("title", "is required"));
    }
    let status = match input.status.as_deref() {
        None | Some("") => ProductStatus::Active,
        Some(s) => s.parse().unwrap_or_else(|e| {
            errors.push(FieldError::new("status", e));
            ProductStatus::Active
        }),
    };
    if input.options.len() > MAX_OPTIONS {
        errors.push(FieldError::new("options", "at most 3 options"));
    }
    if input.variants.is_empty() {
        errors.push(FieldError::new(
            "variants",
            "a product needs at least one variant",
        ));
    }
    let mut variants = Vec::new();
    for (i, v) in input.variants.iter().enumerate() {
        let f = |name: &str| format!("variants[{i}].{name}");
        let sku = match Sku::parse(v.sku.as_deref().unwrap_or("")) {
            Ok(s) => Some(s),
            Err(e) => {
                errors.push(FieldError::new(f("sku"), e.to_string()));
                None
            }
        };
        if v.option_values.len() != input.options.len() {
            errors.push(FieldError::new(
                f("option_values"),
                format!(
                    "needs one value per option ({} options)",
                    input.options.len()
                ),
            ));
        }
        let status = match v.status.as_deref() {
            None | Some("") => VariantStatus::Active,
            Some(s) => s.parse().unwrap_or_else(|e| {
                errors.push(FieldError::new(f("status"), e));
                VariantStatus::Active
            }),
        };
        let price = decimal(&mut errors, f("price"), &v.price);
        let compare_at_price = decimal(&mut errors, f("compare_at_price"), &v.compare_at_price);
        let cost = decimal(&mut errors, f("cost"), &v.cost);
        let weight = decimal(&mut errors, f("weight_g"), &v.weight_g).map(Weight::from_grams);
        let length = decimal(&mut errors, f("length_mm"), &v.length_mm).map(Length::from_mm);
        let width = decimal(&mut errors, f("width_mm"), &v.width_mm).map(Length::from_mm);
        let height = decimal(&mut errors, f("height_mm"), &v.height_mm).map(Length::from_mm);
        if let Some(sku) = sku {
            variants.push(Variant {
                id: VariantId::new(),
                product_id: id,
                sku,
                position: i as i32,
                option_values: v.option_values.clone(),
                barcode: v.barcode.clone().filter(|b| !b.trim().is_empty()),
                price,
                compare_at_price,
                cost,
                weight,
                length,
                width,
                height,
                status,
                created_at: now,
                updated_at: now,
            });
        }
    }
    let product = Product {
        id,
        account_id: access.account.id,
        title,
        description_html: input.description_html.clone(),
        vendor: input.vendor.trim().to_owned(),
        product_type: input.product_type.trim().to_owned(),
        tags: input
            .tags
            .iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
        status,
        options: input.options.clone(),
        images: input.images.clone(),
        variants,
        created_at,
        updated_at: now,
    };
    if errors.is_empty()
        && let Err(es) = product.validate()
    {
        errors.extend(es.into_iter().map(|e| FieldError::new(e.field, e.message)));
    }
    if errors.is_empty() {
        Ok(product)
    } else {
        Err(AppError::Invalid(errors))
    }
}

fn sku_conflict(e: techoms_db::DbError) -> AppError {
    match e {
        techoms_db::DbError::Conflict { message, .. } => AppError::field("variants", message),
        other => other.into(),
    }
}

pub async fn create(app: &App, access: &Access, input: &ProductInput) -> AppResult<Product> {
    access.require_admin()?;
    require_techoms_master(app, access).await?;
    let now = app.clock.now();
    let product = build(access, ProductId::new(), input, now, now)?;
    products::create(&app.db, access.account.id, &product)
        .await
        .map_err(sku_conflict)?;
    Ok(product)
}

/// Replace a product. Variants keep their ids when their SKU key is unchanged, so channel
/// bindings stay attached to them.
pub async fn update(
    app: &App,
    access: &Access,
    id: ProductId,
    input: &ProductInput,
) -> AppResult<Product> {
    access.require_admin()?;
    require_techoms_master(app, access).await?;
    let current = products::get(&app.db, access.account.id, id).await?;
    let now = app.clock.now();
    let mut product = build(access, id, input, now, current.created_at)?;
    for v in &mut product.variants {
        if let Some(old) = current.variants.iter().find(|o| o.sku.key() == v.sku.key()) {
            v.id = old.id;
            v.created_at = old.created_at;
        }
    }
    products::update(&app.db, access.account.id, &product)
        .await
        .map_err(sku_conflict)?;
    Ok(product)
}

pub async fn delete(app: &App, access: &Access, id: ProductId) -> AppResult<()> {
    access.require_admin()?;
    require_techoms_master(app, access).await?;
    Ok(products::delete(&app.db, access.account.id, id).await?)
}

pub async fn get(app: &App, access: &Access, id: ProductId) -> AppResult<Product> {
    Ok(products::get(&app.db, access.account.id, id).await?)
}

/// Search by title or SKU, keyset-paginated by id.
pub async fn search(
    app: &App,
    access: &Access,
    text: Option<String>,
    after: Option<ProductId>,
    limit: u32,
) -> AppResult<Vec<Product>> {
    Ok(products::search(
        &app.db,
        access.account.id,
        &ProductQuery { text, after, limit },
    )
    .await?)
}

/// The product holding a SKU (any spelling).
pub async fn by_sku(app: &App, access: &Access, sku: &str) -> AppResult<Option<Product>> {
    Ok(products::find_by_sku(&app.db, access.account.id, &SkuKey::of(sku)).await?)
}
