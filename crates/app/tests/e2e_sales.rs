//! End to end with the engine and the real sales-channel connectors against the Shopify and
//! WooCommerce simulators: channels created through the app use cases, connectors built from
//! their settings and sealed credentials, products synced both ways. Every case runs on SQLite
//! and on PostgreSQL.

mod e2e_support;

use std::collections::BTreeSet;
use std::str::FromStr;

use e2e_support::*;
use rust_decimal::Decimal;
use serde_json::json;
use techoms_app::engine::RunStatus;
use techoms_db::runs::Level;
use techoms_db::{Db, sku_mappings};
use techoms_domain::{Clock as _, Integration, MasterProductSource, ProductStatus, Sku, SkuKey};
use techoms_testkit::db_test;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn keys(skus: &[String]) -> BTreeSet<String> {
    skus.iter()
        .map(|s| SkuKey::of(s).as_str().to_owned())
        .collect()
}

async fn catalog_keys(e: &E2e) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for p in e.catalog().await {
        for v in &p.variants {
            assert!(
                out.insert(v.sku.key().as_str().to_owned()),
                "the catalog holds {:?} twice",
                v.sku
            );
        }
    }
    out
}

/// The price of a SKU in the catalog.
async fn catalog_price(e: &E2e, sku: &str) -> Option<Decimal> {
    e.catalog()
        .await
        .iter()
        .flat_map(|p| p.variants.iter())
        .find(|v| v.sku.as_str() == sku)
        .and_then(|v| v.price)
}

