//! Import Products: SKU keys and duplicates, binding-first matching across runs, missing at
//! master, incremental reads, checkpoints, SKU mappings, retries and Fatal errors. Every case
//! runs on SQLite and on PostgreSQL.

mod engine_support;

use std::time::Duration;

use engine_support::*;
use serde_json::Value;
use techoms_app::engine::{self, CheckpointSink, Level, NoSink, RunStatus, Trigger};
use techoms_channels::ChannelError;
use techoms_db::{Db, bindings, sku_mappings};
use techoms_domain::{JobKind, MasterProductSource, Sku};
use techoms_testkit::db_test;
use techoms_testkit::memory_connector::{Op, seed_product};

async fn shop_master(db: Db) -> World {
    let w = World::new(db, STANDARD).await;
    w.set_master(MasterProductSource::SalesChannel, Some("Shop"))
        .await;
    w
}

db_test!(
    duplicate_and_variant_skus_make_one_product_with_a_warning_each,
    async |db: Db| {
        let w = shop_master(db).await;
        let shop = w.conn("Shop");
        let first = &shop.insert(seed_product("Tee", &["ABC-1", "abc-1 "]))[0];
        let second = &shop.insert(seed_product("Tee 2", &[" Abc-1", "XYZ"]))[0];
        shop.insert(seed_product("Blank", &["  "]));
        let r = w.run("Shop", JobKind::ImportProducts, true).await;
        assert_ok(&r);
        assert_eq!(
            (
                r.run.counts.created,
                r.run.counts.skipped,
                r.run.counts.failed
            ),
            (2, 3, 0)
        );
        let catalog = w.catalog().await;
        let abc: Vec<_> = catalog
            .iter()
            .flat_map(|p| &p.variants)
            .filter(|v| v.sku.key().as_str() == "abc-1")
            .collect();
        assert_eq!(abc.len(), 1, "one variant for the key");
        assert_eq!(abc[0].sku.as_str(), "ABC-1", "the first one read wins");
        assert_eq!(catalog.len(), 2);

        let warnings = w.messages(&r, Some(Level::Warning)).await;
        assert_eq!(warnings.len(), 3, "{warnings:#?}");
        let holder = &first.variants[0].remote_id;
        let named = |rid: &str| {
            warnings
                .iter()
                .find(|m| m.remote_id.as_deref() == Some(rid))
                .unwrap_or_else(|| panic!("no warning for {rid}: {warnings:#?}"))
        };
        for (skipped, sku) in [
            (&first.variants[1].remote_id, "abc-1"),
            (&second.variants[0].remote_id, "Abc-1"),
        ] {
            let m = named(skipped);
            assert_eq!(m.sku.as_deref(), Some(sku));
            assert_eq!(m.remote_id.as_deref(), Some(skipped.as_str()));
            for needle in [sku, "Shop", skipped.as_str(), holder.as_str()] {
                assert!(
                    m.message.contains(needle),
                    "{needle} not in {:?}",
                    m.message
                );
            }
        }
        assert_eq!(
            warnings
                .iter()
                .filter(|m| m.message.contains("has no SKU"))
                .count(),
            1
        );

        // The next run skips them again, and changes nothing.
        w.tick();
        let r = w.run("Shop", JobKind::ImportProducts, false).await;
        assert_eq!((r.run.counts.unchanged, r.run.counts.skipped), (2, 3));
        assert!(!r.changed());
    }
);

