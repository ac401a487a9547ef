//! ShipBob's product shapes as the dated API (2025-07+) sends them. Only what we map is read;
//! everything is optional because ShipBob marks nearly every field nullable. Numbers stay as
//! JSON values until `mapping` reads them as decimals.

use serde::Deserialize;
use serde_json::Value;

/// `GET /{v}/product`: `{first, items, last, next, prev}`.
#[derive(Debug, Deserialize)]
pub struct ProductPage {
    #[serde(default)]
    pub items: Option<Vec<Product>>,
    #[serde(default)]
    pub next: Option<String>,
}

/// `ProductViewModelV5`.
#[derive(Debug, Clone, Deserialize)]
pub struct Product {
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub updated_on: Option<String>,
    #[serde(default)]
    pub variants: Option<Vec<Variant>>,
}

impl Product {
    pub fn variants(&self) -> &[Variant] {
        self.variants.as_deref().unwrap_or_default()
    }
}

/// `VariantViewModelV5`.
#[derive(Debug, Clone, Deserialize)]
pub struct Variant {
    pub id: u64,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// "Active" / "Inactive".
    #[serde(default)]
    pub status: Option<Value>,
    #[serde(default)]
    pub barcodes: Option<Vec<Barcode>>,
    #[serde(default)]
    pub upc: Option<String>,
    #[serde(default)]
    pub gtin: Option<String>,
    /// `{weight, unit}` in responses; a bare number (ounces) in older shapes.
    #[serde(default)]
    pub weight: Option<Value>,
    /// `{length, width, height, unit}`.
    #[serde(default)]
    pub dimension: Option<Value>,
    #[serde(default)]
    pub inventory: Option<Inventory>,
    #[serde(default)]
    pub channel_metadata: Option<Vec<ChannelMetadata>>,
    #[serde(default)]
    pub updated_on: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Barcode {
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Inventory {
    #[serde(default)]
    pub inventory_id: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ChannelMetadata {
    #[serde(default)]
    pub channel_id: Option<u64>,
    #[serde(default)]
    pub price: Option<Value>,
}
