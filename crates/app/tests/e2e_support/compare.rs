//! Field-by-field comparison of a store's products (read through its connector) with the
//! catalog, limited to the fields each connector maps and within the precision it states.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use techoms_channels::{RemoteProduct, RemoteVariant};
use techoms_domain::{Integration, Length, Product, ProductStatus, SkuKey, Variant, Weight};

/// What a connector carries to its channel, and how precisely.
struct Mapped {
    /// Title, description and status of the product.
    title: bool,
    description: bool,
    /// Vendor, product type, tags.
    taxonomy: bool,
    /// Option names and values; `joined` when the channel keeps the values as one text.
    options: bool,
    joined_values: bool,
    price: bool,
    compare_at: bool,
    compare_at_above_price_only: bool,
    cost: bool,
    /// Largest difference allowed in grams, None when weight is not carried.
    weight_tol_g: Option<Decimal>,
    /// Largest difference allowed in millimetres, None when dimensions are not carried.
    length_tol_mm: Option<Decimal>,
    /// Flat channels: the product title is the catalog title followed by the option values.
    flat: bool,
}

fn mapped(i: Integration) -> Mapped {
    match i {
        // Weight written in the shop's unit (kilograms) to 5 decimals: ±0.005 g.
        Integration::Shopify => Mapped {
            title: true,
            description: true,
            taxonomy: true,
            options: true,
            joined_values: false,
            price: true,
            compare_at: true,
            compare_at_above_price_only: false,
            cost: true,
            weight_tol_g: Some(Decimal::new(5, 3)),
            length_tol_mm: None,
            flat: false,
        },
        // Weight (kg) and dimensions (cm) written exactly to 6 decimals of the base unit.
        Integration::WooCommerce => Mapped {
            title: true,
            description: true,
            taxonomy: false,
            options: true,
            joined_values: false,
            price: true,
            compare_at: true,
            compare_at_above_price_only: true,
            cost: false,
            weight_tol_g: Some(Decimal::new(1, 3)),
            length_tol_mm: Some(Decimal::new(1, 4)),
            flat: false,
        },
        // Ounces and inches to 6 decimals: within 0.000015 g and 0.0000127 mm.
        Integration::ShipBob => Mapped {
            title: true,
            description: false,
            taxonomy: false,
            options: false,
            joined_values: true,
            price: false,
            compare_at: false,
            compare_at_above_price_only: false,
            cost: false,
            weight_tol_g: Some(Decimal::new(15, 6)),
            length_tol_mm: Some(Decimal::new(127, 7)),
            flat: false,
        },
        // Pounds and inches to 4 decimals: within 0.0227 g and 0.00127 mm.
        Integration::Extensiv => Mapped {
            title: false,
            description: false,
            taxonomy: false,
            options: false,
            joined_values: false,
            price: true,
            compare_at: false,
            compare_at_above_price_only: false,
            cost: true,
            weight_tol_g: Some(Decimal::new(227, 4)),
            length_tol_mm: Some(Decimal::new(127, 5)),
            flat: true,
        },
    }
}

fn close(a: Decimal, b: Decimal, tol: Decimal) -> bool {
    (a - b).abs() <= tol
}

fn weight_eq(a: Option<Weight>, b: Option<Weight>, tol: Decimal) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => close(a.grams(), b.grams(), tol),
        _ => false,
    }
}

fn length_eq(a: Option<Length>, b: Option<Length>, tol: Decimal) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => close(a.mm(), b.mm(), tol),
        _ => false,
    }
}

/// Every difference between the catalog and a store's copy; empty when the store holds
/// exactly the catalog.
pub fn diff(
    integration: Integration,
    catalog: &[Product],
    remote: &[RemoteProduct],
) -> Vec<String> {
    diff_mapped(integration, catalog, remote, &BTreeMap::new())
}

/// [`diff`] for a channel with SKU mappings: `sku_map` is techOMS SKU → channel SKU.
pub fn diff_mapped(
    integration: Integration,
    catalog: &[Product],
    remote: &[RemoteProduct],
    sku_map: &BTreeMap<String, String>,
) -> Vec<String> {
    let m = mapped(integration);
    let mut out = Vec::new();
    let mut by_key: BTreeMap<String, (&RemoteProduct, &RemoteVariant)> = BTreeMap::new();
    for rp in remote {
        for rv in &rp.variants {
            let key = SkuKey::of(&rv.sku).as_str().to_owned();
            if by_key.insert(key, (rp, rv)).is_some() {
                out.push(format!("SKU {:?} is held twice", rv.sku));
            }
        }
    }
    let channel_sku = |v: &Variant| -> String {
        sku_map
            .get(v.sku.as_str())
            .cloned()
            .unwrap_or_else(|| v.sku.as_str().to_owned())
    };
    let mut seen = 0;
    for p in catalog {
        for v in &p.variants {
            let sku = channel_sku(v);
            let key = SkuKey::of(&sku).as_str().to_owned();
            match by_key.get(&key) {
                None => out.push(format!("SKU {sku:?} is missing")),
                Some((rp, rv)) => {
                    seen += 1;
                    compare_one(&m, p, v, &sku, rp, rv, &mut out);
                }
            }
        }
    }
    if seen != by_key.len() {
        let catalog_keys: std::collections::BTreeSet<String> = catalog
            .iter()
            .flat_map(|p| {
                p.variants
                    .iter()
                    .map(|v| SkuKey::of(&channel_sku(v)).as_str().to_owned())
            })
            .collect();
        for k in by_key.keys().filter(|k| !catalog_keys.contains(*k)) {
            out.push(format!("SKU key {k:?} is not in the catalog"));
        }
    }
    out
}

