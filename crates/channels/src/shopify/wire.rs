//! Response shapes of our documents, as Shopify serialises them.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    #[serde(default)]
    pub has_next_page: bool,
    #[serde(default)]
    pub end_cursor: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection<T> {
    pub page_info: Option<PageInfo>,
    #[serde(default = "Vec::new")]
    pub nodes: Vec<T>,
}

impl<T> Connection<T> {
    pub fn has_next(&self) -> Option<&str> {
        self.page_info
            .as_ref()
            .filter(|p| p.has_next_page)
            .and_then(|p| p.end_cursor.as_deref())
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Named {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Count {
    pub count: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductNode {
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description_html: Option<String>,
    #[serde(default)]
    pub vendor: Option<String>,
    #[serde(default)]
    pub product_type: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub options: Vec<Named>,
    #[serde(default)]
    pub variants_count: Option<Count>,
    pub media: Connection<MediaNode>,
    pub variants: Connection<VariantNode>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Image {
    pub url: String,
}

/// A media node; only images carry `image` (videos and 3D models come back empty).
#[derive(Debug, Clone, Deserialize)]
pub struct MediaNode {
    #[serde(default)]
    pub image: Option<Image>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SelectedOption {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VariantNode {
    pub id: String,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub barcode: Option<String>,
    #[serde(default)]
    pub price: Option<Value>,
    #[serde(default)]
    pub compare_at_price: Option<Value>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub selected_options: Vec<SelectedOption>,
    #[serde(default)]
    pub inventory_item: Option<InventoryItemNode>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Amount {
    pub amount: Value,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WeightNode {
    pub unit: String,
    pub value: Value,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Measurement {
    #[serde(default)]
    pub weight: Option<WeightNode>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InventoryItemNode {
    pub id: String,
    #[serde(default)]
    pub unit_cost: Option<Amount>,
    #[serde(default)]
    pub measurement: Option<Measurement>,
}

/// A productVariants search hit.
#[derive(Debug, Clone, Deserialize)]
pub struct VariantHit {
    pub id: String,
    #[serde(default)]
    pub sku: Option<String>,
    pub product: IdOnly,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IdOnly {
    pub id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RecentVariant {
    #[serde(default)]
    pub sku: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RecentProduct {
    pub id: String,
    pub variants: Connection<RecentVariant>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetVariant {
    pub id: String,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub inventory_item: Option<IdOnly>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SetProduct {
    pub id: String,
    pub variants: Connection<SetVariant>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UserError {
    #[serde(default)]
    pub field: Option<Vec<String>>,
    pub message: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetPayload {
    #[serde(default)]
    pub product: Option<SetProduct>,
    #[serde(default)]
    pub user_errors: Vec<UserError>,
}

/// Deserialize `data.<key>` or say which part of the answer was unexpected.
pub fn take<T: serde::de::DeserializeOwned>(
    data: &Value,
    pointer: &str,
) -> Result<T, crate::error::ChannelError> {
    let v = data.pointer(pointer).cloned().unwrap_or(Value::Null);
    serde_json::from_value(v).map_err(|e| {
        crate::error::ChannelError::Permanent(format!(
            "unexpected Shopify response at {pointer}: {e}"
        ))
    })
}
