//! Field mapping between WooCommerce and techOMS (channel-apis.md §10).
//!
//! - Product: `name` ↔ title, `description` (raw, read with `context=edit`) ↔ description
//!   HTML, `status` publish ↔ active, draft/pending/future → draft, private ↔ archived.
//!   `tags` are read by name; `product_type` is read from the first category other than the
//!   default "Uncategorized". Neither is written: WooCommerce takes term *ids*, and creating
//!   categories or tags from free text would litter the store's taxonomy. There is no vendor
//!   field (brands are a separate taxonomy) and no cost without a COGS plugin.
//! - Options: a variable product's attributes with `variation: true`, by position. A techOMS
//!   product with one variant and no options is a `simple` product carrying the SKU itself;
//!   anything else is `variable` with one variation per variant.
//! - Prices: WooCommerce's `price` is read-only and is the sale price while on sale. So
//!   `price` = `sale_price` when it is set and below `regular_price`, with compare-at =
//!   `regular_price`; otherwise `price` = `regular_price`. Written back the same way: a
//!   compare-at above the price becomes `regular_price` with the price as `sale_price`.
//! - Barcode ↔ `global_unique_id` (WooCommerce ≥ 9.2 strips it to digits, `-` and `X`).
//! - Weight and dimensions in the store's units (see `units.rs`).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use techoms_domain::{ProductStatus, VariantStatus};

use super::units::{StoreUnits, parse_decimal};
use super::wire::{WireAttribute, WireProduct, WireVariation};
use crate::model::{ExportProduct, ExportVariant, RemoteProduct, RemoteVariant};

/// Meta key tying a variable parent to the techOMS product it was created for, so a create
/// that ended ambiguously can be found again (a parent has no SKU to look it up by).
pub const PRODUCT_KEY_META: &str = "_techoms_product_key";

pub fn product_status(s: &str) -> ProductStatus {
    match s {
        "publish" => ProductStatus::Active,
        "private" => ProductStatus::Archived,
        _ => ProductStatus::Draft,
    }
}

pub fn status_to_woo(s: ProductStatus) -> &'static str {
    match s {
        ProductStatus::Active => "publish",
        ProductStatus::Draft => "draft",
        ProductStatus::Archived => "private",
    }
}

fn variant_status(s: &str) -> VariantStatus {
    match s {
        "publish" | "" => VariantStatus::Active,
        _ => VariantStatus::Inactive,
    }
}

fn variant_status_to_woo(s: VariantStatus) -> &'static str {
    match s {
        VariantStatus::Active => "publish",
        VariantStatus::Inactive => "private",
    }
}

/// `(price, compare_at)` from WooCommerce's regular and sale prices.
pub fn read_prices(regular: &str, sale: &str) -> (Option<Decimal>, Option<Decimal>) {
    let regular = parse_decimal(regular);
    let sale = parse_decimal(sale);
    match (regular, sale) {
        (Some(r), Some(s)) if s < r => (Some(s), Some(r)),
        (None, Some(s)) => (Some(s), None),
        (r, _) => (r, None),
    }
}

/// `(regular_price, sale_price)` for a techOMS price and compare-at price.
pub fn write_prices(price: Option<Decimal>, compare_at: Option<Decimal>) -> (String, String) {
    match (price, compare_at) {
        (Some(p), Some(c)) if c > p => (c.to_string(), p.to_string()),
        (Some(p), _) => (p.to_string(), String::new()),
        (None, _) => (String::new(), String::new()),
    }
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Option names of a variable product: its variation attributes by position.
pub fn option_names(p: &WireProduct) -> Vec<String> {
    let mut attrs: Vec<&WireAttribute> = p.attributes.iter().filter(|a| a.variation).collect();
    attrs.sort_by_key(|a| a.position);
    attrs.into_iter().map(|a| a.name.clone()).collect()
}

/// Attribute names as WooCommerce matches them (`sanitize_title`, roughly).
pub fn same_attribute(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.trim()
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("-")
    };
    norm(a) == norm(b)
}

