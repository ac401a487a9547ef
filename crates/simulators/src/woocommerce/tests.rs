//! The simulator over HTTP: what a client written from WooCommerce's documentation relies on.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use super::*;

struct Site {
    store: StoreHandle,
    url: String,
    key: ApiKey,
    _running: RunningSim,
}

async fn site(clock: SimClock) -> Site {
    let sim = WooSim::new(clock);
    let store = sim.add_store("shop", StoreSettings::default());
    let key = store.issue_key(KeyPermissions::ReadWrite);
    let running = sim.start().await.unwrap();
    Site {
        url: format!("{}/wp-json/wc/v3", store.site_url(&running)),
        store,
        key,
        _running: running,
    }
}

async fn get(s: &Site, path_and_query: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}/{path_and_query}", s.url))
        .basic_auth(&s.key.consumer_key, Some(&s.key.consumer_secret))
        .send()
        .await
        .unwrap()
}

fn seed(n: usize) -> SeedProduct {
    SeedProduct {
        name: format!("P{n}"),
        sku: format!("SKU-{n}"),
        regular_price: "10".into(),
        description: "Hello".into(),
        ..SeedProduct::default()
    }
}

#[tokio::test]
async fn authentication_answers_like_woocommerce() {
    let s = site(SimClock::system()).await;
    let http = reqwest::Client::new();
    let anon = http
        .get(format!("{}/products", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 401);
    let body: Value = anon.json().await.unwrap();
    assert_eq!(
        body,
        json!({"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.", "data": {"status": 401}})
    );
    let wrong = http
        .get(format!("{}/products", s.url))
        .basic_auth(&s.key.consumer_key, Some("cs_nope"))
        .send()
        .await
        .unwrap();
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["code"], "woocommerce_rest_authentication_error");
    assert_eq!(body["message"], "Consumer secret is invalid.");
    let by_query = http
        .get(format!(
            "{}/products?consumer_key={}&consumer_secret={}",
            s.url, s.key.consumer_key, s.key.consumer_secret
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(by_query.status(), 200);
    let batch = http
        .post(format!("{}/products/batch", s.url))
        .json(&json!({"create": []}))
        .send()
        .await
        .unwrap();
    let body: Value = batch.json().await.unwrap();
    assert_eq!(body["code"], "woocommerce_rest_cannot_batch");
    let none = get(&s, "nothing/here").await;
    assert_eq!(none.status(), 404);
    let body: Value = none.json().await.unwrap();
    assert_eq!(body["code"], "rest_no_route");
}

#[tokio::test]
async fn pagination_headers_and_links() {
    let s = site(SimClock::system()).await;
    for n in 0..5 {
        s.store.insert(&seed(n)).unwrap();
    }
    let r = get(&s, "products?per_page=2&page=2&orderby=id&order=asc").await;
    assert_eq!(r.headers()["x-wp-total"], "5");
    assert_eq!(r.headers()["x-wp-totalpages"], "3");
    let link = r.headers()["link"].to_str().unwrap().to_owned();
    assert!(link.contains("page=1>; rel=\"prev\""), "{link}");
    assert!(link.contains("page=3>; rel=\"next\""), "{link}");
    let body: Value = r.json().await.unwrap();
    let names: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["P2", "P3"]);
    let past: Value = get(&s, "products?per_page=2&page=9")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(past, json!([]));
    let view: Value = get(&s, "products?per_page=1").await.json().await.unwrap();
    assert_eq!(view[0]["description"], "<p>Hello</p>\n");
    assert_eq!(view[0]["regular_price"], "10");
    let edit: Value = get(&s, "products?per_page=1&context=edit")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(edit[0]["description"], "Hello");
}

#[tokio::test]
async fn modified_after_is_exclusive_and_knows_gmt_from_local() {
    let t0 = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap();
    let clock = SimClock::manual(t0);
    let s = site(clock.clone()).await;
    let (a, _) = s.store.insert(&seed(1)).unwrap();
    clock.advance(chrono::Duration::seconds(1));
    let (b, _) = s.store.insert(&seed(2)).unwrap();
    let ids = |v: Value| -> Vec<u64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_u64().unwrap())
            .collect()
    };
    let at_a = get(
        &s,
        "products?modified_after=2024-05-01T10:00:00&dates_are_gmt=true",
    )
    .await;
    assert_eq!(ids(at_a.json().await.unwrap()), vec![b], "strictly after");
    let before_a = get(
        &s,
        "products?modified_after=2024-05-01T09:59:59&dates_are_gmt=true&orderby=id&order=asc",
    )
    .await;
    assert_eq!(ids(before_a.json().await.unwrap()), vec![a, b]);
    // Without dates_are_gmt the site's local time (UTC+2 here) is compared.
    let local = get(
        &s,
        "products?modified_after=2024-05-01T11:59:59&orderby=id&order=asc",
    )
    .await;
    assert_eq!(ids(local.json().await.unwrap()), vec![a, b]);
    let p: Value = get(&s, &format!("products/{a}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["date_modified_gmt"], "2024-05-01T10:00:00");
    assert_eq!(p["date_modified"], "2024-05-01T12:00:00");
}

#[tokio::test]
async fn sites_are_told_apart_by_path_and_by_host() {
    let sim = WooSim::new(SimClock::system());
    let a = sim.add_store("a", StoreSettings::default());
    let b = sim.add_store("shop-b.test", StoreSettings::default());
    let ka = a.issue_key(KeyPermissions::ReadWrite);
    let kb = b.issue_key(KeyPermissions::ReadWrite);
    a.insert(&seed(1)).unwrap();
    let running = sim.start().await.unwrap();
    let http = reqwest::Client::builder()
        .resolve("shop-b.test", running.addr)
        .build()
        .unwrap();
    let on_a = http
        .get(format!("{}/wp-json/wc/v3/products", a.site_url(&running)))
        .basic_auth(&ka.consumer_key, Some(&ka.consumer_secret))
        .send()
        .await
        .unwrap();
    assert_eq!(on_a.headers()["x-wp-total"], "1");
    let on_b = http
        .get(format!(
            "http://shop-b.test:{}/wp-json/wc/v3/products",
            running.addr.port()
        ))
        .basic_auth(&kb.consumer_key, Some(&kb.consumer_secret))
        .send()
        .await
        .unwrap();
    assert_eq!(on_b.status(), 200);
    assert_eq!(on_b.headers()["x-wp-total"], "0");
    // A's key means nothing on B.
    let cross = http
        .get(format!(
            "http://shop-b.test:{}/wp-json/wc/v3/products",
            running.addr.port()
        ))
        .basic_auth(&ka.consumer_key, Some(&ka.consumer_secret))
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 401);
}

