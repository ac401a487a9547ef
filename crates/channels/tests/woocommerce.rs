//! Contract tests of the WooCommerce connector against the WooCommerce simulator.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use techoms_channels::woocommerce::WooCommerceConnector;
use techoms_channels::{
    ChannelConfig, ChannelError, Connector, Credentials, ExportProduct, ExportVariant, ReadQuery,
    RemoteIds, RemoteProduct, WriteOutcome, WriteResult,
};
use techoms_domain::{Length, ProductStatus, VariantStatus, Weight};
use techoms_simulators::woocommerce::{
    ApiKey, Fault, FaultScope, KeyPermissions, LoggedRequest, PostType, SeedAttribute,
    SeedDimensions, SeedProduct, SeedVariation, StoreHandle, StoreSettings, WooSim,
};
use techoms_simulators::{RunningSim, SimClock};

// ---------------------------------------------------------------------------------------
// Fixtures

struct Env {
    _sim: WooSim,
    store: StoreHandle,
    running: RunningSim,
    key: ApiKey,
}

async fn env_with(settings: StoreSettings, clock: SimClock) -> Env {
    let sim = WooSim::new(clock);
    let store = sim.add_store("shop", settings);
    let key = store.issue_key(KeyPermissions::ReadWrite);
    let running = sim.start().await.expect("simulator starts");
    Env {
        _sim: sim,
        store,
        running,
        key,
    }
}

async fn env() -> Env {
    env_with(StoreSettings::default(), SimClock::system()).await
}

fn connector_with(env: &Env, key: &ApiKey, extra: &[(&str, &str)]) -> WooCommerceConnector {
    let mut settings: BTreeMap<String, String> = [
        ("site_url", env.store.site_url(&env.running)),
        ("requests_per_second", "0".into()),
        ("timeout_seconds", "2".into()),
        ("page_size", "10".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (k, v) in extra {
        settings.insert((*k).to_owned(), (*v).to_owned());
    }
    let credentials = Credentials::new(BTreeMap::from([
        ("consumer_key".to_owned(), key.consumer_key.clone()),
        ("consumer_secret".to_owned(), key.consumer_secret.clone()),
    ]));
    let config = ChannelConfig {
        channel_label: "woo-test".into(),
        settings,
        credentials,
    };
    WooCommerceConnector::new(&config, reqwest::Client::new()).expect("connector builds")
}

fn connector(env: &Env, extra: &[(&str, &str)]) -> WooCommerceConnector {
    connector_with(env, &env.key, extra)
}

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn grams(s: &str) -> Weight {
    Weight::from_grams(dec(s))
}

fn mm(s: &str) -> Length {
    Length::from_mm(dec(s))
}

fn variant(key: &str, sku: &str, price: &str, values: &[&str]) -> ExportVariant {
    ExportVariant {
        key: key.into(),
        remote: None,
        changed: true,
        sku: sku.into(),
        option_values: values.iter().map(|s| (*s).to_owned()).collect(),
        barcode: None,
        price: Some(dec(price)),
        compare_at_price: None,
        cost: None,
        weight: None,
        length: None,
        width: None,
        height: None,
        status: VariantStatus::Active,
    }
}

fn product(
    key: &str,
    title: &str,
    options: &[&str],
    variants: Vec<ExportVariant>,
) -> ExportProduct {
    ExportProduct {
        key: key.into(),
        remote_id: None,
        title: title.into(),
        description_html: format!("<p>{title}</p>"),
        vendor: String::new(),
        product_type: String::new(),
        tags: Vec::new(),
        status: ProductStatus::Active,
        options: options.iter().map(|s| (*s).to_owned()).collect(),
        images: Vec::new(),
        variants,
    }
}

fn simple(key: &str, sku: &str, price: &str) -> ExportProduct {
    product(
        key,
        &format!("Product {sku}"),
        &[],
        vec![variant(&format!("{key}-v"), sku, price, &[])],
    )
}

fn seed_simple(sku: &str, price: &str) -> SeedProduct {
    SeedProduct {
        name: format!("Seeded {sku}"),
        sku: sku.into(),
        regular_price: price.into(),
        ..SeedProduct::default()
    }
}

fn seed_variable(
    name: &str,
    attrs: &[(&str, &[&str])],
    skus_and_values: &[(&str, &[&str])],
) -> SeedProduct {
    SeedProduct {
        name: name.into(),
        attributes: attrs
            .iter()
            .map(|(n, opts)| SeedAttribute {
                name: (*n).into(),
                options: opts.iter().map(|s| (*s).to_owned()).collect(),
            })
            .collect(),
        variations: skus_and_values
            .iter()
            .map(|(sku, values)| SeedVariation {
                sku: (*sku).into(),
                regular_price: "20".into(),
                attributes: attrs
                    .iter()
                    .zip(values.iter())
                    .map(|((n, _), v)| ((*n).to_owned(), (*v).to_owned()))
                    .collect(),
                ..SeedVariation::default()
            })
            .collect(),
        ..SeedProduct::default()
    }
}

async fn read_all(c: &WooCommerceConnector, q: &ReadQuery) -> (Vec<RemoteProduct>, Option<u64>) {
    let mut out = Vec::new();
    let mut cursor = None;
    let mut hint = None;
    for page in 0.. {
        assert!(page < 500, "read does not end");
        let p = c.read_products(q, cursor).await.expect("read page");
        if page == 0 {
            hint = p.total_hint;
        }
        out.extend(p.products);
        match p.next_cursor {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    (out, hint)
}

fn by_sku(products: &[RemoteProduct]) -> BTreeMap<String, (RemoteProduct, usize)> {
    let mut m = BTreeMap::new();
    for p in products {
        for (i, v) in p.variants.iter().enumerate() {
            m.insert(v.sku.clone(), (p.clone(), i));
        }
    }
    m
}

fn outcome_of<'a>(results: &'a [WriteResult], sku: &str) -> &'a WriteOutcome {
    &results
        .iter()
        .find(|r| r.sku == sku)
        .unwrap_or_else(|| panic!("no result for {sku}: {results:#?}"))
        .outcome
}

fn assert_no_failures(results: &[WriteResult]) {
    let failed: Vec<_> = results
        .iter()
        .filter(|r| matches!(r.outcome, WriteOutcome::Failed { .. }))
        .collect();
    assert!(failed.is_empty(), "failed items: {failed:#?}");
}

/// Bind every variant of `p` to the ids a write returned, and mark them unchanged.
fn bind(mut p: ExportProduct, results: &[WriteResult]) -> ExportProduct {
    for v in &mut p.variants {
        let ids = outcome_of(results, &v.sku).ids().cloned().expect("written");
        p.remote_id = Some(ids.product_id.clone());
        v.remote = Some(ids);
        v.changed = false;
    }
    p
}

fn writes_to<'a>(log: &'a [LoggedRequest], part: &str) -> Vec<&'a LoggedRequest> {
    log.iter()
        .filter(|r| r.method == "POST" && r.path.contains(part))
        .collect()
}

