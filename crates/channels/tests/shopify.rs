//! Contract tests of the Shopify connector against the Shopify simulator (in process, on
//! 127.0.0.1).

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use techoms_channels::shopify::ShopifyConnector;
use techoms_channels::{
    ChannelConfig, ChannelError, Connector, Credentials, ExportProduct, ExportVariant, ReadQuery,
    RemoteIds, RemoteProduct, WriteOutcome, WriteResult,
};
use techoms_domain::{ProductStatus, VariantStatus, Weight, WeightUnit};
use techoms_simulators::shopify::{
    SeedProduct, SeedVariant, SeedWeight, ShopHandle, ShopSettings, ShopifySim, generate_catalog,
};
use techoms_simulators::{RunningSim, SimClock};

const DOMAIN: &str = "test-shop.myshopify.com";
const TOKEN: &str = "shpat_test_token_0123456789";

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// A shop whose bucket never gets in the way unless a test says so.
fn fast_settings() -> ShopSettings {
    ShopSettings {
        maximum_available: 1000.0,
        restore_rate: 1_000_000.0,
        ..ShopSettings::default()
    }
}

struct Env {
    sim: ShopifySim,
    shop: ShopHandle,
    server: RunningSim,
    conn: ShopifyConnector,
}

fn config(base: &str, token: &str, timeout: &str) -> ChannelConfig {
    ChannelConfig {
        channel_label: "shopify test".into(),
        settings: BTreeMap::from([
            ("shop_domain".into(), DOMAIN.into()),
            ("base_url".into(), base.into()),
            ("timeout_seconds".into(), timeout.into()),
        ]),
        credentials: Credentials::new(BTreeMap::from([("access_token".into(), token.into())])),
    }
}

async fn env_with(clock: SimClock, settings: ShopSettings, timeout: &str) -> Env {
    let sim = ShopifySim::new(clock);
    let shop = sim.add_shop(DOMAIN, TOKEN, settings);
    let server = sim.start().await.unwrap();
    let conn = ShopifyConnector::new(
        &config(&server.base_url(), TOKEN, timeout),
        reqwest::Client::new(),
    )
    .unwrap();
    Env {
        sim,
        shop,
        server,
        conn,
    }
}

async fn env() -> Env {
    env_with(SimClock::system(), fast_settings(), "5").await
}

impl Env {
    /// A fresh connector (no cached shop info or bucket model), as after a restart.
    fn reconnect(&self, timeout: &str) -> ShopifyConnector {
        ShopifyConnector::new(
            &config(&self.server.base_url(), TOKEN, timeout),
            reqwest::Client::new(),
        )
        .unwrap()
    }
}

async fn read_all(conn: &ShopifyConnector, q: &ReadQuery) -> (Vec<RemoteProduct>, usize) {
    let mut out = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = conn.read_products(q, cursor).await.unwrap();
        pages += 1;
        out.extend(page.products);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return (out, pages),
        }
    }
}

fn seed_variant(sku: &str, opts: &[&str], price: &str) -> SeedVariant {
    SeedVariant {
        sku: sku.into(),
        option_values: opts.iter().map(|s| (*s).into()).collect(),
        barcode: None,
        price: dec(price),
        compare_at_price: None,
        cost: None,
        weight: None,
    }
}

fn seed_product(title: &str, options: &[&str], variants: Vec<SeedVariant>) -> SeedProduct {
    SeedProduct {
        title: title.into(),
        handle: None,
        description_html: String::new(),
        vendor: "Seeded".into(),
        product_type: "Thing".into(),
        tags: vec![],
        status: "ACTIVE".into(),
        options: options.iter().map(|s| (*s).into()).collect(),
        images: vec![],
        variants,
    }
}

fn export_variant(key: &str, sku: &str, opts: &[&str], price: &str) -> ExportVariant {
    ExportVariant {
        key: key.into(),
        remote: None,
        changed: true,
        sku: sku.into(),
        option_values: opts.iter().map(|s| (*s).into()).collect(),
        barcode: Some("0012345678905".into()),
        price: Some(dec(price)),
        compare_at_price: Some(dec("49.00")),
        cost: Some(dec("12.5")),
        weight: Some(Weight::new(dec("1.25"), WeightUnit::Lb)),
        length: None,
        width: None,
        height: None,
        status: VariantStatus::Active,
    }
}

