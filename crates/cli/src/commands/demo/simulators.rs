//! The four channel simulators the demo runs on loopback, and their persistence.
//!
//! The simulators keep their stores in memory, while techOMS's channel bindings name the
//! remote ids in them: a demo restarted with empty stores would have bindings pointing at
//! nothing. So the stores are saved to `<data dir>/simulators/<name>.json` every
//! [`SAVE_EVERY`] and on a clean stop (Ctrl-C, SIGTERM), and a resumed demo restores them
//! before anything talks to them. Saving is per store, not in step with techOMS's database:
//! after a crash (SIGKILL, power loss) the stores may lack the channel writes of the last
//! interval while techOMS keeps their bindings, so those products stay missing on the
//! channel until their content changes or the data dir is started afresh. A clean stop loses
//! nothing.
//!
//! Limits are set generously (Shopify's bucket restores 1,000 points/s, ShipBob allows
//! 6,000 requests a minute, WooCommerce and Extensiv are unpaced) so that the first sync of
//! the default catalog completes in well under a minute; the connectors still run their
//! pacing and throttle handling against these numbers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde_json::Value;
use techoms_simulators::RunningSim;
use techoms_simulators::SimClock;
use techoms_simulators::extensiv::ExtensivSim;
use techoms_simulators::shipbob::ShipBobSim;
use techoms_simulators::shopify::{
    GenerateOptions, ShopSettings, ShopifySim, generate_catalog_with,
};
use techoms_simulators::woocommerce::{KeyPermissions, StoreSettings, WooSim};

use super::options::bind_simulator;
use super::state::{SimPorts, write_private};

/// How often the stores are saved while the demo runs.
pub const SAVE_EVERY: Duration = Duration::from_secs(30);
pub const SHOP_DOMAIN: &str = "techoms-demo.myshopify.com";
/// The WooCommerce site's path below the simulator's root.
const WOO_SITE: &str = "shop";
const SHIPBOB_RATE_LIMIT: u32 = 6_000;

/// The simulators, serving.
pub struct DemoSims {
    pub shopify: ShopifySim,
    pub woocommerce: WooSim,
    pub shipbob: ShipBobSim,
    pub extensiv: ExtensivSim,
    running: Vec<RunningSim>,
    ports: SimPorts,
    dir: PathBuf,
}

/// Settings and credentials of one channel, as the channel form takes them.
pub struct Connection {
    pub settings: BTreeMap<String, String>,
    pub credentials: BTreeMap<String, String>,
}

fn map(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn snapshot_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("simulators")
}

impl DemoSims {
    /// Fresh simulators: a Shopify shop with `products` generated products (from `seed`), an
    /// empty WooCommerce site, ShipBob merchant and Extensiv warehouse.
    pub fn fresh(data_dir: &Path, products: usize, seed: u64) -> anyhow::Result<DemoSims> {
        let clock = SimClock::system();
        let shopify = ShopifySim::new(clock.clone());
        let shop = shopify.add_shop(
            SHOP_DOMAIN,
            &format!("shpat_{}", random_hex()),
            ShopSettings {
                name: "techOMS demo shop".into(),
                restore_rate: 1000.0,
                ..ShopSettings::default()
            },
        );
        shop.seed(&generate_catalog_with(
            products,
            seed,
            &GenerateOptions::demo(),
        ))
        .map_err(|e| anyhow::anyhow!("cannot seed the Shopify simulator: {e}"))?;
        let woocommerce = WooSim::new(clock.clone());
        woocommerce
            .add_store(WOO_SITE, StoreSettings::default())
            .issue_key(KeyPermissions::ReadWrite);
        let shipbob = ShipBobSim::new(clock.clone());
        shipbob.add_merchant("techOMS demo");
        shipbob.set_rate_limit(SHIPBOB_RATE_LIMIT, Duration::from_secs(60));
        let extensiv = ExtensivSim::new(clock);
        extensiv.add_tenant();
        Ok(DemoSims {
            shopify,
            woocommerce,
            shipbob,
            extensiv,
            running: Vec::new(),
            ports: SimPorts::default(),
            dir: snapshot_dir(data_dir),
        })
    }