fn compare_one(
    m: &Mapped,
    p: &Product,
    v: &Variant,
    sku: &str,
    rp: &RemoteProduct,
    rv: &RemoteVariant,
    out: &mut Vec<String>,
) {
    let mut bad = |field: &str, want: String, got: String| {
        out.push(format!("{sku}: {field} is {got}, catalog has {want}"));
    };
    if rv.sku != sku {
        bad("sku", format!("{sku:?}"), format!("{:?}", rv.sku));
    }
    if m.title && rp.title != p.title {
        bad("title", format!("{:?}", p.title), format!("{:?}", rp.title));
    }
    if m.flat && !rp.title.starts_with(p.title.as_str()) {
        bad(
            "description",
            format!("{:?}…", p.title),
            format!("{:?}", rp.title),
        );
    }
    if m.title && rp.status != p.status && !m.joined_values {
        bad(
            "status",
            format!("{:?}", p.status),
            format!("{:?}", rp.status),
        );
    }
    // ShipBob has no product status: an archived product's variants are inactive there.
    let archived = |s: ProductStatus| s == ProductStatus::Archived;
    if m.joined_values && archived(rp.status) != archived(p.status) {
        bad(
            "status",
            format!("{:?}", p.status),
            format!("{:?}", rp.status),
        );
    }
    if m.description && rp.description_html != p.description_html {
        bad(
            "description",
            format!("{:?}", p.description_html),
            format!("{:?}", rp.description_html),
        );
    }
    if m.taxonomy {
        if rp.vendor != p.vendor {
            bad(
                "vendor",
                format!("{:?}", p.vendor),
                format!("{:?}", rp.vendor),
            );
        }
        if rp.product_type != p.product_type {
            bad(
                "product_type",
                format!("{:?}", p.product_type),
                format!("{:?}", rp.product_type),
            );
        }
        let (mut a, mut b) = (p.tags.clone(), rp.tags.clone());
        a.sort();
        b.sort();
        if a != b {
            bad("tags", format!("{a:?}"), format!("{b:?}"));
        }
    }
    if m.options {
        if rp.options != p.options {
            bad(
                "options",
                format!("{:?}", p.options),
                format!("{:?}", rp.options),
            );
        }
        if rv.option_values != v.option_values {
            bad(
                "option values",
                format!("{:?}", v.option_values),
                format!("{:?}", rv.option_values),
            );
        }
    }
    if m.joined_values && p.variants.len() > 1 {
        let want = vec![v.option_values.join(" / ")];
        if rv.option_values != want {
            bad(
                "option values",
                format!("{want:?}"),
                format!("{:?}", rv.option_values),
            );
        }
    }
    if rv.barcode != v.barcode {
        bad(
            "barcode",
            format!("{:?}", v.barcode),
            format!("{:?}", rv.barcode),
        );
    }
    // A price techOMS does not have is not written; the channel may hold its own default.
    if m.price && v.price.is_some() && rv.price != v.price {
        bad("price", format!("{:?}", v.price), format!("{:?}", rv.price));
    }
    // WooCommerce holds a compare-at price only as a regular price above a sale price: one at
    // or below the price has no place there (channel-apis.md §10, WooCommerce prices).
    let want_compare = match (m.compare_at_above_price_only, v.compare_at_price, v.price) {
        (true, Some(c), Some(p)) if c <= p => None,
        (_, c, _) => c,
    };
    if m.compare_at && rv.compare_at_price != want_compare {
        bad(
            "compare-at price",
            format!("{want_compare:?}"),
            format!("{:?}", rv.compare_at_price),
        );
    }
    if m.cost && v.cost.is_some() && rv.cost != v.cost {
        bad("cost", format!("{:?}", v.cost), format!("{:?}", rv.cost));
    }
    if let Some(tol) = m.weight_tol_g
        && v.weight.is_some()
        && !weight_eq(v.weight, rv.weight, tol)
    {
        bad(
            "weight",
            format!("{:?}", v.weight),
            format!("{:?}", rv.weight),
        );
    }
    if let Some(tol) = m.length_tol_mm {
        for (f, want, got) in [
            ("length", v.length, rv.length),
            ("width", v.width, rv.width),
            ("height", v.height, rv.height),
        ] {
            if want.is_some() && !length_eq(want, got, tol) {
                bad(f, format!("{want:?}"), format!("{got:?}"));
            }
        }
    }
}
