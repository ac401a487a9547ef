//! WooCommerce connector: the REST API v3 under `{site_url}/wp-json/wc/v3`.
//!
//! - Auth: HTTP Basic with the consumer key and secret, or (`auth_mode = query`) the
//!   `consumer_key`/`consumer_secret` query parameters for hosts that strip `Authorization`.
//!   Neither ever reaches a log line or an error message.
//! - Pacing: WooCommerce publishes no rate limit; requests are spaced at
//!   `requests_per_second` (default 5) and the pace adapts to 429/503 `Retry-After`
//!   (`throttle.rs`). Host and firewall HTML error pages are classified by status code.
//! - Reads: `read.rs` (key-set paging by modification date, the variation sweep),
//!   `mapping.rs` (fields), `units.rs` (the store's units, read once from
//!   `GET /settings/products`).
//! - Writes: `plan.rs`, `write.rs`, `adopt.rs` (batches, per-item errors, adopting SKUs that
//!   already exist, recovering from ambiguous failures without duplicating anything).
//!
//! Settings: `site_url` (required; also the base URL, so it can point at a proxy or a
//! simulator), `auth_mode` (basic|query), `requests_per_second` (5), `timeout_seconds`
//! (30, can only be lowered), `page_size` (100; products per read page, 1–100).

mod adopt;
mod client;
mod cursor;
mod mapping;
mod plan;
mod read;
mod settings;
mod throttle;
mod units;
mod wire;
mod write;

use std::sync::atomic::AtomicUsize;

use async_trait::async_trait;
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::config::ChannelConfig;
use crate::connector::{Connector, ProductPage, ReadQuery};
use crate::error::ChannelError;
use crate::fields::Fields;
use crate::model::{ExportProduct, RemoteProduct, WriteResult};
use client::WooClient;
use settings::WooSettings;
use units::{StoreLengthUnit, StoreUnits, StoreWeightUnit};

/// Products per `write_products` call: one product batch holds up to 100 entries.
const WRITE_BATCH: usize = 100;

pub struct WooCommerceConnector {
    client: WooClient,
    units: OnceCell<StoreUnits>,
    /// Items per batch request: 100, or what a 413 said the store accepts.
    batch_limit: AtomicUsize,
}

impl WooCommerceConnector {
    pub fn new(config: &ChannelConfig, http: reqwest::Client) -> Result<Self, ChannelError> {
        let settings = WooSettings::from_config(config)?;
        let key = config.credentials.require("consumer_key")?;
        let secret = config.credentials.require("consumer_secret")?;
        Ok(Self {
            client: WooClient::new(http, settings, key, secret),
            units: OnceCell::new(),
            batch_limit: AtomicUsize::new(100),
        })
    }

    /// The store's weight and dimension units, read once per connector.
    async fn units(&self) -> Result<StoreUnits, ChannelError> {
        self.units
            .get_or_try_init(|| async {
                let resp = self.client.get("settings/products", &[]).await?;
                let value_of = |id: &str| {
                    resp.json
                        .as_array()
                        .and_then(|a| a.iter().find(|s| s.get("id").and_then(Value::as_str) == Some(id)))
                        .and_then(|s| s.get("value"))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                };
                let weight = value_of("woocommerce_weight_unit").unwrap_or_default();
                let length = value_of("woocommerce_dimension_unit").unwrap_or_default();
                Ok(StoreUnits {
                    weight: StoreWeightUnit::parse(&weight).ok_or_else(|| {
                        ChannelError::Permanent(format!(
                            "the store's weight unit (woocommerce_weight_unit) is {weight:?}, not one of kg, g, lbs, oz"
                        ))
                    })?,
                    length: StoreLengthUnit::parse(&length).ok_or_else(|| {
                        ChannelError::Permanent(format!(
                            "the store's dimension unit (woocommerce_dimension_unit) is {length:?}, not one of m, cm, mm, in, yd"
                        ))
                    })?,
                })
            })
            .await
            .copied()
    }
}

#[async_trait]
impl Connector for WooCommerceConnector {
    fn name(&self) -> &str {
        "woocommerce"
    }

    async fn read_products(
        &self,
        query: &ReadQuery,
        cursor: Option<String>,
    ) -> Result<ProductPage, ChannelError> {
        self.read_page(query, cursor).await
    }

    async fn find_by_skus(&self, skus: &[String]) -> Result<Vec<RemoteProduct>, ChannelError> {
        if skus.iter().all(|s| s.trim().is_empty()) {
            return Ok(Vec::new());
        }
        self.find_skus(skus).await
    }

    /// WooCommerce has no vendor field, and cost of goods only through plugins.
    fn fields(&self) -> Fields {
        Fields {
            vendor: false,
            cost: false,
            ..Fields::ALL
        }
    }

    fn write_batch_size(&self) -> usize {
        WRITE_BATCH
    }

    async fn write_products(
        &self,
        products: Vec<ExportProduct>,
    ) -> Result<Vec<WriteResult>, ChannelError> {
        if products.is_empty() {
            return Ok(Vec::new());
        }
        self.write(products).await
    }
}