fn body_json(r: &LoggedRequest) -> Value {
    serde_json::from_str(&r.body).expect("JSON body")
}

// ---------------------------------------------------------------------------------------
// Reads

#[tokio::test]
async fn full_read_of_a_multi_page_catalog() {
    let env = env().await;
    for i in 0..25 {
        env.store
            .insert(&SeedProduct {
                name: format!("Mug {i}"),
                description: "Plain text description".into(),
                sku: format!("S-{i:03}"),
                regular_price: "10.00".into(),
                sale_price: if i % 5 == 0 {
                    "8.00".into()
                } else {
                    String::new()
                },
                weight: "0.5".into(),
                dimensions: SeedDimensions {
                    length: "10".into(),
                    width: "20".into(),
                    height: "2.5".into(),
                },
                global_unique_id: if i == 1 {
                    "4006381333931".into()
                } else {
                    String::new()
                },
                images: vec![format!("https://cdn.example.com/img/s{i}.jpg")],
                categories: vec!["Mugs".into()],
                tags: vec!["gift".into()],
                ..SeedProduct::default()
            })
            .unwrap();
    }
    env.store
        .insert(&seed_variable(
            "One size",
            &[("Size", &["M"])],
            &[("ONE-M", &["M"])],
        ))
        .unwrap();
    let sizes: Vec<String> = (1..=12).map(|n| format!("S{n}")).collect();
    let colors: Vec<String> = (1..=10).map(|n| format!("C{n}")).collect();
    let combos: Vec<(String, Vec<&str>)> = sizes
        .iter()
        .flat_map(|s| {
            colors
                .iter()
                .map(move |c| (format!("BIG-{s}-{c}"), vec![s.as_str(), c.as_str()]))
        })
        .collect();
    let size_refs: Vec<&str> = sizes.iter().map(String::as_str).collect();
    let color_refs: Vec<&str> = colors.iter().map(String::as_str).collect();
    let pairs: Vec<(&str, &[&str])> = combos
        .iter()
        .map(|(s, v)| (s.as_str(), v.as_slice()))
        .collect();
    let (big_id, _) = env
        .store
        .insert(&seed_variable(
            "Big tee",
            &[("Size", &size_refs), ("Color", &color_refs)],
            &pairs,
        ))
        .unwrap();

    // Read the first page with one connector, the rest with another (a process restart).
    let first = connector(&env, &[]);
    let q = ReadQuery::default();
    let page = first.read_products(&q, None).await.unwrap();
    assert_eq!(page.total_hint, Some(27));
    assert_eq!(page.products.len(), 10);
    let mut all = page.products;
    let second = connector(&env, &[]);
    let mut cursor = page.next_cursor;
    while let Some(c) = cursor {
        let p = second.read_products(&q, Some(c)).await.unwrap();
        all.extend(p.products);
        cursor = p.next_cursor;
    }
    assert_eq!(all.len(), 27);
    let ids: BTreeSet<&str> = all.iter().map(|p| p.remote_id.as_str()).collect();
    assert_eq!(ids.len(), 27, "no product twice");

    let big = all
        .iter()
        .find(|p| p.remote_id == big_id.to_string())
        .unwrap();
    assert_eq!(big.options, vec!["Size", "Color"]);
    assert_eq!(big.variants.len(), 120);
    let skus: BTreeSet<&str> = big.variants.iter().map(|v| v.sku.as_str()).collect();
    assert_eq!(skus.len(), 120);
    let v = big.variants.iter().find(|v| v.sku == "BIG-S7-C3").unwrap();
    assert_eq!(v.option_values, vec!["S7", "C3"]);
    assert_eq!(v.price, Some(dec("20")));

    let index = by_sku(&all);
    let (one, _) = &index["ONE-M"];
    assert_eq!(one.options, vec!["Size"]);
    assert_eq!(one.variants.len(), 1);

    let (s0, _) = &index["S-000"];
    let v0 = &s0.variants[0];
    assert_eq!(
        (v0.price, v0.compare_at_price),
        (Some(dec("8")), Some(dec("10")))
    );
    assert_eq!(v0.weight, Some(grams("500")));
    assert_eq!(
        (v0.length, v0.width, v0.height),
        (Some(mm("100")), Some(mm("200")), Some(mm("25")))
    );
    assert_eq!(
        v0.remote_id, s0.remote_id,
        "a simple product is its own variant"
    );
    assert_eq!(s0.product_type, "Mugs");
    assert_eq!(s0.tags, vec!["gift"]);
    assert_eq!(s0.status, ProductStatus::Active);
    assert_eq!(
        s0.description_html, "Plain text description",
        "read raw (context=edit), not wpautop'd"
    );
    assert!(
        s0.images[0].contains("/wp-content/uploads/"),
        "{:?}",
        s0.images
    );
    assert!(s0.options.is_empty());
    let (s1, _) = &index["S-001"];
    assert_eq!(s1.variants[0].barcode.as_deref(), Some("4006381333931"));
    assert_eq!(s1.variants[0].compare_at_price, None);

    let log = env.store.log();
    let product_reads: Vec<_> = log
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/wc/v3/products"))
        .collect();
    assert!(product_reads.len() >= 3, "several pages");
    assert!(
        product_reads
            .iter()
            .all(|r| r.query.contains("per_page=10") && r.query.contains("context=edit")),
        "{product_reads:#?}"
    );
    let big_pages = log
        .iter()
        .filter(|r| r.path.ends_with(&format!("/products/{big_id}/variations")))
        .count();
    assert_eq!(big_pages, 2, "120 variations take two pages of 100");
    assert_eq!(
        log.iter()
            .filter(|r| r.path.ends_with("/settings/products"))
            .count(),
        2,
        "units are read once per connector"
    );
}

