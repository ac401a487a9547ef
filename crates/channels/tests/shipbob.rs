//! Contract tests of the ShipBob connector against the ShipBob simulator (in-process, on
//! 127.0.0.1 only).

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use techoms_channels::shipbob::ShipBobConnector;
use techoms_channels::{
    ChannelConfig, ChannelError, Connector, Credentials, ExportProduct, ExportVariant, ReadQuery,
    RemoteIds, RemoteProduct, WriteOutcome, WriteResult,
};
use techoms_domain::{Length, LengthUnit, ProductStatus, VariantStatus, Weight, WeightUnit};
use techoms_simulators::SimClock;
use techoms_simulators::server::RunningSim;
use techoms_simulators::shipbob::{LoggedRequest, Merchant, Scope, ShipBobSim};

const VERSION: &str = "2026-01";

struct Env {
    sim: ShipBobSim,
    server: RunningSim,
    m: Merchant,
}

async fn env_with(clock: SimClock) -> Env {
    let sim = ShipBobSim::new(clock);
    let m = sim.add_merchant("Test merchant");
    // A second merchant on the same server must never be seen by the first.
    let other = sim.add_merchant("Other merchant");
    sim.create_product(other.user_id, &product_body("Other", &["OTHER-1"]))
        .expect("seed other merchant");
    let server = sim.start().await.expect("start simulator");
    Env { sim, server, m }
}

async fn env() -> Env {
    env_with(SimClock::manual(
        Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap(),
    ))
    .await
}

impl Env {
    fn connector(&self, extra: &[(&str, &str)]) -> ShipBobConnector {
        self.connector_with_token(&self.m.token, extra)
    }

    fn connector_with_token(&self, token: &str, extra: &[(&str, &str)]) -> ShipBobConnector {
        let mut settings: BTreeMap<String, String> = BTreeMap::from([
            ("base_url".to_owned(), self.server.base_url()),
            ("api_version".to_owned(), VERSION.to_owned()),
            (
                "shipbob_channel_id".to_owned(),
                self.m.channel_id.to_string(),
            ),
            ("timeout_seconds".to_owned(), "2".to_owned()),
        ]);
        for (k, v) in extra {
            settings.insert((*k).to_owned(), (*v).to_owned());
        }
        let config = ChannelConfig {
            channel_label: "shipbob test".into(),
            settings,
            credentials: Credentials::new(BTreeMap::from([(
                "access_token".to_owned(),
                token.to_owned(),
            )])),
        };
        ShipBobConnector::new(&config, reqwest::Client::new()).expect("build connector")
    }

    fn requests(&self, method: &str) -> Vec<LoggedRequest> {
        self.sim
            .requests()
            .into_iter()
            .filter(|r| r.method == method)
            .collect()
    }

    fn statuses(&self) -> Vec<u16> {
        self.sim.requests().iter().map(|r| r.status).collect()
    }
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

fn product_body(name: &str, skus: &[&str]) -> Value {
    json!({
        "name": name,
        "type_id": 1,
        "variants": skus.iter().map(|s| json!({"sku": s, "name": format!("{name} {s}"), "weight": 8,
            "dimension": {"length": 4, "width": 3, "height": 2}})).collect::<Vec<_>>(),
    })
}

fn variant(key: &str, sku: &str) -> ExportVariant {
    ExportVariant {
        key: key.to_owned(),
        remote: None,
        changed: true,
        sku: sku.to_owned(),
        option_values: vec![],
        barcode: Some(format!("0{}", sku.len() * 1_111_111)),
        price: Some(dec("19.99")),
        compare_at_price: None,
        cost: None,
        weight: Some(Weight::new(dec("500"), WeightUnit::G)),
        length: Some(Length::new(dec("100"), LengthUnit::Mm)),
        width: Some(Length::new(dec("50"), LengthUnit::Mm)),
        height: Some(Length::new(dec("25.4"), LengthUnit::Mm)),
        status: VariantStatus::Active,
    }
}

fn product(key: &str, title: &str, variants: Vec<ExportVariant>) -> ExportProduct {
    ExportProduct {
        key: key.to_owned(),
        remote_id: None,
        title: title.to_owned(),
        description_html: "<p>ignored by ShipBob</p>".into(),
        vendor: String::new(),
        product_type: String::new(),
        tags: vec![],
        status: ProductStatus::Active,
        options: if variants.iter().any(|v| !v.option_values.is_empty()) {
            vec!["Size".into()]
        } else {
            vec![]
        },
        images: vec![],
        variants,
    }
}

fn single(key: &str, sku: &str) -> ExportProduct {
    product(
        key,
        &format!("Product {sku}"),
        vec![variant(&format!("{key}-v"), sku)],
    )
}

async fn read_all(c: &ShipBobConnector, query: &ReadQuery) -> (Vec<RemoteProduct>, usize) {
    let mut cursor = None;
    let mut out = Vec::new();
    let mut pages = 0;
    loop {
        let page = c.read_products(query, cursor).await.expect("read page");
        pages += 1;
        out.extend(page.products);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return (out, pages),
        }
        assert!(pages < 100, "paging does not end");
    }
}

