//! The channel-neutral shapes a connector reads and writes. Units are already converted:
//! weights in grams, lengths in millimetres, money as decimals in the channel's currency.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use techoms_domain::{Length, ProductStatus, VariantStatus, Weight};

/// A product as a channel holds it. Flat channels (3PLs) return one product per item, with
/// exactly one variant whose `remote_id` is the item id; `remote_id` of the product is then the
/// channel's product/container id if it has one, else the item id again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteProduct {
    pub remote_id: String,
    pub title: String,
    pub description_html: String,
    pub vendor: String,
    pub product_type: String,
    pub tags: Vec<String>,
    pub status: ProductStatus,
    /// Option names, in order.
    pub options: Vec<String>,
    pub images: Vec<String>,
    pub updated_at: Option<DateTime<Utc>>,
    pub variants: Vec<RemoteVariant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteVariant {
    pub remote_id: String,
    pub inventory_item_id: Option<String>,
    /// The SKU exactly as the channel spells it; may be empty (the engine skips it with a Warning).
    pub sku: String,
    pub option_values: Vec<String>,
    pub barcode: Option<String>,
    pub price: Option<Decimal>,
    pub compare_at_price: Option<Decimal>,
    pub cost: Option<Decimal>,
    pub weight: Option<Weight>,
    pub length: Option<Length>,
    pub width: Option<Length>,
    pub height: Option<Length>,
    pub status: VariantStatus,
    pub updated_at: Option<DateTime<Utc>>,
}

/// A product the engine wants on the channel. It always carries *every* catalog variant of the
/// product (Shopify's `productSet` replaces the variant list, so a partial list would delete
/// variants); `changed` marks the ones whose content differs from what was last pushed.
/// Connectors that write variant by variant write only the changed ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportProduct {
    /// The engine's correlation key (the techOMS product id).
    pub key: String,
    /// The channel's product id when the product is already bound.
    pub remote_id: Option<String>,
    pub title: String,
    pub description_html: String,
    pub vendor: String,
    pub product_type: String,
    pub tags: Vec<String>,
    pub status: ProductStatus,
    pub options: Vec<String>,
    pub images: Vec<String>,
    pub variants: Vec<ExportVariant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportVariant {
    /// The engine's correlation key (the techOMS variant id).
    pub key: String,
    /// The channel's ids when the variant is bound (or was adopted by a SKU lookup).
    pub remote: Option<RemoteIds>,
    pub changed: bool,
    /// The SKU as the channel should spell it (SKU mapping already applied).
    pub sku: String,
    pub option_values: Vec<String>,
    pub barcode: Option<String>,
    pub price: Option<Decimal>,
    pub compare_at_price: Option<Decimal>,
    pub cost: Option<Decimal>,
    pub weight: Option<Weight>,
    pub length: Option<Length>,
    pub width: Option<Length>,
    pub height: Option<Length>,
    pub status: VariantStatus,
}

/// The channel's identifiers of one variant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RemoteIds {
    pub product_id: String,
    pub variant_id: String,
    pub inventory_item_id: Option<String>,
}

/// What happened to one variant of a write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteResult {
    /// [`ExportVariant::key`].
    pub key: String,
    pub sku: String,
    pub outcome: WriteOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum WriteOutcome {
    /// A new remote record was made.
    Created(RemoteIds),
    /// An existing remote record was updated; `adopted` when it was found by SKU (or by the
    /// channel's duplicate-SKU answer) rather than through a binding.
    Updated { ids: RemoteIds, adopted: bool },
    /// The channel refused this item; `message` is the channel's own error text.
    Failed { message: String },
}

impl WriteOutcome {
    pub fn ids(&self) -> Option<&RemoteIds> {
        match self {
            WriteOutcome::Created(ids) | WriteOutcome::Updated { ids, .. } => Some(ids),
            WriteOutcome::Failed { .. } => None,
        }
    }
}
