//! Contract tests of the Extensiv connector against the Extensiv simulator (in-process, on
//! 127.0.0.1 only).

use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;
use std::time::Duration;

use base64::Engine;
use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use techoms_channels::extensiv::ExtensivConnector;
use techoms_channels::model::ExportVariant;
use techoms_channels::{
    AuthStatus, ChannelConfig, ChannelError, Connector, Credentials, ExportProduct, ReadQuery,
    RemoteIds, RemoteProduct, WriteOutcome, WriteResult,
};
use techoms_domain::{Length, LengthUnit, ProductStatus, VariantStatus, Weight, WeightUnit};
use techoms_simulators::extensiv::{ExtensivSim, LoggedRequest, OobAction, TenantCredentials};
use techoms_simulators::{RunningSim, SimClock};

struct Env {
    sim: ExtensivSim,
    running: RunningSim,
    creds: TenantCredentials,
}

impl Env {
    async fn new() -> Self {
        let clock = SimClock::manual(Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap());
        let sim = ExtensivSim::new(clock);
        let creds = sim.add_tenant();
        let running = sim.start().await.unwrap();
        Self {
            sim,
            running,
            creds,
        }
    }

    fn cid(&self) -> u64 {
        self.creds.customer_id
    }

    fn config(&self, extra: &[(&str, &str)]) -> ChannelConfig {
        let mut settings: BTreeMap<String, String> = [
            ("base_url", self.running.base_url()),
            ("customer_id", self.creds.customer_id.to_string()),
            ("facility_id", self.creds.facility_id.to_string()),
            ("user_login_id", self.creds.user_login_id.clone()),
            ("requests_per_second", "0".to_string()),
            ("timeout_seconds", "2".to_string()),
            ("timestamp_slack_hours", "0".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for (k, v) in extra {
            settings.insert(k.to_string(), v.to_string());
        }
        ChannelConfig {
            channel_label: "extensiv test".into(),
            settings,
            credentials: Credentials::new(BTreeMap::from([
                ("client_id".to_string(), self.creds.client_id.clone()),
                (
                    "client_secret".to_string(),
                    self.creds.client_secret.clone(),
                ),
                ("tpl_key".to_string(), self.creds.tpl_key.clone()),
            ])),
        }
    }

    fn connector(&self, extra: &[(&str, &str)]) -> ExtensivConnector {
        ExtensivConnector::new(&self.config(extra), reqwest::Client::new()).unwrap()
    }

    fn seed(&self, n: usize) -> Vec<u64> {
        (1..=n)
            .map(|i| {
                self.sim
                    .insert_item(
                        self.cid(),
                        json!({
                            "sku": format!("SKU-{i:03}"),
                            "description": format!("Item {i}"),
                            "description2": "Plain & simple",
                            "upc": format!("0001234{i:05}"),
                            "price": 10.5,
                            "cost": 4.25,
                            "countryOfManufacture": "US",
                            "options": {
                                "inventoryUnit": {"unitIdentifier": {"name": "Each", "id": 1}},
                                "packageUnit": {"imperial": {"length": 4, "width": 3, "height": 2, "weight": 0.75}}
                            }
                        }),
                    )
                    .unwrap()
            })
            .collect()
    }

    fn logged(&self, method: &str, path_part: &str) -> Vec<LoggedRequest> {
        self.sim
            .requests()
            .into_iter()
            .filter(|r| r.method == method && r.path.contains(path_part))
            .collect()
    }
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn variant(sku: &str) -> ExportVariant {
    ExportVariant {
        key: format!("v-{sku}"),
        remote: None,
        changed: true,
        sku: sku.to_string(),
        option_values: vec![],
        barcode: Some("012345678905".into()),
        price: Some(dec("19.99")),
        compare_at_price: None,
        cost: Some(dec("7.10")),
        weight: Some(Weight::new(dec("1.5"), WeightUnit::Lb)),
        length: Some(Length::new(dec("10"), LengthUnit::In)),
        width: Some(Length::new(dec("6"), LengthUnit::In)),
        height: Some(Length::new(dec("2.5"), LengthUnit::In)),
        status: VariantStatus::Active,
    }
}

fn product(key: &str, title: &str, variants: Vec<ExportVariant>) -> ExportProduct {
    ExportProduct {
        key: key.to_string(),
        remote_id: None,
        title: title.to_string(),
        description_html: "<p>A <b>sturdy</b> thing &amp; more</p>".into(),
        vendor: "Acme".into(),
        product_type: String::new(),
        tags: vec![],
        status: ProductStatus::Active,
        options: vec![],
        images: vec![],
        variants,
    }
}

fn bound(mut v: ExportVariant, item_id: u64) -> ExportVariant {
    v.remote = Some(RemoteIds {
        product_id: item_id.to_string(),
        variant_id: item_id.to_string(),
        inventory_item_id: None,
    });
    v
}

async fn read_all(conn: &ExtensivConnector, query: &ReadQuery) -> Vec<RemoteProduct> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = conn.read_products(query, cursor).await.unwrap();
        out.extend(page.products);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

fn outcome_ids(r: &WriteResult) -> u64 {
    r.outcome.ids().unwrap().variant_id.parse().unwrap()
}

#[tokio::test]
async fn reads_every_page_and_resumes_from_a_cursor() {
    let env = Env::new().await;
    env.seed(23);
    let conn = env.connector(&[("page_size", "5")]);
    let first = conn
        .read_products(&ReadQuery::default(), None)
        .await
        .unwrap();
    assert_eq!(first.products.len(), 5);
    assert_eq!(first.total_hint, Some(23));
    // A new connector (a new process) continues from the stored cursor.
    let resumed = env.connector(&[("page_size", "5")]);
    let mut all = first.products.clone();
    let mut cursor = first.next_cursor.clone();
    let mut pages = 1;
    while let Some(c) = cursor {
        let page = resumed
            .read_products(&ReadQuery::default(), Some(c))
            .await
            .unwrap();
        pages += 1;
        all.extend(page.products);
        cursor = page.next_cursor;
    }
    assert_eq!(pages, 5);
    let skus: HashSet<String> = all.iter().map(|p| p.variants[0].sku.clone()).collect();
    assert_eq!(skus.len(), 23);
    let lists = env.logged("GET", "/items");
    let pgnums: Vec<String> = lists
        .iter()
        .map(|r| r.query_param("pgnum").unwrap())
        .collect();
    assert_eq!(pgnums, ["1", "2", "3", "4", "5"]);
    assert!(
        lists
            .iter()
            .all(|r| r.query_param("pgsiz").as_deref() == Some("5"))
    );
    assert!(
        lists
            .iter()
            .all(|r| r.query_param("sort").as_deref() == Some("itemId"))
    );
    assert!(
        lists
            .iter()
            .all(|r| r.headers["accept"] == "application/hal+json")
    );

    let p = all.iter().find(|p| p.variants[0].sku == "SKU-007").unwrap();
    let v = &p.variants[0];
    assert_eq!(p.title, "Item 7");
    assert_eq!(p.description_html, "Plain &amp; simple");
    assert_eq!(p.status, ProductStatus::Active);
    assert_eq!(p.remote_id, v.remote_id);
    assert_eq!(v.barcode.as_deref(), Some("000123400007"));
    assert_eq!((v.price, v.cost), (Some(dec("10.5")), Some(dec("4.25"))));
    assert_eq!(v.weight, Some(Weight::new(dec("0.75"), WeightUnit::Lb)));
    assert_eq!(v.length, Some(Length::new(dec("4"), LengthUnit::In)));
    assert_eq!(v.height, Some(Length::new(dec("2"), LengthUnit::In)));
    assert_eq!(
        v.updated_at,
        Some(Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap())
    );
}

#[tokio::test]
async fn changed_since_filters_with_rql() {
    let env = Env::new().await;
    let ids = env.seed(6);
    env.sim.clock().advance(chrono::Duration::hours(1));
    env.sim.edit_item(env.cid(), ids[1], json!({"price": 12}));
    env.sim.edit_item(
        env.cid(),
        ids[4],
        json!({"readOnly": {"deactivated": true}}),
    );
    // A change that does not bump lastModifiedDate is not seen by an incremental read (the
    // engine's periodic full read catches it).
    env.sim
        .edit_item_silently(env.cid(), ids[2], json!({"price": 99}));
    let conn = env.connector(&[("page_size", "2")]);
    let since = Utc.with_ymd_and_hms(2024, 5, 1, 12, 30, 0).unwrap();
    let query = ReadQuery {
        changed_since: Some(since),
    };
    let changed = read_all(&conn, &query).await;
    let skus: Vec<&str> = changed.iter().map(|p| p.variants[0].sku.as_str()).collect();
    assert_eq!(skus, ["SKU-002", "SKU-005"]);
    assert_eq!(changed[0].variants[0].price, Some(dec("12")));
    assert_eq!(changed[1].variants[0].status, VariantStatus::Inactive);
    assert_eq!(changed[1].status, ProductStatus::Archived);
    let rql = env.logged("GET", "/items")[0].query_param("rql").unwrap();
    assert_eq!(rql, "readOnly.lastModifiedDate=ge=2024-05-01T12:30:00");

    // By default the filter is widened for zone-less timestamps.
    let wide = env.connector(&[("timestamp_slack_hours", "14")]);
    env.sim.clear_requests();
    assert_eq!(read_all(&wide, &query).await.len(), 6);
    let rql = env.logged("GET", "/items")[0].query_param("rql").unwrap();
    assert_eq!(rql, "readOnly.lastModifiedDate=ge=2024-04-30T22:30:00");
}

#[tokio::test]
async fn creates_then_updates_without_touching_foreign_fields() {
    let env = Env::new().await;
    let conn = env.connector(&[]);
    let products = vec![
        product("p1", "Blue mug", vec![variant("MUG-1")]),
        product("p2", "Shirt", {
            let mut a = variant("SHIRT-S");
            a.option_values = vec!["S".into(), "Red".into()];
            vec![a]
        }),
    ];
    let results = conn.write_products(products).await.unwrap();
    assert_eq!(results.len(), 2);
    assert!(
        matches!(results[0].outcome, WriteOutcome::Created(_)),
        "{results:?}"
    );
    let mug_id = outcome_ids(&results[0]);
    let mug = env.sim.item(env.cid(), mug_id).unwrap();
    assert_eq!(mug["sku"], "MUG-1");
    assert_eq!(mug["description"], "Blue mug");
    assert_eq!(mug["description2"], "A sturdy thing & more");
    assert_eq!(mug["upc"], "012345678905");
    assert_eq!(mug["price"], json!(19.99));
    assert_eq!(
        mug["options"]["inventoryUnit"]["unitIdentifier"]["name"],
        "Each"
    );
    let shirt = env.sim.item(env.cid(), outcome_ids(&results[1])).unwrap();
    assert_eq!(shirt["description"], "Shirt - S / Red");

    // The warehouse sets fields techOMS does not own; an update keeps them.
    env.sim.edit_item(
        env.cid(),
        mug_id,
        json!({"countryOfManufacture": "PT", "options": {"trackBys": {"trackLotNumber": 2}}}),
    );
    let mut changed = variant("MUG-1");
    changed.price = Some(dec("24.50"));
    let results = conn
        .write_products(vec![product(
            "p1",
            "Blue mug",
            vec![bound(changed.clone(), mug_id)],
        )])
        .await
        .unwrap();
    assert_eq!(
        results[0].outcome,
        WriteOutcome::Updated {
            ids: RemoteIds {
                product_id: mug_id.to_string(),
                variant_id: mug_id.to_string(),
                inventory_item_id: None
            },
            adopted: false
        }
    );
    let mug = env.sim.item(env.cid(), mug_id).unwrap();
    assert_eq!(mug["price"], json!(24.5));
    assert_eq!(mug["countryOfManufacture"], "PT");
    assert_eq!(mug["options"]["trackBys"]["trackLotNumber"], 2);
    assert_eq!(
        mug["options"]["inventoryUnit"]["unitIdentifier"]["name"],
        "Each"
    );

    // Nothing differs any more: the item is read, not written.
    let writes = env.sim.stats().item_writes;
    let again = conn
        .write_products(vec![product(
            "p1",
            "Blue mug",
            vec![bound(changed, mug_id)],
        )])
        .await
        .unwrap();
    assert!(matches!(
        again[0].outcome,
        WriteOutcome::Updated { adopted: false, .. }
    ));
    assert_eq!(env.sim.stats().item_writes, writes);

    // Unchanged variants are not written at all.
    let mut unchanged = variant("MUG-1");
    unchanged.changed = false;
    let none = conn
        .write_products(vec![product("p1", "Blue mug", vec![unchanged])])
        .await
        .unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn adopts_an_unbound_item_that_has_the_sku() {
    let env = Env::new().await;
    let existing = env
        .sim
        .insert_item(
            env.cid(),
            json!({"sku": "mug-1 ", "description": "Old name", "countryOfManufacture": "US"}),
        )
        .unwrap();
    let conn = env.connector(&[]);
    let results = conn
        .write_products(vec![product("p1", "Blue mug", vec![variant("MUG-1")])])
        .await
        .unwrap();
    assert_eq!(
        results[0].outcome,
        WriteOutcome::Updated {
            ids: RemoteIds {
                product_id: existing.to_string(),
                variant_id: existing.to_string(),
                inventory_item_id: None
            },
            adopted: true
        }
    );
    assert!(env.logged("POST", "/items").is_empty());
    assert_eq!(env.sim.count_sku(env.cid(), "MUG-1"), 1);
    let item = env.sim.item(env.cid(), existing).unwrap();
    assert_eq!(item["description"], "Blue mug");
    assert_eq!(item["countryOfManufacture"], "US");
    // The SKU is spelled as techOMS (the master) spells it.
    assert_eq!(item["sku"], "MUG-1");

    let found = conn
        .find_by_skus(&[" MUG-1".into(), "nope".into()])
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].remote_id, existing.to_string());
}

#[tokio::test]
async fn adopts_when_the_create_is_refused_as_a_duplicate() {
    let env = Env::new().await;
    let conn = env.connector(&[]);
    // Another writer creates the SKU between our lookup and our POST.
    env.sim.before_next_write(
        env.cid(),
        "MUG-1",
        OobAction::Create {
            item: json!({"sku": "MUG-1", "description": "Made elsewhere", "options": {"inventoryUnit": {"unitIdentifier": {"name": "Each"}}}}),
        },
    );
    let results = conn
        .write_products(vec![product("p1", "Blue mug", vec![variant("MUG-1")])])
        .await
        .unwrap();
    assert!(
        matches!(
            results[0].outcome,
            WriteOutcome::Updated { adopted: true, .. }
        ),
        "{results:?}"
    );
    let posts = env.logged("POST", "/items");
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].status, 400);
    assert_eq!(env.sim.count_sku(env.cid(), "MUG-1"), 1);
    let item = env.sim.item_by_sku(env.cid(), "MUG-1").unwrap();
    assert_eq!(item["description"], "Blue mug");
}

