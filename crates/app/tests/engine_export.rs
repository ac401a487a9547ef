//! Export Products: content hashes (an unchanged catalog sends nothing; work follows the
//! changes), one rejected item never stops the others, lookup before create (pre-existing
//! remote products and writes that committed then timed out are adopted, never duplicated),
//! Fatal errors. Every case runs on SQLite and on PostgreSQL.

mod engine_support;

use engine_support::*;
use rust_decimal::Decimal;
use techoms_app::engine::{EngineOptions, Level, RunStatus};
use techoms_channels::ChannelError;
use techoms_db::{Db, products};
use techoms_domain::{Clock, JobKind, Product};
use techoms_testkit::db_test;
use techoms_testkit::memory_connector::{Op, seed_product};

const ONLY_SHOP: &[Spec<'static>] = &[
    ("Shop", techoms_domain::Integration::Shopify, true),
    ("Bob", techoms_domain::Integration::ShipBob, true),
];

async fn with_catalog(db: Db, products: usize) -> World {
    let w = World::new(db, ONLY_SHOP).await;
    for i in 0..products {
        w.add_catalog_product(
            &format!("Product {i}"),
            &[&format!("P{i}-A"), &format!("P{i}-B")],
        )
        .await;
    }
    w.tick();
    w
}

/// Bump the price of some variants in the catalog, as an edit in techOMS would.
async fn reprice(w: &World, which: impl Fn(&str) -> bool) -> usize {
    let mut n = 0;
    for mut p in w.catalog().await {
        let mut touched = false;
        for v in &mut p.variants {
            if which(v.sku.as_str()) {
                v.price = v.price.map(|d| d + Decimal::ONE);
                v.updated_at = w.clock.now();
                touched = true;
                n += 1;
            }
        }
        if touched {
            products::update(w.db(), w.account, &p).await.unwrap();
        }
    }
    n
}

db_test!(
    an_unchanged_catalog_is_exported_with_zero_writes,
    async |db: Db| {
        let w = with_catalog(db, 20).await;
        let r = w.run("Shop", JobKind::ExportProducts, true).await;
        assert_ok(&r);
        assert_eq!(r.run.counts.created, 40);
        assert_eq!(
            channel_view(&w.conn("Shop")),
            catalog_view(&w.catalog().await)
        );

        let shop = w.conn("Shop");
        shop.reset_stats();
        w.tick();
        let full = w.run("Shop", JobKind::ExportProducts, true).await;
        assert_ok(&full);
        assert_eq!((full.run.counts.unchanged, full.considered), (40, 40));
        w.tick();
        let incremental = w.run("Shop", JobKind::ExportProducts, false).await;
        assert_ok(&incremental);
        assert_eq!(
            incremental.considered, 0,
            "nothing changed since the last export"
        );
        let s = shop.stats();
        assert_eq!((s.write_calls, s.find_calls, s.read_calls), (0, 0, 0));
    }
);

db_test!(
    changed_variants_cost_work_in_proportion_to_the_changes,
    async |db: Db| {
        let w = with_catalog(db, 300).await;
        assert_ok(&w.run("Shop", JobKind::ExportProducts, true).await);
        w.tick();
        let shop = w.conn("Shop");
        shop.reset_stats();
        // 10 variants changed: P0-A … P9-A.
        let n = reprice(&w, |s| s.ends_with("-A") && s.len() == 4).await;
        assert_eq!(n, 10);
        let r = w.run("Shop", JobKind::ExportProducts, false).await;
        assert_ok(&r);
        assert_eq!(r.run.counts.updated, 10);
        // Only the changed products were compared (their two variants each), not the 600.
        assert_eq!(r.considered, 20);
        let s = shop.stats();
        assert_eq!(s.variants_written(), 10);
        assert_eq!(s.find_calls, 0, "bound variants need no lookup");
        assert_eq!(channel_view(&shop), catalog_view(&w.catalog().await));
    }
);

db_test!(
    one_rejected_item_does_not_stop_the_others,
    async |db: Db| {
        let w = with_catalog(db, 5).await;
        let shop = w.conn("Shop");
        let text = "Variant P2-B: price must be greater than or equal to 0.01 (code: INVALID)";
        shop.fail_sku("P2-B", text);
        let r = w.run("Shop", JobKind::ExportProducts, true).await;
        assert_eq!(r.run.status, RunStatus::PartiallySucceeded);
        assert_eq!((r.run.counts.created, r.run.counts.failed), (9, 1));
        let errors = w.messages(&r, Some(Level::Error)).await;
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].sku.as_deref(), Some("P2-B"));
        assert!(errors[0].message.contains(text), "{:?}", errors[0].message);
        assert!(errors[0].message.contains("Shop"));
        assert_eq!(shop.variant_count(), 9);

        // Once the channel accepts it, the next incremental export sends just that one.
        shop.clear_failures();
        shop.reset_stats();
        w.tick();
        let r = w.run("Shop", JobKind::ExportProducts, false).await;
        assert_ok(&r);
        assert_eq!(r.run.counts.created, 1);
        assert_eq!(shop.stats().variants_written(), 1);
        assert_eq!(channel_view(&shop), catalog_view(&w.catalog().await));
    }
);

