//! How the catalog and run pages hold up on a large account (ignored by default; run with
//! `cargo nextest run -p techoms-web --test pages_scale --run-ignored only --no-capture`).
//! `TECHOMS_SCALE_BACKEND=sqlite|postgres` measures one backend only.
//! Imports 10,000 products of 5 variants (plus 1,000 duplicate SKUs, one Warning each) and
//! exports them to a second channel, then times each page and API call and prints the figures.

mod common;

use std::time::Instant;

use axum::http::{Method, StatusCode};
use common::engine::{Provider, set_sales_master, sync};
use common::*;
use techoms_testkit::TestDb;
use techoms_testkit::memory_connector::seed_product;

const PRODUCTS: usize = 10_000;
const VARIANTS: usize = 5;
const DUPLICATES: usize = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check: run explicitly"]
async fn pages_on_a_large_account() {
    let only = std::env::var("TECHOMS_SCALE_BACKEND").ok();
    for db in TestDb::all().await {
        if only
            .as_deref()
            .is_some_and(|b| !format!("{:?}", db.db.backend()).eq_ignore_ascii_case(b))
        {
            db.finish().await;
            continue;
        }
        let backend = format!("{:?}", db.db.backend());
        let t = TestApp::new(db).await;
        let k = t.a.api_key.clone();
        let shop = t.create_channel(&k, "shopify", "Shop", true).await;
        let woo = t.create_channel(&k, "woocommerce", "Woo", true).await;
        set_sales_master(&t, &k, &shop).await;
        let mut provider = Provider::default();
        let conn = provider.add(&shop, "shop");
        provider.add(&woo, "woo");
        for i in 0..PRODUCTS {
            let skus: Vec<String> = (0..VARIANTS).map(|v| format!("SKU-{i:05}-{v}")).collect();
            let refs: Vec<&str> = skus.iter().map(String::as_str).collect();
            conn.insert(seed_product(&format!("Product {i:05}"), &refs));
        }
        for i in 0..DUPLICATES {
            conn.insert(seed_product(
                &format!("Copy {i}"),
                &[&format!("sku-{i:05}-0")],
            ));
        }
        let started = Instant::now();
        let import = sync(&t, &provider, &t.a.account_id, &shop, true).await;
        let import_s = started.elapsed().as_secs_f64();
        println!("{backend}: imported in {import_s:.1} s");
        let started = Instant::now();
        sync(&t, &provider, &t.a.account_id, &woo, false).await;
        let export_s = started.elapsed().as_secs_f64();
        let run = import.run.id;
        let (session, _) = login(&t, &t.a.email, &t.a.password).await;
        let (_, p) = t
            .api(&k, Method::GET, "/api/v1/variants?sku=SKU-05000-3", None)
            .await;
        let product = p["id"].as_str().unwrap().to_owned();

        println!(
            "{backend}: import of {} variants {import_s:.1} s, export {export_s:.1} s (debug build)",
            PRODUCTS * VARIANTS + DUPLICATES
        );
        for url in [
            format!("/products/{product}"),
            "/products".to_owned(),
            "/products?q=product%2009".to_owned(),
            "/products?q=sku-099".to_owned(),
            "/products?q=sku-07777-2".to_owned(),
            "/runs".to_owned(),
            format!("/runs/{run}"),
            format!("/runs/{run}?level=warning"),
            format!("/runs/{run}/live"),
            format!("/channels/{shop}"),
        ] {
            let mut times = Vec::new();
            for _ in 0..5 {
                let started = Instant::now();
                let (st, _, _) = t.raw(get_with_cookie(&url, &session)).await;
                times.push(started.elapsed().as_secs_f64() * 1000.0);
                assert!(
                    st == StatusCode::OK || st == StatusCode::SEE_OTHER,
                    "{url}: {st}"
                );
            }
            times.sort_by(f64::total_cmp);
            println!("{backend}: GET {url:<45} median {:>7.1} ms", times[2]);
        }
        for url in [
            format!("/api/v1/products/{product}"),
            "/api/v1/runs".to_owned(),
            format!("/api/v1/runs/{run}/messages?level=warning&limit=1000"),
        ] {
            let mut times = Vec::new();
            for _ in 0..5 {
                let started = Instant::now();
                let (st, _) = t.api(&k, Method::GET, &url, None).await;
                times.push(started.elapsed().as_secs_f64() * 1000.0);
                assert_eq!(st, StatusCode::OK, "{url}");
            }
            times.sort_by(f64::total_cmp);
            println!("{backend}: GET {url:<45} median {:>7.1} ms", times[2]);
        }
        if std::env::var("TECHOMS_SCALE_KEEP").is_ok() {
            // Leave the database for a look at query plans (dropped by hand afterwards).
            continue;
        }
        t.db.finish().await;
    }
}