fn export_product(
    key: &str,
    title: &str,
    options: &[&str],
    variants: Vec<ExportVariant>,
) -> ExportProduct {
    ExportProduct {
        key: key.into(),
        remote_id: None,
        title: title.into(),
        description_html: "<p>From techOMS</p>".into(),
        vendor: "techOMS".into(),
        product_type: "Widget".into(),
        tags: vec!["synced".into()],
        status: ProductStatus::Active,
        options: options.iter().map(|s| (*s).into()).collect(),
        images: vec!["https://images.example.com/widget.jpg".into()],
        variants,
    }
}

fn by_key(results: &[WriteResult]) -> BTreeMap<String, WriteOutcome> {
    results
        .iter()
        .map(|r| (r.key.clone(), r.outcome.clone()))
        .collect()
}

fn ids(o: &WriteOutcome) -> RemoteIds {
    o.ids()
        .cloned()
        .unwrap_or_else(|| panic!("no ids in {o:?}"))
}

/// Bind an export product to what a write returned, as the engine would.
fn bind(p: &mut ExportProduct, results: &[WriteResult]) {
    let m = by_key(results);
    for v in &mut p.variants {
        if let Some(o) = m.get(&v.key) {
            let i = ids(o);
            p.remote_id = Some(i.product_id.clone());
            v.remote = Some(i);
        }
        v.changed = false;
    }
}

fn request_bodies(shop: &ShopHandle) -> Vec<Value> {
    shop.requests()
        .iter()
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect()
}

fn op_name(body: &Value) -> String {
    let q = body["query"].as_str().unwrap_or("");
    q.split(['(', '{'])
        .next()
        .unwrap_or("")
        .split_whitespace()
        .last()
        .unwrap_or("")
        .to_owned()
}

#[tokio::test]
async fn full_read_pages_through_products_and_nested_variants() {
    let e = env().await;
    let mut catalog = generate_catalog(40, 11);
    // One product with more variants than fit in the first nested page (and than a single
    // nested follow-up page holds at 1000 points), one plain single-variant product.
    let big: Vec<SeedVariant> = (0..180)
        .map(|i| {
            let mut v = seed_variant(&format!("BIG-{i:03}"), &[&format!("Size {i}")], "10.00");
            v.weight = Some(SeedWeight {
                value: dec("250"),
                unit: "GRAMS".into(),
            });
            v.cost = Some(dec("4.20"));
            v
        })
        .collect();
    catalog.push(seed_product("Big Product", &["Size"], big));
    let mut single = seed_product("Single", &[], vec![seed_variant("ONE-1", &[], "5")]);
    single.variants[0].weight = Some(SeedWeight {
        value: dec("2.5"),
        unit: "POUNDS".into(),
    });
    single.variants[0].compare_at_price = Some(dec("7.5"));
    single.images = (1..=7)
        .map(|i| format!("https://img.example.com/one-{i}.jpg"))
        .collect();
    catalog.push(single);
    e.shop.seed(&catalog).unwrap();

    let (products, pages) = read_all(&e.conn, &ReadQuery::default()).await;
    assert_eq!(products.len(), 42);
    assert!(pages >= 4, "only {pages} pages");
    let seeded_variants: usize = catalog.iter().map(|p| p.variants.len()).sum();
    assert_eq!(
        products.iter().map(|p| p.variants.len()).sum::<usize>(),
        seeded_variants
    );
    let ids: BTreeSet<_> = products.iter().map(|p| p.remote_id.clone()).collect();
    assert_eq!(ids.len(), 42, "a product was returned twice");

    let big = products.iter().find(|p| p.title == "Big Product").unwrap();
    assert_eq!(big.variants.len(), 180);
    let skus: Vec<_> = big.variants.iter().map(|v| v.sku.clone()).collect();
    assert_eq!(
        skus,
        (0..180).map(|i| format!("BIG-{i:03}")).collect::<Vec<_>>()
    );
    assert_eq!(big.options, vec!["Size".to_string()]);
    assert_eq!(
        big.variants[179].option_values,
        vec!["Size 179".to_string()]
    );
    assert_eq!(
        big.variants[100].weight,
        Some(Weight::new(dec("250"), WeightUnit::G))
    );
    assert_eq!(big.variants[100].cost, Some(dec("4.20")));

    let one = products.iter().find(|p| p.title == "Single").unwrap();
    assert!(
        one.options.is_empty(),
        "Default Title is no option: {:?}",
        one.options
    );
    let v = &one.variants[0];
    assert!(v.option_values.is_empty());
    assert_eq!(v.price, Some(dec("5")));
    assert_eq!(v.compare_at_price, Some(dec("7.5")));
    assert_eq!(v.weight.unwrap().grams(), dec("1133.980925"));
    assert!(
        v.inventory_item_id
            .as_deref()
            .unwrap()
            .starts_with("gid://shopify/InventoryItem/")
    );
    assert_eq!(
        one.images.len(),
        7,
        "media past the first nested page are read too"
    );

    // Every generated product round-trips its fields.
    for seeded in &catalog[..40] {
        let p = products
            .iter()
            .find(|p| p.variants[0].sku == seeded.variants[0].sku)
            .unwrap();
        assert_eq!(p.title, seeded.title);
        assert_eq!(p.vendor, seeded.vendor);
        assert_eq!(p.tags, seeded.tags);
        assert_eq!(p.images, seeded.images);
        assert_eq!(p.status.as_str().to_uppercase(), seeded.status);
        for (rv, sv) in p.variants.iter().zip(&seeded.variants) {
            assert_eq!(rv.sku, sv.sku);
            assert_eq!(rv.price, Some(sv.price));
            assert_eq!(rv.barcode, sv.barcode);
            let w = sv.weight.as_ref().unwrap();
            let unit = match w.unit.as_str() {
                "GRAMS" => WeightUnit::G,
                "KILOGRAMS" => WeightUnit::Kg,
                "OUNCES" => WeightUnit::Oz,
                _ => WeightUnit::Lb,
            };
            assert_eq!(rv.weight, Some(Weight::new(w.value, unit)));
        }
    }

    let bodies = request_bodies(&e.shop);
    let names: Vec<String> = bodies.iter().map(op_name).collect();
    assert_eq!(names[0], "ShopInfo");
    assert!(
        names.iter().filter(|n| *n == "MoreVariants").count() >= 2,
        "{names:?}"
    );
    assert!(names.contains(&"MoreMedia".to_string()));
    assert_eq!(e.shop.stats().throttled_responses, 0);
    assert!(e.shop.requests().iter().all(|r| r.status == 200));
}