#[tokio::test]
async fn an_ambiguous_create_is_looked_up_not_repeated() {
    let env = Env::new().await;
    let conn = env.connector(&[("timeout_seconds", "0.5")]);
    env.sim
        .timeout_after_commit(env.cid(), 1, Duration::from_millis(1500));
    let results = conn
        .write_products(vec![product("p1", "Blue mug", vec![variant("MUG-1")])])
        .await
        .unwrap();
    assert!(
        matches!(
            results[0].outcome,
            WriteOutcome::Updated { adopted: true, .. }
        ),
        "{results:?}"
    );
    assert_eq!(env.logged("POST", "/items").len(), 1);
    assert_eq!(env.sim.count_sku(env.cid(), "MUG-1"), 1);
    assert_eq!(env.sim.stats().creates, 1);
}

#[tokio::test]
async fn one_bad_item_does_not_fail_the_batch() {
    let env = Env::new().await;
    env.sim.reject_sku(
        env.cid(),
        "BAD-1",
        "The UPC 012345678905 is already used by another item",
    );
    let conn = env.connector(&[]);
    let results = conn
        .write_products(vec![
            product("a", "A", vec![variant("OK-1")]),
            product("b", "B", vec![variant("BAD-1")]),
            product("c", "C", vec![variant("OK-2")]),
        ])
        .await
        .unwrap();
    assert!(matches!(results[0].outcome, WriteOutcome::Created(_)));
    assert_eq!(
        results[1].outcome,
        WriteOutcome::Failed {
            message: "The UPC 012345678905 is already used by another item".into()
        }
    );
    assert!(matches!(results[2].outcome, WriteOutcome::Created(_)));
    assert_eq!(results[1].key, "v-BAD-1");
}

