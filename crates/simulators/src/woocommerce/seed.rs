//! Seeding stores: the seed-file format, deterministic catalog generation, and inserting a
//! seed product through the same code paths the REST API uses.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::errors::WcError;
use super::mutate;
use super::store::{ApiKey, Store, StoreSettings};

#[derive(Debug, Clone, Deserialize)]
pub struct SeedFile {
    pub stores: Vec<SeedStore>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SeedStore {
    pub site: String,
    #[serde(default)]
    pub settings: StoreSettings,
    #[serde(default)]
    pub keys: Vec<ApiKey>,
    #[serde(default)]
    pub products: Vec<SeedProduct>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct SeedDimensions {
    pub length: String,
    pub width: String,
    pub height: String,
}

/// A product to seed: `simple` unless `variations` is non-empty (then `variable`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct SeedProduct {
    pub name: String,
    pub status: Option<String>,
    pub description: String,
    pub sku: String,
    pub regular_price: String,
    pub sale_price: String,
    pub weight: String,
    pub dimensions: SeedDimensions,
    pub global_unique_id: String,
    /// Image URLs (sideloaded as attachments).
    pub images: Vec<String>,
    /// Category names (created when missing).
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    /// Variation attributes: name → options, in order.
    pub attributes: Vec<SeedAttribute>,
    pub variations: Vec<SeedVariation>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct SeedAttribute {
    pub name: String,
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct SeedVariation {
    pub sku: String,
    pub status: Option<String>,
    pub regular_price: String,
    pub sale_price: String,
    pub weight: String,
    pub dimensions: SeedDimensions,
    pub global_unique_id: String,
    /// Attribute name → option.
    pub attributes: BTreeMap<String, String>,
}

fn dims(d: &SeedDimensions) -> Value {
    json!({"length": d.length, "width": d.width, "height": d.height})
}

fn as_map(v: Value) -> serde_json::Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

/// Insert a seed product (and its variations); returns the product id and variation ids.
pub fn insert(
    store: &mut Store,
    p: &SeedProduct,
    now: DateTime<Utc>,
) -> Result<(u64, Vec<u64>), WcError> {
    let variable = !p.variations.is_empty();
    let categories: Vec<Value> = p
        .categories
        .iter()
        .map(|c| json!({"id": store.category_by_name(c)}))
        .collect();
    let tags: Vec<Value> = p
        .tags
        .iter()
        .map(|t| json!({"id": store.tag_by_name(t)}))
        .collect();
    let attributes: Vec<Value> = p
        .attributes
        .iter()
        .enumerate()
        .map(|(i, a)| json!({"name": a.name, "options": a.options, "position": i, "visible": true, "variation": true}))
        .collect();
    let mut body = json!({
        "name": p.name,
        "type": if variable { "variable" } else { "simple" },
        "status": p.status.clone().unwrap_or_else(|| "publish".into()),
        "description": p.description,
        "sku": p.sku,
        "regular_price": p.regular_price,
        "sale_price": p.sale_price,
        "weight": p.weight,
        "dimensions": dims(&p.dimensions),
        "global_unique_id": p.global_unique_id,
        "images": p.images.iter().map(|s| json!({"src": s})).collect::<Vec<_>>(),
        "attributes": attributes,
    });
    if !categories.is_empty() {
        body["categories"] = Value::Array(categories);
    }
    if !tags.is_empty() {
        body["tags"] = Value::Array(tags);
    }
    let id = mutate::create_product(store, &as_map(body), now)?;
    let mut vids = Vec::new();
    for v in &p.variations {
        let attrs: Vec<Value> = v
            .attributes
            .iter()
            .map(|(name, option)| json!({"name": name, "option": option}))
            .collect();
        let body = json!({
            "sku": v.sku,
            "status": v.status.clone().unwrap_or_else(|| "publish".into()),
            "regular_price": v.regular_price,
            "sale_price": v.sale_price,
            "weight": v.weight,
            "dimensions": dims(&v.dimensions),
            "global_unique_id": v.global_unique_id,
            "attributes": attrs,
        });
        vids.push(mutate::create_variation(store, id, &as_map(body), now)?);
    }
    Ok((id, vids))
}

/// splitmix64: small, fast, and the same sequence everywhere for a given seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const SIZES: [&str; 6] = ["XS", "S", "M", "L", "XL", "XXL"];
const COLORS: [&str; 4] = ["Black", "White", "Red", "Blue"];
const NOUNS: [&str; 8] = [
    "Shirt", "Mug", "Cap", "Hoodie", "Poster", "Tote", "Sock", "Scarf",
];

fn price(rng: &mut Rng) -> String {
    let cents = 500 + rng.below(9500);
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// `n` products, about 30 % variable (Size, sometimes Color), deterministic for `seed`.
pub fn generate(n: usize, seed: u64) -> Vec<SeedProduct> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            let noun = NOUNS[rng.below(NOUNS.len() as u64) as usize];
            let mut p = SeedProduct {
                name: format!("{noun} {i}"),
                description: format!("<p>The {noun} number {i}.</p>"),
                sku: format!("WOO-{i:05}"),
                regular_price: price(&mut rng),
                weight: format!("0.{}", 1 + rng.below(9)),
                categories: vec![format!("{noun}s")],
                ..SeedProduct::default()
            };
            if rng.below(10) < 3 {
                let sizes = 2 + rng.below(4) as usize;
                let colors = if rng.below(2) == 0 { 1 } else { 2 };
                p.attributes.push(SeedAttribute {
                    name: "Size".into(),
                    options: SIZES[..sizes].iter().map(|s| (*s).to_owned()).collect(),
                });
                if colors > 1 {
                    p.attributes.push(SeedAttribute {
                        name: "Color".into(),
                        options: COLORS[..colors].iter().map(|s| (*s).to_owned()).collect(),
                    });
                }
                for size in &SIZES[..sizes] {
                    for color in &COLORS[..colors] {
                        let mut attributes =
                            BTreeMap::from([("Size".to_owned(), (*size).to_owned())]);
                        let mut sku = format!("WOO-{i:05}-{size}");
                        if colors > 1 {
                            attributes.insert("Color".into(), (*color).to_owned());
                            sku.push('-');
                            sku.push_str(&color.to_uppercase());
                        }
                        p.variations.push(SeedVariation {
                            sku,
                            regular_price: p.regular_price.clone(),
                            weight: p.weight.clone(),
                            attributes,
                            ..SeedVariation::default()
                        });
                    }
                }
                p.sku.clear();
                p.regular_price.clear();
            }
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_mixed() {
        let a = generate(50, 7);
        assert_eq!(a, generate(50, 7));
        assert_ne!(a, generate(50, 8));
        let variable = a.iter().filter(|p| !p.variations.is_empty()).count();
        assert!(variable > 5 && variable < 30, "{variable}");
    }

    #[test]
    fn seed_file_format_parses() {
        let f: SeedFile = serde_json::from_str(
            r#"{"stores":[{"site":"shop","settings":{"weight_unit":"lbs"},
                "keys":[{"consumer_key":"ck_1","consumer_secret":"cs_1"}],
                "products":[{"name":"Tee","attributes":[{"name":"Size","options":["S","M"]}],
                  "variations":[{"sku":"T-S","regular_price":"10","attributes":{"Size":"S"}}]}]}]}"#,
        )
        .unwrap();
        let s = &f.stores[0];
        assert_eq!(s.settings.weight_unit, "lbs");
        assert_eq!(s.settings.dimension_unit, "cm");
        let mut store = Store::new("shop", s.settings.clone());
        let (id, vids) = insert(&mut store, &s.products[0], Utc::now()).unwrap();
        assert_eq!(store.posts[&id].product_type, "variable");
        assert_eq!(store.posts[&vids[0]].variation_attributes[0].option, "S");
    }
}
