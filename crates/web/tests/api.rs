//! The JSON API: accounts, channels, the Master Product Source, job periods, bad input, and
//! the OpenAPI document. Storage-touching cases run on SQLite and PostgreSQL.

mod common;

use axum::http::{Method, StatusCode};
use chrono::Utc;
use common::*;
use serde_json::{Value, json};
use techoms_domain::*;
use techoms_testkit::TestDb;

/// Give account A a product, which makes it live (DESIGN §4).
async fn make_live(t: &TestApp) {
    let account: AccountId = t.a.account_id.parse().unwrap();
    let id = ProductId::new();
    let now = techoms_domain::clock::truncate_micros(Utc::now());
    let p = Product {
        id,
        account_id: account,
        title: "Parka".into(),
        description_html: String::new(),
        vendor: String::new(),
        product_type: String::new(),
        tags: vec![],
        status: ProductStatus::Active,
        options: vec![],
        images: vec![],
        variants: vec![Variant {
            id: VariantId::new(),
            product_id: id,
            sku: Sku::parse("PK-1").unwrap(),
            position: 0,
            option_values: vec![],
            barcode: None,
            price: None,
            compare_at_price: None,
            cost: None,
            weight: None,
            length: None,
            width: None,
            height: None,
            status: VariantStatus::Active,
            created_at: now,
            updated_at: now,
        }],
        created_at: now,
        updated_at: now,
    };
    techoms_db::products::create(&t.app.db, account, &p)
        .await
        .unwrap();
}