fn variant_from_variation(
    v: &WireVariation,
    options: &[String],
    units: &StoreUnits,
) -> RemoteVariant {
    let (price, compare_at_price) = read_prices(&v.regular_price, &v.sale_price);
    RemoteVariant {
        remote_id: v.id.to_string(),
        inventory_item_id: None,
        sku: v.sku.trim().to_owned(),
        option_values: options
            .iter()
            .map(|name| {
                v.attributes
                    .iter()
                    .find(|a| same_attribute(&a.name, name))
                    .map(|a| a.option.clone())
                    .unwrap_or_default()
            })
            .collect(),
        barcode: non_empty(&v.global_unique_id),
        price,
        compare_at_price,
        cost: None,
        weight: units.read_weight(&v.weight),
        length: units.read_length(&v.dimensions.length),
        width: units.read_length(&v.dimensions.width),
        height: units.read_length(&v.dimensions.height),
        status: variant_status(&v.status),
        updated_at: v.modified(),
    }
}

fn variant_from_product(p: &WireProduct, units: &StoreUnits) -> RemoteVariant {
    let (price, compare_at_price) = read_prices(&p.regular_price, &p.sale_price);
    RemoteVariant {
        remote_id: p.id.to_string(),
        inventory_item_id: None,
        sku: p.sku.trim().to_owned(),
        option_values: Vec::new(),
        barcode: non_empty(&p.global_unique_id),
        price,
        compare_at_price,
        cost: None,
        weight: units.read_weight(&p.weight),
        length: units.read_length(&p.dimensions.length),
        width: units.read_length(&p.dimensions.width),
        height: units.read_length(&p.dimensions.height),
        // A simple product's availability is its product status.
        status: VariantStatus::Active,
        updated_at: p.modified(),
    }
}

/// A WooCommerce product (with its variations when variable) as a [`RemoteProduct`]. Its
/// `updated_at` is the latest of the parent's and its variations' dates, because editing a
/// variation does not move the parent's date.
pub fn remote_product(
    p: &WireProduct,
    variations: &[WireVariation],
    units: &StoreUnits,
) -> RemoteProduct {
    let (options, variants) = if p.is_variable() {
        let options = option_names(p);
        let variants = variations
            .iter()
            .map(|v| variant_from_variation(v, &options, units))
            .collect();
        (options, variants)
    } else {
        (Vec::new(), vec![variant_from_product(p, units)])
    };
    let updated_at: Option<DateTime<Utc>> = variants
        .iter()
        .filter_map(|v: &RemoteVariant| v.updated_at)
        .chain(p.modified())
        .max();
    RemoteProduct {
        remote_id: p.id.to_string(),
        title: p.name.clone(),
        description_html: p.description.clone(),
        vendor: String::new(),
        product_type: p
            .categories
            .iter()
            .find(|c| c.slug != "uncategorized")
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        tags: p.tags.iter().map(|t| t.name.clone()).collect(),
        status: product_status(&p.status),
        options,
        images: p
            .images
            .iter()
            .map(|i| i.src.clone())
            .filter(|s| !s.is_empty())
            .collect(),
        updated_at,
        variants,
    }
}

/// Whether a techOMS product is a WooCommerce `simple` product.
pub fn is_simple(p: &ExportProduct) -> bool {
    p.variants.len() == 1
        && p.options.is_empty()
        && p.variants[0]
            .option_values
            .iter()
            .all(|v| v.trim().is_empty())
}

/// The commerce fields of one variant, as product or variation fields.
pub fn variant_fields(v: &ExportVariant, units: &StoreUnits) -> Map<String, Value> {
    let (regular, sale) = write_prices(v.price, v.compare_at_price);
    let mut m = Map::new();
    m.insert("sku".into(), json!(v.sku));
    m.insert("regular_price".into(), json!(regular));
    m.insert("sale_price".into(), json!(sale));
    m.insert(
        "global_unique_id".into(),
        json!(v.barcode.clone().unwrap_or_default()),
    );
    m.insert(
        "weight".into(),
        json!(units.write_weight(v.weight.as_ref())),
    );
    m.insert(
        "dimensions".into(),
        json!({
            "length": units.write_length(v.length.as_ref()),
            "width": units.write_length(v.width.as_ref()),
            "height": units.write_length(v.height.as_ref()),
        }),
    );
    m
}

fn product_fields(p: &ExportProduct) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), json!(p.title));
    m.insert("description".into(), json!(p.description_html));
    m.insert("status".into(), json!(status_to_woo(p.status)));
    m
}