fn ids(r: &WriteResult) -> RemoteIds {
    r.outcome
        .ids()
        .cloned()
        .unwrap_or_else(|| panic!("no ids in {r:?}"))
}

fn sim_variant(env: &Env, sku: &str) -> Value {
    let p = env
        .sim
        .product_with_sku(env.m.user_id, sku)
        .unwrap_or_else(|| panic!("{sku} not in ShipBob"));
    p["variants"]
        .as_array()
        .and_then(|vs| {
            vs.iter()
                .find(|v| v["sku"].as_str().map(str::to_lowercase) == Some(sku.to_lowercase()))
        })
        .cloned()
        .expect("variant")
}

// ---------------------------------------------------------------------------------------------
// Reads

#[tokio::test]
async fn full_read_follows_next_links_and_resumes_from_a_cursor() {
    let env = env().await;
    for i in 0..7 {
        let skus: Vec<String> = if i == 3 {
            vec!["MULTI-S".into(), "MULTI-M".into()]
        } else {
            vec![format!("READ-{i}")]
        };
        let skus: Vec<&str> = skus.iter().map(String::as_str).collect();
        env.sim
            .create_product(env.m.user_id, &product_body(&format!("Item {i}"), &skus))
            .expect("seed");
    }
    let c = env.connector(&[("page_size", "3")]);
    let (products, pages) = read_all(&c, &ReadQuery::default()).await;
    assert_eq!(pages, 3);
    assert_eq!(products.len(), 7);
    let skus: Vec<&str> = products
        .iter()
        .flat_map(|p| p.variants.iter().map(|v| v.sku.as_str()))
        .collect();
    assert_eq!(skus.len(), 8);
    assert!(
        !skus.contains(&"OTHER-1"),
        "another merchant's product leaked: {skus:?}"
    );
    let multi = products
        .iter()
        .find(|p| p.variants.len() == 2)
        .expect("grouped product");
    assert_eq!(multi.title, "Item 3");
    assert_eq!(multi.options, vec!["Variant".to_owned()]);
    assert_eq!(
        multi.variants[0].option_values,
        vec!["Item 3 MULTI-S".to_owned()]
    );
    assert_eq!(
        multi.variants[0].weight,
        Some(Weight::new(dec("8"), WeightUnit::Oz))
    );

    // Every later page was reached through the `next` link (it carries ShipBob's cursor).
    let gets = env.requests("GET");
    assert_eq!(gets.len(), 3);
    assert!(
        gets[0]
            .query
            .as_deref()
            .is_some_and(|q| q.contains("PageSize=3") && !q.contains("Cursor"))
    );
    assert!(
        gets[1..]
            .iter()
            .all(|r| r.query.as_deref().is_some_and(|q| q.contains("Cursor=")))
    );

    // A cursor survives a restart: a new connector continues from page 2.
    let first = c
        .read_products(&ReadQuery::default(), None)
        .await
        .expect("page 1");
    let cursor = first.next_cursor.expect("cursor");
    let fresh = env.connector(&[("page_size", "3")]);
    let page2 = fresh
        .read_products(&ReadQuery::default(), Some(cursor))
        .await
        .expect("page 2");
    let ids1: Vec<&str> = first
        .products
        .iter()
        .map(|p| p.remote_id.as_str())
        .collect();
    assert_eq!(page2.products.len(), 3);
    assert!(
        page2
            .products
            .iter()
            .all(|p| !ids1.contains(&p.remote_id.as_str()))
    );
}