    /// The simulators as a previous run saved them.
    pub fn restore(data_dir: &Path) -> anyhow::Result<DemoSims> {
        let dir = snapshot_dir(data_dir);
        let read = |name: &str| -> anyhow::Result<Value> {
            let path = dir.join(format!("{name}.json"));
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "cannot read the saved {name} simulator ({}); the demo's data dir is \
                     incomplete: start with a fresh --data-dir",
                    path.display()
                )
            })?;
            serde_json::from_str(&text).with_context(|| format!("{} is damaged", path.display()))
        };
        let clock = SimClock::system();
        let sims = DemoSims {
            shopify: ShopifySim::new(clock.clone()),
            woocommerce: WooSim::new(clock.clone()),
            shipbob: ShipBobSim::new(clock.clone()),
            extensiv: ExtensivSim::new(clock),
            running: Vec::new(),
            ports: SimPorts::default(),
            dir: dir.clone(),
        };
        let fail = |e: String| anyhow::anyhow!(e);
        sims.shopify.restore(&read("shopify")?).map_err(fail)?;
        sims.woocommerce
            .restore(&read("woocommerce")?)
            .map_err(fail)?;
        sims.shipbob.restore(&read("shipbob")?).map_err(fail)?;
        sims.extensiv.restore(&read("extensiv")?).map_err(fail)?;
        Ok(sims)
    }

    /// Serve all four on 127.0.0.1, on their previous ports when those are free.
    pub async fn serve(&mut self, previous: SimPorts) -> anyhow::Result<SimPorts> {
        let shopify = RunningSim::spawn(
            bind_simulator(Some(previous.shopify)).await?,
            self.shopify.router(),
        )?;
        let woo = RunningSim::spawn(
            bind_simulator(Some(previous.woocommerce)).await?,
            self.woocommerce.router(),
        )?;
        let shipbob = RunningSim::spawn(
            bind_simulator(Some(previous.shipbob)).await?,
            self.shipbob.router(),
        )?;
        let extensiv = RunningSim::spawn(
            bind_simulator(Some(previous.extensiv)).await?,
            self.extensiv.router(),
        )?;
        self.ports = SimPorts {
            shopify: shopify.addr.port(),
            woocommerce: woo.addr.port(),
            shipbob: shipbob.addr.port(),
            extensiv: extensiv.addr.port(),
        };
        self.running = vec![shopify, woo, shipbob, extensiv];
        Ok(self.ports)
    }

    pub fn ports(&self) -> SimPorts {
        self.ports
    }

    fn url(port: u16) -> String {
        format!("http://127.0.0.1:{port}")
    }

    /// Channel settings and credentials for each simulator, in the order Shopify,
    /// WooCommerce, ShipBob, Extensiv.
    pub fn connections(&self) -> anyhow::Result<[Connection; 4]> {
        let p = self.ports;
        let shop_token = self
            .shopify_token()
            .context("the Shopify simulator has no demo shop")?;
        let woo = self
            .woocommerce
            .store(WOO_SITE)
            .context("the WooCommerce simulator has no demo site")?;
        let woo_key = woo
            .keys()
            .into_iter()
            .next()
            .context("the WooCommerce demo site has no API key")?;
        let merchant = self
            .shipbob
            .merchants()
            .into_iter()
            .next()
            .context("the ShipBob simulator has no merchant")?;
        let warehouse = self
            .extensiv
            .tenants()
            .into_iter()
            .next()
            .context("the Extensiv simulator has no warehouse")?;
        Ok([
            Connection {
                settings: map(&[
                    ("shop_domain", SHOP_DOMAIN.to_owned()),
                    ("base_url", Self::url(p.shopify)),
                ]),
                credentials: map(&[("access_token", shop_token)]),
            },
            Connection {
                settings: map(&[
                    (
                        "site_url",
                        format!("{}/{WOO_SITE}", Self::url(p.woocommerce)),
                    ),
                    ("requests_per_second", "0".into()),
                ]),
                credentials: map(&[
                    ("consumer_key", woo_key.consumer_key),
                    ("consumer_secret", woo_key.consumer_secret),
                ]),
            },
            Connection {
                settings: map(&[
                    ("base_url", Self::url(p.shipbob)),
                    ("shipbob_channel_id", merchant.channel_id.to_string()),
                    ("rate_limit_requests", SHIPBOB_RATE_LIMIT.to_string()),
                    ("rate_limit_window_seconds", "60".into()),
                ]),
                credentials: map(&[("access_token", merchant.token)]),
            },
            Connection {
                settings: map(&[
                    ("base_url", Self::url(p.extensiv)),
                    ("customer_id", warehouse.customer_id.to_string()),
                    ("facility_id", warehouse.facility_id.to_string()),
                    ("user_login_id", warehouse.user_login_id.clone()),
                    ("requests_per_second", "0".into()),
                    // The simulator serves its timestamps in UTC.
                    ("timestamp_slack_hours", "0".into()),
                ]),
                credentials: map(&[
                    ("client_id", warehouse.client_id),
                    ("client_secret", warehouse.client_secret),
                    ("tpl_key", warehouse.tpl_key),
                ]),
            },
        ])
    }

    fn shopify_token(&self) -> Option<String> {
        self.shopify
            .shop(SHOP_DOMAIN)
            .access_tokens()
            .into_iter()
            .next()
    }

    /// Variants in the Shopify shop (the size of a first import).
    pub fn shopify_variants(&self) -> usize {
        self.shopify
            .shop(SHOP_DOMAIN)
            .products()
            .iter()
            .map(|p| p.variants.len())
            .sum()
    }

    /// Save every store (atomically, owner-only).
    pub fn save(&self) -> anyhow::Result<()> {
        self.saver().save()
    }

    /// A handle that saves the stores from another task.
    pub fn saver(&self) -> Saver {
        Saver {
            shopify: self.shopify.clone(),
            woocommerce: self.woocommerce.clone(),
            shipbob: self.shipbob.clone(),
            extensiv: self.extensiv.clone(),
            dir: self.dir.clone(),
        }
    }

    /// Stop serving. Idle keep-alive connections of the sync's HTTP client would hold a
    /// graceful shutdown for their whole idle timeout, so each server gets a moment to finish
    /// what it is answering and is then stopped.
    pub async fn shutdown(&mut self) {
        for r in self.running.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(2), r.shutdown()).await;
        }
    }
}

/// Saves the simulators' stores; cheap to clone into a task.
#[derive(Clone)]
pub struct Saver {
    shopify: ShopifySim,
    woocommerce: WooSim,
    shipbob: ShipBobSim,
    extensiv: ExtensivSim,
    dir: PathBuf,
}

impl Saver {
    /// Save every store (atomically, owner-only).
    pub fn save(&self) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create {}", self.dir.display()))?;
        for (name, snap) in [
            ("shopify", self.shopify.snapshot()),
            ("woocommerce", self.woocommerce.snapshot()),
            ("shipbob", self.shipbob.snapshot()),
            ("extensiv", self.extensiv.snapshot()),
        ] {
            let bytes = serde_json::to_vec(&snap)?;
            write_private(&self.dir.join(format!("{name}.json")), &bytes)?;
        }
        Ok(())
    }
}

/// 32 random hex digits, the shape of a Shopify access token's tail.
fn random_hex() -> String {
    techoms_app::secrets::random_bytes::<16>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
