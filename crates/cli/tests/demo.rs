//! `techoms demo` end to end: the real binary on a free port and a fresh data dir, its first
//! sync followed to the end, the result checked through techOMS's API (catalog, per-variant
//! bindings, the import's Warnings) and in each simulator's saved store (every channel holds
//! the catalog less the skipped duplicates, none twice); then Ctrl-C and a second start on the
//! same data dir, which resumes with the same credentials and duplicates nothing.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use common::{Api, Demo, key, saved_stores};

use techoms_simulators::shopify::{
    GenerateOptions, SkuCollision, generate_catalog_with, sku_collisions,
};

/// Products in the test's catalog: small for speed, big enough for every planted duplicate.
const PRODUCTS: usize = 40;

/// Every channel other than the master holds exactly the catalog's keys, each once.
fn assert_channels_hold(stores: &BTreeMap<&'static str, Vec<String>>, catalog: &BTreeSet<String>) {
    for (name, skus) in stores {
        if *name == "shopify" {
            continue;
        }
        let unique: BTreeSet<String> = skus.iter().cloned().collect();
        assert_eq!(unique.len(), skus.len(), "{name} holds a SKU twice");
        assert_eq!(&unique, catalog, "{name} does not hold the catalog");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_syncs_every_channel_and_resumes_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = generate_catalog_with(PRODUCTS, 1, &GenerateOptions::demo());
    let collisions: Vec<SkuCollision> = sku_collisions(&catalog);
    assert_eq!(
        collisions.len(),
        7,
        "the demo catalog plants 5 near and 2 true duplicates"
    );
    let expected: BTreeSet<String> = catalog
        .iter()
        .flat_map(|p| p.variants.iter().map(|v| key(&v.sku)))
        .collect();
    let all_variants: usize = catalog.iter().map(|p| p.variants.len()).sum();
    assert_eq!(expected.len(), all_variants - collisions.len());

    // First start: fresh data dir.
    let mut demo = Demo::start(dir.path(), PRODUCTS);
    let creds = demo.credentials();
    assert_eq!(creds["resumed"], false);
    for field in ["url", "email", "password", "api_key"] {
        assert!(
            creds[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field} missing from {creds}"
        );
    }
    // The same facts as plain `key: value` lines for a person.
    let url = creds["url"].as_str().unwrap().to_owned();
    assert!(demo.seen.iter().any(|l| *l == format!("url: {url}")));
    assert!(
        demo.seen
            .iter()
            .any(|l| *l == format!("password: {}", creds["password"].as_str().unwrap()))
    );
    let done = demo.first_sync();
    assert!(
        done.starts_with("first sync: complete"),
        "{}",
        demo.seen.join("\n")
    );
    // Progress was shown per channel, then a summary line per channel.
    for name in ["Shopify", "WooCommerce", "ShipBob", "Extensiv"] {
        assert!(
            demo.seen
                .iter()
                .any(|l| l.contains(name) && l.contains(" of ") && l.contains("items")),
            "no progress line for {name}"
        );
        assert!(
            demo.seen
                .iter()
                .any(|l| l.starts_with(&format!("summary: {name}"))),
            "no summary line for {name}"
        );
    }

    let api = Api::new(&creds);
    let channels: BTreeMap<String, String> = creds["channels"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let channel_ids: BTreeSet<String> = channels.values().cloned().collect();

    // The catalog is the master's, less the skipped duplicates, and every variant is bound
    // on all four channels.
    let products = api.catalog().await;
    assert_eq!(products.len(), PRODUCTS);
    let mut keys = Vec::new();
    for p in &products {
        for v in p["variants"].as_array().unwrap() {
            keys.push(key(v["sku"].as_str().unwrap()));
            let bound: BTreeSet<String> = v["bindings"]
                .as_array()
                .unwrap_or_else(|| panic!("no bindings in {v}"))
                .iter()
                .map(|b| b["channel_id"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(bound, channel_ids, "variant {} bindings", v["sku"]);
        }
    }
    let unique: BTreeSet<String> = keys.iter().cloned().collect();
    assert_eq!(unique.len(), keys.len(), "a SKU twice in the catalog");
    assert_eq!(unique, expected);

    // The import's Warnings name each duplicate SKU.
    let import = api.latest_run(&channels["shopify"]).await;
    assert_eq!(import["job_kind"], "import_products");
    assert_eq!(import["counts"]["skipped"], collisions.len());
    let warnings = api
        .get(&format!(
            "/api/v1/runs/{}/messages?level=warning&limit=1000",
            import["id"].as_str().unwrap()
        ))
        .await;
    let warnings = warnings["items"].as_array().unwrap();
    for c in &collisions {
        assert!(
            warnings.iter().any(|m| {
                m["sku"].as_str().map(str::trim) == Some(c.duplicate.trim())
                    && m["message"].as_str().unwrap().contains("Duplicate SKU")
            }),
            "no Warning names duplicate SKU {:?}: {warnings:?}",
            c.duplicate
        );
    }
    // Each other channel received the whole catalog in its export.
    for name in ["woocommerce", "shipbob", "extensiv"] {
        let run = api.latest_run(&channels[name]).await;
        assert_eq!(run["job_kind"], "export_products", "{name}");
        assert_eq!(run["status"], "succeeded", "{name}: {run}");
        assert_eq!(run["counts"]["created"], expected.len(), "{name}: {run}");
    }

    demo.interrupt();
    let stores = saved_stores(dir.path());
    assert_eq!(
        stores["shopify"].len(),
        all_variants,
        "the master is untouched"
    );
    assert_channels_hold(&stores, &expected);

    // Second start on the same data dir: resumes with the same credentials and stores.
    let mut again = Demo::start(dir.path(), PRODUCTS);
    let creds2 = again.credentials();
    assert_eq!(creds2["resumed"], true);
    assert_eq!(creds2["api_key"], creds["api_key"]);
    assert_eq!(creds2["password"], creds["password"]);
    assert_eq!(creds2["channels"], creds["channels"]);
    let done = again.first_sync();
    assert!(
        done.starts_with("first sync: complete"),
        "{}",
        again.seen.join("\n")
    );
    let api2 = Api {
        base: creds2["url"].as_str().unwrap().to_owned(),
        ..api
    };
    // Nothing new was created anywhere: the import found the catalog as it left it.
    let import2 = api2.latest_run(&channels["shopify"]).await;
    assert_ne!(import2["id"], import["id"]);
    assert_eq!(import2["counts"]["created"], 0, "{import2}");
    assert_eq!(api2.catalog().await.len(), PRODUCTS);
    again.interrupt();
    let stores = saved_stores(dir.path());
    assert_channels_hold(&stores, &expected);
}

#[test]
fn a_real_installations_data_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("techoms.db"), b"").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_techoms"))
        .args(["demo", "--port", "0", "--data-dir"])
        .arg(dir.path())
        .env_remove("TECHOMS_DATA_DIR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("did not create"), "{stderr}");
    // Nothing was written into it.
    assert!(!dir.path().join("demo.json").exists());
    assert_eq!(
        std::fs::metadata(dir.path().join("techoms.db"))
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_stopped_midway_finishes_on_the_next_start() {
    // Big enough that Ctrl-C right after the sync starts lands in the middle of it.
    const BIG: usize = 150;
    let dir = tempfile::tempdir().unwrap();
    let catalog = generate_catalog_with(BIG, 1, &GenerateOptions::demo());
    let expected: BTreeSet<String> = catalog
        .iter()
        .flat_map(|p| p.variants.iter().map(|v| key(&v.sku)))
        .collect();

    let mut demo = Demo::start(dir.path(), BIG);
    let creds = demo.credentials();
    demo.wait_line(std::time::Duration::from_secs(120), |l| {
        l.starts_with("first sync: started")
    });
    demo.interrupt();
    assert!(
        !demo
            .seen
            .iter()
            .any(|l| l.starts_with("first sync: complete")),
        "the sync finished before Ctrl-C; nothing was interrupted"
    );

    let mut again = Demo::start(dir.path(), BIG);
    let creds2 = again.credentials();
    assert_eq!(creds2["resumed"], true);
    assert_eq!(creds2["api_key"], creds["api_key"]);
    let done = again.first_sync();
    assert!(
        done.starts_with("first sync: complete"),
        "{}",
        again.seen.join("\n")
    );
    let api = Api::new(&creds2);
    api.wait_idle(std::time::Duration::from_secs(180)).await;
    let mut keys = Vec::new();
    for p in api.catalog().await {
        for v in p["variants"].as_array().unwrap() {
            keys.push(key(v["sku"].as_str().unwrap()));
        }
    }
    let unique: BTreeSet<String> = keys.iter().cloned().collect();
    assert_eq!(unique.len(), keys.len(), "a SKU twice in the catalog");
    assert_eq!(unique, expected);
    again.interrupt();
    assert_channels_hold(&saved_stores(dir.path()), &expected);
}

#[test]
fn a_port_in_use_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = Command::new(env!("CARGO_BIN_EXE_techoms"))
        .args(["demo", "--port", &port.to_string(), "--data-dir"])
        .arg(dir.path())
        .env_remove("TECHOMS_DATA_DIR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "files written"
    );
}
