//! The catalog CSV over HTTP: the API's streamed export and import (report, 422 with the
//! report, dry run, skip_invalid, 409, 413, 415) and the UI page (multipart upload with CSRF,
//! the report with line numbers, the export link). Runs on SQLite and PostgreSQL.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use serde_json::{Value, json};
use techoms_testkit::TestDb;

async fn post_csv(t: &TestApp, key: &str, query: &str, csv: &str) -> (StatusCode, Value) {
    let (st, _, body) = t
        .raw(
            Request::post(format!("/api/v1/products/import{query}"))
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .header(header::CONTENT_TYPE, "text/csv")
                .body(Body::from(csv.to_owned()))
                .unwrap(),
        )
        .await;
    (
        st,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

async fn export(t: &TestApp, key: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    t.raw(
        Request::get("/api/v1/products/export.csv")
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

const GOOD: &str = "product_handle,title,sku,price,option1_name,option1_value\n\
                    parka,Alpine Parka,PK-S,199,Size,S\n\
                    parka,,PK-M,199,,M\n\
                    sock,Wool Sock,SO-1,9.5,,\n";

#[tokio::test]
async fn api_import_and_export() {
    for db in TestDb::all().await {
        let t = TestApp::new(db).await;
        let k = t.a.api_key.clone();
        // A dry run writes nothing.
        let (st, r) = post_csv(&t, &k, "?dry_run=true", GOOD).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["outcome"], "validated");
        assert_eq!(r["products"]["created"], 2);
        let (_, page) = t.api(&k, Method::GET, "/api/v1/products", None).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 0);
        // The import.
        let (st, r) = post_csv(&t, &k, "", GOOD).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["outcome"], "imported");
        assert_eq!(r["variants"]["created"], 3);
        let (_, p) = t
            .api(&k, Method::GET, "/api/v1/variants?sku=pk-m", None)
            .await;
        assert_eq!(p["title"], "Alpine Parka");
        assert_eq!(p["options"], json!(["Size"]));
        // A bad file: 422, the report in the problem, nothing written.
        let bad = "product_handle,title,sku,price\nhat,Hat,HA-1,12\nbelt,Belt,BE-1,ten\n";
        let (st, v) = post_csv(&t, &k, "", bad).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["type"], "/problems/csv-refused");
        assert_eq!(v["details"]["outcome"], "refused");
        assert_eq!(v["details"]["problems"][0]["line"], 3);
        assert_eq!(v["details"]["problems"][0]["column"], "price");
        assert!(
            v["detail"].as_str().unwrap().contains("line 3, price"),
            "{v}"
        );
        let (st, _) = t
            .api(&k, Method::GET, "/api/v1/variants?sku=HA-1", None)
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        // skip_invalid writes the good product only.
        let (st, r) = post_csv(&t, &k, "?skip_invalid=true", bad).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["products"]["created"], 1);
        assert_eq!(r["products"]["skipped"], 1);
        assert_eq!(r["errors"], 1);
        let (st, _) = t
            .api(&k, Method::GET, "/api/v1/variants?sku=HA-1", None)
            .await;
        assert_eq!(st, StatusCode::OK);
        // Bad flags and bodies.
        let (st, v) = post_csv(&t, &k, "?dry_run=maybe", GOOD).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["errors"][0]["field"], "dry_run");
        let (st, _) = t
            .api(
                &k,
                Method::POST,
                "/api/v1/products/import",
                Some(json!({"a": 1})),
            )
            .await;
        assert_eq!(st, StatusCode::UNSUPPORTED_MEDIA_TYPE);

        // The export: streamed CSV with a file name; it imports back unchanged.
        let (st, headers, text) = export(&t, &k).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
        assert_eq!(
            headers[header::CONTENT_DISPOSITION],
            "attachment; filename=\"catalog-ALPHA-STORE.csv\""
        );
        assert!(text.starts_with("product_handle,title,description_html,vendor,"));
        assert_eq!(
            text.matches("\r\n").count(),
            1 + 4,
            "header and four variants"
        );
        let (st, r) = post_csv(&t, &k, "", &text).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["products"]["unchanged"], 3, "{r}");
        // B sees none of A's catalog.
        let (_, _, b_text) = export(&t, &t.b.api_key).await;
        assert_eq!(b_text.lines().count(), 1);

        // Larger than the limit: 413 before anything is read.
        let mut small = t.app.clone();
        small.csv_import_max_bytes = 64;
        let router = techoms_web::router(small);
        let res = tower::ServiceExt::oneshot(
            router,
            Request::post("/api/v1/products/import")
                .header(header::AUTHORIZATION, format!("Bearer {k}"))
                .header(header::CONTENT_TYPE, "text/csv")
                .body(Body::from(GOOD))
                .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);

        // A channel master: 409 naming it.
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
        let (st, v) = post_csv(&t, &k, "", GOOD).await;
        assert_eq!(st, StatusCode::CONFLICT);
        assert!(v["detail"].as_str().unwrap().contains("Shopify US"), "{v}");
        let (st, _, _) = export(&t, &k).await;
        assert_eq!(st, StatusCode::OK, "exports still work");
        t.db.finish().await;
    }
}

fn multipart(csrf: Option<&str>, dry_run: bool, file: &str) -> (String, String) {
    let boundary = "----techomsBoundary7MA4YWxk";
    let mut body = String::new();
    if let Some(c) = csrf {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{c}\r\n"
        ));
    }
    if dry_run {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"dry_run\"\r\n\r\ntrue\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"
    ));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn ui_import_page_shows_the_report() {
    let t = TestApp::sqlite().await;
    let (session, csrf) = login(&t, &t.a.email, &t.a.password).await;
    let (st, _, page) = t.raw(get_with_cookie("/products/import", &session)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("enctype=\"multipart/form-data\"") && page.contains("id=\"export-csv\""));
    let post = |ctype: String, body: String| {
        Request::post("/products/import")
            .header(header::COOKIE, format!("techoms_session={session}"))
            .header(header::CONTENT_TYPE, ctype)
            .body(Body::from(body))
            .unwrap()
    };
    // Without the token: refused before the file is read.
    let (ctype, body) = multipart(None, false, GOOD);
    let (st, _, _) = t.raw(post(ctype, body)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (ctype, body) = multipart(Some("wrong"), false, GOOD);
    let (st, _, _) = t.raw(post(ctype, body)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // A bad file: the report names the line.
    let bad = "product_handle,title,sku,price\nhat,Hat,HA-1,12\nbelt,Belt,BE-1,ten\n";
    let (ctype, body) = multipart(Some(&csrf), false, bad);
    let (st, _, page) = t.raw(post(ctype, body)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("File refused"), "{page}");
    assert!(
        page.contains("<td>3</td><td>price</td><td>error</td>"),
        "{page}"
    );
    // A dry run, then the import.
    let (ctype, body) = multipart(Some(&csrf), true, GOOD);
    let (_, _, page) = t.raw(post(ctype, body)).await;
    assert!(
        page.contains("Dry run") && page.contains("dry run: the file would be imported"),
        "{page}"
    );
    let (ctype, body) = multipart(Some(&csrf), false, GOOD);
    let (_, _, page) = t.raw(post(ctype, body)).await;
    assert!(page.contains("imported: products 2 created"), "{page}");
    // The export link downloads the catalog.
    let (st, headers, text) = t
        .raw(get_with_cookie("/products/export.csv", &session))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(text.contains("PK-M"));
}
