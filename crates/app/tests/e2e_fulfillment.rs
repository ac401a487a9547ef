//! End to end with the engine and the real fulfillment connectors against the ShipBob and
//! Extensiv simulators (with Shopify and WooCommerce on the other side): units survive to the
//! precision the connectors state, and a Master Product Source switch on a live account
//! duplicates nothing anywhere. Every case runs on SQLite and on PostgreSQL.

mod e2e_support;

use std::collections::BTreeSet;
use std::str::FromStr;

use e2e_support::*;
use rust_decimal::Decimal;
use serde_json::json;
use techoms_app::AppError;
use techoms_app::master_source;
use techoms_db::Db;
use techoms_domain::{
    Integration, JobKind, JobPeriod, LengthUnit, MasterProductSource, MasterSetting, SkuKey,
    WeightUnit,
};
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

async fn catalog_variant(e: &E2e, sku: &str) -> techoms_domain::Variant {
    e.catalog()
        .await
        .into_iter()
        .flat_map(|p| p.variants)
        .find(|v| v.sku.as_str() == sku)
        .unwrap_or_else(|| panic!("{sku} is not in the catalog"))
}

fn num(v: &serde_json::Value) -> Decimal {
    match v {
        serde_json::Value::String(s) => dec(s),
        other => dec(&other.to_string()),
    }
}

