//! Products and variants (DESIGN §2). A product is what a shopper sees; a variant is the
//! sellable, stockable unit and carries the SKU. Fulfillment channels are flat: one variant is
//! one item there.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, ProductId, VariantId};
use crate::sku::Sku;
use crate::units::{Length, Weight};

/// At most this many option dimensions (size, colour, material…), as on Shopify.
pub const MAX_OPTIONS: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ProductStatus {
    #[default]
    Active,
    Draft,
    Archived,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum VariantStatus {
    #[default]
    Active,
    Inactive,
}

macro_rules! text_enum {
    ($t:ty { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }
        }
        impl FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($s => Ok(Self::$v),)+
                    other => Err(format!(
                        "unknown status {other:?} (expected {})",
                        [$($s),+].join(", ")
                    )),
                }
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(ProductStatus { Active => "active", Draft => "draft", Archived => "archived" });
text_enum!(VariantStatus { Active => "active", Inactive => "inactive" });

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: ProductId,
    pub account_id: AccountId,
    pub title: String,
    pub description_html: String,
    pub vendor: String,
    pub product_type: String,
    pub tags: Vec<String>,
    pub status: ProductStatus,
    /// Option names (e.g. ["Size", "Color"]); each variant has one value per name.
    pub options: Vec<String>,
    /// Image URLs, first is the main image.
    pub images: Vec<String>,
    pub variants: Vec<Variant>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    pub id: VariantId,
    pub product_id: ProductId,
    pub sku: Sku,
    pub position: i32,
    pub option_values: Vec<String>,
    pub barcode: Option<String>,
    /// Amounts in the account currency.
    pub price: Option<Decimal>,
    pub compare_at_price: Option<Decimal>,
    pub cost: Option<Decimal>,
    pub weight: Option<Weight>,
    pub length: Option<Length>,
    pub width: Option<Length>,
    pub height: Option<Length>,
    pub status: VariantStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A field-level problem with a product, for 422 responses and CSV reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ProductFieldError {
    pub field: String,
    pub message: String,
}

impl Variant {
    /// Whether the variant's content, product and position equal `other`'s (ids and times
    /// aside): an import writes a variant only when this is false.
    pub fn same_content(&self, other: &Variant) -> bool {
        self.product_id == other.product_id
            && self.sku.as_str() == other.sku.as_str()
            && self.position == other.position
            && self.option_values == other.option_values
            && self.barcode == other.barcode
            && self.price == other.price
            && self.compare_at_price == other.compare_at_price
            && self.cost == other.cost
            && self.weight == other.weight
            && self.length == other.length
            && self.width == other.width
            && self.height == other.height
            && self.status == other.status
    }
}

impl Product {
    /// Whether the product's own fields (not its variants, ids or times) equal `other`'s: an
    /// import writes a product head only when this is false.
    pub fn same_head(&self, other: &Product) -> bool {
        self.title == other.title
            && self.description_html == other.description_html
            && self.vendor == other.vendor
            && self.product_type == other.product_type
            && self.tags == other.tags
            && self.status == other.status
            && self.options == other.options
            && self.images == other.images
    }

    /// Check the invariants a stored product must satisfy.
    pub fn validate(&self) -> Result<(), Vec<ProductFieldError>> {
        let mut errors = Vec::new();
        let mut err = |field: String, message: &str| {
            errors.push(ProductFieldError {
                field,
                message: message.to_owned(),
            })
        };
        if self.title.trim().is_empty() {
            err("title".into(), "must not be empty");
        }
        if self.options.len() > MAX_OPTIONS {
            err("options".into(), "at most 3 options");
        }
        if self.variants.is_empty() {
            err("variants".into(), "a product needs at least one variant");
        }
        let mut keys = std::collections::HashSet::new();
        for (i, v) in self.variants.iter().enumerate() {
            if !keys.insert(v.sku.key().clone()) {
                err(
                    format!("variants[{i}].sku"),
                    "repeats the SKU of another variant",
                );
            }
            if v.option_values.len() > MAX_OPTIONS {
                err(
                    format!("variants[{i}].option_values"),
                    "at most 3 option values",
                );
            }
            for (name, value) in [
                ("price", v.price),
                ("compare_at_price", v.compare_at_price),
                ("cost", v.cost),
            ] {
                if value.is_some_and(|d| d.is_sign_negative()) {
                    err(format!("variants[{i}].{name}"), "must not be negative");
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(p: ProductId, sku: &str) -> Variant {
        Variant {
            id: VariantId::new(),
            product_id: p,
            sku: Sku::parse(sku).unwrap(),
            position: 0,
            option_values: vec![],
            barcode: None,
            price: Some(Decimal::new(1999, 2)),
            compare_at_price: None,
            cost: None,
            weight: None,
            length: None,
            width: None,
            height: None,
            status: VariantStatus::Active,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn validation_names_fields() {
        let id = ProductId::new();
        let mut p = Product {
            id,
            account_id: AccountId::new(),
            title: " ".into(),
            description_html: String::new(),
            vendor: String::new(),
            product_type: String::new(),
            tags: vec![],
            status: ProductStatus::Active,
            options: vec![],
            images: vec![],
            variants: vec![variant(id, "A-1"), variant(id, " a-1")],
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        p.variants[0].price = Some(Decimal::new(-1, 0));
        let errs = p.validate().unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["title", "variants[0].price", "variants[1].sku"]
        );
    }

    #[test]
    fn statuses_parse() {
        assert_eq!(
            "ARCHIVED".parse::<ProductStatus>().unwrap(),
            ProductStatus::Archived
        );
        assert!("deleted".parse::<VariantStatus>().is_err());
    }
}
