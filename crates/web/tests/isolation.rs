//! Tenant isolation: account A's API key and A's user get 404 for every account-B resource
//! and change nothing of B's, on every API route (taken from the OpenAPI document, so a new
//! route cannot be missed) and every UI route.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{Value, json};
use techoms_testkit::TestDb;

async fn b_state(t: &TestApp) -> Value {
    let k = &t.b.api_key;
    let (_, account) = t.api(k, Method::GET, "/api/v1/account", None).await;
    let (_, channels) = t.api(k, Method::GET, "/api/v1/channels", None).await;
    let (_, source) = t
        .api(
            k,
            Method::GET,
            "/api/v1/account/master-product-source",
            None,
        )
        .await;
    let (_, audit) = t.api(k, Method::GET, "/api/v1/account/audit", None).await;
    let (_, products) = t.api(k, Method::GET, "/api/v1/products", None).await;
    let (_, runs) = t.api(k, Method::GET, "/api/v1/runs", None).await;
    let mut jobs = Vec::new();
    for c in channels.as_array().unwrap() {
        let (_, j) = t
            .api(
                k,
                Method::GET,
                &format!("/api/v1/channels/{}/jobs", c["id"].as_str().unwrap()),
                None,
            )
            .await;
        jobs.push(j);
    }
    json!({"account": account, "channels": channels, "source": source, "audit": audit, "jobs": jobs, "products": products, "runs": runs})
}

fn body_for(method: &Method, path: &str, b_channel: &str) -> Option<Value> {
    match (method.as_str(), path) {
        ("PUT", "/api/v1/account") => Some(
            json!({"name": "Hijacked", "timezone": "UTC", "currency": "USD", "weight_unit": "g", "length_unit": "mm"}),
        ),
        ("PUT", "/api/v1/account/master-product-source") => {
            Some(json!({"source": "sales_channel", "channel_id": b_channel, "confirm": true}))
        }
        ("POST", "/api/v1/channels") => Some(
            json!({"integration": "shopify", "name": "B shop", "settings": {"shop_domain": "x.myshopify.com"}, "credentials": {"access_token": "t"}}),
        ),
        ("PUT", "/api/v1/channels/{id}") => Some(json!({"name": "Hijacked", "enabled": false})),
        ("PUT", "/api/v1/channels/{id}/jobs") => Some(json!({"export_products": "5m"})),
        ("POST", "/api/v1/products") | ("PUT", "/api/v1/products/{id}") => {
            Some(json!({"title": "Hijacked", "variants": [{"sku": "A-NEW-1"}]}))
        }
        _ => None,
    }
}

/// A run of B's channel, recorded as the engine records one.
async fn b_run(t: &TestApp, b_channel: &str) -> String {
    techoms_app::engine::create_run(
        &t.app,
        t.b.account_id.parse().unwrap(),
        b_channel.parse().unwrap(),
        techoms_domain::JobKind::ExportProducts,
        techoms_app::engine::Trigger::Manual,
        false,
    )
    .await
    .unwrap()
    .id
    .to_string()
}