db_test!(
    a_key_stays_with_its_remote_variant_until_that_one_disappears,
    async |db: Db| {
        let w = shop_master(db).await;
        let shop = w.conn("Shop");
        let old = shop.insert(seed_product("Mug", &["MUG-1"]))[0].variants[0]
            .remote_id
            .clone();
        assert_ok(&w.run("Shop", JobKind::ImportProducts, true).await);
        let vid = w.catalog().await[0].variants[0].id;

        // The merchant recreates the product at the master: the old one goes, a new remote
        // variant arrives with the same SKU.
        w.tick();
        shop.remove_variant("MUG-1");
        let new = shop.insert(seed_product("Mug", &["mug-1"]))[0].variants[0]
            .remote_id
            .clone();
        let r = w.run("Shop", JobKind::ImportProducts, true).await;
        assert_eq!(r.run.counts.skipped, 1, "still held by the bound variant");
        let warnings = w.messages(&r, Some(Level::Warning)).await;
        assert_eq!(warnings.len(), 2, "{warnings:#?}");
        assert!(warnings[0].message.contains(&old) && warnings[0].message.contains(&new));
        assert!(
            warnings[1].message.contains("missing at master"),
            "{warnings:#?}"
        );
        let b = bindings::for_variant(w.db(), w.account, vid).await.unwrap();
        assert!(b[0].missing_at_master && b[0].remote_variant_id == old);

        // Now that the first one is gone, the newcomer takes the key over: same catalog
        // variant, no duplicate.
        w.tick();
        let r = w.run("Shop", JobKind::ImportProducts, true).await;
        assert_ok(&r);
        assert_eq!(r.run.counts.skipped, 0);
        let catalog = w.catalog().await;
        assert_eq!(catalog.len(), 1);
        assert_eq!(catalog[0].variants[0].id, vid);
        assert_eq!(catalog[0].variants[0].sku.as_str(), "mug-1");
        let b = bindings::for_variant(w.db(), w.account, vid).await.unwrap();
        assert_eq!(b.len(), 1);
        assert!(!b[0].missing_at_master && b[0].remote_variant_id == new);
    }
);

db_test!(
    a_full_read_flags_missing_variants_and_keeps_them,
    async |db: Db| {
        let w = shop_master(db).await;
        let shop = w.conn("Shop");
        shop.insert(seed_product("Pen", &["PEN-1", "PEN-2"]));
        assert_ok(&w.run("Shop", JobKind::ImportProducts, true).await);
        w.tick();
        shop.remove_variant("PEN-2");
        // An incremental read cannot tell a deletion: nothing is flagged.
        let r = w.run("Shop", JobKind::ImportProducts, false).await;
        assert!(w.messages(&r, Some(Level::Warning)).await.is_empty());
        w.tick();
        let r = w.run("Shop", JobKind::ImportProducts, true).await;
        assert_ok(&r);
        let warnings = w.messages(&r, Some(Level::Warning)).await;
        assert_eq!(warnings.len(), 1, "{warnings:#?}");
        assert_eq!(warnings[0].sku.as_deref(), Some("PEN-2"));
        let catalog = w.catalog().await;
        assert_eq!(catalog[0].variants.len(), 2, "never deleted");
        // Flagged once, not on every run.
        w.tick();
        let r = w.run("Shop", JobKind::ImportProducts, true).await;
        assert!(w.messages(&r, Some(Level::Warning)).await.is_empty());
        // Back at the master: the flag clears.
        shop.insert(seed_product("Pen", &["PEN-2"]));
        w.tick();
        w.run("Shop", JobKind::ImportProducts, true).await;
        let vid = w.catalog().await[0].variants[1].id;
        let b = bindings::for_variant(w.db(), w.account, vid).await.unwrap();
        assert!(!b[0].missing_at_master);
    }
);

db_test!(
    incremental_reads_start_at_the_watermark_less_the_overlap,
    async |db: Db| {
        let w = shop_master(db).await;
        let shop = w.conn("Shop");
        for i in 0..30 {
            shop.insert(seed_product(&format!("Item {i}"), &[&format!("IT-{i}")]));
        }
        w.tick();
        shop.edit_variant("IT-3", |v| v.barcode = Some("123".into()));
        w.tick();
        let r = w.run("Shop", JobKind::ImportProducts, false).await;
        assert_eq!(r.run.counts.created, 30, "no watermark yet: a full read");
        assert_eq!(r.considered, 30);

        w.tick();
        shop.edit_variant("IT-7", |v| {
            v.price = Some(rust_decimal::Decimal::new(999, 2))
        });
        let r = w.run("Shop", JobKind::ImportProducts, false).await;
        assert_ok(&r);
        // The edit and the overlap around the last change seen (IT-3), nothing else.
        assert_eq!(r.considered, 2);
        assert_eq!((r.run.counts.updated, r.run.counts.unchanged), (1, 1));
        assert!(r.changed());
        let price = w
            .catalog()
            .await
            .into_iter()
            .flat_map(|p| p.variants)
            .find(|v| v.sku.as_str() == "IT-7")
            .and_then(|v| v.price);
        assert_eq!(price, Some(rust_decimal::Decimal::new(999, 2)));
    }
);