#[tokio::test]
async fn a_read_resumes_from_its_cursor_in_a_new_process() {
    let e = env().await;
    e.shop.seed(&generate_catalog(30, 3)).unwrap();
    let first = e
        .conn
        .read_products(&ReadQuery::default(), None)
        .await
        .unwrap();
    let cursor = first.next_cursor.clone().unwrap();
    let fresh = e.reconnect("5");
    let mut seen: Vec<String> = first.products.iter().map(|p| p.remote_id.clone()).collect();
    let mut c = Some(cursor);
    while let Some(cur) = c {
        let page = fresh
            .read_products(&ReadQuery::default(), Some(cur))
            .await
            .unwrap();
        seen.extend(page.products.iter().map(|p| p.remote_id.clone()));
        c = page.next_cursor;
    }
    assert_eq!(seen.len(), 30);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 30);
    let bad = fresh
        .read_products(&ReadQuery::default(), Some("garbage".into()))
        .await;
    assert!(matches!(bad, Err(ChannelError::Permanent(_))), "{bad:?}");
}

#[tokio::test]
async fn changed_since_catches_every_edit_even_with_search_lag() {
    let t0 = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
    let clock = SimClock::manual(t0);
    let e = env_with(clock.clone(), fast_settings(), "5").await;
    let ids = e.shop.seed(&generate_catalog(12, 5)).unwrap();
    e.shop.set_search_lag(Duration::from_secs(10));
    let since = |t: DateTime<Utc>| ReadQuery {
        changed_since: Some(t),
    };

    // A full read at t0 is the import's starting point; nothing changed since.
    clock.advance(chrono::Duration::seconds(60));
    let (none, _) = read_all(&e.conn, &since(t0 + chrono::Duration::seconds(30))).await;
    assert!(none.is_empty(), "{none:?}");

    // Edits at t0+100: a title, a variant price, and an edit that does not bump updatedAt.
    clock.advance(chrono::Duration::seconds(40));
    assert!(
        e.shop
            .edit_product(&ids[2], true, |p| p.title = "Renamed".into())
    );
    let sku7 = e.shop.product(&ids[7]).unwrap().variants[0].sku.clone();
    assert_eq!(
        e.shop
            .edit_variant_by_sku(&sku7, true, |v| v.price = dec("123.45")),
        1
    );
    assert!(
        e.shop
            .edit_product(&ids[9], false, |p| p.vendor = "Quiet change".into())
    );

    // A run five seconds later filters from its checkpoint: the index has not seen the edits.
    clock.advance(chrono::Duration::seconds(5));
    let checkpoint = clock.now();
    let (early, _) = read_all(&e.conn, &since(t0 + chrono::Duration::seconds(100))).await;
    assert!(
        early.is_empty(),
        "search sees writes only after its lag: {early:?}"
    );

    // The next run subtracts its overlap from the checkpoint: the lagging edits are inside it.
    clock.advance(chrono::Duration::seconds(300));
    let overlap = chrono::Duration::seconds(30);
    let (late, _) = read_all(&e.conn, &since(checkpoint - overlap)).await;
    let titles: BTreeSet<String> = late.iter().map(|p| p.title.clone()).collect();
    assert_eq!(late.len(), 2, "{titles:?}");
    assert!(titles.contains("Renamed"));
    let edited = late.iter().find(|p| p.remote_id == ids[7]).unwrap();
    assert_eq!(edited.variants[0].price, Some(dec("123.45")));
    assert_eq!(edited.updated_at, Some(t0 + chrono::Duration::seconds(100)));

    // Inclusive: a filter at exactly the edit's second still returns it.
    let (exact, _) = read_all(&e.conn, &since(t0 + chrono::Duration::seconds(100))).await;
    assert_eq!(exact.len(), 2);

    let sent: Vec<Value> = request_bodies(&e.shop)
        .into_iter()
        .filter(|b| op_name(b) == "ReadProducts")
        .collect();
    let last = sent.last().unwrap();
    assert_eq!(
        last["variables"]["query"],
        "updated_at:>='2025-03-01T12:01:40Z'"
    );
    assert_eq!(last["variables"]["sortKey"], "UPDATED_AT");
}

