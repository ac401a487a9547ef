//! Realistic catalogs, deterministic from a seed: titles, vendors, types, tags, options
//! (sizes, colours, materials), 1..N variants per product, prices with compare-at prices and
//! costs, weights in every Shopify unit, valid EAN-13 barcodes and unique SKUs — unless asked
//! for SKU collisions ([`GenerateOptions::near_duplicate_skus`],
//! [`GenerateOptions::exact_duplicate_skus`]), which real catalogs have and which the demo
//! plants so that the import's duplicate Warnings show.

use rust_decimal::Decimal;

use super::model::handleize;
use super::seed::{SeedProduct, SeedVariant, SeedWeight};

/// SplitMix64: tiny, fast and good enough to make test data; fixed so that a seed always
/// yields the same catalog on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next() as usize % items.len()]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Most variants a product gets.
    pub max_variants: usize,
    /// Share of products with a single variant, in percent.
    pub single_variant_percent: u64,
    /// Most images per product (at least one each when > 0).
    pub max_images: usize,
    /// When set, a multi-variant product usually gets 2..=this many variants, and only
    /// `large_percent` of them get up to `max_variants` — the long tail real catalogs have.
    /// `None`: uniform in 2..=`max_variants`.
    pub typical_max_variants: Option<usize>,
    /// Share of multi-variant products (percent) drawn from the whole 2..=`max_variants`
    /// range when `typical_max_variants` is set.
    pub large_percent: u64,
    /// Variants whose SKU is re-spelt as another product's SKU differing only by case or
    /// surrounding white space ("abc-1", " ABC-1 "): one SKU key, two remote variants.
    pub near_duplicate_skus: usize,
    /// Variants whose SKU is set to exactly another product's SKU.
    pub exact_duplicate_skus: usize,
    /// Titles name a material that fits the product's family ("Cast Iron Skillet", not
    /// "Merino Skillet"). Off by default, which keeps the catalogs of earlier seeds as they
    /// were.
    pub family_materials: bool,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            max_variants: 8,
            single_variant_percent: 50,
            max_images: 3,
            typical_max_variants: None,
            large_percent: 0,
            near_duplicate_skus: 0,
            exact_duplicate_skus: 0,
            family_materials: false,
        }
    }
}

impl GenerateOptions {
    /// The demo's shop: 1 to 50 variants per product with a long tail (about 3.7 variants
    /// per product on average, so 300 products make some 1,100 variants), five SKUs that
    /// differ from another only by case or spaces, and two true duplicates.
    pub fn demo() -> Self {
        Self {
            max_variants: 50,
            single_variant_percent: 35,
            max_images: 3,
            typical_max_variants: Some(6),
            large_percent: 6,
            near_duplicate_skus: 5,
            exact_duplicate_skus: 2,
            family_materials: true,
        }
    }
}

/// A SKU the generator made collide with an earlier one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuCollision {
    /// The SKU of the first variant (the one an import keeps).
    pub original: String,
    /// The SKU as the later variant spells it (equal for a true duplicate).
    pub duplicate: String,
    /// Index in the catalog of the product holding the later variant.
    pub product_index: usize,
    pub exact: bool,
}

/// The collisions of a catalog: every variant whose SKU, trimmed and compared without regard
/// to (ASCII) case, equals an earlier variant's, in catalog order.
pub fn sku_collisions(catalog: &[SeedProduct]) -> Vec<SkuCollision> {
    let mut first: std::collections::HashMap<String, String> = Default::default();
    let mut out = Vec::new();
    for (pi, p) in catalog.iter().enumerate() {
        for v in &p.variants {
            let key = v.sku.trim().to_lowercase();
            match first.get(&key) {
                Some(original) => out.push(SkuCollision {
                    original: original.clone(),
                    duplicate: v.sku.clone(),
                    product_index: pi,
                    exact: *original == v.sku,
                }),
                None => {
                    first.insert(key, v.sku.clone());
                }
            }
        }
    }
    out
}

struct Family {
    name: &'static str,
    types: &'static [&'static str],
    options: &'static [(&'static str, &'static [&'static str])],
    price_cents: (u64, u64),
    weight_unit: &'static str,
    /// Weight range in thousandths of the unit, and decimals kept.
    weight_milli: (u64, u64),
    weight_dp: u32,
    /// What this family's products are made of, for titles that make sense
    /// ([`GenerateOptions::family_materials`]).
    made_of: &'static [&'static str],
}