// Issue #6: ShipBob as Master Product Source, Shopify and Extensiv receiving the catalog.
db_test!(shipbob_master_to_shopify_and_extensiv, async |db: Db| {
    let mut e = E2e::new(
        db,
        &[
            ("ShipBob", Integration::ShipBob, true),
            ("Shopify", Integration::Shopify, true),
            ("Extensiv", Integration::Extensiv, true),
        ],
    )
    .await;
    let bob = e.store("ShipBob").shipbob();
    let (sim, user) = (bob.sim.clone(), bob.merchant.user_id);
    for body in seeds::shipbob_catalog() {
        sim.create_product(user, &body).unwrap();
    }
    e.set_master(MasterProductSource::FulfillmentChannel, Some("ShipBob"))
        .await;

    let report = e.sync(false).await;
    assert_ok(report.import.as_ref().expect("an import from ShipBob"));
    assert_eq!(catalog_keys(&e).await, keys(&seeds::shipbob_skus()));
    // Ounces and inches arrive exactly: 8.125 oz, 6.125 × 4.5 × 2.25 in.
    let cof = catalog_variant(&e, "COF-8OZ").await;
    assert_eq!(
        cof.weight.unwrap().grams(),
        dec("8.125") * WeightUnit::Oz.grams()
    );
    assert_eq!(cof.length.unwrap().mm(), dec("155.575"));
    assert_eq!(cof.width.unwrap().mm(), dec("114.3"));
    assert_eq!(cof.height.unwrap().mm(), dec("57.15"));
    assert_eq!(cof.option_values, ["8oz"]);

    assert_eq!(report.exports.len(), 2);
    for r in &report.exports {
        assert_ok(r);
    }
    e.assert_holds_catalog("Shopify").await;
    e.assert_holds_catalog("Extensiv").await;
    // What the stores hold, in their own units: Extensiv pounds/inches to 4 decimals,
    // Shopify kilograms to 5.
    let ext = e.store("Extensiv").extensiv();
    let item = ext
        .sim
        .item_by_sku(ext.creds.customer_id, "COF-8OZ")
        .unwrap();
    let imperial = &item["options"]["packageUnit"]["imperial"];
    assert_eq!(num(&imperial["weight"]), dec("0.5078"), "{item}");
    assert_eq!(num(&imperial["length"]), dec("6.125"));
    assert_eq!(num(&imperial["height"]), dec("2.25"));
    let shop = e.store("Shopify").shopify().shop.clone();
    let (pid, _) = shop.variants_with_sku("COF-8OZ").remove(0);
    let product = shop.product(&pid).unwrap();
    let v = product
        .variants
        .iter()
        .find(|v| v.sku == "COF-8OZ")
        .unwrap();
    let (value, unit) = v.weight.clone().unwrap();
    assert_eq!(
        techoms_domain::Weight::new(value, unit.parse().unwrap_or(WeightUnit::Kg))
            .to_unit(WeightUnit::Kg, 5),
        dec("0.23034")
    );
    assert_eq!(product.variants.len(), 4);
    assert_eq!(e.store("ShipBob").writes(), 0, "the master received writes");

    // Nothing changed: nothing written.
    let (shop_w, ext_w) = (e.store("Shopify").writes(), e.store("Extensiv").writes());
    let again = e.sync(false).await;
    assert!(!again.import.as_ref().unwrap().changed());
    assert_eq!(e.store("Shopify").writes(), shop_w);
    assert_eq!(e.store("Extensiv").writes(), ext_w);

    // A weight and dimension edit at ShipBob reaches both with an incremental sync.
    sim.edit_variant(
        user,
        "MUG-3",
        &json!({"weight": 20.0625, "dimension": {"length": 5.5, "width": 3.2, "height": 7.5}}),
        true,
    )
    .unwrap();
    let third = e.sync(false).await;
    assert_eq!(third.import.as_ref().unwrap().run.counts.updated, 1);
    for r in &third.exports {
        assert_ok(r);
        assert_eq!(r.run.counts.updated, 1, "{:?}", r.run.counts);
    }
    // Past the watermark the seeded catalog is no longer read; a change is.
    e.tick();
    sim.edit_variant(user, "COF-2LB", &json!({"weight": 32.015625}), true)
        .unwrap();
    let fourth = e.sync(false).await;
    let imp = fourth.import.as_ref().unwrap();
    assert_eq!(imp.run.counts.updated, 1, "{:?}", imp.run.counts);
    assert!(
        imp.considered < seeds::shipbob_skus().len() as u64,
        "{}",
        imp.considered
    );
    for r in &fourth.exports {
        assert_ok(r);
        assert_eq!(r.run.counts.updated, 1, "{:?}", r.run.counts);
    }
    let cof = catalog_variant(&e, "COF-2LB").await;
    assert_eq!(
        cof.weight.unwrap().to_unit(WeightUnit::Oz, 6),
        dec("32.015625")
    );
    let mug = catalog_variant(&e, "MUG-3").await;
    assert_eq!(
        mug.weight.unwrap().to_unit(WeightUnit::Oz, 6),
        dec("20.0625")
    );
    assert_eq!(mug.length.unwrap().to_unit(LengthUnit::In, 6), dec("5.5"));
    e.assert_holds_catalog("Shopify").await;
    e.assert_holds_catalog("Extensiv").await;
    assert_eq!(e.store("ShipBob").writes(), 0);
});