#[tokio::test]
async fn changed_since_uses_last_updated_timestamp() {
    let env = env().await;
    let clock = env.sim.clock();
    for sku in ["CS-1", "CS-2", "CS-3"] {
        env.sim
            .create_product(env.m.user_id, &product_body(sku, &[sku]))
            .expect("seed");
    }
    clock.advance(chrono::Duration::hours(1));
    env.sim
        .edit_variant(env.m.user_id, "CS-2", &json!({"name": "Renamed"}), true)
        .expect("edit");
    // A change ShipBob does not stamp: invisible to the filter.
    env.sim
        .edit_variant(env.m.user_id, "CS-3", &json!({"weight": 99}), false)
        .expect("edit");

    let c = env.connector(&[]);
    let since = Utc.with_ymd_and_hms(2026, 1, 5, 9, 30, 0).unwrap();
    let (products, _) = read_all(
        &c,
        &ReadQuery {
            changed_since: Some(since),
        },
    )
    .await;
    let skus: Vec<&str> = products
        .iter()
        .map(|p| p.variants[0].sku.as_str())
        .collect();
    assert_eq!(skus, vec!["CS-2"]);
    assert_eq!(
        products[0].updated_at,
        Some(Utc.with_ymd_and_hms(2026, 1, 5, 10, 0, 0).unwrap())
    );
    let q = env.requests("GET")[0].query.clone().unwrap_or_default();
    assert!(
        q.contains("LastUpdatedTimestamp=2026-01-05T09%3A30%3A00Z"),
        "{q}"
    );

    // The full read (the engine's periodic reconcile) sees the unstamped change.
    let (all, _) = read_all(&c, &ReadQuery::default()).await;
    let cs3 = all
        .iter()
        .find(|p| p.variants[0].sku == "CS-3")
        .expect("CS-3");
    // 99 oz, tidied to the grams that show as 99 oz at the 6 decimals we send.
    let w = cs3.variants[0].weight.expect("weight");
    assert_eq!(w.grams(), dec("2806.6028"));
    assert_eq!(w.to_unit(WeightUnit::Oz, 6), dec("99"));
}

