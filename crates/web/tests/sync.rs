//! Manual Sync: `POST /api/v1/channels/{id}/sync` and the "Sync products" form. Every case
//! runs on SQLite and on PostgreSQL.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use serde_json::{Value, json};
use techoms_domain::AccountId;
use techoms_testkit::TestDb;

fn sync_path(id: &str) -> String {
    format!("/api/v1/channels/{id}/sync")
}

fn reason(v: &Value) -> &str {
    v["details"]["reason"].as_str().unwrap_or("")
}

#[tokio::test]
async fn sync_endpoint_queues_one_run_and_explains_refusals() {
    for db in TestDb::all().await {
        let t = TestApp::new(db).await;
        let key = t.a.api_key.clone();
        let shop = t.create_channel(&key, "shopify", "Shopify US", true).await;
        let woo = t.create_channel(&key, "woocommerce", "Woo EU", false).await;
        let bob = t.create_channel(&key, "shipbob", "ShipBob", true).await;
        let theirs = t
            .create_channel(&t.b.api_key, "shopify", "B shop", true)
            .await;

        // 202 with the run and its Location; no body means an incremental sync.
        let req = Request::post(sync_path(&shop))
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .body(Body::empty())
            .unwrap();
        let (st, headers, body) = t.raw(req).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        let run_id = v["run_id"].as_str().unwrap().to_owned();
        assert_eq!(
            headers[header::LOCATION].to_str().unwrap(),
            format!("/api/v1/runs/{run_id}")
        );
        assert_eq!(v["channel_id"], json!(shop));
        assert_eq!(v["job_kind"], json!("export_products"));
        assert_eq!(v["full"], json!(false));
        assert_eq!(v["status"], json!("queued"));
        assert_eq!(v["trigger"], json!("manual"));

        // A second request while it is queued: 409 naming that run.
        let (st, v) = t
            .api(
                &key,
                Method::POST,
                &sync_path(&shop),
                Some(json!({"full": true})),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{v}");
        assert_eq!(reason(&v), "already_running");
        assert_eq!(v["details"]["run_id"], json!(run_id));
        assert!(v["detail"].as_str().unwrap().contains(&run_id), "{v}");

        // Full sync on another channel.
        let (st, v) = t
            .api(
                &key,
                Method::POST,
                &sync_path(&bob),
                Some(json!({"full": true})),
            )
            .await;
        assert_eq!(st, StatusCode::ACCEPTED, "{v}");
        assert_eq!(v["full"], json!(true));

        // Disabled channel.
        let (st, v) = t
            .api(&key, Method::POST, &sync_path(&woo), Some(json!({})))
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{v}");
        assert_eq!(reason(&v), "channel_disabled");
        assert!(v["detail"].as_str().unwrap().contains("Woo EU"), "{v}");

        // Bad bodies name the field.
        let (st, v) = t
            .api(
                &key,
                Method::POST,
                &sync_path(&bob),
                Some(json!({"ful": true})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v.to_string().contains("ful"), "{v}");
        let (st, v) = t
            .api(
                &key,
                Method::POST,
                &sync_path(&bob),
                Some(json!({"full": "yes"})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

        // Another account's channel, and an unknown one: 404.
        let (st, _) = t.api(&key, Method::POST, &sync_path(&theirs), None).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _) = t
            .api(
                &key,
                Method::POST,
                &sync_path(&uuid::Uuid::now_v7().to_string()),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _) = t.api(&key, Method::POST, &sync_path("nope"), None).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        // Without a key: 401.
        let (st, _) = t.api("wrong", Method::POST, &sync_path(&shop), None).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);

        // The Master Product Channel imports.
        let (st, v) = t
            .api(
                &key,
                Method::PUT,
                "/api/v1/account/master-product-source",
                Some(json!({"source": "fulfillment_channel", "channel_id": bob, "confirm": true})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let bob2 = t.create_channel(&key, "shipbob", "ShipBob 2", true).await;
        let (st, v) = t.api(&key, Method::POST, &sync_path(&bob2), None).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{v}");
        assert_eq!(v["job_kind"], json!("export_products"));

        // A disabled account runs nothing.
        let account: AccountId = t.a.account_id.parse().unwrap();
        techoms_db::accounts::set_enabled(&t.app.db, account, false, t.app.clock.now())
            .await
            .unwrap();
        let (st, v) = t.api(&key, Method::POST, &sync_path(&bob2), None).await;
        assert_eq!(st, StatusCode::CONFLICT, "{v}");
        assert_eq!(reason(&v), "account_disabled");
        t.db.finish().await;
    }
}

#[tokio::test]
async fn master_channel_sync_is_an_import() {
    for db in TestDb::all().await {
        let t = TestApp::new(db).await;
        let key = t.a.api_key.clone();
        let shop = t.create_channel(&key, "shopify", "Shopify US", true).await;
        let (st, v) = t
            .api(
                &key,
                Method::PUT,
                "/api/v1/account/master-product-source",
                Some(json!({"source": "sales_channel", "channel_id": shop})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let (st, v) = t
            .api(
                &key,
                Method::POST,
                &sync_path(&shop),
                Some(json!({"full": true})),
            )
            .await;
        assert_eq!(st, StatusCode::ACCEPTED, "{v}");
        assert_eq!(v["job_kind"], json!("import_products"));
        assert_eq!(v["full"], json!(true));
        t.db.finish().await;
    }
}

#[tokio::test]
async fn sync_products_form_queues_and_links_the_run() {
    for db in TestDb::all().await {
        let t = TestApp::new(db).await;
        let key = t.a.api_key.clone();
        let shop = t.create_channel(&key, "shopify", "Shopify US", true).await;
        let (session, csrf) = login(&t, &t.a.email, &t.a.password).await;
        let (st, _, page) = t
            .raw(get_with_cookie(&format!("/channels/{shop}"), &session))
            .await;
        assert_eq!(st, StatusCode::OK);
        assert!(
            page.contains("id=\"sync-products\""),
            "no Sync products button"
        );
        assert!(page.contains("id=\"sync-full\""), "no full checkbox");

        // Without the CSRF token: refused, nothing queued.
        let (st, _, _) = t
            .raw(post_form(
                &format!("/channels/{shop}/sync"),
                &session,
                "full=on",
            ))
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);

        let (st, headers, body) = t
            .raw(post_form(
                &format!("/channels/{shop}/sync"),
                &session,
                &format!("csrf={csrf}&full=on"),
            ))
            .await;
        assert_eq!(st, StatusCode::SEE_OTHER, "{body}");
        let to = headers[header::LOCATION].to_str().unwrap().to_owned();
        let run = to.split("synced=").nth(1).unwrap().to_owned();
        let (_, _, page) = t.raw(get_with_cookie(&to, &session)).await;
        assert!(page.contains(&format!("href=\"/runs/{run}\"")), "{page}");
        assert!(page.contains("Sync queued"), "{page}");
        let (_, v) = t.api(&key, Method::POST, &sync_path(&shop), None).await;
        assert_eq!(
            v["details"]["run_id"],
            json!(run),
            "the form queued a full run"
        );

        // Again while queued: the page says why and links the run in the way.
        let (st, _, page) = t
            .raw(post_form(
                &format!("/channels/{shop}/sync"),
                &session,
                &format!("csrf={csrf}"),
            ))
            .await;
        assert_eq!(st, StatusCode::CONFLICT);
        assert!(page.contains("already queued"), "{page}");
        assert!(page.contains(&format!("href=\"/runs/{run}\"")), "{page}");
        t.db.finish().await;
    }
}