#[tokio::test]
async fn weights_and_dimensions_survive_the_round_trip() {
    let env = Env::new().await;
    // Imperial: values entered in lb/in come back exactly (4 decimals).
    let imperial = env.connector(&[]);
    let mut v = variant("IMP-1");
    v.weight = Some(Weight::new(dec("1.2345"), WeightUnit::Lb));
    v.length = Some(Length::new(dec("10.5"), LengthUnit::In));
    v.width = Some(Length::new(dec("3.25"), LengthUnit::In));
    v.height = Some(Length::new(dec("0.0625"), LengthUnit::In));
    let (w, l, wd, h) = (v.weight, v.length, v.width, v.height);
    let r = imperial
        .write_products(vec![product("p", "Imperial", vec![v])])
        .await
        .unwrap();
    let id = outcome_ids(&r[0]);
    let raw = &env.logged("POST", "/items")[0].body;
    assert!(
        raw.contains(r#""imperial":{"height":0.0625,"length":10.5,"weight":1.2345,"width":3.25}"#),
        "{raw}"
    );
    // The metric block is written too, converted exactly and rounded to 4 decimals.
    assert!(
        raw.contains(r#""metric":{"height":0.1588,"length":26.67,"weight":0.56,"width":8.255}"#),
        "{raw}"
    );
    let back = imperial.find_by_skus(&["IMP-1".into()]).await.unwrap();
    let bv = &back[0].variants[0];
    assert_eq!(back[0].remote_id, id.to_string());
    assert_eq!((bv.weight, bv.length, bv.width, bv.height), (w, l, wd, h));

    // Metric: values entered in kg/cm come back exactly.
    let metric = env.connector(&[("units", "metric")]);
    let mut v = variant("MET-1");
    v.weight = Some(Weight::new(dec("0.5"), WeightUnit::Kg));
    v.length = Some(Length::new(dec("12.7"), LengthUnit::Cm));
    v.width = Some(Length::new(dec("30"), LengthUnit::Cm));
    v.height = Some(Length::new(dec("4.05"), LengthUnit::Cm));
    let (w, l, wd, h) = (v.weight, v.length, v.width, v.height);
    metric
        .write_products(vec![product("p", "Metric", vec![v])])
        .await
        .unwrap();
    let item = env.sim.item_by_sku(env.cid(), "MET-1").unwrap();
    assert_eq!(
        item["options"]["packageUnit"]["metric"]["weight"],
        json!(0.5)
    );
    assert_eq!(
        item["options"]["packageUnit"]["imperial"]["weight"],
        json!(1.1023)
    );
    let back = metric.find_by_skus(&["MET-1".into()]).await.unwrap();
    let bv = &back[0].variants[0];
    assert_eq!(bv.weight.unwrap().grams(), dec("500"));
    assert_eq!((bv.weight, bv.length, bv.width, bv.height), (w, l, wd, h));

    // An item measured only in metric is still read by an imperial channel.
    env.sim
        .insert_item(
            env.cid(),
            json!({"sku": "ONLY-METRIC", "description": "x", "options": {"packageUnit": {"metric": {"weight": 2, "length": 100}}}}),
        )
        .unwrap();
    let back = imperial
        .find_by_skus(&["ONLY-METRIC".into()])
        .await
        .unwrap();
    assert_eq!(back[0].variants[0].weight.unwrap().grams(), dec("2000"));
    assert_eq!(back[0].variants[0].length.unwrap().mm(), dec("1000"));
}

#[tokio::test]
async fn throttling_slows_down_and_loses_nothing() {
    let env = Env::new().await;
    env.seed(4);
    let conn = env.connector(&[("page_size", "2")]);
    // Injected 429s: each Retry-After is waited out.
    env.sim.set_retry_after(env.cid(), Some("0.2"));
    env.sim.throttle_next(env.cid(), 2);
    assert_eq!(read_all(&conn, &ReadQuery::default()).await.len(), 4);
    let log = env.sim.requests();
    for pair in log.windows(2) {
        if pair[0].status == 429 {
            let gap = pair[1].at_ms - pair[0].at_ms;
            assert!(gap >= 190, "a request followed a 429 after only {gap} ms");
        }
    }
    assert_eq!(env.sim.stats().throttled, 2);

    // A rate limit the connector does not know about: it adapts, and every item is written.
    // (A fresh connector: the first one is still pacing itself after those 429s.)
    let conn = env.connector(&[]);
    env.sim.set_retry_after(env.cid(), None);
    env.sim
        .set_rate_limit(env.cid(), Some((5, Duration::from_millis(150))));
    env.sim.reset_stats();
    env.sim.clear_requests();
    let products: Vec<ExportProduct> = (0..30)
        .map(|i| {
            product(
                &format!("p{i}"),
                "Thing",
                vec![variant(&format!("RL-{i:02}"))],
            )
        })
        .collect();
    let results = conn.write_products(products).await.unwrap();
    assert_eq!(results.len(), 30);
    assert!(
        results
            .iter()
            .all(|r| matches!(r.outcome, WriteOutcome::Created(_))),
        "{results:?}"
    );
    let stats = env.sim.stats();
    let requests = env.sim.requests().len() as u64;
    assert_eq!(stats.creates, 30);
    assert!(stats.throttled > 0, "the limit was never hit");
    assert!(
        stats.throttled * 4 <= requests,
        "{} of {requests} requests throttled: the connector did not slow down",
        stats.throttled
    );
}

#[tokio::test]
async fn transient_errors_are_retried() {
    let env = Env::new().await;
    env.seed(3);
    let conn = env.connector(&[]);
    env.sim.fail_next(env.cid(), 2, 503);
    assert_eq!(read_all(&conn, &ReadQuery::default()).await.len(), 3);
    let statuses: Vec<u16> = env
        .logged("GET", "/items")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [503, 503, 200]);
}

#[tokio::test]
async fn a_stale_etag_is_reread_and_the_other_writers_fields_kept() {
    let env = Env::new().await;
    let id = env
        .sim
        .insert_item(
            env.cid(),
            json!({"sku": "MUG-1", "description": "Mug", "price": 5, "countryOfManufacture": "US"}),
        )
        .unwrap();
    let conn = env.connector(&[]);
    // Between our GET and our PUT, a merchant edits a field we own and one we do not.
    env.sim.before_next_write(
        env.cid(),
        "MUG-1",
        OobAction::Edit {
            patch: json!({"countryOfManufacture": "MX", "price": 1}),
        },
    );
    let results = conn
        .write_products(vec![product(
            "p1",
            "Blue mug",
            vec![bound(variant("MUG-1"), id)],
        )])
        .await
        .unwrap();
    assert!(matches!(
        results[0].outcome,
        WriteOutcome::Updated { adopted: false, .. }
    ));
    let item = env.sim.item(env.cid(), id).unwrap();
    assert_eq!(item["price"], json!(19.99));
    assert_eq!(item["description"], "Blue mug");
    assert_eq!(item["countryOfManufacture"], "MX");
    assert_eq!(env.sim.stats().conflicts, 1);
    let puts = env.logged("PUT", &format!("/items/{id}"));
    assert_eq!(
        puts.iter().map(|r| r.status).collect::<Vec<_>>(),
        [412, 200]
    );
    let tags: Vec<&str> = puts
        .iter()
        .map(|r| r.headers["if-match"].as_str())
        .collect();
    assert_ne!(tags[0], tags[1]);
    assert_eq!(env.logged("GET", &format!("/items/{id}")).len(), 2);
    // Every PUT carried an ETag; the simulator would have answered 428 otherwise.
    assert!(env.sim.requests().iter().all(|r| r.status != 428));
}

#[tokio::test]
async fn a_token_expiring_mid_run_is_renewed() {
    let env = Env::new().await;
    env.seed(10);
    let conn = env.connector(&[("page_size", "3")]);
    env.sim.expire_tokens_after(env.cid(), 2);
    assert_eq!(read_all(&conn, &ReadQuery::default()).await.len(), 10);
    let stats = env.sim.stats();
    assert_eq!((stats.tokens_issued, stats.unauthorized), (2, 1));

    // Expiry by the clock, in the middle of a write batch.
    env.sim.set_token_lifetime(Duration::from_secs(60));
    let r = conn.refresh_authorization().await.unwrap();
    assert!(matches!(r, AuthStatus::Refreshed { .. }));
    env.sim.expire_tokens_after(env.cid(), 3);
    let products: Vec<ExportProduct> = (0..4)
        .map(|i| product(&format!("p{i}"), "Thing", vec![variant(&format!("T-{i}"))]))
        .collect();
    let results = conn.write_products(products).await.unwrap();
    assert!(
        results
            .iter()
            .all(|r| matches!(r.outcome, WriteOutcome::Created(_)))
    );
    env.sim.clock().advance(chrono::Duration::seconds(61));
    assert_eq!(conn.find_by_skus(&["T-0".into()]).await.unwrap().len(), 1);
    assert_eq!(env.sim.stats().tokens_issued, 5);
}

#[tokio::test]
async fn refresh_authorization_renews_and_reports_the_expiry() {
    let env = Env::new().await;
    let conn = env.connector(&[]);
    let before = Utc::now();
    let AuthStatus::Refreshed { expires_at } = conn.refresh_authorization().await.unwrap() else {
        panic!("Extensiv tokens expire");
    };
    assert!(expires_at >= before + chrono::Duration::seconds(3599));
    assert!(expires_at <= Utc::now() + chrono::Duration::seconds(3600));
    conn.refresh_authorization().await.unwrap();
    assert_eq!(env.sim.stats().tokens_issued, 2);
}

#[tokio::test]
async fn revoked_credentials_are_an_authentication_error() {
    let env = Env::new().await;
    env.seed(2);
    let conn = env.connector(&[]);
    assert_eq!(read_all(&conn, &ReadQuery::default()).await.len(), 2);
    env.sim.revoke_credentials(env.cid());
    let err = conn
        .read_products(&ReadQuery::default(), None)
        .await
        .unwrap_err();
    let ChannelError::Authentication(message) = &err else {
        panic!("expected an authentication error, got {err:?}");
    };
    assert!(message.contains("refused the API credentials"), "{message}");
    assert!(message.contains("revoked"), "{message}");
    assert!(!message.contains(&env.creds.client_secret), "{message}");
    assert!(!err.is_retryable());

    // A wrong secret from the start: refused before any API call.
    let mut config = env.config(&[]);
    let mut creds: BTreeMap<String, String> = BTreeMap::new();
    creds.insert("client_id".into(), env.creds.client_id.clone());
    creds.insert("client_secret".into(), "not-the-secret".into());
    creds.insert("tpl_key".into(), env.creds.tpl_key.clone());
    config.credentials = Credentials::new(creds);
    env.sim.clear_requests();
    let wrong = ExtensivConnector::new(&config, reqwest::Client::new()).unwrap();
    let err = wrong.find_by_skus(&["SKU-001".into()]).await.unwrap_err();
    assert!(matches!(err, ChannelError::Authentication(_)), "{err:?}");
    assert!(!err.to_string().contains("not-the-secret"));
    assert!(env.logged("GET", "/items").is_empty());
}

#[tokio::test]
async fn sku_lookups_escape_reserved_characters() {
    let env = Env::new().await;
    let odd = env
        .sim
        .insert_item(
            env.cid(),
            json!({"sku": "A,B;(1)*=50%", "description": "Odd"}),
        )
        .unwrap();
    env.sim
        .insert_item(env.cid(), json!({"sku": "A", "description": "Plain"}))
        .unwrap();
    let conn = env.connector(&[]);
    let found = conn
        .find_by_skus(&["a,b;(1)*=50%".into(), "missing".into()])
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].remote_id, odd.to_string());
}

