//! The catalog API: create, read, change, delete and search products; SKU lookups; edits
//! refused while a channel is the master. Runs on SQLite and PostgreSQL.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{Value, json};
use techoms_testkit::TestDb;

fn fields(v: &Value) -> Vec<String> {
    let mut f: Vec<String> = v["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default();
    f.sort();
    f
}

#[tokio::test]
async fn catalog_crud_search_and_master_rules() {
    for db in TestDb::all().await {
        let t = TestApp::new(db).await;
        let k = t.a.api_key.clone();
        let parka = json!({
            "title": "Alpine Parka", "vendor": "North", "tags": ["winter"], "options": ["Size"],
            "variants": [
                {"sku": "PK-S", "option_values": ["S"], "price": "199.00", "cost": "80.5", "weight_g": "1200", "length_mm": "700"},
                {"sku": "PK-M", "option_values": ["M"], "price": "199.00", "barcode": "0123456789012"}
            ]
        });
        let (st, p) = t
            .api(&k, Method::POST, "/api/v1/products", Some(parka.clone()))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{p}");
        let id = p["id"].as_str().unwrap().to_owned();
        assert_eq!(p["variants"][0]["price"], "199");
        assert_eq!(p["variants"][0]["cost"], "80.5");
        assert_eq!(p["variants"][0]["weight_g"], "1200");

        // Bad fields: every one named, nothing stored.
        let (st, v) = t
            .api(
                &k,
                Method::POST,
                "/api/v1/products",
                Some(json!({"title": " ", "options": ["Size"], "variants": [
                    {"sku": "", "option_values": ["S"]},
                    {"sku": "X-1", "option_values": [], "price": "12,50"},
                    {"sku": "X-2", "option_values": ["L"], "cost": "-1", "status": "gone"}
                ]})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            fields(&v),
            vec![
                "title",
                "variants[0].sku",
                "variants[1].option_values",
                "variants[1].price",
                "variants[2].cost",
                "variants[2].status"
            ]
        );
        // A SKU used by another product, in another spelling.
        let (st, v) = t
            .api(
                &k,
                Method::POST,
                "/api/v1/products",
                Some(json!({"title": "Copy", "variants": [{"sku": " pk-s "}]})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(fields(&v), vec!["variants"]);
        // Two variants with one SKU.
        let (st, v) = t
            .api(
                &k,
                Method::POST,
                "/api/v1/products",
                Some(json!({"title": "Twice", "variants": [{"sku": "T-1"}, {"sku": "t-1"}]})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(fields(&v), vec!["variants[1].sku"]);

        // SKU lookup in any spelling.
        let (st, v) = t
            .api(&k, Method::GET, "/api/v1/variants?sku=%20pk-m%20", None)
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(v["id"], json!(id));
        let (st, _) = t
            .api(&k, Method::GET, "/api/v1/variants?sku=NOPE", None)
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);

        // Update keeps variant ids of unchanged SKUs.
        let pk_s_id = p["variants"][0]["id"].clone();
        let mut changed = parka.clone();
        changed["title"] = json!("Alpine Parka II");
        changed["variants"][1] = json!({"sku": "PK-L", "option_values": ["L"]});
        let (st, v) = t
            .api(
                &k,
                Method::PUT,
                &format!("/api/v1/products/{id}"),
                Some(changed),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["title"], "Alpine Parka II");
        assert_eq!(v["variants"][0]["id"], pk_s_id);
        assert_eq!(v["variants"][1]["sku"], "PK-L");

        // Keyset pages over a search.
        for i in 0..5 {
            let (st, _) = t.api(&k, Method::POST, "/api/v1/products", Some(json!({"title": format!("Wool Sock {i}"), "variants": [{"sku": format!("SOCK-{i}")}]}))).await;
            assert_eq!(st, StatusCode::CREATED);
        }
        let mut seen = Vec::new();
        let mut after = String::new();
        loop {
            let (st, page) = t
                .api(
                    &k,
                    Method::GET,
                    &format!("/api/v1/products?q=sock&limit=2&after={after}"),
                    None,
                )
                .await;
            assert_eq!(st, StatusCode::OK);
            for p in page["items"].as_array().unwrap() {
                seen.push(p["title"].as_str().unwrap().to_owned());
            }
            match page["next"].as_str() {
                Some(n) => after = n.to_owned(),
                None => break,
            }
        }
        assert_eq!(seen.len(), 5);
        let (st, v) = t
            .api(&k, Method::GET, "/api/v1/products?limit=0", None)
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(fields(&v), vec!["limit"]);

        // A channel master: edits refused with the master channel named; reads still work.
        let shop = t.create_channel(&k, "shopify", "Shopify US", true).await;
        let (st, _) = t
            .api(
                &k,
                Method::PUT,
                "/api/v1/account/master-product-source",
                Some(json!({"source": "sales_channel", "channel_id": shop, "confirm": true})),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        for (m, path, body) in [
            (
                Method::POST,
                "/api/v1/products".to_owned(),
                Some(json!({"title": "New", "variants": [{"sku": "N-1"}]})),
            ),
            (
                Method::PUT,
                format!("/api/v1/products/{id}"),
                Some(parka.clone()),
            ),
            (Method::DELETE, format!("/api/v1/products/{id}"), None),
        ] {
            let (st, v) = t.api(&k, m.clone(), &path, body).await;
            assert_eq!(st, StatusCode::CONFLICT, "{m} {path}");
            assert!(v["detail"].as_str().unwrap().contains("Shopify US"), "{v}");
        }
        let (st, _) = t
            .api(&k, Method::GET, &format!("/api/v1/products/{id}"), None)
            .await;
        assert_eq!(st, StatusCode::OK);
        // Back to techOMS: deletes work again.
        let (st, _) = t
            .api(
                &k,
                Method::PUT,
                "/api/v1/account/master-product-source",
                Some(json!({"source": "techoms", "confirm": true})),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let (st, _) = t
            .api(&k, Method::DELETE, &format!("/api/v1/products/{id}"), None)
            .await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        t.db.finish().await;
    }
}