#[tokio::test]
async fn faults_and_settings_over_http() {
    let s = site(SimClock::system()).await;
    let http = reqwest::Client::new();
    let admin = s.url.replace("/shop/wp-json/wc/v3", "/_sim/shop");
    let queued = http
        .post(format!("{admin}/faults"))
        .json(&json!({"fault": {"kind": "service_unavailable", "retry_after": "3"}, "scope": "reads"}))
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), 200);
    let r = get(&s, "settings/products").await;
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "3");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let settings: Value = get(&s, "settings/products").await.json().await.unwrap();
    let unit = settings
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "woocommerce_weight_unit")
        .unwrap();
    assert_eq!(unit["value"], "kg");
    let created = http
        .post(format!("{}/products", s.url))
        .basic_auth(&s.key.consumer_key, Some(&s.key.consumer_secret))
        .json(&json!({"name": "X"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    // Admin calls are not store writes; the product create is.
    let writes: Value = http
        .get(format!("{admin}/writes"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(writes["writes"], 1);
}

#[tokio::test]
async fn standalone_serves_a_generated_and_a_seeded_catalog() {
    // Keys are deterministic: the first key of site "shop" is the same everywhere.
    let key = WooSim::new(SimClock::system())
        .add_store("shop", StoreSettings::default())
        .issue_key(KeyPermissions::ReadWrite);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let opts = SimOptions {
        generate: Some(12),
        seed: 3,
        ..SimOptions::default()
    };
    let server = tokio::spawn(serve_standalone(listener, opts));
    let r = reqwest::Client::new()
        .get(format!("http://{addr}/shop/wp-json/wc/v3/products"))
        .basic_auth(&key.consumer_key, Some(&key.consumer_secret))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-wp-total"], "12");
    server.abort();

    let path = std::env::temp_dir().join(format!("woo-seed-{}.json", std::process::id()));
    let seed = json!({"stores": [{"site": "s2", "settings": {"weight_unit": "oz"},
        "keys": [{"consumer_key": "ck_seed", "consumer_secret": "cs_seed"}],
        "products": [{"name": "Mug", "sku": "M-1", "regular_price": "3"}]}]});
    std::fs::write(&path, seed.to_string()).unwrap();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let opts = SimOptions {
        seed_file: Some(path.clone()),
        ..SimOptions::default()
    };
    let server = tokio::spawn(serve_standalone(listener, opts));
    let body: Value = reqwest::Client::new()
        .get(format!("http://{addr}/s2/wp-json/wc/v3/products?sku=m-1"))
        .basic_auth("ck_seed", Some("cs_seed"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body[0]["sku"], "M-1");
    server.abort();
    let _ = std::fs::remove_file(path);
}