#[tokio::test]
async fn find_by_skus_matches_case_insensitively_and_only_those_skus() {
    let env = env().await;
    env.sim
        .create_product(
            env.m.user_id,
            &product_body("Mug", &["Mug-Blue", "Mug-Red"]),
        )
        .expect("seed");
    env.sim
        .create_product(env.m.user_id, &product_body("Mugs set", &["MUG-BLUE-SET"]))
        .expect("seed");
    let c = env.connector(&[]);
    let found = c
        .find_by_skus(&["mug-blue ".into(), "MUG-BLUE".into(), "NOPE".into()])
        .await
        .expect("lookup");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].title, "Mug");
    assert_eq!(found[0].variants.len(), 2);
    // One request per distinct SKU key.
    assert_eq!(env.requests("GET").len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Writes

#[tokio::test]
async fn create_then_update_writes_only_changed_variants() {
    let env = env().await;
    let c = env.connector(&[]);
    let mut s = variant("v-s", "TEE-S");
    s.option_values = vec!["S".into()];
    let mut m = variant("v-m", "TEE-M");
    m.option_values = vec!["M".into()];
    let p = product("p-tee", "Tee", vec![s, m]);
    let results = c.write_products(vec![p.clone()]).await.expect("create");
    assert_eq!(results.len(), 2);
    assert!(
        results
            .iter()
            .all(|r| matches!(r.outcome, WriteOutcome::Created(_))),
        "{results:?}"
    );
    // Both variants live in one ShipBob product: created with the first, the second added.
    assert_eq!(env.sim.product_count(env.m.user_id), 1);
    assert_eq!(env.sim.variant_count(env.m.user_id), 2);
    let posts = env.requests("POST");
    assert_eq!(
        posts.iter().map(|r| r.path.as_str()).collect::<Vec<_>>(),
        vec![
            format!("/{VERSION}/product"),
            format!(
                "/{VERSION}/product/{}/variants",
                ids(&results[0]).product_id
            ),
        ]
    );
    assert_eq!(sim_variant(&env, "TEE-M")["name"], "Tee - M");

    // Second export: bound, only M changed (heavier, inactive).
    let mut bound = p.clone();
    bound.remote_id = Some(ids(&results[0]).product_id);
    for (v, r) in bound.variants.iter_mut().zip(&results) {
        v.remote = Some(ids(r));
        v.changed = false;
    }
    bound.variants[1].changed = true;
    bound.variants[1].weight = Some(Weight::new(dec("750"), WeightUnit::G));
    bound.variants[1].status = VariantStatus::Inactive;
    env.sim.clear_requests();
    let results = c.write_products(vec![bound.clone()]).await.expect("update");
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].sku, "TEE-M");
    assert!(
        matches!(
            &results[0].outcome,
            WriteOutcome::Updated { adopted: false, .. }
        ),
        "{results:?}"
    );
    assert_eq!(env.requests("PATCH").len(), 1);
    assert!(env.requests("POST").is_empty());
    let m = sim_variant(&env, "TEE-M");
    assert_eq!(m["status"], "Inactive");
    assert_eq!(m["weight"], json!({"weight": 26.455471, "unit": "oz"}));

    // Nothing changed: nothing sent.
    bound.variants[1].changed = false;
    env.sim.clear_requests();
    let before = env.sim.write_calls(env.m.user_id);
    assert!(
        c.write_products(vec![bound])
            .await
            .expect("noop")
            .is_empty()
    );
    assert_eq!(env.sim.write_calls(env.m.user_id), before);
    assert!(env.sim.requests().is_empty());
}

#[tokio::test]
async fn existing_unbound_sku_in_sync_is_adopted_without_a_write() {
    let env = env().await;
    let c = env.connector(&[]);
    // Export once, then forget the binding (a new techOMS install, a lost database…).
    let p = single("p1", "ADOPT-1");
    let first = c.write_products(vec![p.clone()]).await.expect("create");
    let existing = ids(&first[0]);
    env.sim.clear_requests();

    let again = c.write_products(vec![p]).await.expect("write");
    assert_eq!(again.len(), 1);
    assert_eq!(
        again[0].outcome,
        WriteOutcome::Updated {
            ids: existing,
            adopted: true
        }
    );
    assert_eq!(env.sim.variant_count(env.m.user_id), 1, "duplicate created");
    // One create attempt (refused: duplicate), one lookup, no patch: ShipBob already agrees.
    let statuses: Vec<(String, u16)> = env
        .sim
        .requests()
        .iter()
        .map(|r| (r.method.clone(), r.status))
        .collect();
    assert_eq!(statuses, vec![("POST".into(), 422), ("GET".into(), 200)]);
}

#[tokio::test]
async fn duplicate_sku_error_adopts_and_updates_the_existing_variant() {
    let env = env().await;
    // The merchant created the item in ShipBob by hand, with another spelling and old data.
    env.sim
        .create_product(env.m.user_id, &json!({"name": "Hand made", "variants": [{"sku": "dup-1", "name": "Hand made", "weight": 1}]}))
        .expect("seed");
    let c = env.connector(&[]);
    let results = c
        .write_products(vec![single("p1", "DUP-1")])
        .await
        .expect("write");
    assert_eq!(results.len(), 1);
    let WriteOutcome::Updated { ids, adopted: true } = &results[0].outcome else {
        panic!("not adopted: {results:?}");
    };
    assert_eq!(env.sim.variant_count(env.m.user_id), 1, "duplicate created");
    let v = sim_variant(&env, "DUP-1");
    assert_eq!(v["id"].to_string(), ids.variant_id);
    assert_eq!(v["sku"], "DUP-1");
    assert_eq!(v["weight"], json!({"weight": 17.636981, "unit": "oz"}));
    let post = &env.requests("POST")[0];
    assert_eq!(post.status, 422);
    assert_eq!(env.requests("PATCH").len(), 1);
}