db_test!(
    remote_products_that_already_exist_are_adopted_not_duplicated,
    async |db: Db| {
        let w = with_catalog(db, 3).await;
        let catalog: Vec<Product> = w.catalog().await;
        let shop = w.conn("Shop");
        // P0 is already there exactly as the catalog has it; P1-A is there with another
        // price and spelled in lower case.
        let p0 = &catalog[0];
        shop.insert(techoms_channels::RemoteProduct {
            variants: p0
                .variants
                .iter()
                .map(|v| techoms_channels::RemoteVariant {
                    option_values: v.option_values.clone(),
                    barcode: v.barcode.clone(),
                    price: v.price,
                    cost: v.cost,
                    weight: v.weight,
                    ..techoms_testkit::memory_connector::seed_variant(v.sku.as_str(), 0)
                })
                .collect(),
            description_html: p0.description_html.clone(),
            tags: p0.tags.clone(),
            options: p0.options.clone(),
            ..seed_product(&p0.title, &[])
        });
        shop.insert(seed_product("Old name", &["p1-a"]));
        shop.reset_stats();
        let r = w.run("Shop", JobKind::ExportProducts, true).await;
        assert_ok(&r);
        assert_eq!(shop.variant_count(), 6, "no duplicate was created");
        assert_eq!(
            (
                r.run.counts.created,
                r.run.counts.updated,
                r.run.counts.unchanged
            ),
            (3, 1, 2)
        );
        assert_eq!(shop.stats().variants_written(), 4);
        let info = w.messages(&r, Some(Level::Info)).await;
        assert!(info[0].message.starts_with("3 variant(s)"), "{info:?}");
        assert_eq!(channel_view(&shop), catalog_view(&w.catalog().await));
    }
);

db_test!(
    a_write_that_committed_then_timed_out_is_not_repeated,
    async |db: Db| {
        let w = with_catalog(db, 6).await;
        let shop = w.conn("Shop");
        shop.commit_then_timeout(2);
        let r = w.run("Shop", JobKind::ExportProducts, true).await;
        assert_ok(&r);
        assert_eq!(shop.variant_count(), 12, "each SKU created once");
        assert_eq!(channel_view(&shop), catalog_view(&w.catalog().await));

        // No retry left: the run stops after a write that did commit, before its bindings
        // were stored (as after a crash). A fresh run binds what is there instead of
        // creating it again.
        let bob = w.conn("Bob");
        bob.commit_then_timeout(1);
        let once = EngineOptions {
            max_attempts: 1,
            ..opts()
        };
        let r = w
            .run_with("Bob", JobKind::ExportProducts, true, &once)
            .await;
        assert_eq!(r.run.status, RunStatus::Failed);
        assert!(r.fatal.as_ref().is_some_and(|f| f.retryable));
        assert!(bob.variant_count() > 0, "the first batch was committed");
        let r = w.run("Bob", JobKind::ExportProducts, true).await;
        assert_ok(&r);
        assert_eq!(bob.variant_count(), 12);
        assert_eq!(channel_view(&bob), catalog_view(&w.catalog().await));
    }
);

db_test!(
    throttled_writes_are_retried_and_refused_credentials_stop_the_run,
    async |db: Db| {
        let w = with_catalog(db, 4).await;
        let shop = w.conn("Shop");
        shop.fail_next(
            Op::Write,
            2,
            ChannelError::Throttled {
                retry_after: std::time::Duration::from_millis(5),
                message: "Throttled".into(),
            },
        );
        let r = w.run("Shop", JobKind::ExportProducts, true).await;
        assert_ok(&r);
        assert_eq!(shop.variant_count(), 8);

        let bob = w.conn("Bob");
        bob.set_auth_failure(true);
        let r = w.run("Bob", JobKind::ExportProducts, true).await;
        assert_eq!(r.run.status, RunStatus::Failed);
        let f = r.fatal.clone().expect("fatal");
        assert!(!f.retryable);
        let fatal = w.messages(&r, Some(Level::Fatal)).await;
        assert_eq!(fatal.len(), 1);
        assert!(fatal[0].message.contains("Invalid API key"), "{fatal:?}");
        assert_eq!(bob.variant_count(), 0);
    }
);