#[tokio::test]
async fn changed_since_catches_product_and_variation_only_edits() {
    for global_route in [true, false] {
        let t0 = Utc.with_ymd_and_hms(2024, 5, 1, 8, 0, 0).unwrap();
        let clock = SimClock::manual(t0);
        let env = env_with(
            StoreSettings {
                global_variations_route: global_route,
                ..StoreSettings::default()
            },
            clock.clone(),
        )
        .await;
        let mut simple_ids = Vec::new();
        for i in 0..12 {
            simple_ids.push(
                env.store
                    .insert(&seed_simple(&format!("S-{i}"), "10"))
                    .unwrap()
                    .0,
            );
        }
        let mut parents = Vec::new();
        for n in 0..3 {
            let skus: Vec<String> = ["S", "M", "L"]
                .iter()
                .map(|s| format!("P{n}-{s}"))
                .collect();
            let pairs: Vec<(&str, &[&str])> = skus
                .iter()
                .zip([["S"], ["M"], ["L"]].iter())
                .map(|(sku, v)| (sku.as_str(), &v[..]))
                .collect();
            parents.push(
                env.store
                    .insert(&seed_variable(
                        &format!("Tee {n}"),
                        &[("Size", &["S", "M", "L"])],
                        &pairs,
                    ))
                    .unwrap(),
            );
        }
        clock.advance(chrono::Duration::hours(1));
        let since = clock.now();
        // An edit in the very second the read starts from is included.
        assert!(
            env.store
                .edit(simple_ids[3], true, |p| p.regular_price = "99".into())
        );
        clock.advance(chrono::Duration::seconds(30));
        // A variation-only edit: its parent's date does not move.
        let (p1, p1_vars) = &parents[1];
        assert!(
            env.store
                .edit(p1_vars[1], true, |p| p.regular_price = "77".into())
        );
        assert_eq!(env.store.post(*p1).unwrap().date_modified, t0);
        // A stock-style edit that bumps nothing cannot be seen by any changed-since read.
        assert!(
            env.store
                .edit(simple_ids[5], false, |p| p.sale_price = "1".into())
        );

        let c = connector(&env, &[("page_size", "3")]);
        let (got, _) = read_all(
            &c,
            &ReadQuery {
                changed_since: Some(since),
            },
        )
        .await;
        let ids: BTreeSet<String> = got.iter().map(|p| p.remote_id.clone()).collect();
        let expected: BTreeSet<String> = [simple_ids[3], *p1].iter().map(u64::to_string).collect();
        assert_eq!(ids, expected, "global_route={global_route}");
        let tee = got.iter().find(|p| p.remote_id == p1.to_string()).unwrap();
        assert_eq!(tee.variants.len(), 3, "the whole product comes back");
        let m = tee.variants.iter().find(|v| v.sku == "P1-M").unwrap();
        assert_eq!(m.price, Some(dec("77")));
        assert_eq!(tee.updated_at, Some(t0 + chrono::Duration::seconds(3630)));
        let s3 = got
            .iter()
            .find(|p| p.remote_id == simple_ids[3].to_string())
            .unwrap();
        assert_eq!(s3.variants[0].price, Some(dec("99")));

        let log = env.store.log();
        let used_global = log
            .iter()
            .any(|r| r.path.ends_with("/wc/v3/variations") && r.status == 200);
        let swept = log
            .iter()
            .any(|r| r.path.ends_with("/products") && r.query.contains("type=variable"));
        assert_eq!(used_global, global_route);
        assert_eq!(swept, !global_route);
        assert!(
            log.iter()
                .filter(|r| r.path.ends_with("/products") && r.query.contains("modified_after"))
                .all(|r| r.query.contains("dates_are_gmt=true")
                    && r.query.contains("modified_after=2024-05-01T08%3A59%3A59")),
            "modified_after is one second before `since`, in GMT"
        );
    }
}

#[tokio::test]
async fn find_by_skus_returns_whole_products_for_product_and_variation_skus() {
    let env = env().await;
    let (simple_id, _) = env.store.insert(&seed_simple("FIND-1", "5")).unwrap();
    let (tee, _) = env
        .store
        .insert(&seed_variable(
            "Tee",
            &[("Size", &["S", "M"])],
            &[("FIND-S", &["S"]), ("FIND-M", &["M"])],
        ))
        .unwrap();
    env.store.insert(&seed_simple("OTHER", "5")).unwrap();
    let c = connector(&env, &[]);
    let found = c
        .find_by_skus(&["find-1".into(), "FIND-M".into(), "MISSING".into()])
        .await
        .unwrap();
    let ids: BTreeSet<String> = found.iter().map(|p| p.remote_id.clone()).collect();
    assert_eq!(ids, [simple_id, tee].iter().map(u64::to_string).collect());
    let t = found
        .iter()
        .find(|p| p.remote_id == tee.to_string())
        .unwrap();
    assert_eq!(t.variants.len(), 2);
}

// ---------------------------------------------------------------------------------------
// Writes

fn tee() -> ExportProduct {
    product(
        "p-tee",
        "Tee",
        &["Size", "Color"],
        vec![
            variant("v-s-blk", "TEE-S-BLK", "19.99", &["S", "Black"]),
            variant("v-m-blk", "TEE-M-BLK", "19.99", &["M", "Black"]),
            variant("v-m-wht", "TEE-M-WHT", "21.00", &["M", "White"]),
        ],
    )
}

