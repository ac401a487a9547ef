//! `/api/v1/products` and `/api/v1/variants`: the catalog.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use techoms_app::catalog::{self, ProductInput, VariantInput};
use techoms_app::{Access, App, AppError, bindings, channels};
use techoms_domain::{ChannelId, Product, ProductId, VariantId};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::extract::{ApiAccess, ApiJson};
use super::query::QueryPairs;
use crate::error::{ApiError, Problem};

/// A read-only field: whatever a client sends back in it is ignored. (Not `skip_deserializing`,
/// which would also drop the field from the OpenAPI schema.)
fn ignored<'de, D: serde::Deserializer<'de>, T: Default>(d: D) -> Result<T, D::Error> {
    serde::de::IgnoredAny::deserialize(d)?;
    Ok(T::default())
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VariantDto {
    /// Read-only.
    #[serde(default, deserialize_with = "ignored")]
    #[schema(read_only)]
    pub id: Option<Uuid>,
    pub sku: String,
    #[serde(default)]
    pub option_values: Vec<String>,
    pub barcode: Option<String>,
    /// Decimal text in the account currency, e.g. "19.99".
    pub price: Option<String>,
    pub compare_at_price: Option<String>,
    pub cost: Option<String>,
    /// Grams, decimal text.
    pub weight_g: Option<String>,
    /// Millimetres, decimal text.
    pub length_mm: Option<String>,
    pub width_mm: Option<String>,
    pub height_mm: Option<String>,
    /// active or inactive.
    pub status: Option<String>,
    /// Read-only: the variant's binding on each channel that holds it (single-product
    /// answers only; absent from list pages). A channel not listed does not hold it yet.
    #[serde(
        default,
        deserialize_with = "ignored",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(read_only)]
    pub bindings: Option<Vec<VariantBindingDto>>,
}

/// What techOMS knows of one variant's copy on one channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct VariantBindingDto {
    pub channel_id: Uuid,
    pub channel_name: String,
    /// The channel's ids of the product and of the variant.
    pub remote_product_id: String,
    pub remote_variant_id: String,
    pub inventory_item_id: Option<String>,
    /// The SKU as the channel spells it.
    pub channel_sku: String,
    /// When techOMS last wrote the variant to the channel (RFC 3339, UTC).
    pub last_pushed_at: Option<DateTime<Utc>>,
    /// When techOMS last read the variant from the channel.
    pub last_read_at: Option<DateTime<Utc>>,
    /// The Master Product Channel no longer returns it (flagged, not deleted).
    pub missing_at_master: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductDto {
    /// Read-only.
    #[serde(default, deserialize_with = "ignored")]
    #[schema(read_only)]
    pub id: Option<Uuid>,
    pub title: String,
    #[serde(default)]
    pub description_html: String,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub product_type: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// active, draft or archived.
    pub status: Option<String>,
    /// Option names (at most 3), e.g. ["Size", "Color"].
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub images: Vec<String>,
    pub variants: Vec<VariantDto>,
    #[serde(default, deserialize_with = "ignored")]
    #[schema(read_only)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "ignored")]
    #[schema(read_only)]
    pub updated_at: Option<DateTime<Utc>>,
}

fn text(d: Option<rust_decimal::Decimal>) -> Option<String> {
    d.map(|d| d.normalize().to_string())
}

impl From<&Product> for ProductDto {
    fn from(p: &Product) -> Self {
        ProductDto {
            id: Some(p.id.as_uuid()),
            title: p.title.clone(),
            description_html: p.description_html.clone(),
            vendor: p.vendor.clone(),
            product_type: p.product_type.clone(),
            tags: p.tags.clone(),
            status: Some(p.status.as_str().into()),
            options: p.options.clone(),
            images: p.images.clone(),
            variants: p
                .variants
                .iter()
                .map(|v| VariantDto {
                    id: Some(v.id.as_uuid()),
                    sku: v.sku.as_str().into(),
                    option_values: v.option_values.clone(),
                    barcode: v.barcode.clone(),
                    price: text(v.price),
                    compare_at_price: text(v.compare_at_price),
                    cost: text(v.cost),
                    weight_g: text(v.weight.map(|w| w.grams())),
                    length_mm: text(v.length.map(|l| l.mm())),
                    width_mm: text(v.width.map(|l| l.mm())),
                    height_mm: text(v.height.map(|l| l.mm())),
                    status: Some(v.status.as_str().into()),
                    bindings: None,
                })
                .collect(),
            created_at: Some(p.created_at),
            updated_at: Some(p.updated_at),
        }
    }
}

/// A single product's answer: the product with each variant's bindings.
async fn with_bindings(app: &App, access: &Access, p: &Product) -> Result<ProductDto, ApiError> {
    let names: HashMap<ChannelId, String> = channels::list(app, access)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut by_variant: HashMap<VariantId, Vec<VariantBindingDto>> = HashMap::new();
    for b in bindings::for_product(app, access, p.id).await? {
        let (Some(variant), Some(name)) = (b.variant_id, names.get(&b.channel_id)) else {
            continue;
        };
        by_variant
            .entry(variant)
            .or_default()
            .push(VariantBindingDto {
                channel_id: b.channel_id.as_uuid(),
                channel_name: name.clone(),
                remote_product_id: b.remote_product_id,
                remote_variant_id: b.remote_variant_id,
                inventory_item_id: b.inventory_item_id,
                channel_sku: b.channel_sku,
                last_pushed_at: b.last_pushed_at,
                last_read_at: b.last_read_at,
                missing_at_master: b.missing_at_master,
            });
    }
    let mut dto = ProductDto::from(p);
    for (v, d) in p.variants.iter().zip(dto.variants.iter_mut()) {
        d.bindings = Some(by_variant.remove(&v.id).unwrap_or_default());
    }
    Ok(dto)
}

