//! The catalogs the end-to-end tests start from, in each store's own seed format: one product
//! with more than 100 variants, a few small variable products, single-variant products, and
//! (where the store allows it) SKUs that differ only by case or spaces and a true duplicate.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use techoms_app::catalog::{ProductInput, VariantInput};
use techoms_simulators::shopify::{SeedProduct, SeedVariant, SeedWeight};
use techoms_simulators::woocommerce::{
    SeedAttribute, SeedDimensions, SeedProduct as WooProduct, SeedVariation,
};

/// Sizes × colours of the big product: 12 × 10 = 120 variants.
pub const BIG_SIZES: usize = 12;
pub const BIG_COLORS: usize = 10;
pub const SINGLES: usize = 6;

pub fn big_sku(s: usize, c: usize) -> String {
    format!("BT-{s:02}-{c:02}")
}

pub fn mug_sku(i: usize) -> String {
    format!("MUG-{i}")
}

fn size(s: usize) -> String {
    format!("Size {s:02}")
}

fn color(c: usize) -> String {
    format!("Colour {c:02}")
}

/// A 13-digit barcode (digits only: WooCommerce keeps nothing else).
fn barcode(n: usize) -> String {
    format!("{:013}", 4_006_381_000_000u64 + n as u64)
}

/// Every SKU key of the canonical catalog (what techOMS should hold after importing it).
pub fn catalog_skus() -> Vec<String> {
    let mut out = Vec::new();
    for s in 0..BIG_SIZES {
        for c in 0..BIG_COLORS {
            out.push(big_sku(s, c));
        }
    }
    out.extend(["HD-S", "HD-M", "HD-L"].map(String::from));
    out.extend((0..SINGLES).map(mug_sku));
    out
}

// ---------------------------------------------------------------------------------------
// Shopify

fn shopify_variant(sku: String, values: Vec<String>, price: Decimal, n: usize) -> SeedVariant {
    SeedVariant {
        sku,
        option_values: values,
        barcode: Some(barcode(n)),
        price,
        compare_at_price: n.is_multiple_of(7).then(|| price + Decimal::new(500, 2)),
        cost: Some(Decimal::new(710 + n as i64, 2)),
        weight: Some(SeedWeight {
            value: Decimal::new(200 + n as i64, 3),
            unit: "KILOGRAMS".into(),
        }),
    }
}

fn shopify_product(title: &str, options: &[&str], variants: Vec<SeedVariant>) -> SeedProduct {
    SeedProduct {
        title: title.into(),
        handle: None,
        description_html: format!("<p>{title}: made to last.</p>"),
        vendor: "Acme".into(),
        product_type: "Apparel".into(),
        tags: vec!["e2e".into(), "summer".into()],
        status: "ACTIVE".into(),
        options: options.iter().map(|s| (*s).into()).collect(),
        images: Vec::new(),
        variants,
    }
}

/// The canonical catalog at Shopify, followed by the products whose SKUs collide with it:
/// `" mug-1 "` (differs from MUG-1 only by case and spaces) and `HD-M` again.
pub fn shopify_catalog() -> Vec<SeedProduct> {
    let mut big = Vec::new();
    for s in 0..BIG_SIZES {
        for c in 0..BIG_COLORS {
            big.push(shopify_variant(
                big_sku(s, c),
                vec![size(s), color(c)],
                Decimal::new(2000 + 100 * s as i64, 2),
                s * BIG_COLORS + c,
            ));
        }
    }
    let mut out = vec![shopify_product("Big Tee", &["Size", "Colour"], big)];
    out.push(shopify_product(
        "Hoodie",
        &["Size"],
        ["S", "M", "L"]
            .iter()
            .enumerate()
            .map(|(i, s)| {
                shopify_variant(
                    format!("HD-{s}"),
                    vec![(*s).into()],
                    Decimal::new(4999, 2),
                    500 + i,
                )
            })
            .collect(),
    ));
    for i in 0..SINGLES {
        let mut mug = shopify_product(
            &format!("Mug {i}"),
            &[],
            vec![shopify_variant(
                mug_sku(i),
                vec![],
                Decimal::new(950 + 100 * i as i64, 2),
                600 + i,
            )],
        );
        mug.status = mug_status(i, "ACTIVE", "DRAFT", "ARCHIVED").into();
        out.push(mug);
    }
    out
}

/// The last two mugs are a draft and an archived product, in the store's own words.
fn mug_status<'a>(i: usize, active: &'a str, draft: &'a str, archived: &'a str) -> &'a str {
    match SINGLES - i {
        2 => draft,
        1 => archived,
        _ => active,
    }
}