// ---- snapshots of the exact outbound requests ------------------------------------------

fn body_json(r: &LoggedRequest) -> Value {
    serde_json::from_str(&r.body).unwrap()
}

#[tokio::test]
async fn snapshot_token_request() {
    let env = Env::new().await;
    let conn = env.connector(&[]);
    conn.refresh_authorization().await.unwrap();
    let req = &env.logged("POST", "/AuthServer/api/Token")[0];
    let basic = req.headers["authorization"].strip_prefix("Basic ").unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(basic)
        .unwrap();
    assert_eq!(
        String::from_utf8(decoded).unwrap(),
        format!("{}:{}", env.creds.client_id, env.creds.client_secret)
    );
    let body = body_json(req);
    assert_eq!(body["tpl"], env.creds.tpl_key.as_str());
    assert!(env.creds.tpl_key.starts_with('{') && env.creds.tpl_key.ends_with('}'));
    assert_eq!(body["user_login_id"], env.creds.user_login_id.as_str());
    insta::assert_json_snapshot!(
        "token_request",
        json!({"method": req.method, "path": req.path, "headers": req.headers, "body": body_json(req)}),
        {
            ".headers.authorization" => "Basic [client id:secret redacted]",
            ".body.tpl" => "[tpl key]",
            ".body.user_login_id" => "[user login id]",
        }
    );
}

