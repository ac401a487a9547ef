//! Shopify shapes ↔ techOMS shapes: products read into [`RemoteProduct`], catalog products
//! written as `ProductSetInput`. Money stays decimal end to end; weights convert through the
//! domain's exact unit factors.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use techoms_domain::{ProductStatus, SkuKey, VariantStatus, Weight, WeightUnit};

use super::wire::{MediaNode, ProductNode, VariantNode};
use crate::model::{ExportProduct, RemoteProduct, RemoteVariant};

/// How SKUs are compared: trimmed and case-folded, as the catalog keys them.
pub fn sku_key(s: &str) -> String {
    SkuKey::of(s).as_str().to_owned()
}

/// A decimal from a JSON string ("19.99") or number (never through a float for strings).
pub fn decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => Decimal::from_str(s.trim()).ok(),
        Value::Number(n) => {
            let s = n.to_string();
            Decimal::from_str(&s)
                .ok()
                .or_else(|| Decimal::from_scientific(&s).ok())
        }
        _ => None,
    }
}

pub fn weight_unit(shopify: &str) -> Option<WeightUnit> {
    Some(match shopify {
        "GRAMS" => WeightUnit::G,
        "KILOGRAMS" => WeightUnit::Kg,
        "OUNCES" => WeightUnit::Oz,
        "POUNDS" => WeightUnit::Lb,
        _ => return None,
    })
}

pub fn shopify_weight_unit(u: WeightUnit) -> &'static str {
    match u {
        WeightUnit::G => "GRAMS",
        WeightUnit::Kg => "KILOGRAMS",
        WeightUnit::Oz => "OUNCES",
        WeightUnit::Lb => "POUNDS",
    }
}

/// Decimals kept when writing a weight in `unit`: well below anything a scale shows.
fn weight_dp(u: WeightUnit) -> u32 {
    match u {
        WeightUnit::G => 2,
        WeightUnit::Kg | WeightUnit::Lb => 5,
        WeightUnit::Oz => 4,
    }
}

fn status(s: Option<&str>) -> ProductStatus {
    match s {
        Some("ACTIVE") => ProductStatus::Active,
        Some("ARCHIVED") => ProductStatus::Archived,
        // DRAFT, and statuses newer than our mapping (never shown to shoppers as active).
        _ => ProductStatus::Draft,
    }
}

pub fn shopify_status(s: ProductStatus) -> &'static str {
    match s {
        ProductStatus::Active => "ACTIVE",
        ProductStatus::Draft => "DRAFT",
        ProductStatus::Archived => "ARCHIVED",
    }
}