#[tokio::test]
async fn changed_since_drops_repeats_the_lagging_index_causes() {
    let t0 = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
    let clock = SimClock::manual(t0);
    let e = env_with(clock.clone(), fast_settings(), "5").await;
    let ids = e.shop.seed(&generate_catalog(40, 9)).unwrap();
    e.shop.set_search_lag(Duration::from_secs(10));
    let secs = chrono::Duration::seconds;
    clock.advance(secs(10));
    for id in &ids {
        e.shop
            .edit_product(id, true, |p| p.tags.push("touched".into()));
    }
    // Three products change again at t0+30; the index still files them under t0+10 until t0+40.
    clock.advance(secs(20));
    for id in &ids[..3] {
        e.shop.edit_product(id, true, |p| p.vendor = "Again".into());
    }
    clock.advance(secs(5));
    let q = ReadQuery {
        changed_since: Some(t0 + secs(5)),
    };
    let first = e.conn.read_products(&q, None).await.unwrap();
    let first_ids: Vec<&str> = first
        .products
        .iter()
        .map(|p| p.remote_id.as_str())
        .collect();
    assert!(
        ids[..3].iter().all(|id| first_ids.contains(&id.as_str())),
        "{first_ids:?}"
    );
    assert!(
        first.products.iter().any(|p| p.vendor == "Again"),
        "fields are read fresh"
    );
    // By the time the read goes on, the index has moved them past the cursor: same products,
    // same updatedAt, already returned.
    clock.advance(secs(10));
    let mut all = first.products.clone();
    let mut c = first.next_cursor;
    while let Some(cur) = c {
        let page = e.conn.read_products(&q, Some(cur)).await.unwrap();
        all.extend(page.products);
        c = page.next_cursor;
    }
    let distinct: BTreeSet<_> = all.iter().map(|p| p.remote_id.clone()).collect();
    assert_eq!(distinct.len(), 40);
    assert_eq!(all.len(), 40, "repeats with the same updatedAt are dropped");
}