/// The status of each catalog product, by title.
async fn statuses(e: &E2e) -> Vec<(String, ProductStatus)> {
    let mut out: Vec<(String, ProductStatus)> = e
        .catalog()
        .await
        .into_iter()
        .map(|p| (p.title, p.status))
        .filter(|(_, s)| *s != ProductStatus::Active)
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn draft_and_archived() -> Vec<(String, ProductStatus)> {
    vec![
        (format!("Mug {}", seeds::SINGLES - 2), ProductStatus::Draft),
        (
            format!("Mug {}", seeds::SINGLES - 1),
            ProductStatus::Archived,
        ),
    ]
}

// Issue #5: Shopify as Master Product Source, WooCommerce receiving the catalog.
db_test!(shopify_master_to_woocommerce, async |db: Db| {
    let mut e = E2e::new(
        db,
        &[
            ("Shopify", Integration::Shopify, true),
            ("Woo", Integration::WooCommerce, true),
        ],
    )
    .await;
    let shop = e.store("Shopify").shopify().shop.clone();
    shop.seed(&seeds::shopify_catalog()).unwrap();
    shop.seed(&seeds::shopify_collisions()).unwrap();
    e.set_master(MasterProductSource::SalesChannel, Some("Shopify"))
        .await;

    let report = e.sync(false).await;
    let imp = report.import.as_ref().expect("an import from Shopify");
    assert_ok(imp);

    // One catalog product per SKU key; each colliding variant skipped with a Warning naming it.
    assert_eq!(catalog_keys(&e).await, keys(&seeds::catalog_skus()));
    assert_eq!(e.catalog().await.len(), 2 + seeds::SINGLES);
    assert_eq!(statuses(&e).await, draft_and_archived());
    let warnings = e.messages(imp, Some(Level::Warning)).await;
    assert_eq!(warnings.len(), 2, "{:#?}", texts(&warnings));
    // The Warning names the SKU as Shopify spells it, trimmed (as the catalog would hold it).
    for sku in ["mug-1", "HD-M"] {
        assert!(
            warnings
                .iter()
                .any(|w| w.sku.as_deref() == Some(sku) && w.message.contains(&format!("{sku:?}"))),
            "no Warning names {sku:?}: {:#?}",
            texts(&warnings)
        );
    }
    assert_eq!(imp.run.counts.skipped, 2);

    assert_eq!(report.exports.len(), 1);
    assert_ok(&report.exports[0]);
    e.assert_holds_catalog("Woo").await;
    let woo_products = e.read_store("Woo").await;
    assert_eq!(woo_products.len(), 2 + seeds::SINGLES);
    let big = woo_products
        .iter()
        .find(|p| p.title == "Big Tee")
        .expect("the big product at WooCommerce");
    assert_eq!(big.variants.len(), seeds::BIG_SIZES * seeds::BIG_COLORS);
    assert_eq!(big.options, ["Size", "Colour"]);
    assert_eq!(e.store("Shopify").writes(), 0, "the master received writes");

    // A second sync of an unchanged master writes nothing.
    let woo_writes = e.store("Woo").writes();
    let again = e.sync(false).await;
    assert_ok(again.import.as_ref().unwrap());
    assert!(!again.import.as_ref().unwrap().changed());
    assert_ok(&again.exports[0]);
    assert_eq!(
        e.store("Woo").writes(),
        woo_writes,
        "WooCommerce was written again"
    );

    // Edits at Shopify reach WooCommerce with incremental syncs, and nothing else is
    // rewritten: first a single product's price (which moves the import watermark past the
    // seeded catalog), then one variant of the big product, read through the changed-since
    // filter.
    assert_eq!(
        shop.edit_variant_by_sku("MUG-2", true, |v| v.price = dec("99.99")),
        1
    );
    let third = e.sync(false).await;
    let imp = third.import.as_ref().unwrap();
    assert_ok(imp);
    assert_eq!(imp.run.counts.updated, 1, "{:?}", imp.run.counts);
    assert_ok(&third.exports[0]);
    assert_eq!(third.exports[0].run.counts.updated, 1);
    assert_eq!(catalog_price(&e, "MUG-2").await, Some(dec("99.99")));
    e.assert_holds_catalog("Woo").await;
    assert_eq!(e.store("Woo").writes() - woo_writes, 1);

    let woo_writes = e.store("Woo").writes();
    e.tick();
    assert_eq!(
        shop.edit_variant_by_sku("BT-03-04", true, |v| {
            v.price = dec("77.70");
            v.compare_at_price = Some(dec("88.80"));
        }),
        1
    );
    let fourth = e.sync(false).await;
    let imp = fourth.import.as_ref().unwrap();
    assert_ok(imp);
    assert_eq!(imp.run.counts.updated, 1, "{:?}", imp.run.counts);
    // The read covers the products changed since the watermark (minus the overlap): the big
    // product and MUG-2, not the whole catalog.
    assert!(
        imp.considered <= (seeds::BIG_SIZES * seeds::BIG_COLORS + 1) as u64,
        "an incremental read returned the whole catalog ({} variants)",
        imp.considered
    );
    assert_ok(&fourth.exports[0]);
    assert_eq!(fourth.exports[0].run.counts.updated, 1);
    assert_eq!(catalog_price(&e, "BT-03-04").await, Some(dec("77.70")));
    e.assert_holds_catalog("Woo").await;
    assert_eq!(e.store("Woo").writes() - woo_writes, 1);

    // A new variant with a new option value at Shopify: WooCommerce gets a new variation, and
    // the parent's attribute gains the value.
    e.tick();
    let (big_gid, _) = shop.variants_with_sku("BT-00-00").remove(0);
    let new_size = format!("Size {:02}", seeds::BIG_SIZES);
    assert!(shop.edit_product(&big_gid, true, |p| {
        let mut v = p.variants[0].clone();
        v.id = 990_001;
        v.inventory_item_id = 990_002;
        v.sku = "BT-NEW".into();
        // WooCommerce refuses a GTIN another product already has.
        v.barcode = Some("4006381999990".into());
        v.price = dec("31.00");
        v.option_values = vec![new_size.clone(), p.variants[0].option_values[1].clone()];
        p.variants.push(v);
        p.options[0].values.push(new_size.clone());
    }));
    let fifth = e.sync(false).await;
    assert_ok(fifth.import.as_ref().unwrap());
    assert_eq!(fifth.import.as_ref().unwrap().run.counts.created, 1);
    assert_ok(&fifth.exports[0]);
    assert_eq!(fifth.exports[0].run.counts.created, 1);
    e.assert_holds_catalog("Woo").await;
    let big = e
        .read_store("Woo")
        .await
        .into_iter()
        .find(|p| p.title == "Big Tee")
        .unwrap();
    assert_eq!(big.variants.len(), seeds::BIG_SIZES * seeds::BIG_COLORS + 1);

    // A product deleted at Shopify: a full sync flags it missing at master (a Warning naming
    // the SKU) and deletes nothing, neither in the catalog nor at WooCommerce.
    let (mug0, _) = shop.variants_with_sku("MUG-0").remove(0);
    assert!(shop.delete_product(&mug0));
    let woo_writes = e.store("Woo").writes();
    let full = e.sync(true).await;
    let imp = full.import.as_ref().unwrap();
    assert_ok(imp);
    let warnings = e.messages(imp, Some(Level::Warning)).await;
    assert!(
        warnings
            .iter()
            .any(|w| w.sku.as_deref() == Some("MUG-0") && w.message.contains("missing at master")),
        "{:#?}",
        texts(&warnings)
    );
    assert!(catalog_keys(&e).await.contains("mug-0"));
    assert_ok(&full.exports[0]);
    assert_eq!(
        e.store("Woo").writes(),
        woo_writes,
        "a full sync rewrote WooCommerce"
    );
    assert_eq!(e.store("Woo").count_sku("MUG-0"), 1);
    assert_eq!(e.store("Shopify").writes(), 0);
});

// Issue #5, the reverse: WooCommerce as Master Product Source, Shopify receiving the catalog.
db_test!(woocommerce_master_to_shopify, async |db: Db| {
    let mut e = E2e::new(
        db,
        &[
            ("Woo", Integration::WooCommerce, true),
            ("Shopify", Integration::Shopify, true),
        ],
    )
    .await;
    let store = e.store("Woo").woo().store.clone();
    for p in seeds::woo_catalog() {
        store.insert(&p).unwrap();
    }
    e.set_master(MasterProductSource::SalesChannel, Some("Woo"))
        .await;

    let report = e.sync(false).await;
    let imp = report.import.as_ref().expect("an import from WooCommerce");
    assert_ok(imp);
    assert_eq!(catalog_keys(&e).await, keys(&seeds::catalog_skus()));
    assert_eq!(e.catalog().await.len(), 2 + seeds::SINGLES);
    assert_eq!(statuses(&e).await, draft_and_archived());
    // Prices follow WooCommerce's sale rules: on sale, price = sale price, compare-at = regular.
    let v0 = e
        .catalog()
        .await
        .into_iter()
        .flat_map(|p| p.variants)
        .find(|v| v.sku.as_str() == "BT-00-00")
        .unwrap();
    assert_eq!(
        (v0.price, v0.compare_at_price),
        (Some(dec("17.00")), Some(dec("20.00")))
    );
    assert_ok(&report.exports[0]);
    e.assert_holds_catalog("Shopify").await;
    let shop_products = e.store("Shopify").shopify().shop.products();
    assert_eq!(shop_products.len(), 2 + seeds::SINGLES);
    assert!(
        shop_products
            .iter()
            .any(|p| p.variants.len() == seeds::BIG_SIZES * seeds::BIG_COLORS)
    );
    assert_eq!(e.store("Woo").writes(), 0, "the master received writes");

    let shop_writes = e.store("Shopify").writes();
    let again = e.sync(false).await;
    assert_ok(again.import.as_ref().unwrap());
    assert!(!again.import.as_ref().unwrap().changed());
    assert_eq!(
        e.store("Shopify").writes(),
        shop_writes,
        "Shopify was written again"
    );

    // A simple product's price reaches Shopify with an incremental sync (and moves the import
    // watermark past the seeded catalog); then a variation-only change, which WooCommerce
    // does not reflect in the parent's date, is still found by the changed-since read.
    let mug = store.posts_with_sku("MUG-2");
    store
        .edit_fields(mug[0].id, true, &json!({"regular_price": "99.99"}))
        .unwrap();
    let third = e.sync(false).await;
    let imp = third.import.as_ref().unwrap();
    assert_ok(imp);
    assert_eq!(imp.run.counts.updated, 1, "{:?}", imp.run.counts);
    assert_ok(&third.exports[0]);
    assert_eq!(third.exports[0].run.counts.updated, 1);
    assert_eq!(catalog_price(&e, "MUG-2").await, Some(dec("99.99")));

    e.tick();
    let var = store.posts_with_sku("BT-03-04");
    assert_eq!(var.len(), 1);
    store
        .edit_fields(
            var[0].id,
            true,
            &json!({"regular_price": "66.60", "sale_price": ""}),
        )
        .unwrap();
    let fourth = e.sync(false).await;
    let imp = fourth.import.as_ref().unwrap();
    assert_ok(imp);
    assert_eq!(imp.run.counts.updated, 1, "{:?}", imp.run.counts);
    assert!(
        imp.considered <= (seeds::BIG_SIZES * seeds::BIG_COLORS + 1) as u64,
        "an incremental read returned the whole catalog ({} variants)",
        imp.considered
    );
    assert_ok(&fourth.exports[0]);
    assert_eq!(fourth.exports[0].run.counts.updated, 1);
    assert_eq!(catalog_price(&e, "BT-03-04").await, Some(dec("66.60")));
    e.assert_holds_catalog("Shopify").await;
    assert!(e.store("Shopify").writes() > shop_writes);
    assert_eq!(e.store("Woo").writes(), 0);
});

// Issue #6: a disabled channel receives nothing; a store that refuses one item still gets
// the others, and the run's Error carries the store's own text.
db_test!(disabled_channel_and_one_refused_item, async |db: Db| {
    let mut e = E2e::new(
        db,
        &[
            ("Shopify", Integration::Shopify, true),
            ("Woo", Integration::WooCommerce, true),
            ("Old Woo", Integration::WooCommerce, false),
        ],
    )
    .await;
    e.store("Shopify")
        .shopify()
        .shop
        .seed(&seeds::shopify_catalog())
        .unwrap();
    let refusal = "Blocked by the store's catalog rules (simulated).";
    e.store("Woo").woo().store.add_bad_item(
        "HD-M",
        "woocommerce_rest_product_not_created",
        refusal,
    );
    e.set_master(MasterProductSource::SalesChannel, Some("Shopify"))
        .await;

    let report = e.sync(false).await;
    assert_ok(report.import.as_ref().unwrap());
    assert_eq!(
        report.exports.len(),
        1,
        "only the enabled channel is exported to"
    );
    let exp = &report.exports[0];
    assert_eq!(exp.run.channel_id, e.ch("Woo").id);
    assert_eq!(exp.run.status, RunStatus::PartiallySucceeded);
    assert_eq!(exp.run.counts.failed, 1, "{:?}", exp.run.counts);
    assert_eq!(
        exp.run.counts.created,
        seeds::catalog_skus().len() as i64 - 1,
        "{:?}",
        exp.run.counts
    );
    let errors = e.messages(exp, Some(Level::Error)).await;
    assert_eq!(errors.len(), 1, "{:#?}", texts(&errors));
    assert!(
        errors[0].message.contains(refusal) && errors[0].sku.as_deref() == Some("HD-M"),
        "{:#?}",
        texts(&errors)
    );
    let counts = e.store("Woo").sku_counts();
    for sku in seeds::catalog_skus() {
        let want = usize::from(sku != "HD-M");
        assert_eq!(
            count_in(&counts, &sku),
            want,
            "WooCommerce holds {sku} {want}×"
        );
    }
    assert_eq!(
        e.store("Old Woo").requests(),
        0,
        "the disabled channel was called"
    );

    // Once the store accepts it, the next sync sends the refused item and only it.
    e.store("Woo").woo().store.clear_faults();
    let before = e.store("Woo").writes();
    let again = e.sync(false).await;
    assert_ok(&again.exports[0]);
    assert_eq!(again.exports[0].run.counts.failed, 0);
    e.assert_holds_catalog("Woo").await;
    assert!(e.store("Woo").writes() - before <= 2);
    assert_eq!(e.store("Old Woo").requests(), 0);
});

// SKU mappings: the master spells a SKU its own way (mapped to the techOMS SKU on import), and
// the receiving store gets its own spelling (mapped on export).
db_test!(sku_mappings_on_both_sides, async |db: Db| {
    let mut e = E2e::new(
        db,
        &[
            ("Shopify", Integration::Shopify, true),
            ("Woo", Integration::WooCommerce, true),
        ],
    )
    .await;
    let shop = e.store("Shopify").shopify().shop.clone();
    shop.seed(&seeds::shopify_catalog()).unwrap();
    assert_eq!(
        shop.edit_variant_by_sku("MUG-1", false, |v| v.sku = "SHOP-MUG-1".into()),
        1
    );
    let now = e.clock.now();
    let sku = |s: &str| Sku::parse(s).unwrap();
    sku_mappings::upsert(
        e.db(),
        e.access.account.id,
        e.ch("Shopify").id,
        &[(sku("SHOP-MUG-1"), sku("MUG-1"))],
        now,
    )
    .await
    .unwrap();
    let woo_map = [("MUG-1", "WOO-MUG-1"), ("BT-05-05", "WOO-BT-0505")];
    sku_mappings::upsert(
        e.db(),
        e.access.account.id,
        e.ch("Woo").id,
        &woo_map.map(|(t, c)| (sku(c), sku(t))),
        now,
    )
    .await
    .unwrap();
    e.set_master(MasterProductSource::SalesChannel, Some("Shopify"))
        .await;

    let report = e.sync(false).await;
    assert_ok(report.import.as_ref().unwrap());
    assert_ok(&report.exports[0]);
    assert_eq!(catalog_keys(&e).await, keys(&seeds::catalog_skus()));
    e.assert_holds_catalog_mapped("Woo", &woo_map).await;
    assert_eq!(e.store("Woo").count_sku("MUG-1"), 0);
    assert_eq!(e.store("Shopify").writes(), 0);

    let woo_writes = e.store("Woo").writes();
    let again = e.sync(false).await;
    assert!(!again.import.as_ref().unwrap().changed());
    assert_eq!(e.store("Woo").writes(), woo_writes);

    // An edit of the mapped SKU at Shopify reaches its mapped spelling at WooCommerce.
    shop.edit_variant_by_sku("SHOP-MUG-1", true, |v| v.price = dec("42.42"));
    let third = e.sync(false).await;
    assert_eq!(third.import.as_ref().unwrap().run.counts.updated, 1);
    assert_eq!(third.exports[0].run.counts.updated, 1);
    assert_eq!(catalog_price(&e, "MUG-1").await, Some(dec("42.42")));
    e.assert_holds_catalog_mapped("Woo", &woo_map).await;
});
