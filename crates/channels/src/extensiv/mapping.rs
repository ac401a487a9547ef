//! Item ↔ techOMS mapping (channel-apis.md §10). Extensiv is flat: one item per variant.
//!
//! | techOMS | Extensiv item |
//! |---|---|
//! | SKU | `sku` |
//! | title (+ option values) | `description` |
//! | description (HTML) | `description2` (plain text) |
//! | barcode | `upc` |
//! | cost / price | `cost` / `price` |
//! | weight, length/width/height | `options.packageUnit.imperial` (lb, in) or `.metric` (kg, cm) |
//! | status | `readOnly.deactivated` (read only: the API offers no way to change it) |
//!
//! Writes set both measurement blocks, each converted exactly and rounded to
//! [`MEASURE_DP`] decimals; reads take the block of the configured unit system, else the other.
//! A value techOMS does not have (None) leaves the item's value as it is.

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use techoms_domain::{Length, LengthUnit, ProductStatus, VariantStatus, Weight, WeightUnit};

use super::json::{decimal, decimal_of};
use super::settings::UnitSystem;
use super::text::{html_to_text, text_to_html};
use super::wire::parse_timestamp;
use crate::model::{ExportProduct, ExportVariant, RemoteIds, RemoteProduct, RemoteVariant};

/// Decimal places written for weights (lb, kg) and lengths (in, cm).
pub(crate) const MEASURE_DP: u32 = 4;

fn str_at<'a>(item: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = item;
    for seg in path {
        cur = cur.get(*seg)?;
    }
    cur.as_str()
}

fn at<'a>(item: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = item;
    for seg in path {
        cur = cur.get(*seg)?;
    }
    (!cur.is_null()).then_some(cur)
}

/// The item id (`itemId`, else `readOnly.itemId`).
pub(crate) fn item_id(item: &Value) -> Option<u64> {
    [at(item, &["itemId"]), at(item, &["readOnly", "itemId"])]
        .into_iter()
        .flatten()
        .find_map(|v| v.as_u64().or_else(|| v.as_str()?.trim().parse().ok()))
}

pub(crate) fn sku(item: &Value) -> &str {
    str_at(item, &["sku"]).unwrap_or_default()
}

/// Length, width, height and weight of one measurement block, in its own units.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Measures {
    pub length: Option<Decimal>,
    pub width: Option<Decimal>,
    pub height: Option<Decimal>,
    pub weight: Option<Decimal>,
}

const MEASURE_KEYS: [&str; 4] = ["length", "width", "height", "weight"];

impl Measures {
    fn fields(&self) -> [Option<Decimal>; 4] {
        [self.length, self.width, self.height, self.weight]
    }

    /// Read a block; zero means "not measured" in Extensiv.
    fn read(item: &Value, block: &str) -> Self {
        let get = |k: &str| {
            at(item, &["options", "packageUnit", block, k])
                .and_then(decimal_of)
                .filter(|d| !d.is_zero())
        };
        Self {
            length: get("length"),
            width: get("width"),
            height: get("height"),
            weight: get("weight"),
        }
    }

    fn is_empty(&self) -> bool {
        self.fields().iter().all(Option::is_none)
    }
}

fn block_name(system: UnitSystem) -> &'static str {
    match system {
        UnitSystem::Imperial => "imperial",
        UnitSystem::Metric => "metric",
    }
}

fn units(system: UnitSystem) -> (WeightUnit, LengthUnit) {
    match system {
        UnitSystem::Imperial => (WeightUnit::Lb, LengthUnit::In),
        UnitSystem::Metric => (WeightUnit::Kg, LengthUnit::Cm),
    }
}

/// An item as a flat techOMS product with one variant.
pub(crate) fn to_remote(item: &Value, system: UnitSystem) -> Option<RemoteProduct> {
    let id = item_id(item)?.to_string();
    let deactivated = at(item, &["readOnly", "deactivated"])
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let updated_at = str_at(item, &["readOnly", "lastModifiedDate"]).and_then(parse_timestamp);
    let other = match system {
        UnitSystem::Imperial => UnitSystem::Metric,
        UnitSystem::Metric => UnitSystem::Imperial,
    };
    let preferred = Measures::read(item, block_name(system));
    let (measures, used) = if preferred.is_empty() {
        (Measures::read(item, block_name(other)), other)
    } else {
        (preferred, system)
    };
    let (wu, lu) = units(used);
    let text = |k: &str| str_at(item, &[k]).unwrap_or_default().to_string();
    let variant = RemoteVariant {
        remote_id: id.clone(),
        inventory_item_id: None,
        sku: text("sku"),
        option_values: Vec::new(),
        barcode: str_at(item, &["upc"])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        price: at(item, &["price"]).and_then(decimal_of),
        compare_at_price: None,
        cost: at(item, &["cost"]).and_then(decimal_of),
        weight: measures.weight.map(|w| Weight::new(w, wu)),
        length: measures.length.map(|l| Length::new(l, lu)),
        width: measures.width.map(|l| Length::new(l, lu)),
        height: measures.height.map(|l| Length::new(l, lu)),
        status: if deactivated {
            VariantStatus::Inactive
        } else {
            VariantStatus::Active
        },
        updated_at,
    };
    Some(RemoteProduct {
        remote_id: id,
        title: text("description"),
        description_html: text_to_html(&text("description2")),
        vendor: String::new(),
        product_type: String::new(),
        tags: Vec::new(),
        status: if deactivated {
            ProductStatus::Archived
        } else {
            ProductStatus::Active
        },
        options: Vec::new(),
        images: Vec::new(),
        updated_at,
        variants: vec![variant],
    })
}