#[tokio::test]
async fn create_then_update_through_bindings() {
    let e = env().await;
    let mut p = export_product(
        "p1",
        "Widget",
        &["Size"],
        vec![
            export_variant("v1", "WID-S", &["S"], "19.99"),
            export_variant("v2", "WID-M", &["M"], "21.00"),
        ],
    );
    let results = e.conn.write_products(vec![p.clone()]).await.unwrap();
    let m = by_key(&results);
    assert_eq!(m.len(), 2);
    assert!(matches!(m["v1"], WriteOutcome::Created(_)), "{m:?}");
    assert!(matches!(m["v2"], WriteOutcome::Created(_)));
    assert_eq!(e.shop.product_count(), 1);
    let remote = e.shop.product(&ids(&m["v1"]).product_id).unwrap();
    assert_eq!(remote.title, "Widget");
    assert_eq!(remote.status, "ACTIVE");
    assert_eq!(remote.variants.len(), 2);
    let v = &remote.variants[0];
    assert_eq!((v.sku.as_str(), v.price), ("WID-S", dec("19.99")));
    assert_eq!(v.cost, Some(dec("12.5")));
    assert_eq!(v.compare_at_price, Some(dec("49")));
    // The shop's unit is kilograms: 1.25 lb = 0.566990… kg.
    assert_eq!(v.weight, Some((dec("0.56699"), "KILOGRAMS".to_string())));
    assert_eq!(remote.media.len(), 1);
    assert_eq!(
        ids(&m["v1"])
            .inventory_item_id
            .as_deref()
            .map(|s| s.starts_with("gid://shopify/InventoryItem/")),
        Some(true)
    );

    // The engine binds the ids; one variant changes.
    bind(&mut p, &results);
    p.variants[1].price = Some(dec("25.50"));
    p.variants[1].changed = true;
    p.title = "Widget v2".into();
    let writes_before = e.shop.committed_writes();
    let results = e.conn.write_products(vec![p.clone()]).await.unwrap();
    assert_eq!(
        results.len(),
        1,
        "only the changed variant is reported: {results:?}"
    );
    assert_eq!(
        results[0].outcome,
        WriteOutcome::Updated {
            ids: p.variants[1].remote.clone().unwrap(),
            adopted: false
        }
    );
    assert_eq!(e.shop.product_count(), 1);
    assert_eq!(e.shop.committed_writes(), writes_before + 1);
    let remote = e.shop.product(p.remote_id.as_deref().unwrap()).unwrap();
    assert_eq!(remote.title, "Widget v2");
    assert_eq!(remote.variants[1].price, dec("25.50"));
    assert_eq!(
        remote.media.len(),
        1,
        "images are not re-uploaded on update"
    );
    // The lookup was skipped: every variant was bound.
    assert!(
        !request_bodies(&e.shop)
            .iter()
            .rev()
            .take(1)
            .any(|b| op_name(b) == "FindVariantsBySku")
    );

    // An unchanged catalog sends nothing.
    bind(&mut p, &results);
    let before = e.shop.mutation_requests();
    let results = e.conn.write_products(vec![p]).await.unwrap();
    assert!(results.is_empty());
    assert_eq!(e.shop.mutation_requests(), before);
}

#[tokio::test]
async fn a_bound_product_deleted_on_shopify_is_created_again() {
    let e = env().await;
    let mut p = export_product(
        "p",
        "Phoenix",
        &[],
        vec![export_variant("v", "PHX-1", &[], "1")],
    );
    let results = e.conn.write_products(vec![p.clone()]).await.unwrap();
    bind(&mut p, &results);
    let old = p.remote_id.clone().unwrap();
    assert!(e.shop.delete_product(&old));
    p.variants[0].price = Some(dec("2"));
    p.variants[0].changed = true;
    let results = e.conn.write_products(vec![p]).await.unwrap();
    assert_eq!(results.len(), 1);
    let WriteOutcome::Created(ids) = &results[0].outcome else {
        panic!("{results:?}")
    };
    assert_ne!(ids.product_id, old);
    assert_eq!(e.shop.product_count(), 1);
    assert_eq!(
        e.shop.product(&ids.product_id).unwrap().variants[0].price,
        dec("2")
    );
}

#[tokio::test]
async fn an_unbound_product_already_in_the_store_is_adopted() {
    let e = env().await;
    let seeded = e
        .shop
        .seed(&[seed_product(
            "Old Title",
            &["Size"],
            vec![seed_variant("ADOPT-1", &["S"], "9.00")],
        )])
        .unwrap();
    let (pid, vid) = e.shop.variants_with_sku("ADOPT-1")[0].clone();
    assert_eq!(pid, seeded[0]);
    // Same SKU, spelled differently (case and blanks): the same SKU key.
    let p = export_product(
        "p1",
        "New Title",
        &["Size"],
        vec![
            export_variant("v1", " adopt-1 ", &["S"], "11.00"),
            export_variant("v2", "ADOPT-2", &["M"], "12.00"),
        ],
    );
    let results = e.conn.write_products(vec![p]).await.unwrap();
    let m = by_key(&results);
    match &m["v1"] {
        WriteOutcome::Updated { ids, adopted: true } => {
            assert_eq!(
                (ids.product_id.as_str(), ids.variant_id.as_str()),
                (pid.as_str(), vid.as_str())
            );
        }
        other => panic!("expected adoption, got {other:?}"),
    }
    assert!(
        matches!(&m["v2"], WriteOutcome::Created(i) if i.product_id == pid),
        "{m:?}"
    );
    assert_eq!(e.shop.product_count(), 1, "nothing was duplicated");
    let remote = e.shop.product(&pid).unwrap();
    assert_eq!(remote.title, "New Title");
    assert_eq!(remote.variants.len(), 2);
    assert_eq!(remote.variants[0].price, dec("11.00"));
}

