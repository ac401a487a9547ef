//! `techoms demo` end to end: the real binary on a free port and a fresh data dir, its first
//! sync followed to the end, the result checked through techOMS's API (catalog, per-variant
//! bindings, the import's Warnings) and in each simulator's saved store (every channel holds
//! the catalog less the skipped duplicates, none twice); then Ctrl-C and a second start on the
//! same data dir, which resumes with the same credentials and duplicates nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::Value;
use techoms_simulators::SimClock;
use techoms_simulators::extensiv::ExtensivSim;
use techoms_simulators::shipbob::ShipBobSim;
use techoms_simulators::shopify::{
    GenerateOptions, ShopifySim, SkuCollision, generate_catalog_with, sku_collisions,
};
use techoms_simulators::woocommerce::{PostType, WooSim};

/// Products in the test's catalog: small for speed, big enough for every planted duplicate.
const PRODUCTS: usize = 40;
/// Generous: the machine running the tests may be busy with other test binaries.
const FIRST_SYNC_TIMEOUT: Duration = Duration::from_secs(240);

struct Demo {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Demo {
    fn start(dir: &Path) -> Demo {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_techoms"));
        for (k, _) in std::env::vars() {
            if k.starts_with("TECHOMS_") {
                cmd.env_remove(k);
            }
        }
        let mut child = cmd
            .args(["demo", "--port", "0", "--json", "--products"])
            .arg(PRODUCTS.to_string())
            .arg("--data-dir")
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start techoms demo");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Demo {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// The first printed line matching `pred`, waiting at most `timeout`.
    fn wait_line(&mut self, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if pred(&l) {
                        return l;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("timed out; output so far:\n{}", self.seen.join("\n"))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the demo ended early; output:\n{}", self.seen.join("\n"))
                }
            }
        }
    }

    /// The credentials block's JSON line.
    fn credentials(&mut self) -> Value {
        let l = self.wait_line(Duration::from_secs(120), |l| l.starts_with('{'));
        serde_json::from_str(&l).unwrap()
    }

    /// Ctrl-C, then the process must end by itself, successfully, with its state saved.
    fn interrupt(&mut self) {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -INT failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "the demo did not stop within 30 s of Ctrl-C"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        assert!(status.success(), "exit status {status}");
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(l);
        }
        assert!(
            self.seen
                .iter()
                .any(|l| l.starts_with("stopped: state saved")),
            "{}",
            self.seen.join("\n")
        );
    }
}

fn key(sku: &str) -> String {
    sku.trim().to_lowercase()
}

struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    async fn get(&self, path: &str) -> Value {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.unwrap()
    }

    /// Every product of the catalog, with variants and their bindings.
    async fn catalog(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after = String::new();
        loop {
            let page = self
                .get(&format!("/api/v1/products?limit=200&after={after}"))
                .await;
            for p in page["items"].as_array().unwrap() {
                let id = p["id"].as_str().unwrap();
                out.push(self.get(&format!("/api/v1/products/{id}")).await);
            }
            match page["next"].as_str() {
                Some(n) => after = n.to_owned(),
                None => return out,
            }
        }
    }

    /// The newest run of a channel.
    async fn latest_run(&self, channel: &str) -> Value {
        let page = self
            .get(&format!("/api/v1/runs?channel_id={channel}&limit=1"))
            .await;
        page["items"][0].clone()
    }
}

/// SKU keys per channel, read back from the stores the demo saved at its stop.
fn saved_stores(dir: &Path) -> BTreeMap<&'static str, Vec<String>> {
    let read = |name: &str| -> Value {
        let text = std::fs::read_to_string(dir.join("simulators").join(format!("{name}.json")))
            .unwrap_or_else(|e| panic!("{name} store not saved: {e}"));
        serde_json::from_str(&text).unwrap()
    };
    let mut out = BTreeMap::new();

    let shopify = ShopifySim::new(SimClock::system());
    shopify.restore(&read("shopify")).unwrap();
    let domain = shopify.shop_domains().remove(0);
    out.insert(
        "shopify",
        shopify
            .shop(&domain)
            .products()
            .iter()
            .flat_map(|p| p.variants.iter().map(|v| key(&v.sku)))
            .collect(),
    );

    let woo = WooSim::new(SimClock::system());
    woo.restore(&read("woocommerce")).unwrap();
    let site = woo.store("shop").expect("the demo's WooCommerce site");
    out.insert(
        "woocommerce",
        site.posts()
            .iter()
            // Sellable units: variations, and simple products (variable parents are groups).
            .filter(|p| p.post_type == PostType::Variation || p.product_type == "simple")
            .map(|p| key(&p.sku))
            .collect(),
    );

    let shipbob = ShipBobSim::new(SimClock::system());
    shipbob.restore(&read("shipbob")).unwrap();
    let merchant = shipbob.merchants().remove(0);
    out.insert(
        "shipbob",
        shipbob
            .products(merchant.user_id)
            .iter()
            .flat_map(|p| {
                p["variants"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| key(v["sku"].as_str().unwrap()))
                    .collect::<Vec<_>>()
            })
            .collect(),
    );

    let extensiv = ExtensivSim::new(SimClock::system());
    extensiv.restore(&read("extensiv")).unwrap();
    let warehouse = extensiv.tenants().remove(0);
    out.insert(
        "extensiv",
        extensiv
            .items(warehouse.customer_id)
            .iter()
            .map(|i| key(i["sku"].as_str().unwrap()))
            .collect(),
    );
    out
}

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
    let mut demo = Demo::start(dir.path());
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
    let done = demo.wait_line(FIRST_SYNC_TIMEOUT, |l| l.starts_with("first sync: "));
    let done = if done.starts_with("first sync: started") {
        demo.wait_line(FIRST_SYNC_TIMEOUT, |l| l.starts_with("first sync: "))
    } else {
        done
    };
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

    let api = Api {
        http: reqwest::Client::new(),
        base: url.clone(),
        key: creds["api_key"].as_str().unwrap().to_owned(),
    };
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
    let mut again = Demo::start(dir.path());
    let creds2 = again.credentials();
    assert_eq!(creds2["resumed"], true);
    assert_eq!(creds2["api_key"], creds["api_key"]);
    assert_eq!(creds2["password"], creds["password"]);
    assert_eq!(creds2["channels"], creds["channels"]);
    let done = again.wait_line(FIRST_SYNC_TIMEOUT, |l| {
        l.starts_with("first sync: ") && !l.starts_with("first sync: started")
    });
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