/// Accepts `pages` checkpoints, then refuses (a worker losing its lease).
struct StopAfter {
    pages: usize,
    seen: Vec<Value>,
}

#[async_trait::async_trait]
impl CheckpointSink for StopAfter {
    async fn save(&mut self, checkpoint: &Value) -> Result<(), String> {
        self.seen.push(checkpoint.clone());
        if self.seen.len() >= self.pages {
            Err("lease lost".into())
        } else {
            Ok(())
        }
    }
}

db_test!(
    a_resumed_run_continues_from_its_checkpoint,
    async |db: Db| {
        let w = shop_master(db).await;
        let shop = w.conn("Shop"); // pages of 3 products
        for i in 0..15 {
            shop.insert(seed_product(&format!("Item {i}"), &[&format!("IT-{i}")]));
        }
        let run = engine::create_run(
            &w.app,
            w.account,
            w.ch("Shop").id,
            JobKind::ImportProducts,
            Trigger::Schedule,
            true,
        )
        .await
        .unwrap();
        let mut sink = StopAfter {
            pages: 2,
            seen: Vec::new(),
        };
        let r = engine::execute(&w.app, &w.provider, w.account, run.id, &opts(), &mut sink)
            .await
            .unwrap();
        assert!(r.stopped);
        assert_eq!(r.run.status, RunStatus::Running);
        assert_eq!(r.run.counts.created, 6);
        assert_eq!(r.run.checkpoint.as_ref(), sink.seen.last());

        // Another worker picks it up: it reads the remaining 3 pages, no more.
        shop.reset_stats();
        // The third page fails past the budget: the run fails, Fatal and retryable.
        shop.fail_next(
            Op::Read,
            10,
            ChannelError::Transient("502 Bad Gateway".into()),
        );
        let r = engine::execute(&w.app, &w.provider, w.account, run.id, &opts(), &mut NoSink)
            .await
            .unwrap();
        assert_eq!(r.run.status, RunStatus::Failed);
        let f = r.fatal.clone().expect("fatal");
        assert!(
            f.retryable && f.message.contains("502 Bad Gateway"),
            "{f:?}"
        );
        assert_eq!(w.messages(&r, Some(Level::Fatal)).await.len(), 1);

        // The retry resumes from the last committed page.
        shop.clear_failures();
        shop.reset_stats();
        let r = engine::execute(&w.app, &w.provider, w.account, run.id, &opts(), &mut NoSink)
            .await
            .unwrap();
        assert_ok(&r);
        assert_eq!(shop.stats().read_calls, 3);
        assert_eq!(r.run.counts.created, 15);
        assert_eq!(w.catalog().await.len(), 15);
        assert!(r.run.last_error.is_none());
    }
);

