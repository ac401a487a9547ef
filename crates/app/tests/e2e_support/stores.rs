//! The simulated stores behind the channels: one simulator per channel, served in-process on
//! a loopback port with its limits out of the way, the settings and credentials a merchant
//! would type in to reach it, and inspection of what it holds.

use std::collections::BTreeMap;
use std::time::Duration;

use techoms_app::channels::ChannelInput;
use techoms_domain::{Integration, SkuKey};
use techoms_simulators::extensiv::{ExtensivSim, TenantCredentials};
use techoms_simulators::shipbob::{Merchant, ShipBobSim};
use techoms_simulators::shopify::{ShopHandle, ShopSettings, ShopifySim};
use techoms_simulators::woocommerce::{ApiKey, KeyPermissions, StoreHandle, StoreSettings, WooSim};
use techoms_simulators::{RunningSim, SimClock};

pub const SHOP_DOMAIN: &str = "e2e-shop.myshopify.com";
pub const SHOP_TOKEN: &str = "shpat_e2e_0123456789abcdef";

/// One Shopify shop.
pub struct ShopifyStore {
    pub sim: ShopifySim,
    pub shop: ShopHandle,
    pub server: RunningSim,
}

/// One WooCommerce site.
pub struct WooStore {
    pub sim: WooSim,
    pub store: StoreHandle,
    pub key: ApiKey,
    pub server: RunningSim,
}

/// One ShipBob merchant.
pub struct ShipBobStore {
    pub sim: ShipBobSim,
    pub merchant: Merchant,
    pub server: RunningSim,
}

/// One Extensiv customer.
pub struct ExtensivStore {
    pub sim: ExtensivSim,
    pub creds: TenantCredentials,
    pub server: RunningSim,
}

/// A simulated store behind a channel.
pub enum Store {
    Shopify(ShopifyStore),
    Woo(WooStore),
    ShipBob(ShipBobStore),
    Extensiv(ExtensivStore),
}

impl Store {
    /// Start a fresh simulator of `integration` with one empty store, its limits out of the
    /// way (the tests are about content, not pacing).
    pub async fn start(integration: Integration, clock: &SimClock) -> Store {
        match integration {
            Integration::Shopify => {
                let sim = ShopifySim::new(clock.clone());
                let shop = sim.add_shop(
                    SHOP_DOMAIN,
                    SHOP_TOKEN,
                    ShopSettings {
                        maximum_available: 1000.0,
                        restore_rate: 1_000_000.0,
                        ..ShopSettings::default()
                    },
                );
                let server = sim.start().await.expect("shopify simulator starts");
                Store::Shopify(ShopifyStore { sim, shop, server })
            }
            Integration::WooCommerce => {
                let sim = WooSim::new(clock.clone());
                let store = sim.add_store("shop", StoreSettings::default());
                let key = store.issue_key(KeyPermissions::ReadWrite);
                let server = sim.start().await.expect("woocommerce simulator starts");
                Store::Woo(WooStore {
                    sim,
                    store,
                    key,
                    server,
                })
            }
            Integration::ShipBob => {
                let sim = ShipBobSim::new(clock.clone());
                sim.set_rate_limit(1_000_000, Duration::from_secs(60));
                let merchant = sim.add_merchant("E2E merchant");
                let server = sim.start().await.expect("shipbob simulator starts");
                Store::ShipBob(ShipBobStore {
                    sim,
                    merchant,
                    server,
                })
            }
            Integration::Extensiv => {
                let sim = ExtensivSim::new(clock.clone());
                let creds = sim.add_tenant();
                let server = sim.start().await.expect("extensiv simulator starts");
                Store::Extensiv(ExtensivStore { sim, creds, server })
            }
        }
    }

    /// The channel settings and credentials a merchant would type in to reach this store.
    /// `timeout` is the channel's request timeout in seconds.
    pub fn channel_input(&self, name: &str, enabled: bool, timeout: u32) -> ChannelInput {
        let s = |pairs: &[(&str, String)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect()
        };
        let (integration, settings, credentials) = match self {
            Store::Shopify(x) => (
                "shopify",
                s(&[
                    ("shop_domain", SHOP_DOMAIN.into()),
                    ("base_url", x.server.base_url()),
                    ("timeout_seconds", timeout.to_string()),
                ]),
                s(&[("access_token", SHOP_TOKEN.into())]),
            ),
            Store::Woo(x) => (
                "woocommerce",
                s(&[
                    ("site_url", x.store.site_url(&x.server)),
                    ("requests_per_second", "0".into()),
                    ("timeout_seconds", timeout.to_string()),
                ]),
                s(&[
                    ("consumer_key", x.key.consumer_key.clone()),
                    ("consumer_secret", x.key.consumer_secret.clone()),
                ]),
            ),
            Store::ShipBob(x) => (
                "shipbob",
                s(&[
                    ("base_url", x.server.base_url()),
                    ("shipbob_channel_id", x.merchant.channel_id.to_string()),
                    ("rate_limit_requests", "100000".into()),
                    ("timeout_seconds", timeout.to_string()),
                ]),
                s(&[("access_token", x.merchant.token.clone())]),
            ),
            Store::Extensiv(x) => (
                "extensiv",
                s(&[
                    ("base_url", x.server.base_url()),
                    ("customer_id", x.creds.customer_id.to_string()),
                    ("facility_id", x.creds.facility_id.to_string()),
                    ("user_login_id", x.creds.user_login_id.clone()),
                    ("requests_per_second", "0".into()),
                    ("timestamp_slack_hours", "0".into()),
                    ("timeout_seconds", timeout.to_string()),
                ]),
                s(&[
                    ("client_id", x.creds.client_id.clone()),
                    ("client_secret", x.creds.client_secret.clone()),
                    ("tpl_key", x.creds.tpl_key.clone()),
                ]),
            ),
        };
        ChannelInput {
            kind: None,
            integration: Some(integration.into()),
            name: Some(name.into()),
            enabled: Some(enabled),
            settings,
            credentials,
        }
    }