pub(crate) fn remote_ids(item_id: u64) -> RemoteIds {
    RemoteIds {
        product_id: item_id.to_string(),
        variant_id: item_id.to_string(),
        inventory_item_id: None,
    }
}

/// What techOMS wants an item to hold: the fields this connector owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Desired {
    pub sku: String,
    pub description: String,
    pub description2: String,
    pub upc: Option<String>,
    pub cost: Option<Decimal>,
    pub price: Option<Decimal>,
    pub imperial: Measures,
    pub metric: Measures,
}

fn convert(variant: &ExportVariant, weight_unit: WeightUnit, length_unit: LengthUnit) -> Measures {
    let len = |l: &Option<Length>| l.map(|l| l.to_unit(length_unit, MEASURE_DP));
    Measures {
        length: len(&variant.length),
        width: len(&variant.width),
        height: len(&variant.height),
        weight: variant.weight.map(|w| w.to_unit(weight_unit, MEASURE_DP)),
    }
}

impl Desired {
    pub fn from_export(product: &ExportProduct, variant: &ExportVariant) -> Self {
        let options: Vec<&str> = variant
            .option_values
            .iter()
            .map(|o| o.trim())
            .filter(|o| !o.is_empty())
            .collect();
        // Pickers see `description`; a variant's option values tell siblings apart.
        let description = if options.is_empty() {
            product.title.trim().to_string()
        } else {
            format!("{} - {}", product.title.trim(), options.join(" / "))
        };
        Self {
            sku: variant.sku.trim().to_string(),
            description,
            description2: html_to_text(&product.description_html),
            upc: variant
                .barcode
                .as_deref()
                .map(str::trim)
                .filter(|b| !b.is_empty())
                .map(str::to_string),
            cost: variant.cost,
            price: variant.price,
            imperial: convert(variant, WeightUnit::Lb, LengthUnit::In),
            metric: convert(variant, WeightUnit::Kg, LengthUnit::Cm),
        }
    }

    /// Does the item already hold everything we would write?
    pub fn is_satisfied_by(&self, item: &Value) -> bool {
        let text_eq = |k: &str, want: &str| str_at(item, &[k]).unwrap_or_default() == want;
        let dec_eq = |k: &str, want: Option<Decimal>| {
            want.is_none_or(|w| at(item, &[k]).and_then(decimal_of) == Some(w))
        };
        let block_eq = |block: &str, want: &Measures| {
            MEASURE_KEYS.iter().zip(want.fields()).all(|(k, w)| {
                w.is_none_or(|w| {
                    at(item, &["options", "packageUnit", block, k]).and_then(decimal_of) == Some(w)
                })
            })
        };
        text_eq("description", &self.description)
            && text_eq("description2", &self.description2)
            && self.upc.as_deref().is_none_or(|u| text_eq("upc", u))
            && dec_eq("cost", self.cost)
            && dec_eq("price", self.price)
            && block_eq("imperial", &self.imperial)
            && block_eq("metric", &self.metric)
    }

    /// Write our fields onto a full item (read-modify-write): everything else stays as it is.
    pub fn apply(&self, item: &mut Value) {
        if let Some(obj) = item.as_object_mut() {
            obj.remove("_links");
        }
        set_path(item, &[], "description", json!(self.description));
        set_path(item, &[], "description2", json!(self.description2));
        if let Some(upc) = &self.upc {
            set_path(item, &[], "upc", json!(upc));
        }
        if let Some(c) = self.cost {
            set_path(item, &[], "cost", decimal(c));
        }
        if let Some(p) = self.price {
            set_path(item, &[], "price", decimal(p));
        }
        for (name, measures) in [("imperial", &self.imperial), ("metric", &self.metric)] {
            for (k, v) in MEASURE_KEYS.iter().zip(measures.fields()) {
                if let Some(v) = v {
                    set_path(item, &["options", "packageUnit", name], k, decimal(v));
                }
            }
        }
    }

    /// The body of a create.
    pub fn create_body(&self, inventory_unit: &str) -> Value {
        let mut item = json!({
            "sku": self.sku,
            "options": {"inventoryUnit": {"unitIdentifier": {"name": inventory_unit}}},
        });
        self.apply(&mut item);
        item
    }
}

/// Set `key` in the object at `path` under `v`, creating objects (or replacing non-objects)
/// on the way.
fn set_path(v: &mut Value, path: &[&str], key: &str, value: Value) {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    let Some(map) = v.as_object_mut() else {
        return;
    };
    match path.split_first() {
        None => {
            map.insert(key.to_string(), value);
        }
        Some((first, rest)) => set_path(
            map.entry((*first).to_string()).or_insert(Value::Null),
            rest,
            key,
            value,
        ),
    }
}