// Issue #6: Shopify as Master Product Source, ShipBob and Extensiv receiving the catalog
// (the 120-variant product becomes one ShipBob product and 120 Extensiv items).
db_test!(shopify_master_to_shipbob_and_extensiv, async |db: Db| {
    let mut e = E2e::new(
        db,
        &[
            ("Shopify", Integration::Shopify, true),
            ("ShipBob", Integration::ShipBob, true),
            ("Extensiv", Integration::Extensiv, true),
        ],
    )
    .await;
    let shop = e.store("Shopify").shopify().shop.clone();
    shop.seed(&seeds::shopify_catalog()).unwrap();
    e.set_master(MasterProductSource::SalesChannel, Some("Shopify"))
        .await;

    let report = e.sync(false).await;
    assert_ok(report.import.as_ref().unwrap());
    assert_eq!(catalog_keys(&e).await, keys(&seeds::catalog_skus()));
    for r in &report.exports {
        assert_ok(r);
    }
    e.assert_holds_catalog("ShipBob").await;
    e.assert_holds_catalog("Extensiv").await;
    let bob = e.store("ShipBob").shipbob();
    assert_eq!(
        bob.sim.product_count(bob.merchant.user_id),
        2 + seeds::SINGLES
    );
    let ext = e.store("Extensiv").extensiv();
    assert_eq!(
        ext.sim.items(ext.creds.customer_id).len(),
        seeds::catalog_skus().len()
    );
    assert_eq!(e.store("Shopify").writes(), 0, "the master received writes");

    let (bob_w, ext_w) = (e.store("ShipBob").writes(), e.store("Extensiv").writes());
    let again = e.sync(false).await;
    assert!(!again.import.as_ref().unwrap().changed());
    assert_eq!(
        e.store("ShipBob").writes(),
        bob_w,
        "ShipBob was written again"
    );
    assert_eq!(
        e.store("Extensiv").writes(),
        ext_w,
        "Extensiv was written again"
    );

    // A weight edit at Shopify (one variant of the big product) reaches both.
    shop.edit_variant_by_sku("BT-07-09", true, |v| {
        v.weight = Some((dec("1.23456"), "KILOGRAMS".into()));
    });
    let third = e.sync(false).await;
    assert_eq!(third.import.as_ref().unwrap().run.counts.updated, 1);
    for r in &third.exports {
        assert_ok(r);
        assert_eq!(r.run.counts.updated, 1, "{:?}", r.run.counts);
    }
    e.assert_holds_catalog("ShipBob").await;
    e.assert_holds_catalog("Extensiv").await;
    assert_eq!(e.store("ShipBob").writes() - bob_w, 1);
    assert_eq!(e.store("Extensiv").writes() - ext_w, 1);

    // Past the watermark, a change to a single product is read and written alone.
    let (bob_w, ext_w) = (e.store("ShipBob").writes(), e.store("Extensiv").writes());
    e.tick();
    shop.edit_variant_by_sku("MUG-4", true, |v| v.barcode = Some("4006381999999".into()));
    let fourth = e.sync(false).await;
    let imp = fourth.import.as_ref().unwrap();
    assert_eq!(imp.run.counts.updated, 1, "{:?}", imp.run.counts);
    assert!(imp.considered <= (seeds::BIG_SIZES * seeds::BIG_COLORS + 1) as u64);
    for r in &fourth.exports {
        assert_ok(r);
        assert_eq!(r.run.counts.updated, 1, "{:?}", r.run.counts);
    }
    e.assert_holds_catalog("ShipBob").await;
    e.assert_holds_catalog("Extensiv").await;
    assert_eq!(e.store("ShipBob").writes() - bob_w, 1);
    assert_eq!(e.store("Extensiv").writes() - ext_w, 1);
    assert_eq!(e.store("Shopify").writes(), 0);
});