fn file_stem(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let file = path.rsplit('/').next().unwrap_or("");
    file.rsplit_once('.')
        .map_or(file, |(stem, _)| stem)
        .to_lowercase()
}

/// Whether a sideloaded WordPress image (`shirt-1.jpg`, `shirt-scaled.jpg`) came from `url`.
fn same_image(remote_src: &str, url: &str) -> bool {
    let (r, u) = (file_stem(remote_src), file_stem(url));
    if r == u {
        return true;
    }
    r.strip_prefix(&u)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|suffix| suffix == "scaled" || suffix.chars().all(|c| c.is_ascii_digit()))
}

/// The `images` member to send, or None when the product already shows these images.
/// WordPress copies every `src` into its media library, so sending the same URLs on every
/// update would pile up duplicates: images already there are referenced by attachment id.
pub fn images_field(p: &ExportProduct, remote: Option<&WireProduct>) -> Option<Value> {
    let Some(remote) = remote else {
        return (!p.images.is_empty())
            .then(|| Value::Array(p.images.iter().map(|src| json!({"src": src})).collect()));
    };
    let matched: Vec<Option<u64>> = p
        .images
        .iter()
        .map(|url| {
            remote
                .images
                .iter()
                .find(|r| same_image(&r.src, url))
                .map(|r| r.id)
        })
        .collect();
    let unchanged = matched.len() == remote.images.len()
        && matched
            .iter()
            .zip(&remote.images)
            .all(|(m, r)| *m == Some(r.id));
    if unchanged {
        return None;
    }
    Some(Value::Array(
        p.images
            .iter()
            .zip(matched)
            .map(|(src, id)| match id {
                Some(id) => json!({"id": id}),
                None => json!({"src": src}),
            })
            .collect(),
    ))
}

/// The parent's attributes: techOMS options as variation attributes (every value any
/// variant uses, plus values the store's own variations still use), then the store's other
/// attributes untouched.
pub fn variable_attributes(p: &ExportProduct, remote: Option<&WireProduct>) -> Value {
    let mut out = Vec::new();
    for (i, name) in p.options.iter().enumerate() {
        let mut values: Vec<String> = Vec::new();
        for v in &p.variants {
            if let Some(val) = v.option_values.get(i).map(|s| s.trim())
                && !val.is_empty()
                && !values.iter().any(|x| x == val)
            {
                values.push(val.to_owned());
            }
        }
        if let Some(existing) =
            remote.and_then(|r| r.attributes.iter().find(|a| same_attribute(&a.name, name)))
        {
            for o in &existing.options {
                if !values.iter().any(|x| x == o) {
                    values.push(o.clone());
                }
            }
        }
        out.push(json!({"name": name, "position": i, "visible": true, "variation": true, "options": values}));
    }
    if let Some(r) = remote {
        for a in r
            .attributes
            .iter()
            .filter(|a| !p.options.iter().any(|o| same_attribute(o, &a.name)))
            .filter(|a| !a.variation)
        {
            let mut kept = json!({
                "name": a.name, "position": out.len(), "visible": a.visible,
                "variation": false, "options": a.options,
            });
            if a.id > 0 {
                kept["id"] = json!(a.id);
            }
            out.push(kept);
        }
    }
    Value::Array(out)
}

pub fn simple_create(p: &ExportProduct, v: &ExportVariant, units: &StoreUnits) -> Value {
    let mut m = product_fields(p);
    m.insert("type".into(), json!("simple"));
    m.extend(variant_fields(v, units));
    if let Some(images) = images_field(p, None) {
        m.insert("images".into(), images);
    }
    Value::Object(m)
}

pub fn variable_create(p: &ExportProduct) -> Value {
    let mut m = product_fields(p);
    m.insert("type".into(), json!("variable"));
    m.insert("attributes".into(), variable_attributes(p, None));
    if let Some(images) = images_field(p, None) {
        m.insert("images".into(), images);
    }
    m.insert(
        "meta_data".into(),
        json!([{"key": PRODUCT_KEY_META, "value": p.key}]),
    );
    Value::Object(m)
}

/// The update of a simple product: its product fields and the fields of its one variant.
pub fn simple_update(
    id: u64,
    p: &ExportProduct,
    v: &ExportVariant,
    remote: Option<&WireProduct>,
    units: &StoreUnits,
) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.extend(product_fields(p));
    m.extend(variant_fields(v, units));
    if let Some(images) = images_field(p, remote) {
        m.insert("images".into(), images);
    }
    Value::Object(m)
}

