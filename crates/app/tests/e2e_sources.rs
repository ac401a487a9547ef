//! Issue #4 with the real connectors: for each Master Product Source setting, a sync leaves
//! every other enabled channel holding exactly the catalog, writes nothing to the master or to
//! a disabled channel, and a second sync writes nothing at all. Every case runs on SQLite and
//! on PostgreSQL.

mod e2e_support;

use std::collections::BTreeSet;

use e2e_support::*;
use techoms_app::catalog;
use techoms_db::Db;
use techoms_domain::{Integration, MasterProductSource, SkuKey};
use techoms_testkit::db_test;

const ALL: &[Spec<'static>] = &[
    ("Shopify", Integration::Shopify, true),
    ("Woo", Integration::WooCommerce, true),
    ("ShipBob", Integration::ShipBob, true),
    ("Extensiv", Integration::Extensiv, true),
    ("Old Woo", Integration::WooCommerce, false),
];

async fn check_source(db: Db, source: MasterProductSource, master: Option<&str>) {
    let mut e = E2e::new(db, ALL).await;
    let want: Vec<String> = match master {
        None => {
            for p in seeds::techoms_catalog() {
                catalog::create(&e.app, &e.access, &p)
                    .await
                    .unwrap_or_else(|err| panic!("{:?} is refused: {err:?}", p.title));
            }
            seeds::catalog_skus()
        }
        Some("Shopify") => {
            let shop = &e.store("Shopify").shopify().shop;
            shop.seed(&seeds::shopify_catalog()).unwrap();
            seeds::catalog_skus()
        }
        Some("Extensiv") => {
            let ext = e.store("Extensiv").extensiv();
            for item in seeds::extensiv_items() {
                ext.sim.insert_item(ext.creds.customer_id, item).unwrap();
            }
            seeds::extensiv_skus()
        }
        Some(other) => panic!("no seed for {other}"),
    };
    e.set_master(source, master).await;

    let report = e.sync(false).await;
    match master {
        None => assert!(report.import.is_none()),
        Some(_) => {
            let imp = report.import.as_ref().expect("an import from the master");
            assert_ok(imp);
            assert_eq!(imp.run.counts.created, want.len() as i64);
        }
    }
    let keys: BTreeSet<String> = e
        .catalog()
        .await
        .iter()
        .flat_map(|p| p.variants.iter().map(|v| v.sku.key().as_str().to_owned()))
        .collect();
    let want_keys: BTreeSet<String> = want
        .iter()
        .map(|s| SkuKey::of(s).as_str().to_owned())
        .collect();
    assert_eq!(keys, want_keys);

    let targets: Vec<&str> = ["Shopify", "Woo", "ShipBob", "Extensiv"]
        .into_iter()
        .filter(|c| Some(*c) != master)
        .collect();
    assert_eq!(report.exports.len(), targets.len());
    for r in &report.exports {
        assert_ok(r);
    }
    for t in &targets {
        e.assert_holds_catalog(t).await;
    }
    if let Some(m) = master {
        assert_eq!(e.store(m).writes(), 0, "the master {m} received writes");
    }
    assert_eq!(e.store("Old Woo").requests(), 0, "the disabled channel was called");

    // A second sync of an unchanged catalog writes nothing anywhere.
    let before: Vec<u64> = ALL.iter().map(|(c, _, _)| e.store(c).writes()).collect();
    let again = e.sync(false).await;
    if let Some(imp) = &again.import {
        assert_ok(imp);
        assert!(!imp.changed(), "an unchanged master changes nothing");
    }
    for r in &again.exports {
        assert_ok(r);
        assert!(!r.changed(), "{:?}", r.run.counts);
    }
    let after: Vec<u64> = ALL.iter().map(|(c, _, _)| e.store(c).writes()).collect();
    assert_eq!(before, after, "a second sync wrote to a store");
    assert_eq!(e.store("Old Woo").requests(), 0);
}

db_test!(techoms_source_reaches_every_store, async |db: Db| {
    check_source(db, MasterProductSource::Techoms, None).await;
});

db_test!(
    sales_channel_source_reaches_every_other_store,
    async |db: Db| {
        check_source(db, MasterProductSource::SalesChannel, Some("Shopify")).await;
    }
);

db_test!(
    fulfillment_channel_source_reaches_every_other_store,
    async |db: Db| {
        check_source(db, MasterProductSource::FulfillmentChannel, Some("Extensiv")).await;
    }
);