/// Products that repeat SKUs of [`shopify_catalog`]; seeded after it, they lose.
pub fn shopify_collisions() -> Vec<SeedProduct> {
    vec![
        shopify_product(
            "Mug 1 (copy)",
            &[],
            vec![shopify_variant(
                " mug-1 ".into(),
                vec![],
                Decimal::new(100, 2),
                700,
            )],
        ),
        shopify_product(
            "Hoodie (old)",
            &["Size"],
            vec![shopify_variant(
                "HD-M".into(),
                vec!["M".into()],
                Decimal::new(100, 2),
                701,
            )],
        ),
    ]
}

// ---------------------------------------------------------------------------------------
// WooCommerce (SKUs are unique there: no collisions can be seeded)

fn woo_variation(sku: String, attrs: &[(&str, String)], n: usize) -> SeedVariation {
    let regular = Decimal::new(2000 + n as i64, 2);
    SeedVariation {
        sku,
        status: None,
        regular_price: regular.to_string(),
        // Some on sale: price = sale price, compare-at = regular price.
        sale_price: if n.is_multiple_of(5) {
            (regular - Decimal::new(300, 2)).to_string()
        } else {
            String::new()
        },
        weight: Decimal::new(150 + n as i64, 3).to_string(),
        dimensions: SeedDimensions {
            length: Decimal::new(300 + n as i64, 1).to_string(),
            width: "20.5".into(),
            height: "2.25".into(),
        },
        global_unique_id: barcode(n),
        attributes: attrs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    }
}

fn woo_variable(
    name: &str,
    attributes: Vec<SeedAttribute>,
    variations: Vec<SeedVariation>,
) -> WooProduct {
    WooProduct {
        name: name.into(),
        description: format!("<p>{name}: made to last.</p>"),
        attributes,
        variations,
        ..WooProduct::default()
    }
}

/// The canonical catalog at WooCommerce.
pub fn woo_catalog() -> Vec<WooProduct> {
    let mut big = Vec::new();
    for s in 0..BIG_SIZES {
        for c in 0..BIG_COLORS {
            big.push(woo_variation(
                big_sku(s, c),
                &[("Size", size(s)), ("Colour", color(c))],
                s * BIG_COLORS + c,
            ));
        }
    }
    let mut out = vec![woo_variable(
        "Big Tee",
        vec![
            SeedAttribute {
                name: "Size".into(),
                options: (0..BIG_SIZES).map(size).collect(),
            },
            SeedAttribute {
                name: "Colour".into(),
                options: (0..BIG_COLORS).map(color).collect(),
            },
        ],
        big,
    )];
    out.push(woo_variable(
        "Hoodie",
        vec![SeedAttribute {
            name: "Size".into(),
            options: vec!["S".into(), "M".into(), "L".into()],
        }],
        ["S", "M", "L"]
            .iter()
            .enumerate()
            .map(|(i, s)| woo_variation(format!("HD-{s}"), &[("Size", (*s).into())], 500 + i))
            .collect(),
    ));
    for i in 0..SINGLES {
        let n = 600 + i;
        out.push(WooProduct {
            status: Some(mug_status(i, "publish", "draft", "private").into()),
            name: format!("Mug {i}"),
            description: format!("<p>Mug {i}: made to last.</p>"),
            sku: mug_sku(i),
            regular_price: Decimal::new(950 + 100 * i as i64, 2).to_string(),
            weight: "0.35".into(),
            dimensions: SeedDimensions {
                length: "12".into(),
                width: "9.5".into(),
                height: "10".into(),
            },
            global_unique_id: barcode(n),
            ..WooProduct::default()
        });
    }
    out
}

// ---------------------------------------------------------------------------------------
// ShipBob (ounces and inches)

/// ShipBob products as `POST /product` bodies: a coffee in four sizes and six single mugs,
/// weights and dimensions with several decimals. SKUs are unique there (case-insensitive).
pub fn shipbob_catalog() -> Vec<Value> {
    let sizes = ["8oz", "12oz", "2lb", "5lb"];
    let coffee: Vec<Value> = sizes
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({
                "sku": format!("COF-{}", s.to_uppercase()),
                "name": format!("House Coffee - {s}"),
                "weight": number(&format!("{}.{:03}", 8 + 10 * i, 125 + i)),
                "dimension": {"length": 6.125, "width": 4.5, "height": number(&format!("2.{}", 25 + i))},
                "barcodes": [{"value": barcode(800 + i)}],
            })
        })
        .collect();
    let mut out = vec![json!({"name": "House Coffee", "type_id": 1, "variants": coffee})];
    for i in 0..SINGLES {
        out.push(json!({
            "name": format!("Mug {i}"),
            "type_id": 1,
            "variants": [{
                "sku": mug_sku(i),
                "name": format!("Mug {i}"),
                "weight": number(&format!("12.{:04}", 3457 + i)),
                "dimension": {"length": 4.75, "width": 3.2, "height": number(&format!("{}.5", 4 + i))},
                "barcodes": [{"value": barcode(900 + i)}],
            }]
        }));
    }
    out
}