#[tokio::test]
async fn snapshot_item_create_and_put() {
    let env = Env::new().await;
    let conn = env.connector(&[]);
    let r = conn
        .write_products(vec![product("p1", "Blue mug", vec![variant("MUG-1")])])
        .await
        .unwrap();
    let id = outcome_ids(&r[0]);
    let post = &env.logged("POST", "/items")[0];
    insta::assert_json_snapshot!(
        "item_create",
        json!({"method": post.method, "path": post.path, "content_type": post.headers["content-type"], "body": body_json(post)}),
        {".path" => "/customers/[customer id]/items"}
    );

    env.sim
        .edit_item(env.cid(), id, json!({"countryOfManufacture": "PT"}));
    let mut v = variant("MUG-1");
    v.price = Some(dec("21.00"));
    v.barcode = None;
    conn.write_products(vec![product("p1", "Blue mug", vec![bound(v, id)])])
        .await
        .unwrap();
    let put = &env.logged("PUT", "/items/")[0];
    insta::assert_json_snapshot!(
        "item_put",
        json!({"method": put.method, "path": put.path, "if_match": put.headers["if-match"], "body": body_json(put)}),
        {
            ".path" => "/customers/[customer id]/items/[item id]",
            ".body.readOnly.customerIdentifier" => "[customer]",
        }
    );
}

#[tokio::test]
async fn snapshot_rql_queries() {
    let env = Env::new().await;
    let conn = env.connector(&[("page_size", "50")]);
    let since = Utc.with_ymd_and_hms(2024, 5, 1, 9, 15, 42).unwrap();
    conn.read_products(
        &ReadQuery {
            changed_since: Some(since),
        },
        None,
    )
    .await
    .unwrap();
    conn.find_by_skus(&["MUG-1".into(), "A,B".into()])
        .await
        .unwrap();
    let queries: Vec<Value> = env
        .logged("GET", "/items")
        .iter()
        .map(|r| json!({"raw": r.query, "decoded": r.query_pairs()}))
        .collect();
    insta::assert_json_snapshot!("rql_queries", queries);
}