#[tokio::test]
async fn weight_and_dimensions_survive_a_round_trip_to_four_decimals() {
    let env = env().await;
    let c = env.connector(&[]);
    let mut v = variant("v1", "UNITS-1");
    v.weight = Some(Weight::new(dec("1234.5678"), WeightUnit::G));
    v.length = Some(Length::new(dec("123.4567"), LengthUnit::Mm));
    v.width = Some(Length::new(dec("98.7654"), LengthUnit::Mm));
    v.height = Some(Length::new(dec("0.5"), LengthUnit::Mm));
    let original = v.clone();
    c.write_products(vec![product("p1", "Units", vec![v])])
        .await
        .expect("write");

    // ShipBob holds ounces and inches: exactly our conversion at 6 decimals.
    let stored = sim_variant(&env, "UNITS-1");
    assert_eq!(stored["weight"]["weight"], json!(43.548098));
    assert_eq!(stored["dimension"]["length"], json!(4.860500));
    assert_eq!(stored["dimension"]["height"], json!(0.019685));

    // Read back tidied: exactly the grams and millimetres written, not 1234.567799… g.
    let (products, _) = read_all(&c, &ReadQuery::default()).await;
    let back = &products[0].variants[0];
    assert_eq!(back.weight, original.weight);
    assert_eq!(back.length, original.length);
    assert_eq!(back.width, original.width);
    assert_eq!(back.height, original.height);
    assert_eq!(back.barcode, original.barcode);
    assert_eq!(back.status, VariantStatus::Active);
}

#[tokio::test]
async fn whole_grams_come_back_whole_and_only_held_fields_are_declared() {
    let env = env().await;
    let c = env.connector(&[]);
    let mut v = variant("v1", "TENT-2330");
    v.weight = Some(Weight::new(dec("2330"), WeightUnit::G));
    c.write_products(vec![product("p1", "Tent", vec![v])])
        .await
        .expect("write");
    let (products, _) = read_all(&c, &ReadQuery::default()).await;
    assert_eq!(
        products[0].variants[0].weight.map(|w| w.grams()),
        Some(dec("2330"))
    );
    // A weight entered at ShipBob in ounces keeps its exact grams.
    env.sim
        .edit_variant(env.m.user_id, "TENT-2330", &json!({"weight": 1}), false)
        .expect("edit");
    let (products, _) = read_all(&c, &ReadQuery::default()).await;
    assert_eq!(
        products[0].variants[0].weight,
        Some(Weight::new(dec("1"), WeightUnit::Oz))
    );

    // ShipBob holds no description, prices or images: the engine must keep the catalog's.
    let f = c.fields();
    assert!(f.title && f.barcode && f.weight && f.dimensions && f.variant_status);
    assert!(!(f.description_html || f.vendor || f.tags || f.images || f.status));
    assert!(!(f.price || f.compare_at_price || f.cost || f.options || f.option_values));
}