#[tokio::test]
async fn duplicate_skus_in_the_store_adopt_the_first_and_create_nothing() {
    let e = env().await;
    e.shop
        .seed(&[
            seed_product("First", &[], vec![seed_variant("DUP-1", &[], "1.00")]),
            seed_product("Second", &[], vec![seed_variant("DUP-1", &[], "2.00")]),
        ])
        .unwrap();
    let hits = e.shop.variants_with_sku("DUP-1");
    assert_eq!(hits.len(), 2);

    let found = e
        .conn
        .find_by_skus(&["dup-1".into(), "NOPE".into()])
        .await
        .unwrap();
    let titles: Vec<_> = found.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(
        titles,
        vec!["First", "Second"],
        "every product with the SKU, in id order"
    );

    let p = export_product(
        "p",
        "Dup",
        &[],
        vec![export_variant("v", "DUP-1", &[], "3.00")],
    );
    let results = e.conn.write_products(vec![p]).await.unwrap();
    match &results[0].outcome {
        WriteOutcome::Updated { ids, adopted: true } => assert_eq!(ids.variant_id, hits[0].1),
        other => panic!("{other:?}"),
    }
    assert_eq!(e.shop.product_count(), 2);
    assert_eq!(e.shop.variants_with_sku("DUP-1").len(), 2);
}

#[tokio::test]
async fn lookups_quote_skus_with_special_characters() {
    let e = env().await;
    let odd = r#"A "B" \C:(1) d"#;
    e.shop
        .seed(&[
            seed_product("Odd", &[], vec![seed_variant(odd, &[], "1")]),
            seed_product("Prefix", &[], vec![seed_variant("A", &[], "1")]),
        ])
        .unwrap();
    let found = e.conn.find_by_skus(&[odd.into()]).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].variants[0].sku, odd);
    let many: Vec<String> = (0..60)
        .map(|i| format!("MISSING-{i}"))
        .chain([odd.to_string()])
        .collect();
    let before = e.shop.requests().len();
    let found = e.conn.find_by_skus(&many).await.unwrap();
    assert_eq!(found.len(), 1);
    let lookups = e.shop.requests()[before..]
        .iter()
        .filter(|r| r.body.contains("FindVariantsBySku"))
        .count();
    assert_eq!(lookups, 3, "61 SKUs go out 25 to a query, joined with OR");
}

