//! The demo's tour in headless Chromium (Debian's chromium + chromium-driver), with a
//! screenshot of each step under test-artifacts/: log in with the credentials the demo
//! printed, see Shopify as the Master Product Channel, open the Shopify channel's latest run
//! and see the duplicate-SKU Warnings, find a product by SKU bound on all four channels,
//! switch the Master Product Source to ShipBob through the confirmation step, run "Sync
//! products" and see the runs go the new way, with no duplicate anywhere.

#[path = "../../web/tests/common/browser.rs"]
mod browser;
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use browser::{Browser, available};
use common::{Api, Demo, key, saved_stores};
use techoms_simulators::shopify::{GenerateOptions, generate_catalog_with, sku_collisions};

const PRODUCTS: usize = 40;

/// Reload `url` until the run page shows a finished status; returns it.
async fn wait_run_finished(b: &Browser, url: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        b.goto(url).await;
        let status = b.find("#run-status").await.text().await;
        if ["Succeeded", "Partially succeeded", "Failed"].contains(&status.as_str()) {
            return status;
        }
        assert!(Instant::now() < deadline, "run {url} still {status}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Press "Sync products" on a channel's page and follow the link to the queued run.
async fn sync_products(b: &Browser, base: &str, channel: &str) -> String {
    b.goto(&format!("{base}/channels/{channel}")).await;
    b.find("#sync-products").await.click().await;
    b.find("#sync-run-link").await.click().await;
    b.find("#run-status").await;
    b.url().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_tour_in_a_real_browser() {
    if !available() {
        return;
    }
    let catalog = generate_catalog_with(PRODUCTS, 1, &GenerateOptions::demo());
    let collisions = sku_collisions(&catalog);
    let expected: BTreeSet<String> = catalog
        .iter()
        .flat_map(|p| p.variants.iter().map(|v| key(&v.sku)))
        .collect();
    let mut master_counts: BTreeMap<String, usize> = BTreeMap::new();
    for p in &catalog {
        for v in &p.variants {
            *master_counts.entry(key(&v.sku)).or_default() += 1;
        }
    }

    let dir = tempfile::tempdir().unwrap();
    let mut demo = Demo::start(dir.path(), PRODUCTS);
    let creds = demo.credentials();
    let done = demo.first_sync();
    assert!(done.starts_with("first sync: complete"), "{done}");
    let base = creds["url"].as_str().unwrap().to_owned();
    let ch = |name: &str| creds["channels"][name].as_str().unwrap().to_owned();
    let api = Api::new(&creds);

    // 1. Log in with the printed credentials.
    let b = Browser::start().await;
    b.goto(&format!("{base}/settings")).await;
    b.find("#email")
        .await
        .type_text(creds["email"].as_str().unwrap())
        .await;
    b.find("#password")
        .await
        .type_text(creds["password"].as_str().unwrap())
        .await;
    b.screenshot("demo-tour-01-login").await;
    b.find("#login-submit").await.click().await;
    b.find("#settings-form").await;

    // 2. Account settings: Shopify is the Master Product Channel.
    assert_eq!(
        b.wait_texts("#source option:checked", |t| !t.is_empty())
            .await,
        vec!["Sales Channel"]
    );
    assert_eq!(
        b.wait_texts("#channel_id option:checked", |t| !t.is_empty())
            .await,
        vec!["Shopify (demo)"]
    );
    b.screenshot("demo-tour-02-settings-shopify-master").await;

    // 3. The Shopify channel's latest run (the first import) and its Warnings.
    b.goto(&format!("{base}/channels/{}", ch("shopify"))).await;
    b.find("#recent-runs #run-list tbody tr:first-child td a")
        .await
        .click()
        .await;
    b.find("#run-status").await;
    let run_url = b.url().await;
    assert_eq!(
        b.find("#count-warning").await.text().await,
        collisions.len().to_string()
    );
    b.goto(&format!("{run_url}?level=warning")).await;
    let skus = b
        .wait_texts("tr.msg.level-warning td.sku", |t| {
            t.len() == collisions.len()
        })
        .await;
    for c in &collisions {
        assert!(
            skus.iter().any(|s| s.trim() == c.duplicate.trim()),
            "{:?} not among the Warnings {skus:?}",
            c.duplicate
        );
    }
    b.screenshot("demo-tour-03-import-warnings").await;

    // 4. Search a product by SKU: bound on all four channels.
    let sku = catalog[3].variants[0].sku.clone();
    b.goto(&format!("{base}/products")).await;
    b.find("#q").await.type_text(&sku).await;
    b.find("#search").await.click().await;
    b.find("#found-by-sku").await;
    let states = b
        .script(&format!(
            "return Array.from(document.querySelectorAll('tr.binding[data-sku=\"{sku}\"]')).map(r => r.className);"
        ))
        .await;
    let states: Vec<String> = states
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(states.len(), 4, "{states:?}");
    assert!(states.iter().all(|s| s.contains("bound")), "{states:?}");
    b.script("document.getElementById('channel-status').scrollIntoView(); return true;")
        .await;
    b.screenshot("demo-tour-04-product-bound-everywhere").await;

    // 5. Switch the Master Product Source to ShipBob, through the confirmation step.
    b.goto(&format!("{base}/settings")).await;
    b.find("#source option[value=fulfillment_channel]")
        .await
        .click()
        .await;
    b.wait_texts("#channel_id option", |t| {
        t.iter().any(|o| o == "ShipBob (demo)")
    })
    .await;
    b.find(&format!("#channel_id option[value=\"{}\"]", ch("shipbob")))
        .await
        .click()
        .await;
    b.find("#save").await.click().await;
    b.find("#confirmation").await;
    // Nothing is saved yet, and the page says so at the top, where the newcomer looks.
    assert!(
        b.find("#confirm-note")
            .await
            .text()
            .await
            .contains("Not saved yet"),
        "no note above the fold"
    );
    // The confirmation (focused, so scrolled into view) says what the switch does.
    let lines = b.all_texts("#confirmation li").await;
    assert!(!lines.is_empty(), "the confirmation lists nothing");
    b.screenshot("demo-tour-05-confirmation").await;
    b.find("#confirm-change").await.click().await;
    assert_eq!(b.find("#flash").await.text().await, "Settings saved.");
    assert_eq!(
        b.wait_texts("#channel_id option:checked", |t| !t.is_empty())
            .await,
        vec!["ShipBob (demo)"]
    );
    b.screenshot("demo-tour-06-shipbob-master").await;

    // 6. "Sync products" on ShipBob now imports; on Shopify it now exports.
    let import_url = sync_products(&b, &base, &ch("shipbob")).await;
    let status = wait_run_finished(&b, &import_url).await;
    assert_eq!(status, "Succeeded");
    let job = b.all_texts("#run-summary dd").await;
    assert!(
        job.iter().any(|t| t.starts_with("Import Products")),
        "{job:?}"
    );
    b.screenshot("demo-tour-07-shipbob-import").await;
    api.wait_idle(Duration::from_secs(180)).await;
    let export_url = sync_products(&b, &base, &ch("shopify")).await;
    let status = wait_run_finished(&b, &export_url).await;
    assert_eq!(status, "Succeeded");
    let job = b.all_texts("#run-summary dd").await;
    assert!(
        job.iter().any(|t| t.starts_with("Export Products")),
        "{job:?}"
    );
    b.screenshot("demo-tour-08-shopify-export").await;
    api.wait_idle(Duration::from_secs(180)).await;
    b.goto(&format!("{base}/runs")).await;
    b.find("#run-list").await;
    // Every column of the runs table fits the 1280 px window, with the demo's channel names.
    assert!(b.fits_width().await, "the runs page scrolls sideways");
    b.screenshot("demo-tour-09-runs").await;
    b.quit().await;

    // No duplicate anywhere: the catalog, and every store.
    let mut keys = Vec::new();
    for p in api.catalog().await {
        for v in p["variants"].as_array().unwrap() {
            keys.push(key(v["sku"].as_str().unwrap()));
        }
    }
    let unique: BTreeSet<String> = keys.iter().cloned().collect();
    assert_eq!(unique.len(), keys.len(), "a SKU twice in the catalog");
    assert_eq!(unique, expected);
    demo.interrupt();
    let stores = saved_stores(dir.path());
    for (name, skus) in &stores {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for s in skus {
            *counts.entry(s.clone()).or_default() += 1;
        }
        let held: BTreeSet<String> = counts.keys().cloned().collect();
        assert_eq!(held, expected, "{name} does not hold the catalog");
        for (k, n) in &counts {
            // Shopify keeps the duplicates it was seeded with; nothing gains another copy.
            let allowed = if *name == "shopify" {
                master_counts[k]
            } else {
                1
            };
            assert!(*n <= allowed, "{name} holds {k} {n} times");
        }
    }
}
