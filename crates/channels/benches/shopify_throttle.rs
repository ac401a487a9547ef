//! How well the Shopify connector uses the cost budget: a full export of 2,000 single-variant
//! products and a full read of 20,000 products against the simulator with a bucket of 1000
//! points restoring 1000 points/s. Prints, for each: duration, points consumed (actual query
//! cost, as charged to the bucket), points per second as a share of the restore rate (also net
//! of the bucket's initial 1000 points), and THROTTLED answers after the first request.
//!
//! `cargo bench -p techoms-channels --bench shopify_throttle`
//! (SHOPIFY_BENCH_EXPORT / SHOPIFY_BENCH_READ change the product counts.)

use std::collections::BTreeMap;
use std::time::Instant;

use techoms_channels::shopify::ShopifyConnector;
use techoms_channels::{
    ChannelConfig, Connector, Credentials, ExportProduct, ExportVariant, ReadQuery, WriteOutcome,
};
use techoms_domain::{ProductStatus, VariantStatus, Weight, WeightUnit};
use techoms_simulators::shopify::{
    GenerateOptions, SeedProduct, ShopHandle, ShopSettings, ShopifySim, generate_catalog,
    generate_catalog_with,
};

const BUCKET: f64 = 1000.0;
const RESTORE: f64 = 1000.0;

fn count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn connector(base: &str, domain: &str, token: &str) -> ShopifyConnector {
    let config = ChannelConfig {
        channel_label: "bench".into(),
        settings: BTreeMap::from([
            ("shop_domain".into(), domain.into()),
            ("base_url".into(), base.into()),
        ]),
        credentials: Credentials::new(BTreeMap::from([("access_token".into(), token.into())])),
    };
    match ShopifyConnector::new(&config, reqwest::Client::new()) {
        Ok(c) => c,
        Err(e) => panic!("connector: {e}"),
    }
}

fn export_of(i: usize, p: &SeedProduct) -> ExportProduct {
    ExportProduct {
        key: format!("p{i}"),
        remote_id: None,
        title: p.title.clone(),
        description_html: p.description_html.clone(),
        vendor: p.vendor.clone(),
        product_type: p.product_type.clone(),
        tags: p.tags.clone(),
        status: ProductStatus::Active,
        options: p.options.clone(),
        images: p.images.clone(),
        variants: p
            .variants
            .iter()
            .enumerate()
            .map(|(j, v)| ExportVariant {
                key: format!("p{i}v{j}"),
                remote: None,
                changed: true,
                sku: v.sku.clone(),
                option_values: v.option_values.clone(),
                barcode: v.barcode.clone(),
                price: Some(v.price),
                compare_at_price: v.compare_at_price,
                cost: v.cost,
                weight: v
                    .weight
                    .as_ref()
                    .map(|w| Weight::new(w.value, WeightUnit::G)),
                length: None,
                width: None,
                height: None,
                status: VariantStatus::Active,
            })
            .collect(),
    }
}

struct Report {
    name: &'static str,
    items: String,
    secs: f64,
    points: f64,
    requests: u64,
    throttled_after_first: u64,
}

fn print(r: &Report) {
    let pps = r.points / r.secs;
    let net = (r.points - BUCKET).max(0.0) / r.secs;
    println!("{}: {}", r.name, r.items);
    println!("  duration                 {:.2} s", r.secs);
    println!(
        "  points consumed          {:.0} in {} requests",
        r.points, r.requests
    );
    println!(
        "  points per second        {:.1} = {:.1}% of the restore rate ({:.1}% net of the initial bucket)",
        pps,
        100.0 * pps / RESTORE,
        100.0 * net / RESTORE
    );
    println!("  THROTTLED after first    {}", r.throttled_after_first);
}

fn throttled_after_first(shop: &ShopHandle) -> u64 {
    shop.requests()
        .iter()
        .skip(1)
        .filter(|r| r.throttled)
        .count() as u64
}

async fn export(sim: &ShopifySim, base: &str, n: usize) -> Report {
    let shop = sim.add_shop("export.myshopify.com", "shpat_export", settings());
    let conn = connector(base, "export.myshopify.com", "shpat_export");
    let opts = GenerateOptions {
        max_variants: 1,
        single_variant_percent: 100,
        max_images: 1,
        ..GenerateOptions::default()
    };
    let catalog = generate_catalog_with(n, 42, &opts);
    let products: Vec<ExportProduct> = catalog
        .iter()
        .enumerate()
        .map(|(i, p)| export_of(i, p))
        .collect();
    let started = Instant::now();
    let mut created = 0;
    for batch in products.chunks(conn.write_batch_size()) {
        let results = match conn.write_products(batch.to_vec()).await {
            Ok(r) => r,
            Err(e) => panic!("export failed: {e}"),
        };
        created += results
            .iter()
            .filter(|r| matches!(r.outcome, WriteOutcome::Created(_)))
            .count();
    }
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(created, n, "every product created");
    assert_eq!(shop.product_count(), n);
    let stats = shop.stats();
    Report {
        name: "export",
        items: format!("{n} single-variant products created"),
        secs,
        points: stats.points_consumed,
        requests: stats.requests,
        throttled_after_first: throttled_after_first(&shop),
    }
}

async fn read(sim: &ShopifySim, base: &str, n: usize) -> Report {
    let shop = sim.add_shop("read.myshopify.com", "shpat_read", settings());
    if let Err(e) = shop.seed(&generate_catalog(n, 7)) {
        panic!("seed: {e}");
    }
    let conn = connector(base, "read.myshopify.com", "shpat_read");
    let started = Instant::now();
    let mut cursor = None;
    let mut products = 0;
    let mut variants = 0;
    loop {
        let page = match conn.read_products(&ReadQuery::default(), cursor).await {
            Ok(p) => p,
            Err(e) => panic!("read failed: {e}"),
        };
        products += page.products.len();
        variants += page
            .products
            .iter()
            .map(|p| p.variants.len())
            .sum::<usize>();
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(products, n);
    let stats = shop.stats();
    Report {
        name: "full read",
        items: format!("{products} products, {variants} variants"),
        secs,
        points: stats.points_consumed,
        requests: stats.requests,
        throttled_after_first: throttled_after_first(&shop),
    }
}

fn settings() -> ShopSettings {
    ShopSettings {
        maximum_available: BUCKET,
        restore_rate: RESTORE,
        ..ShopSettings::default()
    }
}

fn main() {
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => panic!("runtime: {e}"),
    };
    rt.block_on(async {
        let sim = ShopifySim::default();
        let server = match sim.start().await {
            Ok(s) => s,
            Err(e) => panic!("simulator: {e}"),
        };
        let base = server.base_url();
        println!(
            "Shopify cost-budget benchmark: bucket {BUCKET} points, restore {RESTORE} points/s\n"
        );
        let r = export(&sim, &base, count("SHOPIFY_BENCH_EXPORT", 2_000)).await;
        print(&r);
        println!();
        let r = read(&sim, &base, count("SHOPIFY_BENCH_READ", 20_000)).await;
        print(&r);
    });
}
