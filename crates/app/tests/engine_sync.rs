//! After a sync, from each Master Product Source, every other enabled export-capable channel
//! holds exactly the catalog, and the master and disabled channels received no writes. Every
//! case runs on SQLite and on PostgreSQL.

mod engine_support;

use engine_support::*;
use techoms_app::engine::{self, RunStatus};
use techoms_db::Db;
use techoms_domain::{JobKind, MasterProductSource};
use techoms_testkit::db_test;
use techoms_testkit::memory_connector::seed_product;

/// Seed the source, sync, and check every channel; then sync again and check nothing moves.
async fn check_source(db: Db, source: MasterProductSource, master: Option<&str>) {
    let w = World::new(db, STANDARD).await;
    w.set_master(source, master).await;
    match master {
        None => {
            w.add_catalog_product("Jacket", &["JK-S", "JK-M", "JK-L"])
                .await;
            w.add_catalog_product("Cap", &["CAP-1"]).await;
            for i in 0..5 {
                w.add_catalog_product(&format!("Sock {i}"), &[&format!("SOCK-{i}")])
                    .await;
            }
        }
        Some(m) => {
            let conn = w.conn(m);
            conn.insert(seed_product("Jacket", &["JK-S", "JK-M", "JK-L"]));
            conn.insert(seed_product("Cap", &["CAP-1"]));
            for i in 0..5 {
                conn.insert(seed_product(&format!("Sock {i}"), &[&format!("SOCK-{i}")]));
            }
        }
    }
    w.tick();
    let report = w.sync(false).await;
    match master {
        None => assert!(report.import.is_none()),
        Some(_) => {
            let imp = report.import.as_ref().expect("an import from the master");
            assert_ok(imp);
            assert_eq!(imp.run.counts.created, 9);
            assert!(imp.changed(), "a first import changes the catalog");
        }
    }
    let catalog = catalog_view(&w.catalog().await);
    assert_eq!(catalog.len(), 9);
    if let Some(m) = master {
        assert_eq!(
            master_view(&w.conn(m)),
            catalog,
            "the catalog is the master's copy"
        );
    }
    let targets: Vec<&str> = ["Shop", "Woo", "Bob", "Ext"]
        .into_iter()
        .filter(|c| Some(*c) != master)
        .collect();
    assert_eq!(report.exports.len(), targets.len());
    for r in &report.exports {
        assert_ok(r);
    }
    for t in &targets {
        assert_eq!(
            channel_view(&w.conn(t)),
            catalog,
            "{t} holds exactly the catalog"
        );
    }
    if let Some(m) = master {
        let s = w.conn(m).stats();
        assert_eq!(
            (s.write_calls, s.find_calls),
            (0, 0),
            "the master received writes"
        );
    }
    let s = w.conn("Old Woo").stats();
    assert_eq!(
        (s.read_calls, s.find_calls, s.write_calls),
        (0, 0, 0),
        "the disabled channel was called"
    );

    // A second sync of an unchanged catalog writes nothing anywhere.
    for c in ["Shop", "Woo", "Bob", "Ext", "Old Woo"] {
        w.conn(c).reset_stats();
    }
    w.tick();
    let again = w.sync(false).await;
    if let Some(imp) = &again.import {
        assert_ok(imp);
        assert!(!imp.changed(), "an unchanged master changes nothing");
    }
    for c in ["Shop", "Woo", "Bob", "Ext", "Old Woo"] {
        assert_eq!(w.conn(c).stats().write_calls, 0, "{c} was written again");
    }
    for r in &again.exports {
        assert_ok(r);
        assert!(!r.changed(), "{:?}", r.run.counts);
    }

    // An explicit export to the master or to the disabled channel does nothing either.
    let mut idle = vec!["Old Woo"];
    idle.extend(master);
    for c in idle {
        let r = w.run(c, JobKind::ExportProducts, true).await;
        assert_eq!(r.run.status, RunStatus::Succeeded);
        let warn = w.messages(&r, None).await;
        assert!(warn[0].message.starts_with("Nothing exported"), "{warn:?}");
        assert_eq!(w.conn(c).stats().write_calls, 0);
    }
    assert!(
        engine::propagation_targets(&w.app, w.account)
            .await
            .unwrap()
            .len()
            == targets.len()
    );
}

db_test!(techoms_source_reaches_every_channel, async |db: Db| {
    check_source(db, MasterProductSource::Techoms, None).await;
});

db_test!(
    sales_channel_source_reaches_every_other_channel,
    async |db: Db| {
        check_source(db, MasterProductSource::SalesChannel, Some("Shop")).await;
    }
);

db_test!(
    fulfillment_channel_source_reaches_every_other_channel,
    async |db: Db| {
        check_source(db, MasterProductSource::FulfillmentChannel, Some("Bob")).await;
    }
);