fn field_of(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn master_product_source_end_to_end_on_both_backends() {
    for db in TestDb::all().await {
        let t = TestApp::new(db).await;
        let key = t.a.api_key.clone();
        // Default: techOMS.
        let (st, v) = t
            .api(
                &key,
                Method::GET,
                "/api/v1/account/master-product-source",
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(v, json!({"source": "techoms", "channel_id": null}));

        let shop = t.create_channel(&key, "shopify", "Shopify US", true).await;
        let woo = t.create_channel(&key, "woocommerce", "Woo EU", false).await;
        let bob = t.create_channel(&key, "shipbob", "ShipBob", true).await;
        let ext = t.create_channel(&key, "extensiv", "Extensiv", true).await;
        let b_shop = t
            .create_channel(&t.b.api_key, "shopify", "B shop", true)
            .await;

        // Options: only this account's channels of the kind, disabled ones labelled.
        let (st, v) = t
            .api(
                &key,
                Method::GET,
                "/api/v1/account/master-product-source/options?source=sales_channel",
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let labels: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["label"].as_str().unwrap())
            .collect();
        assert_eq!(labels, vec!["Shopify US", "Woo EU (disabled)"]);
        assert_eq!(v[1]["enabled"], json!(false));
        let (_, v) = t
            .api(
                &key,
                Method::GET,
                "/api/v1/account/master-product-source/options?source=fulfillment_channel",
                None,
            )
            .await;
        let ids: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 2);
        assert!(ids.contains(&bob.as_str()) && ids.contains(&ext.as_str()));
        let (st, v) = t
            .api(
                &key,
                Method::GET,
                "/api/v1/account/master-product-source/options?source=nonsense",
                None,
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(field_of(&v), vec!["source"]);

        // Refusals, each naming the field, nothing stored.
        let put = |body: Value| {
            t.api(
                &key,
                Method::PUT,
                "/api/v1/account/master-product-source",
                Some(body),
            )
        };
        for (body, field) in [
            (json!({"source": "sales_channel"}), "channel_id"),
            (
                json!({"source": "sales_channel", "channel_id": bob}),
                "channel_id",
            ),
            (
                json!({"source": "fulfillment_channel", "channel_id": shop}),
                "channel_id",
            ),
            (
                json!({"source": "sales_channel", "channel_id": b_shop}),
                "channel_id",
            ),
            (
                json!({"source": "techoms", "channel_id": shop}),
                "channel_id",
            ),
            (
                json!({"source": "sales_channel", "channel_id": "not-a-uuid"}),
                "channel_id",
            ),
            (json!({"source": "amazon_channel"}), "source"),
            (json!({}), "source"),
            (json!({"source": "techoms", "confirm": "yes"}), "confirm"),
            (json!({"source": "techoms", "colour": "red"}), "colour"),
        ] {
            let (st, v) = put(body.clone()).await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {v}");
            assert_eq!(v["status"], json!(422));
            assert_eq!(field_of(&v), vec![field.to_string()], "{body} → {v}");
        }
        let (_, v) = t
            .api(
                &key,
                Method::GET,
                "/api/v1/account/master-product-source",
                None,
            )
            .await;
        assert_eq!(v["source"], "techoms", "refused changes stored nothing");

        // A disabled channel may be chosen; the account is not live yet, so no confirmation.
        let (st, v) = put(json!({"source": "sales_channel", "channel_id": woo})).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["source"], "sales_channel");
        let changes = v["job_changes"].as_array().unwrap();
        assert!(
            changes.iter().any(|c| c["channel_id"] == json!(woo)
                && c["job_kind"] == "import_products"
                && c["to"] == "1h"),
            "{v}"
        );

        // Jobs: import only on the master, export never on it.
        let (st, v) = t
            .api(
                &key,
                Method::GET,
                &format!("/api/v1/channels/{woo}/jobs"),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(v["import_products"], "1h");
        let (st, v) = t
            .api(
                &key,
                Method::PUT,
                &format!("/api/v1/channels/{shop}/jobs"),
                Some(json!({"import_products": "15m"})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(field_of(&v), vec!["import_products"]);
        let (st, _) = t
            .api(
                &key,
                Method::PUT,
                &format!("/api/v1/channels/{woo}/jobs"),
                Some(json!({"export_products": "1h"})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        let (st, v) = t
            .api(
                &key,
                Method::PUT,
                &format!("/api/v1/channels/{shop}/jobs"),
                Some(json!({"export_products": "30m"})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let (st, v) = t
            .api(
                &key,
                Method::PUT,
                &format!("/api/v1/channels/{shop}/jobs"),
                Some(json!({"export_products": "7m"})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

        // The master channel cannot be deleted.
        let (st, _) = t
            .api(
                &key,
                Method::DELETE,
                &format!("/api/v1/channels/{woo}"),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT);

        // Live account: a change needs confirmation and says what it will do.
        make_live(&t).await;
        let (st, v) = put(json!({"source": "fulfillment_channel", "channel_id": bob})).await;
        assert_eq!(st, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["details"]["catalog_products"], json!(1));
        assert!(
            v["details"]["warning"]
                .as_str()
                .unwrap()
                .contains("ShipBob")
        );
        let planned = v["details"]["job_changes"].as_array().unwrap().clone();
        let (_, still) = t
            .api(
                &key,
                Method::GET,
                "/api/v1/account/master-product-source",
                None,
            )
            .await;
        assert_eq!(
            still["channel_id"],
            json!(woo),
            "nothing changed without confirm"
        );
        let (st, v) =
            put(json!({"source": "fulfillment_channel", "channel_id": bob, "confirm": true})).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["job_changes"].as_array().unwrap(), &planned);
        // Import moved to ShipBob; Woo (the former master) now receives exports.
        let (_, bob_jobs) = t
            .api(
                &key,
                Method::GET,
                &format!("/api/v1/channels/{bob}/jobs"),
                None,
            )
            .await;
        assert_eq!(bob_jobs["import_products"], "1h");
        assert_eq!(bob_jobs["export_products"], "none");
        let (_, woo_jobs) = t
            .api(
                &key,
                Method::GET,
                &format!("/api/v1/channels/{woo}/jobs"),
                None,
            )
            .await;
        assert_eq!(woo_jobs["import_products"], "none");
        assert_eq!(woo_jobs["export_products"], "1h");

        // Every change is audited: who, old, new.
        let (_, audit) = t
            .api(&key, Method::GET, "/api/v1/account/audit", None)
            .await;
        let mps: Vec<&Value> = audit
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "master_product_source")
            .collect();
        assert_eq!(mps.len(), 2);
        assert_eq!(mps[0]["actor"], "API key");
        assert_eq!(mps[0]["old_value"], "Sales Channel (Woo EU)");
        assert_eq!(mps[0]["new_value"], "Fulfillment Channel (ShipBob)");
        t.db.finish().await;
    }
}

#[tokio::test]
async fn api_keys_authenticate_and_regenerate() {
    let t = TestApp::sqlite().await;
    let (st, v) = t
        .api("tok_wrong", Method::GET, "/api/v1/account", None)
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(v["status"], 401);
    let (st, v) = t
        .api(&t.a.api_key, Method::GET, "/api/v1/account", None)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["code"], "ALPHA-STORE");
    assert!(v["api_key"].as_str().unwrap().ends_with('…'));
    assert!(
        !v.to_string().contains(&t.a.api_key),
        "the full key is never shown back"
    );
    let (st, v) = t
        .api(&t.a.api_key, Method::POST, "/api/v1/account/api-key", None)
        .await;
    assert_eq!(st, StatusCode::OK);
    let new_key = v["api_key"].as_str().unwrap().to_owned();
    let (st, _) = t
        .api(&t.a.api_key, Method::GET, "/api/v1/account", None)
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "the old key stops at once");
    let (st, _) = t.api(&new_key, Method::GET, "/api/v1/account", None).await;
    assert_eq!(st, StatusCode::OK);
}

#[tokio::test]
async fn account_settings_validate_and_keep_the_code() {
    let t = TestApp::sqlite().await;
    let k = &t.a.api_key;
    let (st, v) = t
        .api(k, Method::PUT, "/api/v1/account", Some(json!({"name": "", "timezone": "Mars/Base", "currency": "DOLLARS", "weight_unit": "stone", "length_unit": "cm"})))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields = field_of(&v);
    fields.sort();
    assert_eq!(fields, vec!["currency", "name", "timezone", "weight_unit"]);
    let (st, v) = t
        .api(k, Method::PUT, "/api/v1/account", Some(json!({"name": "Alpha Renamed", "timezone": "America/Toronto", "currency": "cad", "weight_unit": "kg", "length_unit": "cm"})))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["name"], "Alpha Renamed");
    assert_eq!(v["code"], "ALPHA-STORE");
    assert_eq!(v["currency"], "CAD");
}

#[tokio::test]
async fn bad_bodies_are_problems() {
    let t = TestApp::sqlite().await;
    let k = &t.a.api_key;
    use axum::body::Body;
    use axum::http::{Request, header};
    let req = |body: Vec<u8>, ct: &str| {
        Request::put("/api/v1/account/master-product-source")
            .header(header::AUTHORIZATION, format!("Bearer {k}"))
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    let (st, h, _) = t.raw(req(b"{not json".to_vec(), "application/json")).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(h[header::CONTENT_TYPE], "application/problem+json");
    let (st, _, _) = t.raw(req(b"{}".to_vec(), "text/plain")).await;
    assert_eq!(st, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let big = format!("{{\"source\":\"{}\"}}", "x".repeat(300 * 1024));
    let (st, h, body) = t.raw(req(big.into_bytes(), "application/json")).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(h[header::CONTENT_TYPE], "application/problem+json");
    let (_, v) = t
        .api(
            k,
            Method::GET,
            "/api/v1/account/master-product-source",
            None,
        )
        .await;
    assert_eq!(v["source"], "techoms");
    // Channel input: unknown settings field, missing credential, unknown integration.
    let (st, v) = t
        .api(k, Method::POST, "/api/v1/channels", Some(json!({"integration": "shopify", "name": "S", "settings": {"shop_domain": "x", "colour": "red"}, "credentials": {}})))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let mut f = field_of(&v);
    f.sort();
    assert_eq!(f, vec!["credentials.access_token", "settings.colour"]);
    let (st, v) = t
        .api(
            k,
            Method::POST,
            "/api/v1/channels",
            Some(json!({"integration": "amazon", "name": "S"})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&v), vec!["integration"]);
    let (_, v) = t.api(k, Method::GET, "/api/v1/channels", None).await;
    assert_eq!(v, json!([]), "nothing stored");
}

#[tokio::test]
async fn channel_credentials_are_write_only() {
    let t = TestApp::sqlite().await;
    let k = &t.a.api_key;
    let id = t.create_channel(k, "woocommerce", "Woo", true).await;
    let (_, v) = t
        .api(k, Method::GET, &format!("/api/v1/channels/{id}"), None)
        .await;
    assert!(!v.to_string().contains("SECRET-"), "{v}");
    assert_eq!(v["credentials"]["consumer_key"], "••••-key");
    // Editing without credentials keeps them; a new one replaces only itself.
    let (st, v) = t
        .api(k, Method::PUT, &format!("/api/v1/channels/{id}"), Some(json!({"name": "Woo EU", "settings": {"site_url": "https://eu.example"}, "credentials": {"consumer_secret": "cs_SECRET-new-secret"}})))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["name"], "Woo EU");
    assert_eq!(v["credentials"]["consumer_key"], "••••-key");
    assert_eq!(v["credentials"]["consumer_secret"], "••••cret");
    let (st, v) = t
        .api(
            k,
            Method::PUT,
            &format!("/api/v1/channels/{id}"),
            Some(json!({"integration": "shopify"})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&v), vec!["integration"]);
    let (st, _) = t
        .api(k, Method::DELETE, &format!("/api/v1/channels/{id}"), None)
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = t
        .api(k, Method::GET, &format!("/api/v1/channels/{id}"), None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[test]
fn openapi_document_snapshot() {
    let doc = serde_json::to_value(techoms_web::api::openapi()).unwrap();
    insta::assert_json_snapshot!("openapi", doc);
}