fn mug() -> ExportProduct {
    let mut p = simple("p-mug", "MUG-1", "12.50");
    p.title = "Mug".into();
    p.images = vec!["https://cdn.example.com/img/mug.jpg".into()];
    let v = &mut p.variants[0];
    v.compare_at_price = Some(dec("15"));
    v.barcode = Some("4006381333931".into());
    v.weight = Some(grams("350"));
    v.length = Some(mm("95"));
    v.width = Some(mm("80"));
    v.height = Some(mm("110"));
    p
}

#[tokio::test]
async fn creates_simple_and_variable_products_then_updates_them() {
    let env = env().await;
    let c = connector(&env, &[]);
    let results = c.write_products(vec![mug(), tee()]).await.unwrap();
    assert_eq!(results.len(), 4);
    assert!(
        results
            .iter()
            .all(|r| matches!(r.outcome, WriteOutcome::Created(_))),
        "{results:#?}"
    );
    let mug_ids = outcome_of(&results, "MUG-1").ids().unwrap().clone();
    assert_eq!(mug_ids.product_id, mug_ids.variant_id);
    let tee_ids: Vec<RemoteIds> = ["TEE-S-BLK", "TEE-M-BLK", "TEE-M-WHT"]
        .iter()
        .map(|s| outcome_of(&results, s).ids().unwrap().clone())
        .collect();
    assert!(
        tee_ids
            .iter()
            .all(|i| i.product_id == tee_ids[0].product_id && i.variant_id != i.product_id)
    );

    let m = env.store.post(mug_ids.product_id.parse().unwrap()).unwrap();
    assert_eq!(m.product_type, "simple");
    assert_eq!(
        (m.regular_price.as_str(), m.sale_price.as_str()),
        ("15", "12.50")
    );
    assert_eq!(m.weight, "0.35", "350 g in a kg store");
    assert_eq!(
        (m.length.as_str(), m.width.as_str(), m.height.as_str()),
        ("9.5", "8", "11")
    );
    assert_eq!(m.global_unique_id, "4006381333931");
    assert_eq!(m.image_ids.len(), 1);
    let parent = env
        .store
        .post(tee_ids[0].product_id.parse().unwrap())
        .unwrap();
    assert_eq!(parent.product_type, "variable");
    assert_eq!(parent.sku, "", "the parent carries no SKU");
    let attrs: Vec<(String, Vec<String>, bool)> = parent
        .attributes
        .iter()
        .map(|a| (a.name.clone(), a.options.clone(), a.variation))
        .collect();
    assert_eq!(
        attrs,
        vec![
            ("Size".into(), vec!["S".into(), "M".into()], true),
            ("Color".into(), vec!["Black".into(), "White".into()], true)
        ]
    );
    let white = env
        .store
        .post(tee_ids[2].variant_id.parse().unwrap())
        .unwrap();
    assert_eq!(white.post_type, PostType::Variation);
    let options: Vec<&str> = white
        .variation_attributes
        .iter()
        .map(|a| a.option.as_str())
        .collect();
    assert_eq!(options, vec!["M", "White"]);
    assert_eq!(white.regular_price, "21.00");

    // Update: a new title, one changed variation.
    let mut again = bind(tee(), &results);
    again.title = "Tee (2024)".into();
    again.variants[1].price = Some(dec("17.50"));
    again.variants[1].changed = true;
    let untouched_before = env
        .store
        .post(tee_ids[0].variant_id.parse().unwrap())
        .unwrap();
    let results2 = c.write_products(vec![again]).await.unwrap();
    assert_eq!(
        results2.len(),
        1,
        "one result per changed variant: {results2:#?}"
    );
    assert_eq!(
        outcome_of(&results2, "TEE-M-BLK"),
        &WriteOutcome::Updated {
            ids: tee_ids[1].clone(),
            adopted: false
        }
    );
    assert_eq!(
        env.store
            .post(tee_ids[1].variant_id.parse().unwrap())
            .unwrap()
            .regular_price,
        "17.50"
    );
    assert_eq!(
        env.store
            .post(tee_ids[0].product_id.parse().unwrap())
            .unwrap()
            .name,
        "Tee (2024)"
    );
    assert_eq!(
        env.store
            .post(tee_ids[0].variant_id.parse().unwrap())
            .unwrap(),
        untouched_before
    );
    for sku in ["MUG-1", "TEE-S-BLK", "TEE-M-BLK", "TEE-M-WHT"] {
        assert_eq!(env.store.posts_with_sku(sku).len(), 1, "{sku}");
    }
    let products = env
        .store
        .posts()
        .into_iter()
        .filter(|p| p.post_type == PostType::Product)
        .count();
    assert_eq!(products, 2);
}

