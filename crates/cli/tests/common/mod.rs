//! Running the real `techoms demo` binary from tests: start it, read its output, stop it with
//! Ctrl-C.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::Value;
use techoms_simulators::SimClock;
use techoms_simulators::extensiv::ExtensivSim;
use techoms_simulators::shipbob::ShipBobSim;
use techoms_simulators::shopify::ShopifySim;
use techoms_simulators::woocommerce::{PostType, WooSim};

/// Generous: the machine running the tests may be busy with other test binaries.
pub const FIRST_SYNC_TIMEOUT: Duration = Duration::from_secs(240);

pub struct Demo {
    child: Child,
    lines: Receiver<String>,
    pub seen: Vec<String>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Demo {
    /// `techoms demo --port 0 --json --products N --data-dir DIR`, with no `TECHOMS_*`
    /// variable of the developer's environment.
    pub fn start(dir: &Path, products: usize) -> Demo {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_techoms"));
        for (k, _) in std::env::vars() {
            if k.starts_with("TECHOMS_") {
                cmd.env_remove(k);
            }
        }
        let mut child = cmd
            .args(["demo", "--port", "0", "--json", "--products"])
            .arg(products.to_string())
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
    pub fn wait_line(&mut self, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
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
    pub fn credentials(&mut self) -> Value {
        let l = self.wait_line(Duration::from_secs(120), |l| l.starts_with('{'));
        serde_json::from_str(&l).unwrap()
    }

    /// Wait for the end of the first sync and return its line (`first sync: complete …`).
    pub fn first_sync(&mut self) -> String {
        self.wait_line(FIRST_SYNC_TIMEOUT, |l| {
            l.starts_with("first sync: ") && !l.starts_with("first sync: started")
        })
    }

    /// Ctrl-C, then the process must end by itself, successfully, with its state saved.
    pub fn interrupt(&mut self) {
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

pub fn key(sku: &str) -> String {
    sku.trim().to_lowercase()
}

/// techOMS's JSON API with the demo's key.
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub key: String,
}

impl Api {
    pub fn new(creds: &Value) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: creds["url"].as_str().unwrap().to_owned(),
            key: creds["api_key"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> Value {
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
    pub async fn catalog(&self) -> Vec<Value> {
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
    pub async fn latest_run(&self, channel: &str) -> Value {
        let page = self
            .get(&format!("/api/v1/runs?channel_id={channel}&limit=1"))
            .await;
        page["items"][0].clone()
    }

    /// Wait until the account has no queued or running run.
    pub async fn wait_idle(&self, timeout: std::time::Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let q = self.get("/api/v1/runs?status=queued&limit=1").await;
            let r = self.get("/api/v1/runs?status=running&limit=1").await;
            if q["items"].as_array().unwrap().is_empty()
                && r["items"].as_array().unwrap().is_empty()
            {
                return;
            }
            assert!(Instant::now() < deadline, "runs still going: {q} {r}");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

/// SKU keys per channel, read back from the stores the demo saved at its stop.
pub fn saved_stores(dir: &Path) -> BTreeMap<&'static str, Vec<String>> {
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