#[tokio::test]
async fn one_bad_item_fails_alone_with_shipbobs_text() {
    let env = env().await;
    env.sim.refuse_sku(
        env.m.user_id,
        "BAD-1",
        "Hazmat items need a compliance review.",
    );
    let c = env.connector(&[]);
    let results = c
        .write_products(vec![
            single("p1", "GOOD-1"),
            single("p2", "BAD-1"),
            single("p3", "GOOD-2"),
        ])
        .await
        .expect("write");
    assert_eq!(results.len(), 3);
    assert!(matches!(results[0].outcome, WriteOutcome::Created(_)));
    assert_eq!(
        results[1].outcome,
        WriteOutcome::Failed {
            message: "Variants[0]: Hazmat items need a compliance review.".into()
        }
    );
    assert!(matches!(results[2].outcome, WriteOutcome::Created(_)));

    // In a grouped patch the refused variant is found and only it fails.
    let mut a = variant("a", "GRP-A");
    a.option_values = vec!["A".into()];
    let mut b = variant("b", "GRP-B");
    b.option_values = vec!["B".into()];
    let p = product("pg", "Group", vec![a, b]);
    let created = c
        .write_products(vec![p.clone()])
        .await
        .expect("create group");
    env.sim.refuse_sku(
        env.m.user_id,
        "GRP-B",
        "Dimensions are locked for this item.",
    );
    let mut bound = p;
    for (v, r) in bound.variants.iter_mut().zip(&created) {
        v.remote = Some(ids(r));
        v.weight = Some(Weight::new(dec("600"), WeightUnit::G));
    }
    let results = c.write_products(vec![bound]).await.expect("update group");
    assert!(
        matches!(
            results[0].outcome,
            WriteOutcome::Updated { adopted: false, .. }
        ),
        "{results:?}"
    );
    assert_eq!(
        results[1].outcome,
        WriteOutcome::Failed {
            message: "Variants[0]: Dimensions are locked for this item.".into()
        }
    );
    assert_eq!(
        sim_variant(&env, "GRP-A")["weight"]["weight"],
        json!(21.164377)
    );
}

#[tokio::test]
async fn stale_bindings_are_repaired_by_sku_not_duplicated() {
    let env = env().await;
    let c = env.connector(&[]);
    let created = c
        .write_products(vec![single("p1", "STALE-1")])
        .await
        .expect("create");
    let real = ids(&created[0]);

    // A binding to a variant id ShipBob does not know in that product: the patch is refused,
    // the SKU is found where it really is, and updated there.
    let mut wrong_variant = single("p1", "STALE-1");
    wrong_variant.variants[0].remote = Some(RemoteIds {
        product_id: real.product_id.clone(),
        variant_id: "4242".into(),
        inventory_item_id: None,
    });
    wrong_variant.variants[0].weight = Some(Weight::new(dec("1000"), WeightUnit::G));
    let results = c.write_products(vec![wrong_variant]).await.expect("write");
    assert_eq!(
        results[0].outcome,
        WriteOutcome::Updated {
            ids: real.clone(),
            adopted: true
        }
    );
    assert_eq!(
        sim_variant(&env, "STALE-1")["weight"]["weight"],
        json!(35.273962)
    );

    // A binding to a product that no longer exists: the variant is made anew.
    let mut gone = single("p2", "STALE-2");
    gone.remote_id = Some("999999".into());
    gone.variants[0].remote = Some(RemoteIds {
        product_id: "999999".into(),
        variant_id: "1".into(),
        inventory_item_id: None,
    });
    let results = c.write_products(vec![gone]).await.expect("write");
    assert!(
        matches!(results[0].outcome, WriteOutcome::Created(_)),
        "{results:?}"
    );
    assert_eq!(env.sim.variant_count(env.m.user_id), 2);
}

// ---------------------------------------------------------------------------------------------
// Failures

#[tokio::test]
async fn reads_are_retried_through_server_errors() {
    let env = env().await;
    env.sim
        .create_product(env.m.user_id, &product_body("R", &["R-1"]))
        .expect("seed");
    env.sim
        .fail_next(env.m.user_id, Scope::Reads, 503, false, 2);
    let c = env.connector(&[]);
    let (products, _) = read_all(&c, &ReadQuery::default()).await;
    assert_eq!(products.len(), 1);
    assert_eq!(env.statuses(), vec![503, 503, 200]);
}

#[tokio::test]
async fn create_failing_with_5xx_before_commit_is_looked_up_then_retried() {
    let env = env().await;
    env.sim
        .fail_next(env.m.user_id, Scope::Writes, 500, false, 1);
    let c = env.connector(&[]);
    let results = c
        .write_products(vec![single("p1", "RETRY-1")])
        .await
        .expect("write");
    assert!(
        matches!(results[0].outcome, WriteOutcome::Created(_)),
        "{results:?}"
    );
    assert_eq!(env.sim.variant_count(env.m.user_id), 1);
    let calls: Vec<(String, u16)> = env
        .sim
        .requests()
        .iter()
        .map(|r| (r.method.clone(), r.status))
        .collect();
    assert_eq!(
        calls,
        vec![
            ("POST".into(), 500),
            ("GET".into(), 200),
            ("POST".into(), 201)
        ]
    );
}

