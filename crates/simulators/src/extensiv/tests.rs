//! The simulator's own behaviour, exercised over HTTP.

use base64::Engine;
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use super::*;

struct Fixture {
    sim: ExtensivSim,
    _running: crate::RunningSim,
    base: String,
    creds: TenantCredentials,
    http: reqwest::Client,
}

async fn fixture() -> Fixture {
    let clock = SimClock::manual(Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap());
    let sim = ExtensivSim::new(clock);
    let creds = sim.add_tenant();
    let running = sim.start().await.unwrap();
    Fixture {
        base: running.base_url(),
        sim,
        _running: running,
        creds,
        http: reqwest::Client::new(),
    }
}

fn basic(creds: &TenantCredentials) -> String {
    let raw = format!("{}:{}", creds.client_id, creds.client_secret);
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

impl Fixture {
    async fn token(&self) -> String {
        let resp = self
            .http
            .post(format!("{}/AuthServer/api/Token", self.base))
            .header("Authorization", basic(&self.creds))
            .json(&json!({"grant_type": "client_credentials", "tpl": self.creds.tpl_key, "user_login_id": self.creds.user_login_id}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3600);
        body["access_token"].as_str().unwrap().to_string()
    }

    async fn get(&self, token: &str, path_and_query: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{}", self.base, path_and_query))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    fn items_path(&self) -> String {
        format!("/customers/{}/items", self.creds.customer_id)
    }

    fn seed(&self, n: usize) {
        for i in 1..=n {
            self.sim
                .insert_item(
                    self.creds.customer_id,
                    json!({"sku": format!("SKU-{i:03}"), "description": format!("Item {i}"), "price": i}),
                )
                .unwrap();
        }
    }
}

#[tokio::test]
async fn token_refusals_and_expiry() {
    let f = fixture().await;
    let url = format!("{}/AuthServer/api/Token", f.base);
    let bad = f
        .http
        .post(&url)
        .basic_auth(&f.creds.client_id, Some("wrong"))
        .json(&json!({"grant_type": "client_credentials", "user_login_id": f.creds.user_login_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    assert_eq!(
        bad.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    let no_login = f
        .http
        .post(&url)
        .header("Authorization", basic(&f.creds))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_login.status(), 400);

    let token = f.token().await;
    assert_eq!(f.get(&token, &f.items_path()).await.status(), 200);
    assert_eq!(f.get("nope", &f.items_path()).await.status(), 401);
    f.sim.clock().advance(chrono::Duration::seconds(3601));
    assert_eq!(f.get(&token, &f.items_path()).await.status(), 401);
    let fresh = f.token().await;
    f.sim.revoke_credentials(f.creds.customer_id);
    assert_eq!(f.get(&fresh, &f.items_path()).await.status(), 401);
    let refused = f
        .http
        .post(&url)
        .header("Authorization", basic(&f.creds))
        .json(&json!({"grant_type": "client_credentials", "user_login_id": f.creds.user_login_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(f.sim.stats().unauthorized, 3);
}

#[tokio::test]
async fn paging_filtering_and_links() {
    let f = fixture().await;
    f.seed(25);
    let token = f.token().await;
    let page: Value = f
        .get(&token, &format!("{}?pgsiz=10&pgnum=3", f.items_path()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["totalResults"], 25);
    let items = page["_embedded"][ITEM_REL].as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert_eq!(items[0]["sku"], "SKU-021");
    assert!(page["_links"]["next"].is_null());
    assert!(
        page["_links"]["prev"]["href"]
            .as_str()
            .unwrap()
            .contains("pgnum=2")
    );

    let rql = http::encode_component("sku=in=(sku-002,SKU-004),price=ge=24");
    let filtered: Value = f
        .get(
            &token,
            &format!("{}?pgsiz=100&rql={rql}&sort=-itemId", f.items_path()),
        )
        .await
        .json()
        .await
        .unwrap();
    let skus: Vec<&str> = filtered["_embedded"][ITEM_REL]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["sku"].as_str().unwrap())
        .collect();
    assert_eq!(skus, vec!["SKU-025", "SKU-024", "SKU-004", "SKU-002"]);

    let too_big = f
        .get(&token, &format!("{}?pgsiz=101", f.items_path()))
        .await;
    assert_eq!(too_big.status(), 400);
    let err: Value = too_big.json().await.unwrap();
    assert_eq!(err["ErrorCode"], "NotParsable");
    assert_eq!(err["Parameters"], json!(["pgsiz"]));
    let bad_rql: Value = f
        .get(&token, &format!("{}?rql=gorp%3D%3D1", f.items_path()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bad_rql["Hint"], "Properties not supported: gorp");
}

#[tokio::test]
async fn writes_need_matching_etags_and_unique_skus() {
    let f = fixture().await;
    let token = f.token().await;
    let create = |body: Value| {
        f.http
            .post(format!("{}{}", f.base, f.items_path()))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let body = json!({"sku": "MUG-1", "description": "Mug", "options": {"inventoryUnit": {"unitIdentifier": {"name": "Each"}}}});
    let created = create(body.clone()).await.unwrap();
    assert_eq!(created.status(), 201);
    let etag = created.headers()["etag"].to_str().unwrap().to_string();
    let item: Value = created.json().await.unwrap();
    let id = item["itemId"].as_u64().unwrap();
    assert_eq!(item["readOnly"]["lastModifiedDate"], "2024-05-01T12:00:00");

    let dup = create(json!({"sku": " mug-1 ", "description": "x", "options": {"inventoryUnit": {"unitIdentifier": {"id": 1}}}}))
        .await
        .unwrap();
    assert_eq!(dup.status(), 400);
    let dup: Value = dup.json().await.unwrap();
    assert_eq!(dup["ErrorCode"], "Duplicate");
    assert_eq!(dup["Properties"][0]["Name"], "Sku");

    let put = |if_match: Option<&str>, body: Value| {
        let mut r = f
            .http
            .put(format!("{}{}/{id}", f.base, f.items_path()))
            .bearer_auth(&token)
            .json(&body);
        if let Some(m) = if_match {
            r = r.header("If-Match", m);
        }
        r.send()
    };
    assert_eq!(put(None, body.clone()).await.unwrap().status(), 428);
    f.sim.clock().advance(chrono::Duration::seconds(5));
    f.sim.edit_item(
        f.creds.customer_id,
        id,
        json!({"countryOfManufacture": "MX"}),
    );
    assert_eq!(put(Some(&etag), body.clone()).await.unwrap().status(), 412);
    let fresh = f.get(&token, &format!("{}/{id}", f.items_path())).await;
    let fresh_etag = fresh.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(fresh_etag, etag);
    let fresh_item: Value = fresh.json().await.unwrap();
    assert_eq!(
        fresh_item["readOnly"]["lastModifiedDate"],
        "2024-05-01T12:00:05"
    );
    // A PUT replaces the writable members: what the body leaves out is gone.
    let ok = put(Some(&fresh_etag), body).await.unwrap();
    assert_eq!(ok.status(), 200);
    let after = f.sim.item(f.creds.customer_id, id).unwrap();
    assert!(after.get("countryOfManufacture").is_none());
    assert_eq!(after["itemId"], id);
    let stats = f.sim.stats();
    assert_eq!(
        (
            stats.creates,
            stats.updates,
            stats.conflicts,
            stats.item_writes
        ),
        (1, 1, 1, 5)
    );
}

#[tokio::test]
async fn faults_throttle_fail_and_reject() {
    let f = fixture().await;
    f.seed(1);
    let token = f.token().await;
    f.sim.set_retry_after(f.creds.customer_id, Some("2"));
    f.sim.throttle_next(f.creds.customer_id, 1);
    let r = f.get(&token, &f.items_path()).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "2");
    f.sim.fail_next(f.creds.customer_id, 1, 503);
    assert_eq!(f.get(&token, &f.items_path()).await.status(), 503);
    assert_eq!(f.get(&token, &f.items_path()).await.status(), 200);
    f.sim
        .reject_sku(f.creds.customer_id, "bad-1", "UPC is not valid");
    let r = f
        .http
        .post(format!("{}{}", f.base, f.items_path()))
        .bearer_auth(&token)
        .json(&json!({"sku": "BAD-1", "description": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["Hint"], "UPC is not valid");
    f.sim.expire_tokens_after(f.creds.customer_id, 1);
    assert_eq!(f.get(&token, &f.items_path()).await.status(), 200);
    assert_eq!(f.get(&token, &f.items_path()).await.status(), 401);
    let logged = f.sim.requests();
    assert!(logged.iter().any(|r| r.status == 429));
    assert_eq!(logged.last().unwrap().status, 401);
}

#[tokio::test]
async fn tenants_are_isolated() {
    let f = fixture().await;
    let other = f.sim.add_tenant();
    assert_ne!(other.client_id, f.creds.client_id);
    f.sim
        .insert_item(other.customer_id, json!({"sku": "X", "description": "x"}))
        .unwrap();
    let token = f.token().await;
    let r = f
        .get(&token, &format!("/customers/{}/items", other.customer_id))
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn generated_seed_is_deterministic() {
    let a = ExtensivSim::new(SimClock::manual(
        Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
    ));
    let b = ExtensivSim::new(SimClock::manual(
        Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
    ));
    let (ca, cb) = (a.add_tenant(), b.add_tenant());
    assert_eq!(ca, cb);
    seed::generate(&a, ca.customer_id, 5, 7).unwrap();
    seed::generate(&b, cb.customer_id, 5, 7).unwrap();
    assert_eq!(a.items(ca.customer_id), b.items(cb.customer_id));
    assert_eq!(a.items(ca.customer_id).len(), 5);
}

#[tokio::test]
async fn admin_endpoints_control_the_simulator() {
    let f = fixture().await;
    let admin = |path: &str| format!("{}/_sim{path}", f.base);
    let created: Value = f
        .http
        .post(admin(&format!("/customers/{}/items", f.creds.customer_id)))
        .json(&json!({"sku": "ADM-1", "description": "Admin"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["itemId"].as_u64().unwrap();
    let r = f
        .http
        .post(admin(&format!("/customers/{}/faults", f.creds.customer_id)))
        .json(&json!({"kind": "throttle", "count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let token = f.token().await;
    assert_eq!(f.get(&token, &f.items_path()).await.status(), 429);
    let r = f
        .http
        .patch(admin(&format!(
            "/customers/{}/items/{id}",
            f.creds.customer_id
        )))
        .json(&json!({"patch": {"description": "Edited"}, "silent": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let item = f.sim.item(f.creds.customer_id, id).unwrap();
    assert_eq!(item["description"], "Edited");
    assert_eq!(
        item["readOnly"]["lastModifiedDate"],
        item["readOnly"]["creationDate"]
    );
    let stats: Value = f
        .http
        .get(admin("/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["throttled"], 1);
    let log: Value = f
        .http
        .get(admin("/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Admin calls are not logged; the token request and the throttled GET are.
    assert_eq!(log.as_array().unwrap().len(), 2);
    let r = f
        .http
        .post(admin("/clock/advance"))
        .json(&json!({"seconds": 7200}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(f.get(&token, &f.items_path()).await.status(), 401);
}

#[tokio::test]
async fn standalone_server_seeds_and_serves() {
    let path = std::env::temp_dir().join(format!("extensiv-seed-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"{"items": [{"sku": "S-1", "description": "One", "price": 1.5},
                      {"sku": "S-2", "description": "Two", "options": {"packageUnit": {"imperial": {"weight": 2}}}}]}"#,
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let opts = SimOptions {
        seed_file: Some(path.clone()),
        ..SimOptions::default()
    };
    let server = tokio::spawn(serve_standalone(listener, opts));
    // The first warehouse of any simulator gets the same credentials.
    let creds = ExtensivSim::new(SimClock::system()).add_tenant();
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{base}/AuthServer/api/Token"))
        .header("Authorization", basic(&creds))
        .json(&json!({"grant_type": "client_credentials", "user_login_id": creds.user_login_id}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let page: Value = http
        .get(format!("{base}/customers/{}/items", creds.customer_id))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["totalResults"], 2);
    assert_eq!(
        page["_embedded"][ITEM_REL][1]["options"]["inventoryUnit"]["unitIdentifier"]["name"],
        "Each"
    );
    server.abort();
    let _ = std::fs::remove_file(path);
}
