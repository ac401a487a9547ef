//! The state of one simulated shop: products, variants, media and the search index that lags
//! behind them.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Builds `gid://shopify/{kind}/{id}`.
pub fn gid(kind: &str, id: u64) -> String {
    format!("gid://shopify/{kind}/{id}")
}

/// The numeric id of a GID of the given kind (`None` for another kind or a malformed id).
pub fn parse_gid(kind: &str, gid: &str) -> Option<u64> {
    let rest = gid.strip_prefix("gid://shopify/")?;
    let (k, id) = rest.split_once('/')?;
    if k != kind {
        return None;
    }
    // Shopify ignores query parameters on GIDs (`gid://shopify/Product/1?x=y`).
    let id = id.split('?').next()?;
    id.parse().ok()
}

/// Timestamps are stored to the second, as Shopify serialises them.
pub fn truncate_secs(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductOption {
    pub id: u64,
    pub name: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Media {
    pub id: u64,
    pub url: String,
    pub alt: String,
}

/// Shopify's `WeightUnit` enum value (`GRAMS`, `KILOGRAMS`, `OUNCES`, `POUNDS`).
pub const WEIGHT_UNITS: [&str; 4] = ["GRAMS", "KILOGRAMS", "OUNCES", "POUNDS"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    pub id: u64,
    pub inventory_item_id: u64,
    pub sku: String,
    pub barcode: Option<String>,
    pub price: Decimal,
    pub compare_at_price: Option<Decimal>,
    pub cost: Option<Decimal>,
    /// Value and `WeightUnit`; a variant without a weight reads as 0 in the shop's unit.
    pub weight: Option<(Decimal, String)>,
    /// One value per product option, in option order.
    pub option_values: Vec<String>,
    pub tracked: bool,
    pub requires_shipping: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the search index knows about a product, and from when it knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchDoc {
    pub visible_at: DateTime<Utc>,
    pub deleted: bool,
    pub title: String,
    pub vendor: String,
    pub product_type: String,
    pub tags: Vec<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// (variant id, sku, variant updated_at)
    pub variants: Vec<(u64, String, DateTime<Utc>)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: u64,
    pub title: String,
    pub handle: String,
    pub description_html: String,
    pub vendor: String,
    pub product_type: String,
    pub tags: Vec<String>,
    /// `ACTIVE`, `DRAFT` or `ARCHIVED`.
    pub status: String,
    pub options: Vec<ProductOption>,
    pub variants: Vec<Variant>,
    pub media: Vec<Media>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Index snapshots, oldest first; queries with `query:` see the newest visible one.
    pub search: Vec<SearchDoc>,
}

impl Product {
    pub fn doc(&self, visible_at: DateTime<Utc>) -> SearchDoc {
        SearchDoc {
            visible_at,
            deleted: false,
            title: self.title.clone(),
            vendor: self.vendor.clone(),
            product_type: self.product_type.clone(),
            tags: self.tags.clone(),
            status: self.status.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            variants: self
                .variants
                .iter()
                .map(|v| (v.id, v.sku.clone(), v.updated_at))
                .collect(),
        }
    }

    /// Queue the current state for the search index; it becomes visible after `lag`.
    pub fn reindex(&mut self, now: DateTime<Utc>, lag: Duration) {
        let doc = self.doc(now + lag);
        // Snapshots not yet visible stay queued, and the newest visible one stays until a newer
        // one is due, so that a search in between still sees the previous state (as a lagging
        // index does). Older visible ones can never be seen again.
        if let Some(last_visible) = self.search.iter().rposition(|d| d.visible_at <= now) {
            self.search.drain(..last_visible);
        }
        self.search.push(doc);
    }

    /// The snapshot search sees at `now`, if any.
    pub fn visible_doc(&self, now: DateTime<Utc>) -> Option<&SearchDoc> {
        self.search
            .iter()
            .rev()
            .find(|d| d.visible_at <= now)
            .filter(|d| !d.deleted)
    }

    pub fn variant(&self, id: u64) -> Option<&Variant> {
        self.variants.iter().find(|v| v.id == id)
    }
}

/// Deterministic id allocation: every kind counts up from 1001.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IdGen {
    next: BTreeMap<String, u64>,
}

impl IdGen {
    pub fn next(&mut self, kind: &'static str) -> u64 {
        let n = self.next.entry(kind.to_owned()).or_insert(1001);
        let id = *n;
        *n += 1;
        id
    }
}

/// A handle as Shopify derives it from a title: lower-case words joined by `-`.
pub fn handleize(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-').to_owned();
    if trimmed.is_empty() {
        "product".to_owned()
    } else {
        trimmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gids_round_trip() {
        assert_eq!(gid("Product", 1001), "gid://shopify/Product/1001");
        assert_eq!(
            parse_gid("Product", "gid://shopify/Product/1001"),
            Some(1001)
        );
        assert_eq!(
            parse_gid("ProductVariant", "gid://shopify/Product/1001"),
            None
        );
        assert_eq!(parse_gid("Product", "1001"), None);
    }

    #[test]
    fn handles() {
        assert_eq!(
            handleize("Classic Cotton T-Shirt"),
            "classic-cotton-t-shirt"
        );
        assert_eq!(handleize("  !!"), "product");
    }
}