#[tokio::test]
async fn adopts_records_that_already_hold_the_sku() {
    let env = env().await;
    let (existing, _) = env.store.insert(&seed_simple("ADOPT-1", "5")).unwrap();
    let (old_tee, old_vars) = env
        .store
        .insert(&seed_variable(
            "Old tee",
            &[("Size", &["S"])],
            &[("ADOPT-V1", &["S"])],
        ))
        .unwrap();
    let c = connector(&env, &[]);
    // Same SKU, other case: WooCommerce compares SKUs case-insensitively.
    let mut s = simple("p-a", "adopt-1", "9.99");
    s.title = "Adopted mug".into();
    let v = product(
        "p-v",
        "New tee",
        &["Size"],
        vec![
            variant("a", "ADOPT-V1", "30", &["S"]),
            variant("b", "ADOPT-V2", "31", &["M"]),
        ],
    );
    let results = c.write_products(vec![s, v]).await.unwrap();
    assert_no_failures(&results);
    assert_eq!(
        outcome_of(&results, "adopt-1"),
        &WriteOutcome::Updated {
            ids: RemoteIds {
                product_id: existing.to_string(),
                variant_id: existing.to_string(),
                inventory_item_id: None
            },
            adopted: true
        }
    );
    assert_eq!(
        outcome_of(&results, "ADOPT-V1"),
        &WriteOutcome::Updated {
            ids: RemoteIds {
                product_id: old_tee.to_string(),
                variant_id: old_vars[0].to_string(),
                inventory_item_id: None
            },
            adopted: true
        }
    );
    let created = outcome_of(&results, "ADOPT-V2").ids().unwrap();
    assert!(matches!(
        outcome_of(&results, "ADOPT-V2"),
        WriteOutcome::Created(_)
    ));
    assert_ne!(created.product_id, old_tee.to_string());
    let e = env.store.post(existing).unwrap();
    assert_eq!(
        (e.name.as_str(), e.regular_price.as_str()),
        ("Adopted mug", "9.99")
    );
    assert_eq!(env.store.post(old_vars[0]).unwrap().regular_price, "30");
    for sku in ["ADOPT-1", "ADOPT-V1", "ADOPT-V2"] {
        assert_eq!(env.store.posts_with_sku(sku).len(), 1, "{sku}");
    }
    // Created first, refused, then the holder updated: not looked up in advance.
    let log = env.store.log();
    let batches = writes_to(&log, "/products/batch");
    assert_eq!(body_json(batches[0])["create"][0]["sku"], "adopt-1");
    assert_eq!(body_json(batches[1])["update"][0]["id"], existing);
}