db_test!(sku_mappings_apply_on_import_and_export, async |db: Db| {
    let w = shop_master(db).await;
    let (shop, woo) = (w.ch("Shop").id, w.ch("Woo").id);
    let sku = |s: &str| Sku::parse(s).unwrap();
    sku_mappings::upsert(
        w.db(),
        w.account,
        shop,
        &[(sku("SHOP-A1"), sku("A1"))],
        t0(),
    )
    .await
    .unwrap();
    sku_mappings::upsert(w.db(), w.account, woo, &[(sku("woo-a1"), sku("a1"))], t0())
        .await
        .unwrap();
    w.conn("Shop")
        .insert(seed_product("Lamp", &["shop-a1", "B2"]));
    let report = w.sync(true).await;
    let skus: Vec<String> = w
        .catalog()
        .await
        .into_iter()
        .flat_map(|p| p.variants)
        .map(|v| v.sku.to_string())
        .collect();
    assert_eq!(skus, vec!["A1", "B2"]);
    for r in &report.exports {
        assert_ok(r);
    }
    let mut on_woo: Vec<String> = w
        .conn("Woo")
        .variants()
        .into_iter()
        .map(|(_, v)| v.sku)
        .collect();
    on_woo.sort();
    assert_eq!(on_woo, vec!["B2", "woo-a1"]);
    let on_shop_ext: Vec<String> = w
        .conn("Ext")
        .variants()
        .into_iter()
        .map(|(_, v)| v.sku)
        .collect();
    assert!(on_shop_ext.contains(&"A1".to_string()));
    // Mapped round trips are stable: nothing is sent again.
    w.conn("Woo").reset_stats();
    w.tick();
    w.sync(true).await;
    assert_eq!(w.conn("Woo").stats().write_calls, 0);
    // Changing a mapping re-sends the affected variant.
    sku_mappings::upsert(
        w.db(),
        w.account,
        woo,
        &[(sku("WOO-A1-NEW"), sku("A1"))],
        t0(),
    )
    .await
    .unwrap_err();
    sku_mappings::delete(w.db(), w.account, woo, sku("woo-a1").key(), t0())
        .await
        .unwrap();
    w.tick();
    let r = w.run("Woo", JobKind::ExportProducts, false).await;
    assert_eq!(r.run.counts.updated, 1);
});

db_test!(
    throttles_are_waited_out_and_refused_credentials_are_fatal,
    async |db: Db| {
        let w = shop_master(db).await;
        let shop = w.conn("Shop");
        shop.insert(seed_product("Bag", &["BAG-1"]));
        shop.fail_next(
            Op::Read,
            2,
            ChannelError::Throttled {
                retry_after: Duration::from_millis(20),
                message: "429 Too Many Requests".into(),
            },
        );
        let start = std::time::Instant::now();
        let r = w.run("Shop", JobKind::ImportProducts, true).await;
        assert_ok(&r);
        assert!(
            start.elapsed() >= Duration::from_millis(40),
            "retry-after honoured"
        );

        shop.set_auth_failure(true);
        let r = w.run("Shop", JobKind::ImportProducts, true).await;
        assert_eq!(r.run.status, RunStatus::Failed);
        let f = r.fatal.clone().expect("fatal");
        assert!(!f.retryable);
        let fatal = w.messages(&r, Some(Level::Fatal)).await;
        assert!(fatal[0].message.contains("Invalid API key"), "{fatal:?}");
        assert_eq!(r.run.last_error.as_deref(), Some(f.message.as_str()));
    }
);

db_test!(
    a_disabled_master_imports_nothing_and_matching_counts_follow_bindings,
    async |db: Db| {
        let w = World::new(db, STANDARD).await;
        w.add_catalog_product("Hat", &["HAT-1", "HAT-2"]).await;
        // Exported to Shop while techOMS is the master: Shop's copy is known.
        assert!(
            techoms_app::bindings::master_match_counts(&w.app, w.account, w.ch("Shop").id)
                .await
                .unwrap()
                .is_none()
        );
        w.sync(true).await;
        w.conn("Shop").insert(seed_product("Extra", &["NEW-1"]));
        w.set_master(MasterProductSource::SalesChannel, Some("Shop"))
            .await;
        w.tick();
        w.run("Shop", JobKind::ImportProducts, true).await;
        assert!(
            techoms_app::bindings::has_any(&w.app, w.account)
                .await
                .unwrap()
        );
        let counts = techoms_app::bindings::master_match_counts(&w.app, w.account, w.ch("Bob").id)
            .await
            .unwrap();
        // Bob holds the two hats; the new master brought NEW-1, which Bob lacks until the next export.
        assert_eq!(counts, Some((2, 0, 1)));

        w.set_master(MasterProductSource::SalesChannel, Some("Old Woo"))
            .await;
        let r = w.run("Old Woo", JobKind::ImportProducts, true).await;
        assert_eq!(r.run.status, RunStatus::Succeeded);
        let m = w.messages(&r, None).await;
        assert!(m[0].message.contains("disabled"), "{m:?}");
        assert_eq!(w.conn("Old Woo").stats().read_calls, 0);
    }
);