#[tokio::test]
async fn one_bad_variant_fails_alone_with_shopifys_message() {
    let e = env().await;
    e.shop.refuse_sku("BAD-2", "Barcode is invalid");
    let good = export_product(
        "p1",
        "Good",
        &[],
        vec![export_variant("g", "GOOD-1", &[], "1")],
    );
    let bad = export_product(
        "p2",
        "Mixed",
        &["Size"],
        vec![
            export_variant("b", "BAD-2", &["S"], "1"),
            export_variant("o", "OK-3", &["M"], "1"),
        ],
    );
    let mut negative = export_product(
        "p3",
        "Negative",
        &[],
        vec![export_variant("n", "NEG-1", &[], "1")],
    );
    negative.variants[0].price = Some(dec("-1"));
    let results = e
        .conn
        .write_products(vec![good, bad, negative])
        .await
        .unwrap();
    let m = by_key(&results);
    assert!(matches!(m["g"], WriteOutcome::Created(_)), "{m:?}");
    assert_eq!(
        m["b"],
        WriteOutcome::Failed {
            message: "Barcode is invalid".into()
        }
    );
    match &m["o"] {
        WriteOutcome::Failed { message } => {
            assert!(message.contains("Barcode is invalid"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        m["n"],
        WriteOutcome::Failed {
            message: "Price must be greater than or equal to 0".into()
        }
    );
    assert_eq!(e.shop.product_count(), 1);
    assert_eq!(
        e.shop.mutation_requests(),
        1,
        "the three products went out in one request"
    );
}

#[tokio::test]
async fn a_small_bucket_slows_the_connector_down_without_failures() {
    let settings = ShopSettings {
        maximum_available: 200.0,
        restore_rate: 2000.0,
        ..ShopSettings::default()
    };
    let e = env_with(SimClock::system(), settings, "5").await;
    e.shop.seed(&generate_catalog(60, 21)).unwrap();
    let started = Instant::now();
    let (products, _) = read_all(&e.conn, &ReadQuery::default()).await;
    assert_eq!(products.len(), 60);
    let exports: Vec<ExportProduct> = (0..40)
        .map(|i| {
            export_product(
                &format!("p{i}"),
                &format!("New {i}"),
                &[],
                vec![export_variant(
                    &format!("v{i}"),
                    &format!("NEW-{i}"),
                    &[],
                    "5",
                )],
            )
        })
        .collect();
    let results = e.conn.write_products(exports).await.unwrap();
    assert_eq!(results.len(), 40);
    assert!(
        results
            .iter()
            .all(|r| matches!(r.outcome, WriteOutcome::Created(_))),
        "{results:?}"
    );
    let stats = e.shop.stats();
    assert!(stats.throttled_responses <= 1, "{stats:?}");
    // Far more points went through than the bucket holds: the connector waited for them.
    assert!(stats.points_consumed > 1000.0, "{stats:?}");
    let min = Duration::from_secs_f64((stats.points_consumed - 200.0) / 2000.0);
    assert!(
        started.elapsed() >= min,
        "{:?} < {min:?}",
        started.elapsed()
    );
    // No request ever asked for more than the bucket holds.
    assert!(
        e.shop
            .requests()
            .iter()
            .all(|r| r.status == 200 && !r.throttled)
    );
}

#[tokio::test]
async fn throttled_and_429_answers_are_waited_out() {
    let e = env().await;
    e.shop.seed(&generate_catalog(5, 1)).unwrap();
    e.conn.shop_info().await.unwrap();
    e.shop.inject_throttled(2);
    e.shop.inject_too_many_requests(1);
    let (products, _) = read_all(&e.conn, &ReadQuery::default()).await;
    assert_eq!(products.len(), 5);
    let stats = e.shop.stats();
    assert_eq!((stats.throttled_responses, stats.too_many_requests), (2, 1));
}

#[tokio::test]
async fn server_errors_are_retried() {
    let e = env().await;
    e.shop.seed(&generate_catalog(5, 1)).unwrap();
    e.shop.inject_server_errors(2);
    let (products, _) = read_all(&e.conn, &ReadQuery::default()).await;
    assert_eq!(products.len(), 5);
    assert_eq!(e.shop.stats().server_errors, 2);

    // A 5xx on a create (the simulator fails it before executing): looked up, then created once.
    e.shop.inject_server_errors_on_mutations(1);
    let p = export_product(
        "p",
        "Once",
        &[],
        vec![export_variant("v", "ONCE-1", &[], "1")],
    );
    let results = e.conn.write_products(vec![p]).await.unwrap();
    assert!(
        matches!(results[0].outcome, WriteOutcome::Created(_)),
        "{results:?}"
    );
    assert_eq!(e.shop.variants_with_sku("ONCE-1").len(), 1);
    assert_eq!(e.shop.mutation_requests(), 2);

    // Shopify down for good: nothing written, the whole call fails as transient.
    e.shop.inject_server_errors(100);
    let p = export_product(
        "q",
        "Never",
        &[],
        vec![export_variant("w", "NEVER-1", &[], "1")],
    );
    let err = e.conn.write_products(vec![p]).await.unwrap_err();
    assert!(matches!(err, ChannelError::Transient(_)), "{err:?}");
    assert!(e.shop.variants_with_sku("NEVER-1").is_empty());
}

#[tokio::test]
async fn a_create_that_timed_out_after_commit_is_found_not_duplicated() {
    // The search index lags far behind (the manual clock never reaches the lag), so only the
    // direct read of the newest products can find what the timed-out create made.
    let clock = SimClock::manual(Utc.with_ymd_and_hms(2025, 5, 1, 0, 0, 0).unwrap());
    let e = env_with(clock, fast_settings(), "1").await;
    e.shop.seed(&generate_catalog(3, 2)).unwrap();
    e.shop.set_search_lag(Duration::from_secs(3600));
    e.conn.shop_info().await.unwrap();
    e.shop
        .inject_timeout_after_commit(1, Duration::from_secs(3));
    let batch = vec![
        export_product(
            "p1",
            "Timed Out",
            &["Size"],
            vec![
                export_variant("a", "TO-S", &["S"], "1"),
                export_variant("b", "TO-M", &["M"], "1"),
            ],
        ),
        export_product(
            "p2",
            "Also",
            &[],
            vec![export_variant("c", "TO-2", &[], "1")],
        ),
    ];
    let results = e.conn.write_products(batch).await.unwrap();
    let m = by_key(&results);
    assert_eq!(m.len(), 3);
    for k in ["a", "b", "c"] {
        assert!(
            matches!(m[k], WriteOutcome::Updated { adopted: true, .. }),
            "{k}: {:?}",
            m[k]
        );
    }
    for sku in ["TO-S", "TO-M", "TO-2"] {
        assert_eq!(e.shop.variants_with_sku(sku).len(), 1, "{sku} duplicated");
    }
    assert_eq!(e.shop.product_count(), 5);
    assert_eq!(ids(&m["a"]).product_id, ids(&m["b"]).product_id);
    let names: Vec<String> = request_bodies(&e.shop).iter().map(op_name).collect();
    let first_write = names.iter().position(|n| n == "SetProducts").unwrap();
    let recent = names.iter().position(|n| n == "RecentProducts").unwrap();
    assert!(recent > first_write, "{names:?}");
}

#[tokio::test]
async fn a_revoked_token_is_an_authentication_error() {
    let e = env().await;
    e.shop.revoke_token();
    let err = e
        .conn
        .read_products(&ReadQuery::default(), None)
        .await
        .unwrap_err();
    match &err {
        ChannelError::Authentication(msg) => {
            assert!(msg.starts_with("Shopify refused the access token"), "{msg}");
            assert!(msg.contains("Invalid API key or access token"), "{msg}");
            assert!(!msg.contains(TOKEN));
        }
        other => panic!("{other:?}"),
    }
    assert!(!format!("{err:?}").contains(TOKEN));
    let wrong = ShopifyConnector::new(
        &config(&e.server.base_url(), "shpat_wrong", "5"),
        reqwest::Client::new(),
    )
    .unwrap();
    let err = wrong.find_by_skus(&["X".into()]).await.unwrap_err();
    assert!(matches!(err, ChannelError::Authentication(_)), "{err:?}");
}

#[tokio::test]
async fn shops_are_kept_apart_by_token() {
    let e = env().await;
    let other = e
        .sim
        .add_shop("other.myshopify.com", "shpat_other", fast_settings());
    other
        .seed(&[seed_product(
            "Elsewhere",
            &[],
            vec![seed_variant("ELSE-1", &[], "1")],
        )])
        .unwrap();
    e.shop
        .seed(&[seed_product(
            "Here",
            &[],
            vec![seed_variant("HERE-1", &[], "1")],
        )])
        .unwrap();
    let (mine, _) = read_all(&e.conn, &ReadQuery::default()).await;
    assert_eq!(
        mine.iter().map(|p| p.title.as_str()).collect::<Vec<_>>(),
        vec!["Here"]
    );
    let theirs = ShopifyConnector::new(
        &config(&e.server.base_url(), "shpat_other", "5"),
        reqwest::Client::new(),
    )
    .unwrap();
    let (found, _) = read_all(&theirs, &ReadQuery::default()).await;
    assert_eq!(
        found.iter().map(|p| p.title.as_str()).collect::<Vec<_>>(),
        vec!["Elsewhere"]
    );
}

/// The exact documents and variables sent, for review when they change.
#[tokio::test]
async fn snapshots_of_outbound_graphql() {
    let e = env().await;
    e.shop
        .seed(&[seed_product(
            "Snap",
            &["Size"],
            vec![
                seed_variant("SNAP-S", &["S"], "1"),
                seed_variant("SNAP-M", &["M"], "1"),
            ],
        )])
        .unwrap();
    read_all(&e.conn, &ReadQuery::default()).await;
    e.conn
        .find_by_skus(&["SNAP-S".into(), r#"Q"uote"#.into()])
        .await
        .unwrap();
    let p = export_product(
        "p1",
        "Snapshot Widget",
        &["Size"],
        vec![
            export_variant("v1", "SNAP-NEW-S", &["S"], "19.99"),
            export_variant("v2", "SNAP-NEW-M", &["M"], "21"),
        ],
    );
    e.conn.write_products(vec![p]).await.unwrap();

    let bodies = request_bodies(&e.shop);
    let find = |name: &str| bodies.iter().find(|b| op_name(b) == name).unwrap().clone();
    let read = find("ReadProducts");
    insta::assert_snapshot!("read_page_document", read["query"].as_str().unwrap());
    insta::assert_json_snapshot!("read_page_variables", read["variables"]);
    let lookup = find("FindVariantsBySku");
    insta::assert_snapshot!("lookup_document", lookup["query"].as_str().unwrap());
    insta::assert_json_snapshot!("lookup_variables", lookup["variables"]);
    let set = find("SetProducts");
    insta::assert_snapshot!("product_set_document", set["query"].as_str().unwrap());
    insta::assert_json_snapshot!("product_set_variables", set["variables"]);
}