#[tokio::test]
async fn api_routes_never_reach_another_account() {
    for db in TestDb::all().await {
        let t = TestApp::new(db).await;
        let b_channel = t
            .create_channel(&t.b.api_key, "shopify", "B shop", true)
            .await;
        t.create_channel(&t.a.api_key, "shipbob", "A warehouse", true)
            .await;
        let (st, p) = t
            .api(
                &t.b.api_key,
                Method::POST,
                "/api/v1/products",
                Some(json!({"title": "B only", "variants": [{"sku": "B-ONLY-1"}]})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{p}");
        let b_product = p["id"].as_str().unwrap().to_owned();
        let b_run = b_run(&t, &b_channel).await;
        let before = b_state(&t).await;

        let doc = serde_json::to_value(techoms_web::api::openapi()).unwrap();
        let mut tested = 0;
        let mut key = t.a.api_key.clone();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                let m: Method = method.to_uppercase().parse().unwrap();
                let b_id = if path.starts_with("/api/v1/products") {
                    &b_product
                } else if path.starts_with("/api/v1/runs") {
                    &b_run
                } else {
                    &b_channel
                };
                let url = path.replace("{id}", b_id);
                let url = if path.ends_with("/options") {
                    format!("{url}?source=sales_channel")
                } else if path == "/api/v1/variants" {
                    format!("{url}?sku=b-only-1")
                } else {
                    url
                };
                let (st, v) = t
                    .api(&key, m.clone(), &url, body_for(&m, path, &b_channel))
                    .await;
                tested += 1;
                if let Some(new_key) = v["api_key"]
                    .as_str()
                    .filter(|k| k.starts_with("tok_") && !k.ends_with('…'))
                {
                    // The regenerate route replaced A's key (and only A's).
                    key = new_key.to_owned();
                }
                if path.contains("{id}") || path == "/api/v1/variants" {
                    assert_eq!(
                        st,
                        StatusCode::NOT_FOUND,
                        "{method} {path} with B's resource: {v}"
                    );
                } else {
                    let text = v.to_string();
                    assert!(
                        !text.contains(&b_channel)
                            && !text.contains(&b_product)
                            && !text.contains(&b_run)
                            && !text.contains("B only")
                            && !text.contains(&t.b.account_id)
                            && !text.contains("Beta Store"),
                        "{method} {path} leaked B: {text}"
                    );
                    if path == "/api/v1/account/master-product-source" && m == Method::PUT {
                        assert_eq!(
                            st,
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "B's channel cannot become A's master"
                        );
                    }
                }
                // A malformed id is a 404 too.
                if path.contains("{id}") {
                    let (st, _) = t
                        .api(
                            &key,
                            m.clone(),
                            &path.replace("{id}", "12345"),
                            body_for(&m, path, &b_channel),
                        )
                        .await;
                    assert_eq!(
                        st,
                        StatusCode::NOT_FOUND,
                        "{method} {path} with a malformed id"
                    );
                }
            }
        }
        assert!(tested >= 20, "every API operation is driven (got {tested})");
        // B is exactly as it was (A's calls changed A only).
        assert_eq!(b_state(&t).await, before);
        // A's key used B's API? Unauthenticated calls get 401 on every route.
        for (path, item) in doc["paths"].as_object().unwrap() {
            if path.ends_with("openapi.json") {
                continue;
            }
            for method in item.as_object().unwrap().keys() {
                let m: Method = method.to_uppercase().parse().unwrap();
                let (st, _) = t.api("", m, &path.replace("{id}", &b_channel), None).await;
                assert_eq!(
                    st,
                    StatusCode::UNAUTHORIZED,
                    "{method} {path} without a key"
                );
            }
        }
        t.db.finish().await;
    }
}

#[tokio::test]
async fn ui_routes_never_reach_another_account() {
    let t = TestApp::sqlite().await;
    let b_channel = t
        .create_channel(&t.b.api_key, "woocommerce", "B woo", true)
        .await;
    let (st, p) = t
        .api(
            &t.b.api_key,
            Method::POST,
            "/api/v1/products",
            Some(json!({"title": "B only", "variants": [{"sku": "B-ONLY-1"}]})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    let b_product = p["id"].as_str().unwrap().to_owned();
    let b_run = b_run(&t, &b_channel).await;
    let before = b_state(&t).await;
    let (session, csrf) = login(&t, &t.a.email, &t.a.password).await;
    let mut tested = 0;
    for (method, path) in techoms_web::ui::ROUTES {
        if !path.contains("{id}") {
            continue;
        }
        tested += 1;
        let b_id = if path.starts_with("/runs") {
            &b_run
        } else if path.starts_with("/products") {
            &b_product
        } else {
            &b_channel
        };
        let url = path.replace("{id}", b_id);
        let req = if *method == "GET" {
            get_with_cookie(&url, &session)
        } else {
            post_form(
                &url,
                &session,
                &format!("csrf={csrf}&name=Hijacked&integration=woocommerce&export_products=5m"),
            )
        };
        let (st, _, body) = t.raw(req).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{method} {path}: {body}");
        assert!(!body.contains("B woo") && !body.contains("B only"));
    }
    assert_eq!(tested, 10);
    // Switching to B's account is refused like an unknown one.
    let (st, _, _) = t
        .raw(post_form(
            "/switch-account",
            &session,
            &format!("csrf={csrf}&account_id={}", t.b.account_id),
        ))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // Pages without ids show A only.
    for (method, path) in techoms_web::ui::ROUTES {
        if *method == "GET" && !path.contains("{id}") && !path.starts_with("/static") {
            let (_, _, body) = t
                .raw(get_with_cookie(
                    &format!("{path}?source=sales_channel&integration=shopify"),
                    &session,
                ))
                .await;
            assert!(
                !body.contains("B woo")
                    && !body.contains("Beta Store")
                    && !body.contains("B only")
                    && !body.contains(&b_channel)
                    && !body.contains(&b_product)
                    && !body.contains(&b_run),
                "{path} leaked B"
            );
        }
    }
    // Filters and searches naming B's things find nothing of B.
    for url in [
        format!("/runs?channel={b_channel}"),
        format!("/runs?after={b_run}"),
        "/products?q=B-ONLY-1".to_owned(),
        "/products?q=b%20only&all=1".to_owned(),
        format!("/products?after={b_product}"),
    ] {
        let (st, _, body) = t.raw(get_with_cookie(&url, &session)).await;
        assert_eq!(st, StatusCode::OK, "{url}: {body}");
        assert!(
            !body.contains("B only") && !body.contains(&b_product) && !body.contains(&b_run),
            "{url} leaked B"
        );
    }
    assert_eq!(b_state(&t).await, before);
}