const SIZES: &[&str] = &["XS", "S", "M", "L", "XL", "XXL"];
const COLORS: &[&str] = &[
    "Black",
    "White",
    "Navy",
    "Heather Grey",
    "Forest Green",
    "Burgundy",
    "Sand",
];
const SHOE_SIZES: &[&str] = &[
    "6", "6.5", "7", "7.5", "8", "8.5", "9", "9.5", "10", "10.5", "11", "12", "13",
];
const MATERIALS: &[&str] = &["Cotton", "Linen", "Wool", "Velvet"];
const KITCHEN_SIZES: &[&str] = &["Small", "Medium", "Large"];

const FAMILIES: &[Family] = &[
    Family {
        name: "Apparel",
        types: &["T-Shirt", "Hoodie", "Sweater", "Jacket", "Leggings", "Polo"],
        options: &[("Size", SIZES), ("Color", COLORS)],
        price_cents: (1500, 18000),
        weight_unit: "GRAMS",
        weight_milli: (120_000, 950_000),
        weight_dp: 0,
        made_of: &[
            "Cotton",
            "Merino",
            "Linen",
            "Organic Cotton",
            "Fleece",
            "Recycled",
        ],
    },
    Family {
        name: "Footwear",
        types: &["Sneaker", "Boot", "Sandal", "Loafer"],
        options: &[("Size", SHOE_SIZES), ("Color", COLORS)],
        price_cents: (4500, 26000),
        weight_unit: "POUNDS",
        weight_milli: (900, 4_200),
        weight_dp: 2,
        made_of: &["Leather", "Suede", "Canvas", "Recycled", "Waterproof"],
    },
    Family {
        name: "Home",
        types: &["Mug", "Candle", "Throw Pillow", "Blanket", "Vase"],
        options: &[("Color", COLORS), ("Material", MATERIALS)],
        price_cents: (800, 15000),
        weight_unit: "KILOGRAMS",
        weight_milli: (150, 3_500),
        weight_dp: 3,
        made_of: &["Ceramic", "Linen", "Stoneware", "Soy Wax", "Wool", "Glass"],
    },
    Family {
        name: "Accessories",
        types: &["Backpack", "Wallet", "Cap", "Belt", "Tote Bag"],
        options: &[("Color", COLORS)],
        price_cents: (1200, 22000),
        weight_unit: "OUNCES",
        weight_milli: (2_000, 48_000),
        weight_dp: 1,
        made_of: &["Leather", "Canvas", "Waxed Canvas", "Recycled", "Wool"],
    },
    Family {
        name: "Kitchen",
        types: &["Chef Knife", "Cutting Board", "Skillet", "Mixing Bowl"],
        options: &[("Size", KITCHEN_SIZES)],
        price_cents: (1900, 32000),
        weight_unit: "KILOGRAMS",
        weight_milli: (200, 4_000),
        weight_dp: 2,
        made_of: &["Steel", "Walnut", "Cast Iron", "Maple", "Enamel", "Bamboo"],
    },
];

const ADJECTIVES: &[&str] = &[
    "Classic",
    "Essential",
    "Everyday",
    "Heritage",
    "Urban",
    "Coastal",
    "Alpine",
    "Vintage",
    "Modern",
    "Organic",
    "Featherweight",
    "Rugged",
];
const MADE_OF: &[&str] = &[
    "Cotton", "Merino", "Linen", "Leather", "Canvas", "Bamboo", "Ceramic", "Walnut", "Steel",
    "Recycled",
];
const VENDORS: &[(&str, &str)] = &[
    ("Northwind Supply", "NWS"),
    ("Acme Outfitters", "ACM"),
    ("Blue Harbor", "BLH"),
    ("Copper & Oak", "COK"),
    ("Field Standard", "FST"),
    ("Kestrel Goods", "KSG"),
];
const TAGS: &[&str] = &[
    "new",
    "bestseller",
    "sale",
    "eco",
    "gift",
    "limited",
    "staff-pick",
];

