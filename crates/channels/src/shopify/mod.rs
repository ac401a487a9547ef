//! Shopify, through the Admin GraphQL API (`POST {base}/admin/api/{version}/graphql.json`,
//! `X-Shopify-Access-Token`).
//!
//! Settings: `shop_domain` (required), `api_version` (default 2025-10), `base_url` (defaults
//! to `https://{shop_domain}`), `timeout_seconds` (default and maximum 30). Credential:
//! `access_token`.
//!
//! - Reads: `products` by cursor, full (`sortKey: ID`) or changed-since
//!   (`query: "updated_at:>='…'"`, `sortKey: UPDATED_AT`, repeats dropped), with nested
//!   variant and media pagination ([`read`]).
//! - Lookups: `productVariants(query: "sku:\"…\" OR …")`, then the products by id ([`lookup`]).
//! - Writes: `productSet`, several per request ([`write`] explains the choice).
//! - Pacing: a local model of the cost bucket, fed by every response's `extensions.cost`, waits
//!   before a query whose requested cost is not available, and page sizes keep every query under
//!   the single-query limit and the bucket ([`throttle`], [`cost`]).

mod client;
mod cost;
mod cursor;
mod lookup;
mod mapping;
mod queries;
mod read;
mod settings;
mod throttle;
mod wire;
mod write;

use async_trait::async_trait;
use serde_json::{Value, json};
use techoms_domain::WeightUnit;
use tokio::sync::OnceCell;

use crate::config::ChannelConfig;
use crate::connector::{Connector, ProductPage, ReadQuery};
use crate::error::ChannelError;
use crate::fields::Fields;
use crate::model::{ExportProduct, RemoteProduct, WriteResult};

pub use lookup::sku_term;
pub use settings::DEFAULT_API_VERSION;

/// What the connector needs to know about the shop (read once, on first use).
#[derive(Debug, Clone)]
pub struct ShopInfo {
    /// The shop's default weight unit: weights are written in it, as a merchant entering
    /// them in the admin would.
    pub weight_unit: WeightUnit,
    pub currency: String,
}

pub struct ShopifyConnector {
    client: client::Client,
    shop: OnceCell<ShopInfo>,
}

/// Products handed to one `write_products` call.
pub const WRITE_BATCH_SIZE: usize = 50;

impl ShopifyConnector {
    pub fn new(config: &ChannelConfig, http: reqwest::Client) -> Result<Self, ChannelError> {
        let settings = settings::Settings::from_config(config)?;
        Ok(Self {
            client: client::Client::new(http, settings),
            shop: OnceCell::new(),
        })
    }

    /// The shop's settings. The first call is also the warm-up of the cost model: it costs a
    /// single point and tells the bucket's size and fill before any expensive query is sized.
    pub async fn shop_info(&self) -> Result<ShopInfo, ChannelError> {
        self.shop
            .get_or_try_init(|| async {
                let q = client::Gql {
                    kind: "shop",
                    query: queries::SHOP_INFO.to_owned(),
                    variables: json!({}),
                    estimate: cost::SHOP_INFO as f64,
                };
                let r = self.client.request(&q).await?;
                let unit = r
                    .data
                    .pointer("/shop/weightUnit")
                    .and_then(Value::as_str)
                    .and_then(mapping::weight_unit)
                    .unwrap_or(WeightUnit::Kg);
                let currency = r
                    .data
                    .pointer("/shop/currencyCode")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                Ok(ShopInfo {
                    weight_unit: unit,
                    currency,
                })
            })
            .await
            .cloned()
    }
}

#[async_trait]
impl Connector for ShopifyConnector {
    fn name(&self) -> &str {
        "shopify"
    }

    async fn read_products(
        &self,
        query: &ReadQuery,
        cursor: Option<String>,
    ) -> Result<ProductPage, ChannelError> {
        self.read_page(query, cursor).await
    }

    async fn find_by_skus(&self, skus: &[String]) -> Result<Vec<RemoteProduct>, ChannelError> {
        self.find_products(skus).await
    }

    /// Shopify has no product or variant dimensions and no per-variant status.
    fn fields(&self) -> Fields {
        Fields {
            dimensions: false,
            variant_status: false,
            ..Fields::ALL
        }
    }

    fn write_batch_size(&self) -> usize {
        WRITE_BATCH_SIZE
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