    /// Write requests the store has received so far (whatever their outcome).
    pub fn writes(&self) -> u64 {
        match self {
            Store::Shopify(x) => x.shop.mutation_requests(),
            Store::Woo(x) => x.store.write_count(),
            Store::ShipBob(x) => x.sim.write_calls(x.merchant.user_id),
            Store::Extensiv(x) => x.sim.stats().item_writes,
        }
    }

    /// Every request the store has received (reads included).
    pub fn requests(&self) -> usize {
        match self {
            Store::Shopify(x) => x.shop.requests().len(),
            Store::Woo(x) => x.store.log().len(),
            Store::ShipBob(x) => x.sim.requests().len(),
            Store::Extensiv(x) => x.sim.requests().len(),
        }
    }

    /// How many records of the store hold each SKU key, read from the store's own state (not
    /// through a connector) and keyed as techOMS keys SKUs (trimmed, case-folded), so that
    /// "ABC-1" and " abc-1 " count as the same SKU held twice.
    pub fn sku_counts(&self) -> BTreeMap<String, usize> {
        let skus: Vec<String> = match self {
            Store::Shopify(x) => x
                .shop
                .products()
                .into_iter()
                .flat_map(|p| p.variants.into_iter().map(|v| v.sku))
                .collect(),
            Store::Woo(x) => x
                .store
                .posts()
                .into_iter()
                .filter(|p| !p.is_trashed())
                .map(|p| p.sku)
                .collect(),
            Store::ShipBob(x) => x
                .sim
                .products(x.merchant.user_id)
                .iter()
                .flat_map(|p| p["variants"].as_array().cloned().unwrap_or_default())
                .filter_map(|v| v["sku"].as_str().map(str::to_owned))
                .collect(),
            Store::Extensiv(x) => x
                .sim
                .items(x.creds.customer_id)
                .iter()
                .filter_map(|i| i["sku"].as_str().map(str::to_owned))
                .collect(),
        };
        let mut out = BTreeMap::new();
        for s in skus {
            let key = SkuKey::of(&s);
            if !key.is_empty() {
                *out.entry(key.as_str().to_owned()).or_insert(0) += 1;
            }
        }
        out
    }

    /// How many records of the store hold this SKU (see [`Store::sku_counts`]).
    pub fn count_sku(&self, sku: &str) -> usize {
        self.sku_counts()
            .get(SkuKey::of(sku).as_str())
            .copied()
            .unwrap_or(0)
    }

    /// Put a product holding `sku` in the store as its merchant would have, before techOMS
    /// ever synced it.
    pub fn preexisting(&self, title: &str, sku: &str) {
        match self {
            Store::Shopify(x) => {
                x.shop
                    .seed(&[techoms_simulators::shopify::SeedProduct {
                        title: title.into(),
                        handle: None,
                        description_html: String::new(),
                        vendor: String::new(),
                        product_type: String::new(),
                        tags: Vec::new(),
                        status: "ACTIVE".into(),
                        options: Vec::new(),
                        images: Vec::new(),
                        variants: vec![techoms_simulators::shopify::SeedVariant {
                            sku: sku.into(),
                            option_values: Vec::new(),
                            barcode: None,
                            price: rust_decimal::Decimal::ONE,
                            compare_at_price: None,
                            cost: None,
                            weight: None,
                        }],
                    }])
                    .unwrap();
            }
            Store::Woo(x) => {
                x.store
                    .insert(&techoms_simulators::woocommerce::SeedProduct {
                        name: title.into(),
                        sku: sku.into(),
                        regular_price: "1".into(),
                        ..Default::default()
                    })
                    .unwrap();
            }
            Store::ShipBob(x) => {
                x.sim
                    .create_product(
                        x.merchant.user_id,
                        &serde_json::json!({"name": title, "type_id": 1,
                            "variants": [{"sku": sku, "name": title}]}),
                    )
                    .unwrap();
            }
            Store::Extensiv(x) => {
                x.sim
                    .insert_item(
                        x.creds.customer_id,
                        serde_json::json!({"sku": sku, "description": title}),
                    )
                    .unwrap();
            }
        }
    }

    pub fn shopify(&self) -> &ShopifyStore {
        match self {
            Store::Shopify(x) => x,
            _ => panic!("not a Shopify store"),
        }
    }

    pub fn woo(&self) -> &WooStore {
        match self {
            Store::Woo(x) => x,
            _ => panic!("not a WooCommerce store"),
        }
    }

    pub fn shipbob(&self) -> &ShipBobStore {
        match self {
            Store::ShipBob(x) => x,
            _ => panic!("not a ShipBob store"),
        }
    }

    pub fn extensiv(&self) -> &ExtensivStore {
        match self {
            Store::Extensiv(x) => x,
            _ => panic!("not an Extensiv store"),
        }
    }
}
