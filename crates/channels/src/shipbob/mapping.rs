//! ShipBob ↔ techOMS field mapping (channel-apis.md §10) and unit conversion.
//!
//! ShipBob's units are fixed: weight in ounces, dimensions in inches. Outbound values are
//! converted exactly from grams/millimetres and rounded to 6 decimal places (half away from
//! zero), so a round trip techOMS → ShipBob → techOMS returns every weight within 0.000015 g
//! and every length within 0.0000127 mm: values with up to 4 decimals of grams or millimetres
//! come back equal at 4 decimals. Inbound values are converted exactly, then tidied
//! ([`Weight::tidy`]): the grams/millimetres with the fewest decimals (at most 4) that show as
//! the same ounces/inches at 6 decimals, so what techOMS wrote reads back equal.
//!
//! A ShipBob product (the container) maps to one techOMS product with all its variants; a
//! variant's `name` carries the option values ("{product} - {values}").

use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value, json};
use techoms_domain::{
    Length, LengthUnit, ProductStatus, SkuKey, VariantStatus, Weight, WeightUnit,
};

use super::wire;
use crate::model::{ExportProduct, ExportVariant, RemoteIds, RemoteProduct, RemoteVariant};

/// Decimal places sent for ounces and inches.
pub const WIRE_DP: u32 = 6;
/// ShipBob's product type for a regular (non-bundle) product.
const TYPE_REGULAR: u8 = 1;
/// The separator between the product name and the option values in a variant name.
const NAME_SEPARATOR: &str = " - ";

/// A JSON number (or numeric string) as a decimal, read from its text, never via a float.
pub fn decimal(v: &Value) -> Option<Decimal> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        _ => return None,
    };
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}