#[tokio::test]
async fn create_failing_with_5xx_after_commit_is_adopted_not_duplicated() {
    let env = env().await;
    env.sim
        .fail_next(env.m.user_id, Scope::Writes, 502, true, 1);
    let c = env.connector(&[]);
    let results = c
        .write_products(vec![single("p1", "COMMIT-1")])
        .await
        .expect("write");
    assert!(
        matches!(
            results[0].outcome,
            WriteOutcome::Updated { adopted: true, .. }
        ),
        "{results:?}"
    );
    assert_eq!(env.sim.variant_count(env.m.user_id), 1);
    assert_eq!(env.requests("POST").len(), 1, "the create was repeated");
    assert!(
        env.requests("PATCH").is_empty(),
        "ShipBob already held what we sent"
    );
}

#[tokio::test]
async fn timeout_after_commit_creates_no_duplicate() {
    let env = env().await;
    env.sim
        .stall_next_writes(env.m.user_id, Duration::from_secs(3), 1);
    let c = env.connector(&[("timeout_seconds", "0.4")]);
    let mut grouped = product(
        "p1",
        "Stalled",
        vec![variant("a", "STALL-A"), variant("b", "STALL-B")],
    );
    grouped.variants[1].option_values = vec!["B".into()];
    let results = c.write_products(vec![grouped]).await.expect("write");
    assert_eq!(results.len(), 2);
    let a = ids(&results[0]);
    assert!(
        matches!(
            results[0].outcome,
            WriteOutcome::Updated { adopted: true, .. }
        ),
        "{results:?}"
    );
    // The stalled create was recognised as ours: the second variant joined its product.
    assert!(
        matches!(&results[1].outcome, WriteOutcome::Created(b) if b.product_id == a.product_id),
        "{results:?}"
    );
    assert_eq!(env.sim.product_count(env.m.user_id), 1);
    assert_eq!(env.sim.variant_count(env.m.user_id), 2);
    assert_eq!(env.requests("POST").len(), 2);
}

#[tokio::test]
async fn revoked_token_is_an_authentication_error_with_a_clear_message() {
    let env = env().await;
    let c = env.connector(&[]);
    env.sim.revoke_token(&env.m.token);
    let read = c
        .read_products(&ReadQuery::default(), None)
        .await
        .expect_err("read must fail");
    let write = c
        .write_products(vec![single("p1", "AUTH-1")])
        .await
        .expect_err("write must fail");
    for e in [read, write] {
        let ChannelError::Authentication(message) = &e else {
            panic!("not an authentication error: {e:?}");
        };
        assert!(
            message.contains("401") && message.contains("access token"),
            "{message}"
        );
        assert!(message.contains("revoked"), "{message}");
        assert!(
            !e.to_string().contains(&env.m.token),
            "the token leaked: {e}"
        );
    }
    // Not retried: one request each.
    assert_eq!(env.statuses(), vec![401, 401]);
    assert_eq!(env.sim.variant_count(env.m.user_id), 0);
}