fn input(d: ProductDto) -> ProductInput {
    ProductInput {
        title: Some(d.title),
        description_html: d.description_html,
        vendor: d.vendor,
        product_type: d.product_type,
        tags: d.tags,
        status: d.status,
        options: d.options,
        images: d.images,
        variants: d
            .variants
            .into_iter()
            .map(|v| VariantInput {
                sku: Some(v.sku),
                option_values: v.option_values,
                barcode: v.barcode,
                price: v.price,
                compare_at_price: v.compare_at_price,
                cost: v.cost,
                weight_g: v.weight_g,
                length_mm: v.length_mm,
                width_mm: v.width_mm,
                height_mm: v.height_mm,
                status: v.status,
            })
            .collect(),
    }
}

fn parse_id(s: &str) -> Result<ProductId, AppError> {
    s.parse().map_err(|_| AppError::NotFound)
}

/// Query of `GET /api/v1/products` (documentation; parsed strictly by [`QueryPairs`]).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListQuery {
    /// Title contains (case-insensitive) or SKU starts with.
    q: Option<String>,
    /// Keyset cursor: the `next` value of the previous page.
    after: Option<String>,
    /// Page size, 1..=200 (default 50).
    limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductPageDto {
    pub items: Vec<ProductDto>,
    /// Pass as `after` for the next page; null on the last page.
    pub next: Option<Uuid>,
}

/// Search the catalog.
#[utoipa::path(get, path = "/api/v1/products", operation_id = "list_products", tag = "catalog", params(ListQuery),
    responses((status = 200, body = ProductPageDto), (status = 422, body = Problem)))]
pub async fn list(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
    mut q: QueryPairs,
) -> Result<Json<ProductPageDto>, ApiError> {
    let text = q.text("q");
    let after = q.parse::<ProductId>("after", "a cursor from a previous page");
    let limit = q.limit(50, 200);
    q.finish(&["q", "after", "limit"])?;
    let items = catalog::search(&app, &access, text, after, limit).await?;
    let next = (items.len() as u32 == limit)
        .then(|| items.last().map(|p| p.id.as_uuid()))
        .flatten();
    Ok(Json(ProductPageDto {
        items: items.iter().map(Into::into).collect(),
        next,
    }))
}

/// Create a product (only while techOMS is the Master Product Source; otherwise 409).
#[utoipa::path(post, path = "/api/v1/products", operation_id = "create_product", tag = "catalog", request_body = ProductDto,
    responses((status = 201, body = ProductDto), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
    ApiJson(body): ApiJson<ProductDto>,
) -> Result<(StatusCode, Json<ProductDto>), ApiError> {
    let p = catalog::create(&app, &access, &input(body)).await?;
    Ok((
        StatusCode::CREATED,
        Json(with_bindings(&app, &access, &p).await?),
    ))
}

/// One product with its variants and each variant's bindings per channel.
#[utoipa::path(get, path = "/api/v1/products/{id}", operation_id = "get_product", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = ProductDto), (status = 404, body = Problem)))]
pub async fn get(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
    Path(id): Path<String>,
) -> Result<Json<ProductDto>, ApiError> {
    let p = catalog::get(&app, &access, parse_id(&id)?).await?;
    Ok(Json(with_bindings(&app, &access, &p).await?))
}

/// Replace a product and its variants.
#[utoipa::path(put, path = "/api/v1/products/{id}", operation_id = "update_product", tag = "catalog", params(("id" = String, Path)), request_body = ProductDto,
    responses((status = 200, body = ProductDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ProductDto>,
) -> Result<Json<ProductDto>, ApiError> {
    let p = catalog::update(&app, &access, parse_id(&id)?, &input(body)).await?;
    Ok(Json(with_bindings(&app, &access, &p).await?))
}

/// Delete a product.
#[utoipa::path(delete, path = "/api/v1/products/{id}", operation_id = "delete_product", tag = "catalog", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    catalog::delete(&app, &access, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SkuQuery {
    /// Any spelling: trimmed and compared without regard to case.
    pub sku: Option<String>,
}

/// The product that holds a SKU, with each variant's bindings per channel.
#[utoipa::path(get, path = "/api/v1/variants", tag = "catalog", params(SkuQuery),
    responses((status = 200, body = ProductDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn by_sku(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
    Query(q): Query<SkuQuery>,
) -> Result<Json<ProductDto>, ApiError> {
    let sku = q.sku.unwrap_or_default();
    if sku.trim().is_empty() {
        return Err(AppError::field("sku", "is required").into());
    }
    match catalog::by_sku(&app, &access, &sku).await? {
        Some(p) => Ok(Json(with_bindings(&app, &access, &p).await?)),
        None => Err(AppError::NotFound.into()),
    }
}
