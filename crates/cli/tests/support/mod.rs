//! Shared set-up of the worker-process tests: a database with an account whose channels are
//! sites of an in-process WooCommerce simulator, a catalog, and `techoms worker` processes.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use rust_decimal::Decimal;
use techoms_app::secrets::SecretKey;
use techoms_app::{Access, Actor, App};
use techoms_db::runs::{self, Run};
use techoms_db::{Db, accounts, products};
use techoms_domain::*;
use techoms_simulators::RunningSim;
use techoms_simulators::woocommerce::{KeyPermissions, StoreHandle, StoreSettings, WooSim};

/// Shared by the test and the worker processes (channel credentials are sealed with it).
pub const SECRET_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

pub struct World {
    pub app: App,
    pub url: String,
    pub account: AccountId,
    pub sim: WooSim,
    pub running: RunningSim,
    /// Channel id → its simulator site.
    pub sites: Vec<(ChannelId, StoreHandle)>,
}

/// Every request to the simulator waits `delay` first (a far-away shop), so that an export
/// takes seconds rather than milliseconds.
pub async fn start_sim(delay: Duration) -> (WooSim, RunningSim) {
    let sim = WooSim::new(techoms_simulators::SimClock::system());
    let router = sim.router().layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| async move {
            tokio::time::sleep(delay).await;
            next.run(req).await
        },
    ));
    let running = RunningSim::start(router).await.unwrap();
    (sim, running)
}

impl World {
    /// An account with `channels` WooCommerce channels (sites `s0`, `s1`, …) on `db` (migrated).
    pub async fn new(db: Db, url: &str, channels: usize, delay: Duration) -> World {
        let app = App::new(
            db,
            Arc::new(SystemClock),
            SecretKey::from_base64(SECRET_KEY).unwrap(),
        );
        let b = techoms_app::accounts::bootstrap(
            &app,
            "Org",
            "Crash Test Store",
            "ops@example.test",
            "a long enough password",
        )
        .await
        .unwrap();
        let (sim, running) = start_sim(delay).await;
        let access = Access::new(
            Actor::Cli,
            accounts::get(&app.db, b.account_id).await.unwrap(),
        );
        let mut sites = Vec::new();
        for i in 0..channels {
            let site = sim.add_store(&format!("s{i}"), StoreSettings::default());
            let key = site.issue_key(KeyPermissions::ReadWrite);
            let input = techoms_app::channels::ChannelInput {
                kind: None,
                integration: Some("woocommerce".into()),
                name: Some(format!("Woo {i}")),
                enabled: Some(true),
                settings: BTreeMap::from([("site_url".into(), site.site_url(&running))]),
                credentials: BTreeMap::from([
                    ("consumer_key".into(), key.consumer_key.clone()),
                    ("consumer_secret".into(), key.consumer_secret.clone()),
                ]),
            };
            let ch = techoms_app::channels::create(&app, &access, &input)
                .await
                .unwrap();
            sites.push((ch.id, site));
        }
        World {
            app,
            url: url.to_owned(),
            account: b.account_id,
            sim,
            running,
            sites,
        }
    }

    pub async fn access(&self) -> Access {
        Access::new(
            Actor::Cli,
            accounts::get(&self.app.db, self.account).await.unwrap(),
        )
    }

    /// Add `n` single-variant products `P-<tag>-<i>` to the catalog; returns their SKUs.
    pub async fn add_products(&self, tag: &str, n: usize) -> Vec<String> {
        let now = Utc::now();
        let mut skus = Vec::with_capacity(n);
        for i in 0..n {
            let sku = format!("P-{tag}-{i:05}");
            let id = ProductId::new();
            let p = Product {
                id,
                account_id: self.account,
                title: format!("Product {tag} {i}"),
                description_html: format!("<p>Product {i}</p>"),
                vendor: "Acme".into(),
                product_type: "Gear".into(),
                tags: vec![],
                status: ProductStatus::Active,
                options: vec![],
                images: vec![],
                variants: vec![Variant {
                    id: VariantId::new(),
                    product_id: id,
                    sku: Sku::parse(&sku).unwrap(),
                    position: 0,
                    option_values: vec![],
                    barcode: None,
                    price: Some(Decimal::new(1999, 2)),
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
            products::create(&self.app.db, self.account, &p)
                .await
                .unwrap();
            skus.push(sku);
        }
        skus
    }

    pub async fn run(&self, id: RunId) -> Run {
        runs::get(&self.app.db, self.account, id).await.unwrap()
    }

    /// Wait until `f(run)` holds; panics after `timeout`.
    pub async fn wait_run(&self, id: RunId, timeout: Duration, f: impl Fn(&Run) -> bool) -> Run {
        let deadline = Instant::now() + timeout;
        loop {
            let r = self.run(id).await;
            if f(&r) {
                return r;
            }
            assert!(
                Instant::now() < deadline,
                "run {id} did not get there in {timeout:?}: {r:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// Every SKU exists exactly once (not trashed) on the site, and nothing else does.
pub fn assert_exactly_once(site: &StoreHandle, skus: &[String]) {
    for sku in skus {
        let n = site.posts_with_sku(sku).len();
        assert_eq!(n, 1, "site {} holds {sku} {n} times", site.site());
    }
    let live = site.posts().iter().filter(|p| !p.is_trashed()).count();
    assert_eq!(
        live,
        skus.len(),
        "site {} holds other products",
        site.site()
    );
}

/// A `techoms worker` process; killed (SIGKILL) when dropped.
pub struct WorkerProcess {
    pub child: Child,
    pub name: String,
}

impl WorkerProcess {
    pub fn spawn(url: &str, data_dir: &Path, name: &str, extra: &[&str]) -> WorkerProcess {
        let mut c = Command::new(env!("CARGO_BIN_EXE_techoms"));
        for (k, _) in std::env::vars() {
            if k.starts_with("TECHOMS_") {
                c.env_remove(k);
            }
        }
        let log = std::fs::File::create(data_dir.join(format!("{name}.log"))).unwrap();
        c.arg("worker")
            .args(["--lease-secs", "2", "--poll-ms", "50", "--tick-ms", "200"])
            .args(extra)
            .env("TECHOMS_DATABASE_URL", url)
            .env("TECHOMS_DATA_DIR", data_dir)
            .env("TECHOMS_SECRET_KEY", SECRET_KEY)
            .env("TECHOMS_LOG", "warn,techoms_app=info,techoms_jobs=info")
            .stdout(Stdio::null())
            .stderr(log);
        WorkerProcess {
            child: c.spawn().unwrap(),
            name: name.to_owned(),
        }
    }

    /// SIGKILL: no shutdown, no release, the lease left to expire.
    pub fn kill_hard(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM and wait for a clean exit.
    pub fn terminate(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not stop within {timeout:?} of SIGTERM",
                self.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The log a worker wrote, for failure messages.
pub fn log_of(data_dir: &Path, name: &str) -> String {
    std::fs::read_to_string(data_dir.join(format!("{name}.log"))).unwrap_or_default()
}