#[tokio::test]
async fn a_foreign_channel_id_is_an_authentication_error() {
    let env = env().await;
    let c = env.connector(&[("shipbob_channel_id", "999")]);
    let e = c
        .write_products(vec![single("p1", "CH-1")])
        .await
        .expect_err("must fail");
    assert!(
        matches!(&e, ChannelError::Authentication(m) if m.contains("403") && m.contains("shipbob_channel_id")),
        "{e:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Rate limiting

#[tokio::test]
async fn steady_use_stays_inside_the_window_without_a_429() {
    let env = env_with(SimClock::system()).await;
    env.sim.set_rate_limit(5, Duration::from_secs(1));
    let c = env.connector(&[
        ("rate_limit_requests", "5"),
        ("rate_limit_window_seconds", "1"),
        ("page_size", "4"),
    ]);
    let start = Instant::now();
    let products: Vec<ExportProduct> = (0..12)
        .map(|i| single(&format!("p{i}"), &format!("RATE-{i}")))
        .collect();
    let results = c.write_products(products).await.expect("write");
    let (read, _) = read_all(&c, &ReadQuery::default()).await;
    let elapsed = start.elapsed();
    assert_eq!(results.len(), 12);
    assert!(
        results
            .iter()
            .all(|r| matches!(r.outcome, WriteOutcome::Created(_))),
        "{results:?}"
    );
    assert_eq!(read.len(), 12);
    // 12 creates + 3 pages at 5 per second: at least two full windows of waiting, and not
    // much more: the budget is used, not wasted.
    assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(3500), "{elapsed:?}");
    assert!(!env.statuses().contains(&429), "{:?}", env.statuses());
    assert_eq!(env.sim.requests().len(), 15);
}

#[tokio::test]
async fn a_429_is_honoured_for_its_wait_and_retried() {
    let env = env().await;
    env.sim.throttle_next(env.m.user_id, 1, 1);
    let c = env.connector(&[]);
    let start = Instant::now();
    let results = c
        .write_products(vec![single("p1", "THROTTLE-1")])
        .await
        .expect("write");
    assert!(start.elapsed() >= Duration::from_secs(1));
    assert!(
        matches!(results[0].outcome, WriteOutcome::Created(_)),
        "{results:?}"
    );
    // A throttled create was not carried out, so it is simply sent again.
    assert_eq!(env.statuses(), vec![429, 201]);
    assert_eq!(env.sim.variant_count(env.m.user_id), 1);
}

// ---------------------------------------------------------------------------------------------
// The exact requests

#[tokio::test]
async fn outbound_requests_snapshot() {
    let env = env().await;
    let c = env.connector(&[]);
    let mut s = variant("v-s", "SNAP-S");
    s.option_values = vec!["Small".into()];
    let mut l = variant("v-l", "SNAP-L");
    l.option_values = vec!["Large".into()];
    l.barcode = None;
    l.height = None;
    let p = product("p-snap", "Snapshot Tee", vec![s, l]);
    let created = c.write_products(vec![p.clone()]).await.expect("create");

    let mut bound = p;
    bound.remote_id = Some(ids(&created[0]).product_id);
    for (v, r) in bound.variants.iter_mut().zip(&created) {
        v.remote = Some(ids(r));
    }
    bound.variants[0].changed = false;
    bound.variants[1].weight = Some(Weight::new(dec("2"), WeightUnit::Lb));
    bound.variants[1].status = VariantStatus::Inactive;
    c.write_products(vec![bound]).await.expect("update");
    c.find_by_skus(&["SNAP-S".into()]).await.expect("lookup");
    c.read_products(
        &ReadQuery {
            changed_since: Some(Utc.with_ymd_and_hms(2026, 1, 5, 8, 59, 59).unwrap()),
        },
        None,
    )
    .await
    .expect("read");

    let log = env.sim.requests();
    let writes: Vec<&LoggedRequest> = log.iter().filter(|r| r.method != "GET").collect();
    assert!(
        writes
            .iter()
            .all(|r| r.shipbob_channel_id == Some(env.m.channel_id.to_string()))
    );
    assert!(
        log.iter()
            .filter(|r| r.method == "GET")
            .all(|r| r.shipbob_channel_id.is_none())
    );
    let pid = ids(&created[0]).product_id;
    let line = |r: &LoggedRequest| {
        let path = r.path.replace(&pid, "{product_id}");
        match &r.query {
            Some(q) => format!("{} {path}?{q}", r.method),
            None => format!("{} {path}", r.method),
        }
    };
    insta::assert_snapshot!(
        "request_lines",
        log.iter().map(line).collect::<Vec<_>>().join("\n")
    );
    insta::assert_json_snapshot!("create_product_body", writes[0].body);
    insta::assert_json_snapshot!("add_variant_body", writes[1].body);
    insta::assert_json_snapshot!("patch_body", writes[2].body, {
        ".variants[].id" => "[variant_id]",
    });
}