fn time(s: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Shopify gives every product at least one option; a lone `Title` option whose only value is
/// `Default Title` means "no options" in catalog terms.
fn has_default_option_only(p: &ProductNode, variants: &[VariantNode]) -> bool {
    p.options.len() == 1
        && p.options[0].name == "Title"
        && variants.iter().all(|v| {
            v.selected_options.len() == 1
                && v.selected_options[0].name == "Title"
                && v.selected_options[0].value == "Default Title"
        })
}

fn variant(v: VariantNode, no_options: bool) -> RemoteVariant {
    let inv = v.inventory_item.as_ref();
    let weight = inv
        .and_then(|i| i.measurement.as_ref())
        .and_then(|m| m.weight.as_ref())
        .and_then(|w| {
            let value = decimal(&w.value)?;
            let unit = weight_unit(&w.unit)?;
            // Shopify reports an unset weight as 0.
            (!value.is_zero()).then(|| Weight::new(value, unit))
        });
    RemoteVariant {
        inventory_item_id: inv.map(|i| i.id.clone()),
        sku: v.sku.clone().unwrap_or_default(),
        option_values: if no_options {
            Vec::new()
        } else {
            v.selected_options.iter().map(|o| o.value.clone()).collect()
        },
        barcode: v.barcode.clone().filter(|b| !b.is_empty()),
        price: v.price.as_ref().and_then(decimal),
        compare_at_price: v.compare_at_price.as_ref().and_then(decimal),
        cost: inv
            .and_then(|i| i.unit_cost.as_ref())
            .and_then(|c| decimal(&c.amount)),
        weight,
        // Shopify has no product or variant dimensions.
        length: None,
        width: None,
        height: None,
        // Shopify has no per-variant status.
        status: VariantStatus::Active,
        updated_at: time(v.updated_at.as_deref()),
        remote_id: v.id,
    }
}

/// A complete product: `variants` and `media` hold every page, not just the first.
pub fn remote_product(
    p: ProductNode,
    variants: Vec<VariantNode>,
    media: Vec<MediaNode>,
) -> RemoteProduct {
    let no_options = has_default_option_only(&p, &variants);
    RemoteProduct {
        remote_id: p.id.clone(),
        title: p.title.clone(),
        description_html: p.description_html.clone().unwrap_or_default(),
        vendor: p.vendor.clone().unwrap_or_default(),
        product_type: p.product_type.clone().unwrap_or_default(),
        tags: p.tags.clone(),
        status: status(p.status.as_deref()),
        options: if no_options {
            Vec::new()
        } else {
            p.options.iter().map(|o| o.name.clone()).collect()
        },
        images: media
            .into_iter()
            .filter_map(|m| m.image.map(|i| i.url))
            .collect(),
        updated_at: time(p.updated_at.as_deref()),
        variants: variants
            .into_iter()
            .map(|v| variant(v, no_options))
            .collect(),
    }
}

fn money(d: Decimal) -> Value {
    json!(d.normalize().to_string())
}

/// A `ProductSetInput` for `p`. `variant_ids[i]` is the GID of catalog variant `i` when it is
/// bound (or adopted); every variant is listed, because productSet deletes the ones left out.
/// `files` is sent only when creating: media are re-uploaded on every productSet that lists
/// them, and Shopify re-hosts the images under its own URLs.
pub fn product_set_input(
    p: &ExportProduct,
    variant_ids: &[Option<String>],
    unit: WeightUnit,
    create: bool,
) -> Value {
    let no_options = p.options.is_empty();
    let option_names: Vec<String> = if no_options {
        vec!["Title".to_owned()]
    } else {
        p.options.clone()
    };
    let value_of = |vals: &[String], i: usize| -> String {
        if no_options {
            "Default Title".to_owned()
        } else {
            vals.get(i).cloned().unwrap_or_default()
        }
    };
    let product_options: Vec<Value> = option_names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut values: Vec<String> = Vec::new();
            for v in &p.variants {
                let val = value_of(&v.option_values, i);
                if !values.contains(&val) {
                    values.push(val);
                }
            }
            json!({
                "name": name,
                "position": i + 1,
                "values": values.iter().map(|v| json!({ "name": v })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let variants: Vec<Value> = p
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut m = Map::new();
            if let Some(Some(id)) = variant_ids.get(i) {
                m.insert("id".into(), json!(id));
            }
            m.insert("sku".into(), json!(v.sku));
            m.insert("barcode".into(), json!(v.barcode));
            m.insert("price".into(), v.price.map_or(json!("0.00"), money));
            m.insert("compareAtPrice".into(), v.compare_at_price.map_or(Value::Null, money));
            m.insert(
                "optionValues".into(),
                Value::Array(
                    option_names
                        .iter()
                        .enumerate()
                        .map(|(oi, name)| json!({ "optionName": name, "name": value_of(&v.option_values, oi) }))
                        .collect(),
                ),
            );
            let mut inv = Map::new();
            inv.insert("cost".into(), v.cost.map_or(Value::Null, money));
            if create {
                // New variants track inventory; on existing ones that is the merchant's choice.
                inv.insert("tracked".into(), json!(true));
            }
            if let Some(w) = v.weight {
                // `Weight.value` is a GraphQL Float: the decimal goes out as its shortest
                // exact text, rounded far below what Shopify stores.
                let value = w.to_unit(unit, weight_dp(unit));
                let number: Value = serde_json::from_str(&value.to_string()).unwrap_or(json!(0));
                inv.insert(
                    "measurement".into(),
                    json!({ "weight": { "value": number, "unit": shopify_weight_unit(unit) } }),
                );
            }
            m.insert("inventoryItem".into(), Value::Object(inv));
            m.insert("position".into(), json!(i + 1));
            Value::Object(m)
        })
        .collect();
    let mut input = Map::new();
    input.insert("title".into(), json!(p.title));
    input.insert("descriptionHtml".into(), json!(p.description_html));
    input.insert("vendor".into(), json!(p.vendor));
    input.insert("productType".into(), json!(p.product_type));
    input.insert("tags".into(), json!(p.tags));
    input.insert("status".into(), json!(shopify_status(p.status)));
    input.insert("productOptions".into(), Value::Array(product_options));
    input.insert("variants".into(), Value::Array(variants));
    if create && !p.images.is_empty() {
        input.insert(
            "files".into(),
            Value::Array(
                p.images
                    .iter()
                    .map(|u| json!({ "originalSource": u, "contentType": "IMAGE", "alt": p.title }))
                    .collect(),
            ),
        );
    }
    Value::Object(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_from_strings_and_numbers() {
        assert_eq!(decimal(&json!("19.99")), Some(Decimal::new(1999, 2)));
        assert_eq!(decimal(&json!(0.1)), Some(Decimal::new(1, 1)));
        assert_eq!(decimal(&json!(1e-7)), Some(Decimal::new(1, 7)));
        assert_eq!(decimal(&json!(null)), None);
    }

    #[test]
    fn weight_units_round_trip() {
        for u in WeightUnit::ALL {
            assert_eq!(weight_unit(shopify_weight_unit(u)), Some(u));
        }
        assert_eq!(weight_unit("STONES"), None);
    }

    #[test]
    fn sku_keys_fold_case_and_trim() {
        assert_eq!(sku_key(" Abc-1 "), sku_key("ABC-1"));
    }
}
