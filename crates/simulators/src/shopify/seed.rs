//! The simulator's seed format (also what [`super::generate_catalog`] produces), in the
//! simulator's own terms rather than Shopify's GraphQL input shapes so that a seed file stays
//! short to write by hand.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A product to put into a shop. Option names come from `options`; each variant lists one value
/// per option. A product without options gets Shopify's implicit `Title` / `Default Title`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedProduct {
    pub title: String,
    #[serde(default)]
    pub handle: Option<String>,
    #[serde(default)]
    pub description_html: String,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub product_type: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// `ACTIVE`, `DRAFT` or `ARCHIVED` (any case).
    #[serde(default = "active")]
    pub status: String,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub images: Vec<String>,
    pub variants: Vec<SeedVariant>,
}

fn active() -> String {
    "ACTIVE".to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedVariant {
    pub sku: String,
    #[serde(default)]
    pub option_values: Vec<String>,
    #[serde(default)]
    pub barcode: Option<String>,
    /// Decimal string, e.g. "19.99".
    pub price: Decimal,
    #[serde(default)]
    pub compare_at_price: Option<Decimal>,
    #[serde(default)]
    pub cost: Option<Decimal>,
    #[serde(default)]
    pub weight: Option<SeedWeight>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedWeight {
    pub value: Decimal,
    /// `GRAMS`, `KILOGRAMS`, `OUNCES` or `POUNDS`.
    pub unit: String,
}

/// One shop of a seed file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedShop {
    /// `{name}.myshopify.com`
    pub domain: String,
    /// The Admin API access token the shop accepts.
    pub access_token: String,
    #[serde(default)]
    pub config: Option<ShopSettings>,
    /// Products to create.
    #[serde(default)]
    pub products: Vec<SeedProduct>,
    /// Generate this many products (from `seed`) in addition to `products`.
    #[serde(default)]
    pub generate: Option<usize>,
    #[serde(default)]
    pub seed: Option<u64>,
}

/// A seed file: `{"shops": [SeedShop, …]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedFile {
    pub shops: Vec<SeedShop>,
}

/// Per-shop behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShopSettings {
    pub name: String,
    pub currency_code: String,
    /// The shop's default `WeightUnit`.
    pub weight_unit: String,
    /// Leaky bucket size in points.
    pub maximum_available: f64,
    /// Points restored per second.
    pub restore_rate: f64,
    /// Largest requested cost of a single query.
    pub max_query_cost: u64,
    /// How long after a write the search index (`query:` filters) sees it.
    pub search_lag_ms: u64,
    /// Most variants a product may have.
    pub max_variants: usize,
}

impl Default for ShopSettings {
    fn default() -> Self {
        Self {
            name: "Simulated shop".to_owned(),
            currency_code: "USD".to_owned(),
            weight_unit: "KILOGRAMS".to_owned(),
            maximum_available: 1000.0,
            restore_rate: 50.0,
            max_query_cost: 1000,
            search_lag_ms: 0,
            max_variants: 2048,
        }
    }
}
