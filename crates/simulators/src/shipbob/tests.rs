//! The simulator's own wire behaviour, exercised over HTTP as any client would.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use super::*;
use crate::server::RunningSim;

struct Fixture {
    sim: ShipBobSim,
    server: RunningSim,
    m: Merchant,
    http: reqwest::Client,
}

async fn fixture() -> Fixture {
    let clock = SimClock::manual(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    let sim = ShipBobSim::new(clock);
    let m = sim.add_merchant("Fixture");
    let server = sim.start().await.unwrap();
    Fixture {
        sim,
        server,
        m,
        http: reqwest::Client::new(),
    }
}

impl Fixture {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut rb = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.m.token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    fn seed(&self, n: usize) {
        for i in 0..n {
            self.sim
                .create_product(
                    self.m.user_id,
                    &json!({"name": format!("P{i}"), "variants": [{"sku": format!("S-{i}")}]}),
                )
                .unwrap();
        }
    }
}

#[tokio::test]
async fn unknown_missing_and_revoked_tokens_get_401() {
    let f = fixture().await;
    let resp = f.http.get(f.url("/2026-01/product")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert!(resp.headers().get("www-authenticate").is_some());
    let resp = f
        .http
        .get(f.url("/2026-01/product"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(
        f.call(reqwest::Method::GET, "/2026-01/product", None)
            .await
            .0,
        200
    );
    f.sim.revoke_token(&f.m.token);
    assert_eq!(
        f.call(reqwest::Method::GET, "/2026-01/product", None)
            .await
            .0,
        401
    );
    // Unknown versions are not served.
    assert_eq!(
        f.http
            .get(f.url("/1999-01/product"))
            .bearer_auth("x")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
}

#[tokio::test]
async fn sliding_window_headers_and_429_body() {
    let f = fixture().await;
    f.sim.set_rate_limit(2, Duration::from_secs(60));
    let (s1, h1, _) = f.call(reqwest::Method::GET, "/2026-01/product", None).await;
    let (s2, h2, _) = f.call(reqwest::Method::GET, "/2026-01/product", None).await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(h1["x-remaining-calls"], "1");
    assert_eq!(h2["x-remaining-calls"], "0");
    let (s3, h3, body) = f.call(reqwest::Method::GET, "/2026-01/product", None).await;
    assert_eq!(s3, 429);
    assert_eq!(h3["x-retry-after"], "60");
    assert_eq!(
        body,
        json!({"statusCode": 429, "message": "Rate limit is exceeded. Try again in 60 seconds."})
    );
    // The window slides with the (manual) clock.
    f.sim.clock().advance(chrono::Duration::seconds(61));
    assert_eq!(
        f.call(reqwest::Method::GET, "/2026-01/product", None)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn paging_links_walk_forward_and_back() {
    let f = fixture().await;
    f.seed(5);
    let (_, _, p1) = f
        .call(reqwest::Method::GET, "/2026-01/product?pagesize=2", None)
        .await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    assert_eq!(p1["prev"], Value::Null);
    assert_eq!(p1["first"], "/2026-01/product?pagesize=2");
    let next = p1["next"].as_str().unwrap().to_owned();
    let (_, _, p2) = f.call(reqwest::Method::GET, &next, None).await;
    assert_eq!(p2["items"][0]["variants"][0]["sku"], "S-2");
    let (_, _, back) = f
        .call(reqwest::Method::GET, p2["prev"].as_str().unwrap(), None)
        .await;
    assert_eq!(back["items"], p1["items"]);
    let (_, _, last) = f
        .call(reqwest::Method::GET, p1["last"].as_str().unwrap(), None)
        .await;
    // The last page holds the final items.
    let skus: Vec<&Value> = last["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["variants"][0]["sku"])
        .collect();
    assert_eq!(skus, vec!["S-3", "S-4"]);
    assert_eq!(last["next"], Value::Null);
    assert!(last["prev"].is_string());
    let (status, _, err) = f
        .call(reqwest::Method::GET, "/2026-01/product?PageSize=251", None)
        .await;
    assert_eq!(status, 400);
    assert!(err["errors"]["PageSize"].is_array(), "{err}");
}

#[tokio::test]
async fn duplicate_skus_get_422_and_shapes_carry_units() {
    let f = fixture().await;
    let body = json!({"name": "Mug", "type_id": 1, "variants": [{"sku": "MUG-1", "weight": 12.5,
        "dimension": {"length": 4, "width": 3.5, "height": 2}, "barcodes": [{"value": "123"}]}]});
    let (status, _, created) = f
        .call(reqwest::Method::POST, "/2026-01/product", Some(body))
        .await;
    assert_eq!(status, 201);
    let v = &created["variants"][0];
    assert_eq!(v["weight"], json!({"weight": 12.5, "unit": "oz"}));
    assert_eq!(v["dimension"]["unit"], "in");
    assert_eq!(v["status"], "Active");
    assert_eq!(created["created_on"], "2026-01-05T09:00:00Z");
    let (status, _, err) = f
        .call(
            reqwest::Method::POST,
            "/2026-01/product",
            Some(json!({"name": "Again", "variants": [{"sku": " mug-1"}]})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        err["errors"]["Variants[0].Sku"][0],
        "A product variant with SKU 'mug-1' already exists."
    );
    let (status, _, err) = f
        .call(
            reqwest::Method::POST,
            "/2026-01/product",
            Some(json!({"name": "Bad", "variants": [{"sku": "X", "weight": "heavy"}]})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(err["errors"]["$.variants[0].weight"].is_array(), "{err}");
    // SKU search is exact (case-insensitive); Search is partial.
    let (_, _, by_sku) = f
        .call(reqwest::Method::GET, "/2026-01/product?SKU=MUG", None)
        .await;
    assert_eq!(by_sku["items"].as_array().unwrap().len(), 0);
    let (_, _, by_search) = f
        .call(reqwest::Method::GET, "/2026-01/product?Search=mug", None)
        .await;
    assert_eq!(by_search["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn patch_is_a_merge_that_moves_updated_on() {
    let f = fixture().await;
    f.seed(1);
    let p = f.sim.product_with_sku(f.m.user_id, "S-0").unwrap();
    let (pid, vid) = (
        p["id"].as_u64().unwrap(),
        p["variants"][0]["id"].as_u64().unwrap(),
    );
    f.sim.clock().advance(chrono::Duration::minutes(5));
    let (status, _, after) = f
        .call(
            reqwest::Method::PATCH,
            &format!("/2026-01/product/{pid}"),
            Some(json!({"variants": [{"id": vid, "weight": 3}]})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(after["variants"][0]["weight"]["weight"], 3);
    assert_eq!(after["variants"][0]["sku"], "S-0");
    assert_eq!(after["updated_on"], "2026-01-05T09:05:00Z");
    let (_, _, since) = f
        .call(
            reqwest::Method::GET,
            "/2026-01/product?LastUpdatedTimestamp=2026-01-05T09:01:00Z",
            None,
        )
        .await;
    assert_eq!(since["items"].as_array().unwrap().len(), 1);
    let (status, _, _) = f
        .call(
            reqwest::Method::PATCH,
            "/2026-01/product/42",
            Some(json!({"variants": []})),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn admin_endpoints_inject_faults_and_report() {
    let f = fixture().await;
    let uid = f.m.user_id;
    let r = f
        .http
        .post(f.url(&format!("/_sim/accounts/{uid}/faults")))
        .json(&json!({"scope": "reads", "times": 1, "fault": {"kind": "server_error", "status": 503, "after_commit": false}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert_eq!(
        f.call(reqwest::Method::GET, "/2026-01/product", None)
            .await
            .0,
        503
    );
    assert_eq!(
        f.call(reqwest::Method::GET, "/2026-01/product", None)
            .await
            .0,
        200
    );
    let log: Value = f
        .http
        .get(f.url("/_sim/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log.as_array().unwrap().len(), 2);
    assert!(
        !log.to_string().contains(&f.m.token),
        "the log must never hold the token"
    );
    f.http
        .post(f.url(&format!("/_sim/accounts/{uid}/revoke")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        f.call(reqwest::Method::GET, "/2026-01/product", None)
            .await
            .0,
        401
    );
    let accounts: Value = f
        .http
        .get(f.url("/_sim/accounts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(accounts[0]["user_id"], uid);
}

#[tokio::test]
async fn merchants_do_not_see_each_other() {
    let f = fixture().await;
    f.seed(2);
    let other = f.sim.add_merchant("Other");
    let resp: Value = f
        .http
        .get(f.url("/2026-01/product"))
        .bearer_auth(&other.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(resp["items"].as_array().unwrap().len(), 0);
    let pid = f.sim.products(f.m.user_id)[0]["id"].as_u64().unwrap();
    let status = f
        .http
        .get(f.url(&format!("/2026-01/product/{pid}")))
        .bearer_auth(&other.token)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 404);
}

#[test]
fn seeding_from_file_and_generation_is_deterministic() {
    let dir = std::env::temp_dir().join(format!("shipbob-seed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("seed.json");
    std::fs::write(
        &path,
        json!({"accounts": [{"name": "Demo", "products": [{"name": "Light Roast", "type_id": 1,
            "variants": [{"sku": "LR-12", "weight": 12.5, "dimension": {"length": 6, "width": 4, "height": 2},
            "barcodes": [{"value": "0123"}], "status_id": 0}]}]}]})
        .to_string(),
    )
    .unwrap();
    let sim = ShipBobSim::new(SimClock::system());
    let merchants = seed::from_file(&sim, &path).unwrap();
    assert_eq!(sim.product_count(merchants[0].user_id), 1);
    std::fs::remove_dir_all(&dir).ok();

    let a = ShipBobSim::new(SimClock::manual(
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    ));
    let b = ShipBobSim::new(SimClock::manual(
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    ));
    let (ma, mb) = (seed::generate(&a, 20, 7), seed::generate(&b, 20, 7));
    assert_eq!(a.products(ma.user_id), b.products(mb.user_id));
    assert_eq!(a.product_count(ma.user_id), 20);
}

#[tokio::test]
async fn standalone_server_serves_generated_products() {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let opts = crate::server::SimOptions {
        seed_file: None,
        generate: Some(3),
        seed: 11,
    };
    let task = tokio::spawn(serve_standalone(listener, opts));
    let http = reqwest::Client::new();
    let accounts: Value = http
        .get(format!("http://{addr}/_sim/accounts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = accounts[0]["access_token"].as_str().unwrap().to_owned();
    let page: Value = http
        .get(format!("http://{addr}/2026-01/product"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    task.abort();
}