/// A decimal as a JSON number. serde_json writes numbers only from integers or floats; a value
/// of at most 15 significant digits (ours: 6 decimals) converts to the nearest double and is
/// written back in its shortest form, which is exactly the decimal's digits.
pub fn json_number(d: Decimal) -> Value {
    let d = d.normalize();
    if d.fract().is_zero()
        && let Some(i) = d.to_i64()
    {
        return Value::from(i);
    }
    // `str::parse` rounds correctly to the nearest double, which the shortest-form writer
    // needs to give the same digits back.
    d.to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// ShipBob's timestamps: RFC 3339, or a naive date-time in UTC.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

/// `{weight, unit}` (unit defaults to ounces) or a bare number of ounces. Zero means "not
/// set" in ShipBob, which fills missing weights with 0.
pub fn weight(v: &Value) -> Option<Weight> {
    let (value, unit) = match v {
        Value::Object(o) => (
            o.get("weight").and_then(decimal)?,
            unit_of(o).and_then(|u| u.parse().ok()),
        ),
        other => (decimal(other)?, None),
    };
    (!value.is_zero())
        .then(|| Weight::new(value, unit.unwrap_or(WeightUnit::Oz)).tidy(WeightUnit::Oz, WIRE_DP))
}

/// `{length, width, height, unit}` (unit defaults to inches); zeros are "not set".
pub fn dimensions(v: &Value) -> [Option<Length>; 3] {
    let Value::Object(o) = v else {
        return [None, None, None];
    };
    let unit = unit_of(o)
        .and_then(|u| u.parse().ok())
        .unwrap_or(LengthUnit::In);
    ["length", "width", "height"].map(|k| {
        o.get(k)
            .and_then(decimal)
            .filter(|d| !d.is_zero())
            .map(|d| Length::new(d, unit).tidy(LengthUnit::In, WIRE_DP))
    })
}

fn unit_of(o: &Map<String, Value>) -> Option<&str> {
    o.get("unit")
        .and_then(Value::as_str)
        .filter(|u| !u.trim().is_empty())
}

fn is_active(v: &wire::Variant) -> bool {
    match &v.status {
        Some(Value::String(s)) => !s.trim().eq_ignore_ascii_case("inactive"),
        // Numeric ids as in requests: 1 = Inactive.
        Some(Value::Number(n)) => n.as_u64() != Some(1),
        _ => true,
    }
}

fn first_barcode(v: &wire::Variant) -> Option<String> {
    v.barcodes
        .iter()
        .flatten()
        .filter_map(|b| b.value.as_deref())
        .chain(v.upc.as_deref())
        .chain(v.gtin.as_deref())
        .map(str::trim)
        .find(|b| !b.is_empty())
        .map(str::to_owned)
}

pub fn ids(p: &wire::Product, v: &wire::Variant) -> RemoteIds {
    RemoteIds {
        product_id: p.id.to_string(),
        variant_id: v.id.to_string(),
        inventory_item_id: v
            .inventory
            .as_ref()
            .and_then(|i| i.inventory_id)
            .map(|i| i.to_string()),
    }
}

/// A ShipBob product as techOMS sees it. `channel_id` picks the price of our channel's
/// metadata, when there is one.
pub fn remote_product(p: &wire::Product, channel_id: Option<&str>) -> RemoteProduct {
    let variants = p.variants();
    let multi = variants.len() > 1;
    let name = p.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let title = name
        .or_else(|| {
            variants
                .iter()
                .find_map(|v| v.name.as_deref().filter(|n| !n.trim().is_empty()))
        })
        .or_else(|| variants.iter().find_map(|v| v.sku.as_deref()))
        .unwrap_or_default()
        .trim()
        .to_owned();
    let remote_variants: Vec<RemoteVariant> = variants
        .iter()
        .map(|v| remote_variant(v, &title, multi, channel_id))
        .collect();
    let updated_at = p
        .updated_on
        .as_deref()
        .and_then(parse_time)
        .into_iter()
        .chain(remote_variants.iter().filter_map(|v| v.updated_at))
        .max();
    RemoteProduct {
        remote_id: p.id.to_string(),
        status: if variants.iter().any(is_active) || variants.is_empty() {
            ProductStatus::Active
        } else {
            ProductStatus::Archived
        },
        title,
        description_html: String::new(),
        vendor: String::new(),
        product_type: String::new(),
        tags: Vec::new(),
        options: if multi {
            vec!["Variant".to_owned()]
        } else {
            Vec::new()
        },
        images: Vec::new(),
        updated_at,
        variants: remote_variants,
    }
}

fn remote_variant(
    v: &wire::Variant,
    title: &str,
    multi: bool,
    channel_id: Option<&str>,
) -> RemoteVariant {
    let [length, width, height] = v.dimension.as_ref().map(dimensions).unwrap_or_default();
    let option_values = if multi {
        let name = v.name.as_deref().unwrap_or_default().trim();
        let value = name
            .strip_prefix(title)
            .and_then(|rest| rest.strip_prefix(NAME_SEPARATOR))
            .unwrap_or(name);
        vec![value.to_owned()]
    } else {
        Vec::new()
    };
    let price = channel_id.and_then(|c| {
        v.channel_metadata
            .iter()
            .flatten()
            .find(|m| m.channel_id.map(|id| id.to_string()).as_deref() == Some(c))
            .and_then(|m| m.price.as_ref())
            .and_then(decimal)
    });
    RemoteVariant {
        remote_id: v.id.to_string(),
        inventory_item_id: v
            .inventory
            .as_ref()
            .and_then(|i| i.inventory_id)
            .map(|i| i.to_string()),
        sku: v.sku.clone().unwrap_or_default(),
        option_values,
        barcode: first_barcode(v),
        price,
        compare_at_price: None,
        cost: None,
        weight: v.weight.as_ref().and_then(weight),
        length,
        width,
        height,
        status: if is_active(v) {
            VariantStatus::Active
        } else {
            VariantStatus::Inactive
        },
        updated_at: v.updated_on.as_deref().and_then(parse_time),
    }
}

/// Whether a remote variant carries this SKU, compared as techOMS compares SKUs.
pub fn has_sku(v: &wire::Variant, sku: &str) -> bool {
    let key = SkuKey::of(sku);
    !key.is_empty() && v.sku.as_deref().is_some_and(|s| SkuKey::of(s) == key)
}

/// The variant name we give ShipBob: the product title, plus the option values when the
/// product has options.
pub fn variant_name(p: &ExportProduct, v: &ExportVariant) -> String {
    let values: Vec<&str> = v
        .option_values
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if values.is_empty() {
        p.title.trim().to_owned()
    } else {
        format!("{}{NAME_SEPARATOR}{}", p.title.trim(), values.join(" / "))
    }
}

/// An archived product's variants are inactive in ShipBob, which has no product status.
fn effective_status(p: &ExportProduct, v: &ExportVariant) -> VariantStatus {
    if p.status == ProductStatus::Archived {
        VariantStatus::Inactive
    } else {
        v.status
    }
}

/// ShipBob's variant status ids: 0 = Active, 1 = Inactive.
fn status_id(s: VariantStatus) -> u8 {
    match s {
        VariantStatus::Active => 0,
        VariantStatus::Inactive => 1,
    }
}

fn oz(w: &Weight) -> Decimal {
    w.to_unit(WeightUnit::Oz, WIRE_DP)
}

fn inches(l: &Length) -> Decimal {
    l.to_unit(LengthUnit::In, WIRE_DP)
}

/// The variant fields we write, for a create (`id` None) or an update (a merge patch: what
/// techOMS does not have is left as ShipBob holds it).
pub fn variant_body(p: &ExportProduct, v: &ExportVariant, id: Option<u64>) -> Value {
    let mut m = Map::new();
    if let Some(id) = id {
        m.insert("id".into(), json!(id));
    }
    m.insert("sku".into(), json!(v.sku.trim()));
    m.insert("name".into(), json!(variant_name(p, v)));
    m.insert("status_id".into(), json!(status_id(effective_status(p, v))));
    if let Some(w) = &v.weight {
        m.insert("weight".into(), json_number(oz(w)));
    }
    let mut dim = Map::new();
    for (k, l) in [
        ("length", &v.length),
        ("width", &v.width),
        ("height", &v.height),
    ] {
        if let Some(l) = l {
            dim.insert(k.into(), json_number(inches(l)));
        }
    }
    if !dim.is_empty() {
        m.insert("dimension".into(), Value::Object(dim));
    }
    // A variant without a barcode in techOMS leaves ShipBob's alone: warehouses label items
    // with barcodes of their own, and clearing them would disrupt receiving.
    if let Some(b) = v
        .barcode
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
    {
        m.insert("barcodes".into(), json!([{ "value": b }]));
    }
    Value::Object(m)
}

/// `POST /{v}/product`: a new product holding one variant.
pub fn create_product_body(p: &ExportProduct, v: &ExportVariant) -> Value {
    let name = if p.title.trim().is_empty() {
        v.sku.trim()
    } else {
        p.title.trim()
    };
    json!({
        "name": name,
        "type_id": TYPE_REGULAR,
        "variants": [variant_body(p, v, None)],
    })
}

/// Whether ShipBob's variant already holds what we would write (then adopting it needs no
/// write). Compared at the precision we send.
pub fn in_sync(p: &ExportProduct, v: &ExportVariant, remote: &wire::Variant) -> bool {
    let remote_weight = remote.weight.as_ref().and_then(weight);
    let [rl, rw, rh] = remote
        .dimension
        .as_ref()
        .map(dimensions)
        .unwrap_or_default();
    let same_len =
        |a: &Option<Length>, b: &Option<Length>| a.as_ref().map(inches) == b.as_ref().map(inches);
    remote.sku.as_deref().map(str::trim) == Some(v.sku.trim())
        && remote.name.as_deref().map(str::trim) == Some(variant_name(p, v).as_str())
        && is_active(remote) == (effective_status(p, v) == VariantStatus::Active)
        && remote_weight.as_ref().map(oz) == v.weight.as_ref().map(oz)
        && same_len(&rl, &v.length)
        && same_len(&rw, &v.width)
        && same_len(&rh, &v.height)
        && v.barcode
            .as_deref()
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .is_none_or(|b| first_barcode(remote).as_deref() == Some(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn numbers_are_written_with_their_exact_digits() {
        for s in ["17.636981", "12", "99999.123456", "3.937008", "0.019685"] {
            assert_eq!(json_number(dec(s)).to_string(), s);
        }
        // Tiny values come out in exponent form, still exactly the same number.
        for s in ["0.000001", "0.000015", "123456789.123456"] {
            assert_eq!(decimal(&json_number(dec(s))), Some(dec(s)), "{s}");
        }
        assert_eq!(decimal(&json!(17.636981)), Some(dec("17.636981")));
        assert_eq!(decimal(&json!("2.5")), Some(dec("2.5")));
    }

    #[test]
    fn weights_and_dimensions_parse_both_shapes() {
        assert_eq!(
            weight(&json!({"weight": 16, "unit": "oz"})),
            Some(Weight::new(dec("16"), WeightUnit::Oz))
        );
        assert_eq!(
            weight(&json!({"weight": 1, "unit": "lb"})),
            Some(Weight::new(dec("1"), WeightUnit::Lb))
        );
        // 2.5 oz is 70.8738078125 g; 70.8738 g is the same 2.5 oz at the 6 decimals we send,
        // so it is what we keep (and it goes back out as 2.5 oz).
        let w = weight(&json!(2.5));
        assert_eq!(w.map(|w| w.grams()), Some(dec("70.8738")));
        assert_eq!(w.map(|w| oz(&w)), Some(dec("2.5")));
        assert_eq!(weight(&json!({"weight": 0, "unit": "oz"})), None);
        let [l, w, h] =
            dimensions(&json!({"length": 10, "width": 0, "height": 2.54, "unit": "cm"}));
        assert_eq!(l, Some(Length::new(dec("100"), LengthUnit::Mm)));
        assert_eq!(w, None);
        assert_eq!(h, Some(Length::new(dec("25.4"), LengthUnit::Mm)));
        let [l, _, _] = dimensions(&json!({"length": 1, "unit": "inch"}));
        assert_eq!(l, Some(Length::new(dec("25.4"), LengthUnit::Mm)));
    }

    #[test]
    fn timestamps() {
        assert!(parse_time("2026-01-05T10:00:00Z").is_some());
        assert!(parse_time("2026-01-05T10:00:00.1234567").is_some());
        assert!(parse_time("2026-01-05T10:00:00+02:00").is_some());
        assert!(parse_time("soon").is_none());
    }
}