/// The update of a variable parent: product fields, images, and (when techOMS has options)
/// the merged attributes.
pub fn parent_update(id: u64, p: &ExportProduct, remote: Option<&WireProduct>) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.extend(product_fields(p));
    if let Some(images) = images_field(p, remote) {
        m.insert("images".into(), images);
    }
    if !p.options.is_empty() {
        m.insert("attributes".into(), variable_attributes(p, remote));
    }
    Value::Object(m)
}

/// Whether a variable parent already holds everything [`parent_update`] would send. A write
/// that changes only variations then leaves the parent alone: one request instead of two,
/// and the parent's modified date still means "the product itself changed".
pub fn parent_in_sync(p: &ExportProduct, remote: &WireProduct) -> bool {
    if remote.name != p.title
        || remote.description != p.description_html
        || remote.status != status_to_woo(p.status)
        || images_field(p, Some(remote)).is_some()
    {
        return false;
    }
    if p.options.is_empty() {
        return true;
    }
    let want = variable_attributes(p, Some(remote));
    let want = want.as_array().map(Vec::as_slice).unwrap_or_default();
    want.len() == remote.attributes.len()
        && want.iter().zip(&remote.attributes).all(|(w, r)| {
            w["name"]
                .as_str()
                .is_some_and(|n| same_attribute(n, &r.name))
                && w["variation"].as_bool() == Some(r.variation)
                && w["visible"].as_bool() == Some(r.visible)
                && w["options"].as_array().is_some_and(|o| {
                    o.iter()
                        .map(Value::as_str)
                        .eq(r.options.iter().map(|s| Some(s.as_str())))
                })
        })
}

/// Only the variant's own fields, for a techOMS variant that lives in WooCommerce as a
/// simple product of another grouping (adopted by SKU).
pub fn variant_only_update(id: u64, v: &ExportVariant, units: &StoreUnits) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.extend(variant_fields(v, units));
    Value::Object(m)
}

fn variation_attributes(options: &[String], v: &ExportVariant) -> Value {
    Value::Array(
        options
            .iter()
            .zip(&v.option_values)
            .filter(|(_, val)| !val.trim().is_empty())
            .map(|(name, val)| json!({"name": name, "option": val.trim()}))
            .collect(),
    )
}

pub fn variation_body(
    id: Option<u64>,
    options: &[String],
    v: &ExportVariant,
    units: &StoreUnits,
) -> Value {
    let mut m = Map::new();
    if let Some(id) = id {
        m.insert("id".into(), json!(id));
    }
    m.extend(variant_fields(v, units));
    m.insert("status".into(), json!(variant_status_to_woo(v.status)));
    if !options.is_empty() {
        m.insert("attributes".into(), variation_attributes(options, v));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn prices_follow_the_sale_rules() {
        assert_eq!(read_prices("20", "15"), (Some(dec("15")), Some(dec("20"))));
        assert_eq!(read_prices("20", ""), (Some(dec("20")), None));
        assert_eq!(read_prices("20", "25"), (Some(dec("20")), None));
        assert_eq!(read_prices("", ""), (None, None));
        assert_eq!(
            write_prices(Some(dec("15")), Some(dec("20"))),
            ("20".into(), "15".into())
        );
        assert_eq!(
            write_prices(Some(dec("15")), Some(dec("10"))),
            ("15".into(), String::new())
        );
        assert_eq!(
            write_prices(None, Some(dec("10"))),
            (String::new(), String::new())
        );
        let (r, s) = write_prices(Some(dec("9.90")), Some(dec("12.00")));
        assert_eq!(read_prices(&r, &s), (Some(dec("9.90")), Some(dec("12.00"))));
    }

    #[test]
    fn sideloaded_images_are_recognised() {
        assert!(same_image(
            "https://s/wp-content/uploads/2024/05/shirt-1.jpg",
            "https://cdn/x/shirt.jpg?v=2"
        ));
        assert!(same_image(
            "https://s/uploads/shirt-scaled.jpg",
            "https://cdn/shirt.jpg"
        ));
        assert!(!same_image(
            "https://s/uploads/shirt-red.jpg",
            "https://cdn/shirt.jpg"
        ));
    }
}