#[tokio::test]
async fn the_store_refuses_duplicate_skus() {
    let env = env().await;
    let http = reqwest::Client::new();
    let base = format!("{}/wp-json/wc/v3", env.store.site_url(&env.running));
    let post = |path: &str, body: Value| {
        http.post(format!("{base}/{path}"))
            .basic_auth(&env.key.consumer_key, Some(&env.key.consumer_secret))
            .json(&body)
            .send()
    };
    let first = post("products", json!({"name": "A", "sku": "DUP-1"}))
        .await
        .unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let dup = post("products", json!({"name": "B", "sku": "dup-1"}))
        .await
        .unwrap();
    assert_eq!(dup.status(), 400);
    let dup: Value = dup.json().await.unwrap();
    assert_eq!(dup["code"], "product_invalid_sku");
    assert_eq!(dup["message"], "Invalid or duplicated SKU.");
    assert_eq!(dup["data"]["resource_id"], first["id"]);
    assert_eq!(dup["data"]["unique_sku"], "dup-1-1");
    assert_eq!(dup["data"]["status"], 400);

    let batch: Value = post(
        "products/batch",
        json!({"create": [{"name": "C", "sku": "DUP-2"}, {"name": "D", "sku": "DUP-2"}]}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(batch["create"][0]["id"].as_u64().unwrap() > 0);
    assert_eq!(batch["create"][1]["id"], 0);
    assert_eq!(batch["create"][1]["error"]["code"], "product_invalid_sku");

    // Variations share the SKU space with products.
    let parent: Value = post(
        "products",
        json!({"name": "V", "type": "variable", "attributes": [{"name": "Size", "options": ["S"], "variation": true}]}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let pid = parent["id"].as_u64().unwrap();
    let var = post(
        &format!("products/{pid}/variations"),
        json!({"sku": "DUP-1", "attributes": [{"name": "Size", "option": "S"}]}),
    )
    .await
    .unwrap();
    assert_eq!(var.status(), 400);

    let too_many: Vec<Value> = (0..101).map(|i| json!({"name": format!("N{i}")})).collect();
    let r = post("products/batch", json!({"create": too_many}))
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let r: Value = r.json().await.unwrap();
    assert_eq!(r["code"], "woocommerce_rest_request_entity_too_large");
    assert_eq!(
        r["message"],
        "Unable to accept more than 100 items for this request."
    );

    let r = http
        .get(format!("{base}/products?per_page=101"))
        .basic_auth(&env.key.consumer_key, Some(&env.key.consumer_secret))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r: Value = r.json().await.unwrap();
    assert_eq!(r["code"], "rest_invalid_param");
    assert_eq!(
        r["data"]["params"]["per_page"],
        "per_page must be between 1 (inclusive) and 100 (inclusive)"
    );
}

#[tokio::test]
async fn one_bad_item_fails_alone_with_the_stores_message() {
    let env = env().await;
    env.store.add_bad_item(
        "BAD-2",
        "woocommerce_product_image_upload_error",
        "Error getting remote image https://cdn.example.com/bad.jpg.",
    );
    let c = connector(&env, &[]);
    let results = c
        .write_products(vec![
            simple("a", "GOOD-1", "1"),
            simple("b", "BAD-2", "2"),
            simple("c", "GOOD-3", "3"),
        ])
        .await
        .unwrap();
    assert!(matches!(
        outcome_of(&results, "GOOD-1"),
        WriteOutcome::Created(_)
    ));
    assert!(matches!(
        outcome_of(&results, "GOOD-3"),
        WriteOutcome::Created(_)
    ));
    assert_eq!(
        outcome_of(&results, "BAD-2"),
        &WriteOutcome::Failed {
            message: "Error getting remote image https://cdn.example.com/bad.jpg.".into()
        }
    );
    assert_eq!(
        writes_to(&env.store.log(), "products/batch").len(),
        1,
        "one batch, no retries"
    );
}

#[tokio::test]
async fn a_lower_batch_limit_is_learned_from_the_413() {
    let env = env().await;
    env.store.update_settings(|s| s.batch_limit = 4);
    let c = connector(&env, &[]);
    let products: Vec<ExportProduct> = (0..10)
        .map(|i| simple(&format!("k{i}"), &format!("LIM-{i}"), "1"))
        .collect();
    let results = c.write_products(products).await.unwrap();
    assert_no_failures(&results);
    assert_eq!(results.len(), 10);
    let log = env.store.log();
    let batches = writes_to(&log, "products/batch");
    assert_eq!(batches.iter().filter(|r| r.status == 413).count(), 1);
    assert!(
        batches
            .iter()
            .filter(|r| r.status == 200)
            .all(|r| body_json(r)["create"].as_array().unwrap().len() <= 4)
    );
}

#[tokio::test]
async fn a_parent_whose_variations_all_fail_is_not_left_behind() {
    let env = env().await;
    for sku in ["LONE-S", "LONE-M"] {
        env.store.add_bad_item(
            sku,
            "woocommerce_variation_invalid_image_id",
            "#0 is an invalid image ID.",
        );
    }
    let c = connector(&env, &[]);
    let lonely = product(
        "p-lonely",
        "Lonely",
        &["Size"],
        vec![
            variant("a", "LONE-S", "1", &["S"]),
            variant("b", "LONE-M", "1", &["M"]),
        ],
    );
    let results = c.write_products(vec![lonely]).await.unwrap();
    assert!(results.iter().all(|r| r.outcome
        == WriteOutcome::Failed {
            message: "#0 is an invalid image ID.".into()
        }));
    assert!(
        env.store.posts().iter().all(|p| p.name != "Lonely"),
        "the empty parent was removed"
    );
}

#[tokio::test]
async fn a_product_deleted_in_woocommerce_is_not_recreated() {
    let env = env().await;
    let c = connector(&env, &[]);
    let results = c.write_products(vec![tee()]).await.unwrap();
    let mut again = bind(tee(), &results);
    again.variants[0].changed = true;
    let parent: u64 = again.remote_id.as_deref().unwrap().parse().unwrap();
    assert!(env.store.edit(parent, true, |p| p.status = "trash".into()));
    let results = c.write_products(vec![again]).await.unwrap();
    match outcome_of(&results, "TEE-S-BLK") {
        WriteOutcome::Failed { message } => assert!(message.contains("was not found"), "{message}"),
        other => panic!("{other:?}"),
    }
    let live = env
        .store
        .posts()
        .into_iter()
        .filter(|p| p.post_type == PostType::Product && p.status != "trash")
        .count();
    assert_eq!(live, 0);
}

// ---------------------------------------------------------------------------------------
// Throttling and failures

#[tokio::test]
async fn throttling_slows_the_connector_down_and_every_item_gets_written() {
    let env = env().await;
    env.store.push_fault(
        FaultScope::Reads,
        Fault::ServiceUnavailable {
            retry_after: Some("1".into()),
        },
        1,
    );
    env.store.push_fault(
        FaultScope::Writes,
        Fault::TooManyRequests {
            retry_after: Some("1".into()),
        },
        2,
    );
    let c = connector(&env, &[("requests_per_second", "20")]);
    let products: Vec<ExportProduct> = (0..30)
        .map(|i| simple(&format!("k{i}"), &format!("T-{i:02}"), "5"))
        .collect();
    let started = Instant::now();
    let results = c.write_products(products).await.unwrap();
    assert_eq!(results.len(), 30);
    assert_no_failures(&results);
    assert!(
        started.elapsed() >= Duration::from_millis(2900),
        "{:?}",
        started.elapsed()
    );
    let log = env.store.log();
    for (i, r) in log
        .iter()
        .enumerate()
        .filter(|(_, r)| r.status == 429 || r.status == 503)
    {
        let next = &log[i + 1];
        let gap = next.received_at - r.received_at;
        assert!(
            gap >= chrono::Duration::milliseconds(950),
            "Retry-After honoured: {gap:?}"
        );
    }
    // Still slower than the configured 50 ms spacing right after being throttled.
    let (_, _) = read_all(&c, &ReadQuery::default()).await;
    let log = env.store.log();
    let reads: Vec<&LoggedRequest> = log
        .iter()
        .rev()
        .filter(|r| r.method == "GET")
        .take(2)
        .collect();
    let gap = reads[0].received_at - reads[1].received_at;
    assert!(
        gap >= chrono::Duration::milliseconds(90),
        "adaptive pace: {gap:?}"
    );
    for i in 0..30 {
        assert_eq!(env.store.posts_with_sku(&format!("T-{i:02}")).len(), 1);
    }
}

#[tokio::test]
async fn server_errors_and_timeouts_after_commit_never_duplicate() {
    let env = env().await;
    let c = connector(&env, &[("timeout_seconds", "0.5")]);

    // The proxy loses the answer after the batch was saved.
    env.store.push_fault(
        FaultScope::Writes,
        Fault::ErrorAfterCommit { status: 502 },
        1,
    );
    let results = c
        .write_products(vec![simple("a", "AMB-1", "1"), simple("b", "AMB-2", "2")])
        .await
        .unwrap();
    for sku in ["AMB-1", "AMB-2"] {
        assert!(
            matches!(
                outcome_of(&results, sku),
                WriteOutcome::Updated { adopted: true, .. }
            ),
            "{results:#?}"
        );
        assert_eq!(env.store.posts_with_sku(sku).len(), 1);
    }

    // The parent create is saved but the answer comes after the client gave up.
    env.store.push_fault(
        FaultScope::Writes,
        Fault::TimeoutAfterCommit { stall_ms: 1500 },
        1,
    );
    let hoodie = product(
        "p-hoodie",
        "Hoodie",
        &["Size"],
        vec![
            variant("h1", "HOOD-S", "40", &["S"]),
            variant("h2", "HOOD-M", "40", &["M"]),
            variant("h3", "HOOD-L", "40", &["L"]),
        ],
    );
    let results = c.write_products(vec![hoodie]).await.unwrap();
    assert!(
        results
            .iter()
            .all(|r| matches!(r.outcome, WriteOutcome::Created(_))),
        "{results:#?}"
    );
    let hoodies: Vec<_> = env
        .store
        .posts()
        .into_iter()
        .filter(|p| p.post_type == PostType::Product && p.name == "Hoodie")
        .collect();
    assert_eq!(hoodies.len(), 1, "one parent");
    assert_eq!(
        outcome_of(&results, "HOOD-S").ids().unwrap().product_id,
        hoodies[0].id.to_string()
    );

    // A variations batch times out after saving.
    env.store.push_fault(
        FaultScope::WritesTo("variations/batch".into()),
        Fault::TimeoutAfterCommit { stall_ms: 1500 },
        1,
    );
    let cap = product(
        "p-cap",
        "Cap",
        &["Color"],
        vec![
            variant("c1", "CAP-RED", "9", &["Red"]),
            variant("c2", "CAP-BLU", "9", &["Blue"]),
        ],
    );
    let results = c.write_products(vec![cap]).await.unwrap();
    assert_no_failures(&results);
    for sku in ["CAP-RED", "CAP-BLU"] {
        assert!(matches!(
            outcome_of(&results, sku),
            WriteOutcome::Updated { adopted: true, .. }
        ));
        assert_eq!(env.store.posts_with_sku(sku).len(), 1);
    }

    // A 500 before anything was saved: looked up, found nothing, created once.
    env.store
        .push_fault(FaultScope::Writes, Fault::ServerError { status: 500 }, 1);
    let results = c
        .write_products(vec![simple("d", "AMB-3", "3")])
        .await
        .unwrap();
    assert!(matches!(
        outcome_of(&results, "AMB-3"),
        WriteOutcome::Created(_)
    ));
    assert_eq!(env.store.posts_with_sku("AMB-3").len(), 1);

    // Saved, yet answered "Invalid or duplicated SKU." (WooCommerce #28095).
    env.store
        .push_fault(FaultScope::Writes, Fault::InvalidSkuAfterCommit, 1);
    let results = c
        .write_products(vec![simple("e", "AMB-4", "4")])
        .await
        .unwrap();
    assert!(matches!(
        outcome_of(&results, "AMB-4"),
        WriteOutcome::Updated { adopted: true, .. }
    ));
    assert_eq!(env.store.posts_with_sku("AMB-4").len(), 1);

    // Reads ride out 5xx answers.
    env.store
        .push_fault(FaultScope::Reads, Fault::ServerError { status: 500 }, 2);
    let (all, _) = read_all(&c, &ReadQuery::default()).await;
    assert_eq!(by_sku(&all).len(), 2 + 3 + 2 + 2);
}

// ---------------------------------------------------------------------------------------
// Authentication

fn auth_message(e: ChannelError) -> String {
    match e {
        ChannelError::Authentication(m) => m,
        other => panic!("expected an authentication error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_revoked_or_wrong_key_is_an_authentication_error() {
    let env = env().await;
    let c = connector(&env, &[]);
    c.read_products(&ReadQuery::default(), None).await.unwrap();
    assert!(env.store.revoke_key(&env.key.consumer_key));
    let m = auth_message(
        c.read_products(&ReadQuery::default(), None)
            .await
            .unwrap_err(),
    );
    assert!(
        m.contains("woocommerce_rest_cannot_view") && m.contains("revoked"),
        "{m}"
    );
    let m = auth_message(
        c.write_products(vec![simple("a", "X-1", "1")])
            .await
            .unwrap_err(),
    );
    assert!(m.contains("woocommerce_rest_cannot_batch"), "{m}");
    assert_eq!(env.store.posts().len(), 0);

    let good = env.store.issue_key(KeyPermissions::ReadWrite);
    let wrong = ApiKey {
        consumer_secret: "cs_wrong".into(),
        ..good.clone()
    };
    let m = auth_message(
        connector_with(&env, &wrong, &[])
            .read_products(&ReadQuery::default(), None)
            .await
            .unwrap_err(),
    );
    assert!(m.contains("Consumer secret is invalid."), "{m}");

    let read_only = env.store.issue_key(KeyPermissions::Read);
    let ro = connector_with(&env, &read_only, &[]);
    ro.read_products(&ReadQuery::default(), None).await.unwrap();
    let m = auth_message(
        ro.write_products(vec![simple("a", "X-1", "1")])
            .await
            .unwrap_err(),
    );
    assert!(m.contains("does not have write permissions"), "{m}");
}

#[tokio::test]
async fn query_parameter_auth_works_and_never_leaks_the_key() {
    let env = env().await;
    env.store.insert(&seed_simple("Q-1", "1")).unwrap();
    let c = connector(&env, &[("auth_mode", "query")]);
    let (all, _) = read_all(&c, &ReadQuery::default()).await;
    assert_eq!(all.len(), 1);
    let log = env.store.log();
    assert!(
        log.iter().all(
            |r| r.query.contains("consumer_key=ck_") && r.query.contains("consumer_secret=cs_")
        )
    );
    // Any 12 characters of the key or secret count as a leak (a truncated message must not
    // keep half a key either).
    let leaks = |s: &str| {
        [&env.key.consumer_key, &env.key.consumer_secret]
            .iter()
            .any(|k| {
                k.as_bytes()[3..]
                    .windows(12)
                    .any(|w| s.contains(std::str::from_utf8(w).unwrap_or("")))
            })
    };

    // A firewall page that quotes the blocked URL, query string and all.
    env.store.push_fault(
        FaultScope::Reads,
        Fault::TooManyRequests {
            retry_after: Some("120".into()),
        },
        1,
    );
    let e = c
        .read_products(&ReadQuery::default(), None)
        .await
        .unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(matches!(e, ChannelError::Throttled { .. }), "{text}");
    assert!(
        text.contains("consumer_key=[redacted]") && !leaks(&text),
        "{text}"
    );

    // The connector now holds back for the 120 s the site asked for; carry on with a fresh one.
    let c = connector(&env, &[("auth_mode", "query")]);

    // A store message quoting the key.
    env.store.add_bad_item(
        "LEAK-1",
        "woocommerce_rest_product_not_created",
        &format!("Refused for key {}", env.key.consumer_key),
    );
    let results = c
        .write_products(vec![simple("a", "LEAK-1", "1")])
        .await
        .unwrap();
    let text = format!("{results:?}");
    assert!(
        text.contains("Refused for key [redacted]") && !leaks(&text),
        "{text}"
    );

    // Timeouts: reqwest's message names the URL; the query must not survive.
    env.store.push_fault(
        FaultScope::Writes,
        Fault::TimeoutAfterCommit { stall_ms: 800 },
        10,
    );
    let quick = connector(&env, &[("auth_mode", "query"), ("timeout_seconds", "0.2")]);
    let outcome = quick.write_products(vec![simple("b", "LEAK-2", "1")]).await;
    let text = format!("{outcome:?}");
    assert!(!leaks(&text), "{text}");

    env.store.clear_faults();
    assert!(env.store.revoke_key(&env.key.consumer_key));
    let e = c
        .read_products(&ReadQuery::default(), None)
        .await
        .unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(
        matches!(e, ChannelError::Authentication(_)) && !leaks(&text),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------
// Units

#[tokio::test]
async fn weights_and_dimensions_survive_both_ways_in_any_store_unit() {
    for (weight_unit, dimension_unit, mug_weight) in
        [("lbs", "in", "1"), ("kg", "cm", "0.45359237")]
    {
        let env = env_with(
            StoreSettings {
                weight_unit: weight_unit.into(),
                dimension_unit: dimension_unit.into(),
                ..StoreSettings::default()
            },
            SimClock::system(),
        )
        .await;
        let c = connector(&env, &[]);
        let mut m = simple("m", "U-MUG", "5");
        m.variants[0].weight = Some(grams("453.59237"));
        m.variants[0].length = Some(mm("25.4"));
        let mut t = product(
            "t",
            "Units tee",
            &["Size"],
            vec![
                variant("a", "U-S", "1", &["S"]),
                variant("b", "U-M", "1", &["M"]),
            ],
        );
        let dims = [("1000", "100", "3", "0.5"), ("250.5", "12.34", "1000", "7")];
        for (v, (w, l, wd, h)) in t.variants.iter_mut().zip(dims) {
            v.weight = Some(grams(w));
            v.length = Some(mm(l));
            v.width = Some(mm(wd));
            v.height = Some(mm(h));
        }
        let results = c.write_products(vec![m.clone(), t.clone()]).await.unwrap();
        assert_no_failures(&results);
        let mug_id: u64 = outcome_of(&results, "U-MUG")
            .ids()
            .unwrap()
            .product_id
            .parse()
            .unwrap();
        assert_eq!(
            env.store.post(mug_id).unwrap().weight,
            mug_weight,
            "{weight_unit}"
        );

        let (all, _) = read_all(&c, &ReadQuery::default()).await;
        let index = by_sku(&all);
        for sent in m.variants.iter().chain(&t.variants) {
            let (p, i) = &index[&sent.sku];
            let got = &p.variants[*i];
            assert_eq!(
                (got.weight, got.length, got.width, got.height),
                (sent.weight, sent.length, sent.width, sent.height),
                "{} in {weight_unit}/{dimension_unit}",
                sent.sku
            );
        }

        // Woo → techOMS → Woo: the store's own numbers come back unchanged.
        let (seeded, _) = env
            .store
            .insert(&SeedProduct {
                weight: "1.5".into(),
                dimensions: SeedDimensions {
                    length: "10.25".into(),
                    width: "0.3".into(),
                    height: "7".into(),
                },
                ..seed_simple("U-SEED", "3")
            })
            .unwrap();
        let found = c.find_by_skus(&["U-SEED".into()]).await.unwrap();
        let rv = &found[0].variants[0];
        let mut back = simple("s", "U-SEED", "3");
        back.remote_id = Some(seeded.to_string());
        let v = &mut back.variants[0];
        v.remote = Some(RemoteIds {
            product_id: seeded.to_string(),
            variant_id: seeded.to_string(),
            inventory_item_id: None,
        });
        (v.weight, v.length, v.width, v.height) = (rv.weight, rv.length, rv.width, rv.height);
        assert_no_failures(&c.write_products(vec![back]).await.unwrap());
        let p = env.store.post(seeded).unwrap();
        assert_eq!(
            (
                p.weight.as_str(),
                p.length.as_str(),
                p.width.as_str(),
                p.height.as_str()
            ),
            ("1.5", "10.25", "0.3", "7")
        );
    }
}

// ---------------------------------------------------------------------------------------
// Exact request bodies

#[tokio::test]
async fn snapshots_of_the_bodies_sent() {
    let env = env().await;
    let c = connector(&env, &[]);
    let tee = product(
        "p-tee",
        "Tee",
        &["Size"],
        vec![
            variant("v-s", "SNAP-S", "19.99", &["S"]),
            variant("v-m", "SNAP-M", "19.99", &["M"]),
        ],
    );
    let results = c.write_products(vec![mug(), tee.clone()]).await.unwrap();
    assert_no_failures(&results);
    let log = env.store.log();
    let creates = writes_to(&log, "/products/batch");
    assert_eq!(creates.len(), 1);
    insta::assert_json_snapshot!("product_batch_create", body_json(creates[0]));
    let variations = writes_to(&log, "/variations/batch");
    assert_eq!(variations.len(), 1);
    insta::assert_json_snapshot!("variations_batch_create", body_json(variations[0]));

    env.store.clear_log();
    let mut mug2 = bind(mug(), &results);
    mug2.title = "Mug, large".into();
    mug2.variants[0].price = Some(dec("13.00"));
    mug2.variants[0].changed = true;
    let mut tee2 = bind(tee, &results);
    tee2.variants[1].compare_at_price = Some(dec("25"));
    tee2.variants[1].changed = true;
    assert_no_failures(&c.write_products(vec![mug2, tee2]).await.unwrap());
    let log = env.store.log();
    let update = json!({
        "products": body_json(writes_to(&log, "/products/batch")[0]),
        "variations": body_json(writes_to(&log, "/variations/batch")[0]),
    });
    insta::assert_json_snapshot!("product_and_variation_update", update, {
        ".products.update[].id" => "[id]",
        ".variations.update[].id" => "[id]",
    });
}