/// A short, unique-per-option code for a value: initials of words, numbers kept whole
/// ("Heather Grey" → HG, "Style 10" → S10, "6.5" → 6H5, "Black" → BLA).
fn code(value: &str) -> String {
    let words: Vec<&str> = value.split_whitespace().collect();
    let c: String = if words.len() > 1 {
        words
            .iter()
            .map(|w| {
                if w.chars().all(|c| c.is_ascii_digit()) {
                    (*w).to_owned()
                } else {
                    w.chars().take(1).collect()
                }
            })
            .collect()
    } else {
        value.chars().take(3).collect()
    };
    c.replace('.', "H").to_uppercase()
}

fn ean13(rng: &mut Rng) -> String {
    let digits: Vec<u64> = (0..12).map(|_| rng.range(0, 9)).collect();
    let sum: u64 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 })
        .sum();
    let check = (10 - sum % 10) % 10;
    digits
        .iter()
        .chain(std::iter::once(&check))
        .map(|d| d.to_string())
        .collect()
}

/// A price in cents that ends the way shop prices do (.99, .95, .00 or .50).
fn shop_price(rng: &mut Rng, lo: u64, hi: u64) -> u64 {
    let whole = rng.range(lo / 100, hi / 100);
    let cents = *rng.pick(&[99, 99, 95, 0, 50]);
    whole * 100 + cents
}

/// `n_products` products from `seed` with the default shape (see [`GenerateOptions`]).
pub fn generate_catalog(n_products: usize, seed: u64) -> Vec<SeedProduct> {
    generate_catalog_with(n_products, seed, &GenerateOptions::default())
}

pub fn generate_catalog_with(
    n_products: usize,
    seed: u64,
    opts: &GenerateOptions,
) -> Vec<SeedProduct> {
    let mut rng = Rng(seed ^ 0x5EED_CA7A_1060_0000);
    let mut catalog: Vec<SeedProduct> = (0..n_products)
        .map(|i| product(&mut rng, i, opts))
        .collect();
    plant_collisions(&mut catalog, &mut rng, opts);
    catalog
}

/// Re-spell some variants' SKUs as earlier products' SKUs. The later variant sits in a
/// multi-variant product, so that skipping it leaves its product in place, and no SKU takes
/// part in two collisions. Fewer collisions are planted when the catalog is too small.
fn plant_collisions(catalog: &mut [SeedProduct], rng: &mut Rng, opts: &GenerateOptions) {
    let wanted = opts.near_duplicate_skus + opts.exact_duplicate_skus;
    if wanted == 0 || catalog.len() < 2 {
        return;
    }
    let mut used_products = std::collections::HashSet::new();
    let mut planted = 0;
    let mut attempts = 0;
    while planted < wanted && attempts < wanted * 50 {
        attempts += 1;
        // The later product comes from the second half of the catalog, the original from
        // the first, so that the original is always read first.
        let half = catalog.len() / 2;
        let later = rng.range(half.max(1) as u64, catalog.len() as u64 - 1) as usize;
        let earlier = rng.range(0, half.max(1) as u64 - 1) as usize;
        if catalog[later].variants.len() < 2
            || used_products.contains(&later)
            || used_products.contains(&earlier)
        {
            continue;
        }
        used_products.insert(later);
        used_products.insert(earlier);
        let original = catalog[earlier].variants[0].sku.clone();
        let vi = rng.range(0, catalog[later].variants.len() as u64 - 1) as usize;
        let sku = if planted < opts.exact_duplicate_skus {
            original
        } else {
            match planted % 4 {
                0 => original.to_lowercase(),
                1 => format!(" {original} "),
                2 => format!("{} ", original.to_lowercase()),
                _ => mixed_case(&original),
            }
        };
        catalog[later].variants[vi].sku = sku;
        planted += 1;
    }
}

/// "NWS-00012-BLA" → "Nws-00012-Bla": the capitalisation a person retyping a SKU produces.
fn mixed_case(sku: &str) -> String {
    let mut out = String::with_capacity(sku.len());
    let mut start = true;
    for c in sku.chars() {
        if c.is_ascii_alphabetic() {
            out.push(if start {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            });
            start = false;
        } else {
            out.push(c);
            start = true;
        }
    }
    out
}

