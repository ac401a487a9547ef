//! Property: random catalogs (duplicate and case/space-variant SKUs included), random edits at
//! the master, random failures injected into the connectors, repeated sync cycles — and once
//! the failures stop, the syncs converge: every export channel holds exactly the catalog with
//! no duplicate, the catalog holds the master's copy, a further sync changes nothing, and the
//! master and the disabled channel never received a write. Runs on SQLite and PostgreSQL.

mod engine_support;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use engine_support::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rust_decimal::Decimal;
use techoms_channels::ChannelError;
use techoms_db::{Db, products};
use techoms_domain::{Clock, MasterProductSource, SkuKey};
use techoms_testkit::TestDb;
use techoms_testkit::memory_connector::{Op, seed_product};

const TARGETS: [&str; 4] = ["Shop", "Woo", "Bob", "Ext"];

/// A SKU from a small pool, spelled three ways, so that collisions are common.
fn sku_text(i: usize, spelling: u8) -> String {
    let base = format!("SK-{i}");
    match spelling % 3 {
        0 => base,
        1 => base.to_lowercase(),
        _ => format!("  {base} "),
    }
}

#[derive(Debug, Clone)]
enum Edit {
    Price(usize, i64),
    Title(usize, u8),
    Add(Vec<(usize, u8)>),
    Remove(usize),
}

#[derive(Debug, Clone)]
enum Fault {
    WriteTransient(usize),
    CommitThenTimeout(u32),
    ReadThrottled(usize),
    FindTransient(usize),
    Reject(usize),
    Auth,
}

/// One sync cycle: full or incremental, failures injected (channel index, fault) before it,
/// edits at the master after it.
type Cycle = (bool, Vec<(usize, Fault)>, Vec<Edit>);

#[derive(Debug, Clone)]
struct Scenario {
    source: u8,
    products: Vec<Vec<(usize, u8)>>,
    cycles: Vec<Cycle>,
}

fn skus() -> impl Strategy<Value = Vec<(usize, u8)>> {
    prop::collection::vec((0..10usize, 0..3u8), 1..4)
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0..10usize, 1..5000i64).prop_map(|(i, c)| Edit::Price(i, c)),
        (0..10usize, 0..4u8).prop_map(|(i, t)| Edit::Title(i, t)),
        skus().prop_map(Edit::Add),
        (0..10usize).prop_map(Edit::Remove),
    ]
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        (1..6usize).prop_map(Fault::WriteTransient),
        (1..3u32).prop_map(Fault::CommitThenTimeout),
        (1..6usize).prop_map(Fault::ReadThrottled),
        (1..6usize).prop_map(Fault::FindTransient),
        (0..10usize).prop_map(Fault::Reject),
        Just(Fault::Auth),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        0..3u8,
        prop::collection::vec(skus(), 1..6),
        prop::collection::vec(
            (
                any::<bool>(),
                prop::collection::vec((0..4usize, fault()), 0..4),
                prop::collection::vec(edit(), 0..4),
            ),
            1..4,
        ),
    )
        .prop_map(|(source, products, cycles)| Scenario {
            source,
            products,
            cycles,
        })
}

fn inject(w: &World, channel: &str, f: &Fault) {
    let c = w.conn(channel);
    match f {
        Fault::WriteTransient(n) => {
            c.fail_next(Op::Write, *n, ChannelError::Transient("503".into()))
        }
        Fault::CommitThenTimeout(n) => c.commit_then_timeout(*n),
        Fault::ReadThrottled(n) => c.fail_next(
            Op::Read,
            *n,
            ChannelError::Throttled {
                retry_after: Duration::from_millis(1),
                message: "429".into(),
            },
        ),
        Fault::FindTransient(n) => {
            c.fail_next(Op::Find, *n, ChannelError::Transient("timeout".into()))
        }
        Fault::Reject(i) => c.fail_sku(&sku_text(*i, 0), "SKU refused by the channel"),
        Fault::Auth => c.set_auth_failure(true),
    }
}