// Issue #4: switching the Master Product Source of a live account (Shopify → ShipBob), with
// the confirmation, then syncing: no store holds any SKU twice.
db_test!(master_switch_on_a_live_account, async |db: Db| {
    let mut e = E2e::new(
        db,
        &[
            ("Shopify", Integration::Shopify, true),
            ("ShipBob", Integration::ShipBob, true),
            ("Extensiv", Integration::Extensiv, true),
            ("Woo", Integration::WooCommerce, true),
        ],
    )
    .await;
    e.store("Shopify")
        .shopify()
        .shop
        .seed(&seeds::shopify_catalog())
        .unwrap();
    e.set_master(MasterProductSource::SalesChannel, Some("Shopify"))
        .await;
    let first = e.sync(false).await;
    assert_ok(first.import.as_ref().unwrap());
    for r in &first.exports {
        assert_ok(r);
    }
    for c in ["ShipBob", "Extensiv", "Woo"] {
        e.assert_holds_catalog(c).await;
    }

    // The merchant adds a product in ShipBob before switching.
    let bob = e.store("ShipBob").shipbob();
    bob.sim
        .create_product(
            bob.merchant.user_id,
            &json!({"name": "Gift Card Box", "type_id": 1, "variants": [
                {"sku": "GIFT-BOX", "name": "Gift Card Box", "weight": 3.5}]}),
        )
        .unwrap();

    // On a live account the switch wants a confirmation; nothing changes without it.
    let to = MasterSetting {
        source: MasterProductSource::FulfillmentChannel,
        channel_id: Some(e.ch("ShipBob").id),
    };
    match master_source::change(&e.app, &e.access, to, false).await {
        Err(AppError::Conflict { .. }) => {}
        other => panic!("a live switch went through without confirmation: {other:?}"),
    }
    e.refresh().await;
    assert_eq!(
        e.access.account.master_product_channel_id,
        Some(e.ch("Shopify").id)
    );
    let outcome = master_source::change(&e.app, &e.access, to, true)
        .await
        .unwrap();
    e.refresh().await;
    assert!(
        outcome
            .job_changes
            .iter()
            .any(|c| c.channel_id == e.ch("ShipBob").id
                && c.job_kind == JobKind::ImportProducts
                && c.to != JobPeriod::None)
    );
    assert!(
        outcome
            .job_changes
            .iter()
            .any(|c| c.channel_id == e.ch("Shopify").id
                && c.job_kind == JobKind::ExportProducts
                && c.to != JobPeriod::None)
    );

    let report = e.sync(false).await;
    let imp = report.import.as_ref().expect("an import from ShipBob");
    assert_ok(imp);
    assert_eq!(imp.run.channel_id, e.ch("ShipBob").id);
    assert_eq!(imp.run.counts.created, 1, "{:?}", imp.run.counts);
    assert_eq!(report.exports.len(), 3);
    for r in &report.exports {
        assert_ok(r);
    }
    let mut want = seeds::catalog_skus();
    want.push("GIFT-BOX".into());
    assert_eq!(catalog_keys(&e).await, keys(&want));
    for c in ["Shopify", "ShipBob", "Extensiv", "Woo"] {
        let counts = e.store(c).sku_counts();
        for sku in &want {
            assert_eq!(count_in(&counts, sku), 1, "{c} holds {sku} other than once");
        }
    }
    for c in ["Shopify", "Extensiv", "Woo"] {
        e.assert_holds_catalog(c).await;
    }
    // And it stays so: a further sync writes nothing.
    let writes: Vec<u64> = ["Shopify", "ShipBob", "Extensiv", "Woo"]
        .iter()
        .map(|c| e.store(c).writes())
        .collect();
    let again = e.sync(false).await;
    assert!(!again.import.as_ref().unwrap().changed());
    let after: Vec<u64> = ["Shopify", "ShipBob", "Extensiv", "Woo"]
        .iter()
        .map(|c| e.store(c).writes())
        .collect();
    assert_eq!(writes, after);

    // And back to Shopify: still one record per SKU everywhere, every store the catalog.
    e.set_master(MasterProductSource::SalesChannel, Some("Shopify"))
        .await;
    let back = e.sync(false).await;
    let imp = back.import.as_ref().expect("an import from Shopify");
    assert_ok(imp);
    assert_eq!(imp.run.channel_id, e.ch("Shopify").id);
    assert_eq!(imp.run.counts.created, 0, "{:?}", imp.run.counts);
    for r in &back.exports {
        assert_ok(r);
    }
    assert_eq!(catalog_keys(&e).await, keys(&want));
    for c in ["Shopify", "ShipBob", "Extensiv", "Woo"] {
        let counts = e.store(c).sku_counts();
        for sku in &want {
            assert_eq!(count_in(&counts, sku), 1, "{c} holds {sku} other than once");
        }
    }
    for c in ["ShipBob", "Extensiv", "Woo"] {
        e.assert_holds_catalog(c).await;
    }
});