/// A JSON number written as `text` (ShipBob takes numbers, not numeric strings).
fn number(text: &str) -> Value {
    Value::Number(serde_json::Number::from_f64(text.parse().unwrap()).unwrap())
}

/// SKUs of [`shipbob_catalog`].
pub fn shipbob_skus() -> Vec<String> {
    let mut out: Vec<String> = ["COF-8OZ", "COF-12OZ", "COF-2LB", "COF-5LB"]
        .map(String::from)
        .to_vec();
    out.extend((0..SINGLES).map(mug_sku));
    out
}

// ---------------------------------------------------------------------------------------
// techOMS (the catalog typed in, grams and millimetres)

fn catalog_variant(sku: String, values: Vec<String>, n: usize) -> VariantInput {
    VariantInput {
        sku: Some(sku),
        option_values: values,
        barcode: Some(barcode(n)),
        price: Some(Decimal::new(1500 + n as i64, 2).to_string()),
        compare_at_price: n
            .is_multiple_of(4)
            .then(|| Decimal::new(2500 + n as i64, 2).to_string()),
        cost: Some(Decimal::new(600 + n as i64, 2).to_string()),
        weight_g: Some(format!("{}.5", 200 + n)),
        length_mm: Some(format!("{}.25", 300 + n)),
        width_mm: Some("210".into()),
        height_mm: Some("12.7".into()),
        status: None,
    }
}

fn catalog_product(title: &str, options: &[&str], variants: Vec<VariantInput>) -> ProductInput {
    ProductInput {
        title: Some(title.into()),
        description_html: format!("<p>{title}: made to last.</p>"),
        vendor: "Acme".into(),
        product_type: "Apparel".into(),
        tags: vec!["e2e".into()],
        status: Some("active".into()),
        options: options.iter().map(|s| (*s).into()).collect(),
        images: Vec::new(),
        variants,
    }
}

/// The canonical catalog as typed into techOMS.
pub fn techoms_catalog() -> Vec<ProductInput> {
    let mut big = Vec::new();
    for s in 0..BIG_SIZES {
        for c in 0..BIG_COLORS {
            big.push(catalog_variant(
                big_sku(s, c),
                vec![size(s), color(c)],
                s * BIG_COLORS + c,
            ));
        }
    }
    let mut out = vec![catalog_product("Big Tee", &["Size", "Colour"], big)];
    out.push(catalog_product(
        "Hoodie",
        &["Size"],
        ["S", "M", "L"]
            .iter()
            .enumerate()
            .map(|(i, s)| catalog_variant(format!("HD-{s}"), vec![(*s).into()], 500 + i))
            .collect(),
    ));
    for i in 0..SINGLES {
        let mut mug = catalog_product(
            &format!("Mug {i}"),
            &[],
            vec![catalog_variant(mug_sku(i), vec![], 600 + i)],
        );
        mug.status = Some(mug_status(i, "active", "draft", "archived").into());
        out.push(mug);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Extensiv (flat items, pounds and inches)

/// Items as the API shapes them: the mugs and the hoodie sizes, each its own item.
pub fn extensiv_items() -> Vec<Value> {
    let mut skus: Vec<String> = (0..SINGLES).map(mug_sku).collect();
    skus.extend(["HD-S", "HD-M", "HD-L"].map(String::from));
    skus.iter()
        .enumerate()
        .map(|(i, sku)| {
            json!({
                "sku": sku,
                "description": format!("Item {sku}"),
                "description2": "Plain & simple",
                "upc": barcode(1000 + i),
                "price": number(&format!("{}.25", 10 + i)),
                "cost": number(&format!("{}.5", 3 + i)),
                "options": {"packageUnit": {"imperial": {
                    "length": number(&format!("{}.125", 4 + i)),
                    "width": 3.5,
                    "height": 2.0625,
                    "weight": number(&format!("0.{:04}", 7813 + i)),
                }}},
            })
        })
        .collect()
}

/// SKUs of [`extensiv_items`].
pub fn extensiv_skus() -> Vec<String> {
    let mut skus: Vec<String> = (0..SINGLES).map(mug_sku).collect();
    skus.extend(["HD-S", "HD-M", "HD-L"].map(String::from));
    skus
}
