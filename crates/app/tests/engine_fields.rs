//! Channels that hold only some fields (a 3PL has no description, prices or images): an
//! import from such a master keeps the catalog's value of every field it does not hold, and an
//! export to such a channel writes nothing when only such a field changed. Every case runs on
//! SQLite and on PostgreSQL.

mod engine_support;

use std::sync::Arc;

use engine_support::*;
use rust_decimal::Decimal;
use techoms_channels::Fields;
use techoms_db::{Db, products};
use techoms_domain::{Clock, Integration, JobKind, MasterProductSource, Weight};
use techoms_testkit::MemoryConnector;
use techoms_testkit::db_test;
use techoms_testkit::memory_connector::seed_product;

/// What a ShipBob-like 3PL holds.
const NARROW: Fields = Fields {
    title: true,
    barcode: true,
    weight: true,
    dimensions: true,
    variant_status: true,
    ..Fields::NONE
};

/// A store and a 3PL ("Bob") that holds only [`NARROW`], with a catalog of two products.
async fn world(db: Db) -> World {
    let mut w = World::new(
        db,
        &[
            ("Shop", Integration::Shopify, true),
            ("Bob", Integration::ShipBob, true),
        ],
    )
    .await;
    let bob = MemoryConnector::new("bob")
        .with_page_size(3)
        .with_batch_size(4)
        .flat(true)
        .with_fields(NARROW)
        .with_clock(Arc::new(w.clock.clone()));
    let id = w.ch("Bob").id;
    w.provider.0.insert(id, Arc::new(bob));
    w.add_catalog_product("Tent", &["TENT-1"]).await;
    w.add_catalog_product("Mat", &["MAT-1"]).await;
    w.tick();
    w
}

fn variant<'a>(catalog: &'a [techoms_domain::Product], sku: &str) -> &'a techoms_domain::Variant {
    catalog
        .iter()
        .flat_map(|p| &p.variants)
        .find(|v| v.sku.as_str() == sku)
        .unwrap_or_else(|| panic!("{sku} not in the catalog"))
}

db_test!(
    an_import_from_a_narrow_master_keeps_the_fields_it_does_not_hold,
    async |db: Db| {
        let w = world(db).await;
        assert_ok(&w.run("Bob", JobKind::ExportProducts, true).await);
        let before = w.catalog().await;
        assert!(variant(&before, "TENT-1").price.is_some());

        // The master becomes the 3PL: reading it back changes nothing.
        w.set_master(MasterProductSource::FulfillmentChannel, Some("Bob"))
            .await;
        w.tick();
        let r = w.run("Bob", JobKind::ImportProducts, true).await;
        assert_ok(&r);
        assert_eq!(
            (
                r.run.counts.created,
                r.run.counts.updated,
                r.run.counts.unchanged
            ),
            (0, 0, 2)
        );
        assert_eq!(catalog_view(&w.catalog().await), catalog_view(&before));
        for (a, b) in before.iter().zip(w.catalog().await) {
            assert_eq!(*a, b, "the catalog is untouched");
        }

        // At the 3PL, the tent's name, barcode and weight change (and a price it does not
        // hold, which must not come through).
        w.tick();
        let bob = w.conn("Bob");
        assert!(bob.edit_product_of("TENT-1", |p| p.title = "Tent XL".into()));
        assert!(bob.edit_variant("TENT-1", |v| {
            v.barcode = Some("999".into());
            v.weight = Some(Weight::from_grams(Decimal::new(2330, 0)));
            v.price = Some(Decimal::ONE);
        }));
        let r = w.run("Bob", JobKind::ImportProducts, false).await;
        assert_ok(&r);
        assert_eq!((r.run.counts.updated, r.run.counts.created), (1, 0));
        let after = w.catalog().await;
        let tent = after
            .iter()
            .find(|p| p.title == "Tent XL")
            .expect("renamed");
        let old = before.iter().find(|p| p.title == "Tent").expect("tent");
        let (v, was) = (&tent.variants[0], &old.variants[0]);
        assert_eq!(v.barcode.as_deref(), Some("999"));
        assert_eq!(v.weight, Some(Weight::from_grams(Decimal::new(2330, 0))));
        // Not held by the 3PL: as the catalog had them.
        assert_eq!(
            (v.price, v.compare_at_price, v.cost, &v.option_values),
            (
                was.price,
                was.compare_at_price,
                was.cost,
                &was.option_values
            )
        );
        assert_eq!(
            (
                &tent.description_html,
                &tent.vendor,
                &tent.tags,
                &tent.options
            ),
            (&old.description_html, &old.vendor, &old.tags, &old.options)
        );
        assert_eq!(variant(&after, "MAT-1"), variant(&before, "MAT-1"));

        // A product new to the catalog takes what the master has, empty where it holds nothing.
        w.tick();
        bob.insert(seed_product("Stove", &["STOVE-1"]));
        let r = w.run("Bob", JobKind::ImportProducts, false).await;
        assert_eq!(r.run.counts.created, 1);
        let after = w.catalog().await;
        let stove = after.iter().find(|p| p.title == "Stove").expect("created");
        assert_eq!(
            (stove.description_html.as_str(), stove.variants[0].price),
            ("", None)
        );

        // The store receives the new name, and the prices it always had.
        w.tick();
        assert_ok(&w.run("Shop", JobKind::ExportProducts, true).await);
        let shop = w.conn("Shop");
        let (_, rv) = shop
            .variants()
            .into_iter()
            .find(|(_, v)| v.sku == "TENT-1")
            .expect("exported");
        assert_eq!((rv.price, rv.barcode.as_deref()), (was.price, Some("999")));
    }
);

db_test!(
    an_edit_of_a_field_a_channel_does_not_hold_writes_nothing_to_it,
    async |db: Db| {
        let w = world(db).await;
        let r = w.run("Bob", JobKind::ExportProducts, true).await;
        assert_ok(&r);
        assert_eq!(r.run.counts.created, 2);
        let bob = w.conn("Bob");
        bob.reset_stats();

        // Description, vendor and prices change in techOMS: nothing for the 3PL.
        w.tick();
        for mut p in w.catalog().await {
            p.description_html = "<p>new</p>".into();
            p.vendor = "Other".into();
            p.updated_at = w.clock.now();
            for v in &mut p.variants {
                v.price = Some(Decimal::new(9999, 2));
                v.cost = None;
                v.updated_at = w.clock.now();
            }
            products::update(w.db(), w.account, &p).await.unwrap();
        }
        w.tick();
        let r = w.run("Bob", JobKind::ExportProducts, false).await;
        assert_ok(&r);
        assert_eq!((r.considered, r.run.counts.unchanged), (2, 2));
        assert_eq!(bob.stats().variants_written(), 0);
        assert_eq!(bob.stats().write_calls, 0);
        // The store, holding every field, receives them.
        let r = w.run("Shop", JobKind::ExportProducts, false).await;
        assert_eq!(r.run.counts.created, 2);

        // A field it holds does go out.
        w.tick();
        let mut p = w.catalog().await.remove(0);
        p.title = "Renamed".into();
        p.updated_at = w.clock.now();
        products::update(w.db(), w.account, &p).await.unwrap();
        w.tick();
        let r = w.run("Bob", JobKind::ExportProducts, false).await;
        assert_ok(&r);
        assert_eq!(r.run.counts.updated, 1);
        assert_eq!(bob.stats().variants_written(), 1);
    }
);