/// Apply an edit where products are mastered.
async fn apply(w: &World, master: Option<&str>, e: &Edit, n: &mut usize) {
    *n += 1;
    match master {
        Some(m) => {
            let c = w.conn(m);
            match e {
                Edit::Price(i, cents) => {
                    c.edit_variant(&sku_text(*i, 0), |v| {
                        v.price = Some(Decimal::new(*cents, 2))
                    });
                }
                Edit::Title(i, t) => {
                    c.edit_product_of(&sku_text(*i, 0), |p| p.title = format!("Title {t}"));
                }
                Edit::Add(s) => {
                    let texts: Vec<String> = s.iter().map(|(i, sp)| sku_text(*i, *sp)).collect();
                    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                    c.insert(seed_product(&format!("Added {n}"), &refs));
                }
                Edit::Remove(i) => {
                    c.remove_variant(&sku_text(*i, 0));
                }
            }
        }
        None => {
            let now = w.clock.now();
            let key = |i: usize| SkuKey::of(&sku_text(i, 0));
            match e {
                Edit::Price(i, _) | Edit::Title(i, _) => {
                    let Some(mut p) = w
                        .catalog()
                        .await
                        .into_iter()
                        .find(|p| p.variants.iter().any(|v| *v.sku.key() == key(*i)))
                    else {
                        return;
                    };
                    match e {
                        Edit::Price(_, c) => {
                            for v in p.variants.iter_mut().filter(|v| *v.sku.key() == key(*i)) {
                                v.price = Some(Decimal::new(*c, 2));
                                v.updated_at = now;
                            }
                        }
                        Edit::Title(_, t) => {
                            p.title = format!("Title {t}");
                            p.updated_at = now;
                        }
                        _ => {}
                    }
                    products::update(w.db(), w.account, &p).await.unwrap();
                }
                Edit::Add(s) => {
                    let taken: HashSet<SkuKey> = w
                        .catalog()
                        .await
                        .into_iter()
                        .flat_map(|p| p.variants.into_iter().map(|v| v.sku.key().clone()))
                        .collect();
                    let mut texts: Vec<String> = Vec::new();
                    let mut keys = HashSet::new();
                    for (i, sp) in s {
                        let t = sku_text(*i, *sp);
                        if !taken.contains(&SkuKey::of(&t)) && keys.insert(SkuKey::of(&t)) {
                            texts.push(t);
                        }
                    }
                    if !texts.is_empty() {
                        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                        w.add_catalog_product(&format!("Added {n}"), &refs).await;
                    }
                }
                // Products made in techOMS are never deleted by a sync; nothing to remove.
                Edit::Remove(_) => {}
            }
        }
    }
}

async fn check(db: Db, s: Scenario) {
    let w = World::new(db, STANDARD).await;
    let (source, master) = match s.source {
        0 => (MasterProductSource::Techoms, None),
        1 => (MasterProductSource::SalesChannel, Some("Shop")),
        _ => (MasterProductSource::FulfillmentChannel, Some("Bob")),
    };
    w.set_master(source, master).await;
    let mut n = 0;
    for skus in &s.products {
        apply(&w, master, &Edit::Add(skus.clone()), &mut n).await;
    }
    // Cycles with failures and edits between them.
    for (full, faults, edits) in &s.cycles {
        w.tick();
        for (c, f) in faults {
            inject(&w, TARGETS[*c], f);
        }
        w.sync(*full).await;
        for c in TARGETS {
            w.conn(c).clear_failures();
        }
        for e in edits {
            apply(&w, master, e, &mut n).await;
        }
    }
    // No more failures: a few syncs settle everything; the last one is a fixpoint.
    let mut last = None;
    for _ in 0..3 {
        w.tick();
        for c in TARGETS.iter().filter(|c| Some(**c) != master) {
            w.conn(c).reset_stats();
        }
        last = Some(w.sync(true).await);
    }
    let last = last.expect("synced");
    if let Some(imp) = &last.import {
        assert_ok(imp);
        assert!(
            !imp.changed(),
            "the import still changes things: {:?}",
            imp.run.counts
        );
    }
    for r in &last.exports {
        assert_ok(r);
    }
    let catalog = catalog_view(&w.catalog().await);
    for c in TARGETS.iter().filter(|c| Some(**c) != master) {
        assert_eq!(
            w.conn(c).stats().write_calls,
            0,
            "{c} is still being written"
        );
        assert_eq!(
            channel_view(&w.conn(c)),
            catalog,
            "{c} differs from the catalog"
        );
    }
    if let Some(m) = master {
        // Each key the master holds is in the catalog with the content of one of the master's
        // variants holding it: the one bound to it (the first read, when several share it).
        let products = w.catalog().await;
        let in_catalog = variant_view(
            products
                .iter()
                .flat_map(|p| &p.variants)
                .map(|v| (v.sku.as_str(), fields_of(v))),
            false,
        );
        let remote = w.conn(m).variants();
        let mut at_master: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (_, v) in &remote {
            for (key, hash) in variant_view([(v.sku.as_str(), fields_of_remote(v))], false) {
                at_master.entry(key).or_default().push(hash);
            }
        }
        for (key, hashes) in at_master {
            let got = in_catalog.get(&key);
            assert!(
                got.is_some_and(|h| hashes.contains(h)),
                "catalog differs from the master on {key}: {got:?} not in {hashes:?}"
            );
        }
        assert_eq!(w.conn(m).stats().write_calls, 0, "the master was written");
    }
    let s = w.conn("Old Woo").stats();
    assert_eq!((s.read_calls, s.find_calls, s.write_calls), (0, 0, 0));
}

fn run_on(make: impl std::future::Future<Output = Option<TestDb>>, cases: u32) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let Some(t) = rt.block_on(make) else {
        return;
    };
    // PROPTEST_CASES overrides the number of cases (for a longer soak).
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&scenario(), |s| {
        rt.block_on(check(t.db.clone(), s));
        Ok(())
    });
    rt.block_on(t.finish());
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn sync_cycles_converge_sqlite() {
    run_on(async { Some(TestDb::sqlite().await) }, 48);
}

#[test]
fn sync_cycles_converge_postgres() {
    run_on(TestDb::postgres(), 24);
}
