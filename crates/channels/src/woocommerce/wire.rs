//! The `wc/v3` JSON shapes the connector reads. Deserialisation is lenient where plugins and
//! old versions are known to differ: strings may arrive as numbers or null, lists may be
//! missing.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A string field that may be sent as a number, a boolean or null.
fn loose_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    })
}

fn loose_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_u64().unwrap_or(0),
        Value::String(s) => s.trim().parse().unwrap_or(0),
        _ => 0,
    })
}

fn loose_vec<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A WordPress REST error: `{"code","message","data":{"status",...}}`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct WireError {
    #[serde(default, deserialize_with = "loose_string")]
    pub code: String,
    #[serde(default, deserialize_with = "loose_string")]
    pub message: String,
    #[serde(default)]
    pub data: Value,
}

impl WireError {
    /// `data.resource_id`: the record that already holds a duplicated SKU.
    pub fn resource_id(&self) -> Option<u64> {
        match self.data.get("resource_id")? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
        .filter(|id| *id > 0)
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct WireDimensions {
    #[serde(default, deserialize_with = "loose_string")]
    pub length: String,
    #[serde(default, deserialize_with = "loose_string")]
    pub width: String,
    #[serde(default, deserialize_with = "loose_string")]
    pub height: String,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct WireTerm {
    #[serde(default, deserialize_with = "loose_u64")]
    pub id: u64,
    #[serde(default, deserialize_with = "loose_string")]
    pub name: String,
    #[serde(default, deserialize_with = "loose_string")]
    pub slug: String,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct WireImage {
    #[serde(default, deserialize_with = "loose_u64")]
    pub id: u64,
    #[serde(default, deserialize_with = "loose_string")]
    pub src: String,
}

/// A product attribute (`options`) or a variation's attribute (`option`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct WireAttribute {
    #[serde(default, deserialize_with = "loose_u64")]
    pub id: u64,
    #[serde(default, deserialize_with = "loose_string")]
    pub name: String,
    #[serde(default, deserialize_with = "loose_u64")]
    pub position: u64,
    #[serde(default)]
    pub visible: bool,
    #[serde(default)]
    pub variation: bool,
    #[serde(default, deserialize_with = "loose_vec")]
    pub options: Vec<String>,
    #[serde(default, deserialize_with = "loose_string")]
    pub option: String,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct WireMeta {
    #[serde(default, deserialize_with = "loose_string")]
    pub key: String,
    #[serde(default)]
    pub value: Value,
}

/// A product, or a variation as the products endpoint renders it (`type: "variation"`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct WireProduct {
    #[serde(deserialize_with = "loose_u64")]
    pub id: u64,
    #[serde(default, deserialize_with = "loose_string")]
    pub name: String,
    #[serde(default, rename = "type", deserialize_with = "loose_string")]
    pub kind: String,
    #[serde(default, deserialize_with = "loose_string")]
    pub status: String,
    #[serde(default, deserialize_with = "loose_string")]
    pub description: String,
    #[serde(default, deserialize_with = "loose_string")]
    pub sku: String,
    #[serde(default, deserialize_with = "loose_string")]
    pub global_unique_id: String,
    #[serde(default, deserialize_with = "loose_string")]
    pub regular_price: String,
    #[serde(default, deserialize_with = "loose_string")]
    pub sale_price: String,
    #[serde(default, deserialize_with = "loose_string")]
    pub weight: String,
    #[serde(default)]
    pub dimensions: WireDimensions,
    #[serde(default, deserialize_with = "loose_vec")]
    pub categories: Vec<WireTerm>,
    #[serde(default, deserialize_with = "loose_vec")]
    pub tags: Vec<WireTerm>,
    #[serde(default, deserialize_with = "loose_vec")]
    pub images: Vec<WireImage>,
    #[serde(default, deserialize_with = "loose_vec")]
    pub attributes: Vec<WireAttribute>,
    #[serde(default, deserialize_with = "loose_vec")]
    pub variations: Vec<u64>,
    #[serde(default, deserialize_with = "loose_u64")]
    pub parent_id: u64,
    #[serde(default, deserialize_with = "loose_string")]
    pub date_modified_gmt: String,
    #[serde(default, deserialize_with = "loose_vec")]
    pub meta_data: Vec<WireMeta>,
}

impl WireProduct {
    pub fn is_variable(&self) -> bool {
        self.kind == "variable"
    }

    pub fn is_variation(&self) -> bool {
        self.kind == "variation"
    }

    pub fn modified(&self) -> Option<DateTime<Utc>> {
        parse_gmt(&self.date_modified_gmt)
    }

    pub fn meta(&self, key: &str) -> Option<&Value> {
        self.meta_data
            .iter()
            .find(|m| m.key == key)
            .map(|m| &m.value)
    }
}

/// A variation from `/products/{id}/variations` or `/variations`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct WireVariation {
    #[serde(deserialize_with = "loose_u64")]
    pub id: u64,
    #[serde(default, deserialize_with = "loose_u64")]
    pub parent_id: u64,
    #[serde(default, deserialize_with = "loose_string")]
    pub status: String,
    #[serde(default, deserialize_with = "loose_string")]
    pub sku: String,
    #[serde(default, deserialize_with = "loose_string")]
    pub global_unique_id: String,
    #[serde(default, deserialize_with = "loose_string")]
    pub regular_price: String,
    #[serde(default, deserialize_with = "loose_string")]
    pub sale_price: String,
    #[serde(default, deserialize_with = "loose_string")]
    pub weight: String,
    #[serde(default)]
    pub dimensions: WireDimensions,
    #[serde(default, deserialize_with = "loose_vec")]
    pub attributes: Vec<WireAttribute>,
    #[serde(default, deserialize_with = "loose_string")]
    pub date_modified_gmt: String,
}

impl WireVariation {
    pub fn modified(&self) -> Option<DateTime<Utc>> {
        parse_gmt(&self.date_modified_gmt)
    }
}

/// A naive `_gmt` timestamp (`2024-05-01T10:00:00`) as UTC.
pub fn parse_gmt(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim().trim_end_matches('Z');
    let head = s.get(..19)?;
    NaiveDateTime::parse_from_str(head, "%Y-%m-%dT%H:%M:%S")
        .ok()
        .map(|n| n.and_utc())
}

/// The naive GMT form the API's date filters take.
pub fn format_gmt(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// One entry of a batch answer: the saved record, or `{"id": …, "error": {…}}`.
pub fn batch_item_error(item: &Value) -> Option<WireError> {
    let err = item.get("error")?;
    serde_json::from_value(err.clone()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lenient_fields() {
        let p: WireProduct = serde_json::from_value(json!({
            "id": "12", "name": "X", "type": "simple", "regular_price": 10.5, "sale_price": null,
            "weight": 2, "categories": null, "date_modified_gmt": "2024-05-01T10:00:00"
        }))
        .unwrap();
        assert_eq!(p.id, 12);
        assert_eq!(p.regular_price, "10.5");
        assert_eq!(p.sale_price, "");
        assert_eq!(p.weight, "2");
        assert!(p.categories.is_empty());
        assert_eq!(format_gmt(p.modified().unwrap()), "2024-05-01T10:00:00");
    }

    #[test]
    fn batch_errors_and_resource_ids() {
        let item = json!({"id": 0, "error": {"code": "product_invalid_sku", "message": "Invalid or duplicated SKU.",
            "data": {"status": 400, "resource_id": 42, "unique_sku": "A-1"}}});
        let e = batch_item_error(&item).unwrap();
        assert_eq!(e.code, "product_invalid_sku");
        assert_eq!(e.resource_id(), Some(42));
        assert!(batch_item_error(&json!({"id": 5, "name": "ok"})).is_none());
    }
}