fn product(rng: &mut Rng, index: usize, opts: &GenerateOptions) -> SeedProduct {
    let fam = rng.pick(FAMILIES);
    let kind = *rng.pick(fam.types);
    let (vendor, prefix) = *rng.pick(VENDORS);
    let adjective = rng.pick(ADJECTIVES);
    // One draw either way, so that the option changes words, not the rest of the catalog.
    let material = if opts.family_materials {
        rng.pick(fam.made_of)
    } else {
        rng.pick(MADE_OF)
    };
    let title = format!("{adjective} {material} {kind}");
    let handle = format!("{}-{}", handleize(&title), index + 1);

    // Variant count, then as many option combinations (first option varies slowest).
    let max = opts.max_variants.max(1);
    let wanted = if max == 1 || rng.chance(opts.single_variant_percent) {
        1
    } else {
        match opts.typical_max_variants {
            Some(typical) if !rng.chance(opts.large_percent) => {
                rng.range(2, typical.clamp(2, max) as u64) as usize
            }
            _ => rng.range(2, max as u64) as usize,
        }
    };
    let mut option_names: Vec<String> = Vec::new();
    let mut combos: Vec<Vec<String>> = vec![Vec::new()];
    if wanted > 1 {
        for (name, values) in fam.options {
            if combos.len() >= wanted {
                break;
            }
            option_names.push((*name).to_owned());
            let start = rng.range(0, values.len() as u64 - 1) as usize;
            let mut next = Vec::new();
            for c in &combos {
                for k in 0..values.len() {
                    let mut c2 = c.clone();
                    c2.push(values[(start + k) % values.len()].to_owned());
                    next.push(c2);
                }
            }
            combos = next;
        }
        // Pad with numbered styles when the family's options cannot reach the count.
        if combos.len() < wanted {
            option_names.push("Style".to_owned());
            let styles: Vec<String> = (1..=wanted.div_ceil(combos.len()))
                .map(|n| format!("Style {n}"))
                .collect();
            combos = combos
                .iter()
                .flat_map(|c| {
                    styles.iter().map(move |s| {
                        let mut c2 = c.clone();
                        c2.push(s.clone());
                        c2
                    })
                })
                .collect();
        }
        combos.truncate(wanted);
    }

    let base = shop_price(rng, fam.price_cents.0, fam.price_cents.1);
    let on_sale = rng.chance(25);
    let cost_pct = rng.range(30, 60);
    let weight_base = rng.range(fam.weight_milli.0, fam.weight_milli.1);
    let with_barcodes = rng.chance(80);
    let variants = combos
        .iter()
        .enumerate()
        .map(|(vi, values)| {
            // Bigger sizes cost a little more, as shops price them.
            let price = base + (vi as u64 % 3) * 200;
            let compare = on_sale.then(|| price * rng.range(120, 150) / 100 / 100 * 100 + 99);
            let cost = price * cost_pct / 100;
            let milli = weight_base + (vi as u64 % 4) * weight_base / 20;
            let weight = Decimal::new(milli as i64, 3)
                .round_dp(fam.weight_dp)
                .normalize();
            let suffix: String = values.iter().map(|v| format!("-{}", code(v))).collect();
            SeedVariant {
                sku: format!("{prefix}-{:05}{suffix}", index + 1),
                option_values: values.clone(),
                barcode: with_barcodes.then(|| ean13(rng)),
                price: Decimal::new(price as i64, 2),
                compare_at_price: compare.map(|c| Decimal::new(c as i64, 2)),
                cost: Some(Decimal::new(cost as i64, 2)),
                weight: Some(SeedWeight {
                    value: weight,
                    unit: fam.weight_unit.to_owned(),
                }),
            }
        })
        .collect();

    let status = match rng.range(0, 99) {
        0..=84 => "ACTIVE",
        85..=94 => "DRAFT",
        _ => "ARCHIVED",
    };
    let mut tags = vec![fam.name.to_lowercase()];
    for _ in 0..rng.range(0, 2) {
        let t = (*rng.pick(TAGS)).to_owned();
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    let images = if opts.max_images == 0 {
        Vec::new()
    } else {
        (1..=rng.range(1, opts.max_images as u64))
            .map(|n| format!("https://cdn.example.com/products/{handle}-{n}.jpg"))
            .collect()
    };
    SeedProduct {
        description_html: format!(
            "<p>The {title} from {vendor}: made to last, easy to care for.</p><ul><li>Part of our {} range</li><li>Ships in recyclable packaging</li></ul>",
            fam.name.to_lowercase()
        ),
        handle: Some(handle),
        title,
        vendor: vendor.to_owned(),
        product_type: kind.to_owned(),
        tags,
        status: status.to_owned(),
        options: option_names,
        images,
        variants,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn deterministic_and_well_formed() {
        let a = generate_catalog(300, 7);
        assert_eq!(a, generate_catalog(300, 7));
        assert_ne!(a, generate_catalog(300, 8));
        let mut skus = HashSet::new();
        let mut multi = 0;
        for p in &a {
            assert!(
                !p.variants.is_empty() && p.variants.len() <= 8,
                "{}",
                p.title
            );
            if p.variants.len() > 1 {
                multi += 1;
                assert!(!p.options.is_empty() && p.options.len() <= 3);
            }
            let mut combos = HashSet::new();
            for v in &p.variants {
                assert!(skus.insert(v.sku.clone()), "duplicate sku {}", v.sku);
                assert_eq!(v.option_values.len(), p.options.len());
                assert!(combos.insert(v.option_values.clone()));
                assert!(v.price > Decimal::ZERO);
                if let Some(c) = v.compare_at_price {
                    assert!(c > v.price);
                }
                if let Some(b) = &v.barcode {
                    assert_eq!(b.len(), 13);
                }
            }
        }
        assert!(multi > 50 && multi < 250, "{multi}");
    }

    #[test]
    fn demo_catalog_has_a_long_tail_and_planted_collisions() {
        let opts = GenerateOptions::demo();
        let c = generate_catalog_with(300, 1, &opts);
        assert_eq!(c, generate_catalog_with(300, 1, &opts));
        let variants: usize = c.iter().map(|p| p.variants.len()).sum();
        assert!(variants > 1_000, "{variants}");
        assert!(c.iter().all(|p| (1..=50).contains(&p.variants.len())));
        assert!(c.iter().any(|p| p.variants.len() > 30));
        assert!(c.iter().filter(|p| p.variants.len() == 1).count() > 50);
        let collisions = sku_collisions(&c);
        assert_eq!(collisions.len(), 7, "{collisions:?}");
        assert_eq!(collisions.iter().filter(|c| c.exact).count(), 2);
        for col in collisions.iter().filter(|c| !c.exact) {
            assert_ne!(col.original, col.duplicate);
            assert_eq!(col.original.trim(), col.original);
            assert_eq!(
                col.original.to_lowercase(),
                col.duplicate.trim().to_lowercase()
            );
        }
        // The later variant's product keeps other variants, so skipping it keeps the product.
        for col in &collisions {
            assert!(c[col.product_index].variants.len() > 1);
        }
        // A small catalog still gets its collisions (the end-to-end test runs one).
        let small = generate_catalog_with(40, 1, &opts);
        assert_eq!(sku_collisions(&small).len(), 7);
    }

    #[test]
    fn default_catalogs_have_unique_skus() {
        for seed in 0..5 {
            assert!(sku_collisions(&generate_catalog(200, seed)).is_empty());
        }
    }

    #[test]
    fn mixed_case_keeps_the_key() {
        assert_eq!(mixed_case("NWS-00012-BLA"), "Nws-00012-Bla");
    }

    #[test]
    fn big_products_on_request() {
        let opts = GenerateOptions {
            max_variants: 150,
            single_variant_percent: 0,
            max_images: 1,
            ..GenerateOptions::default()
        };
        let c = generate_catalog_with(20, 1, &opts);
        assert!(c.iter().any(|p| p.variants.len() > 100));
    }

    #[test]
    fn ean_checksum() {
        let mut r = Rng(1);
        let e = ean13(&mut r);
        let d: Vec<u32> = e.chars().map(|c| c.to_digit(10).unwrap()).collect();
        let s: u32 = d
            .iter()
            .enumerate()
            .map(|(i, x)| if i % 2 == 0 { *x } else { x * 3 })
            .sum();
        assert_eq!(s % 10, 0);
    }
}
