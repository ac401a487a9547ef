//! Extensiv 3PL Warehouse Manager (formerly 3PL Central), a fulfillment channel: a customer's
//! items (SKU master) over the REST API at `https://secure-wms.com` (channel-apis.md §7).
//!
//! - Auth: OAuth2 client credentials (`auth.rs`), cached and renewed before expiry; a 401
//!   renews once; [`Connector::refresh_authorization`] forces a renewal.
//! - Reads: `GET /customers/{id}/items` page by page (`pgnum`/`pgsiz`, `totalResults`), HAL
//!   `_embedded` (or `ResourceList`), `rql` filters for changed-since and SKU lookups.
//! - Writes: one item per request; updates are read-modify-write with `ETag`/`If-Match`.
//! - Pacing: no published limit, so a configurable client-side rate that halves on 429.
//!
//! Settings beyond the registry row (all optional): `timeout_seconds` (default 30),
//! `page_size` (1–100, default 100), `units` (`imperial` | `metric`, default imperial: which
//! package-unit block is read first), `inventory_unit` (default "Each", the unit new items get),
//! `timestamp_slack_hours` (default 14: how far the changed-since filter is widened because
//! `lastModifiedDate` carries no time zone).

mod auth;
mod client;
mod json;
mod mapping;
mod read;
mod rql;
mod settings;
mod text;
mod throttle;
mod wire;
mod write;

use async_trait::async_trait;

use crate::config::ChannelConfig;
use crate::connector::{AuthStatus, Connector, ProductPage, ReadQuery};
use crate::error::ChannelError;
use crate::fields::Fields;
use crate::model::{ExportProduct, RemoteProduct, WriteResult};
use client::Api;
use settings::Settings;

/// Products handed to one `write_products` call (each item costs two or three requests).
const WRITE_BATCH_SIZE: usize = 20;

pub struct ExtensivConnector {
    api: Api,
}

impl ExtensivConnector {
    pub fn new(config: &ChannelConfig, http: reqwest::Client) -> Result<Self, ChannelError> {
        Ok(Self {
            api: Api::new(Settings::from_config(config)?, http),
        })
    }
}

#[async_trait]
impl Connector for ExtensivConnector {
    fn name(&self) -> &str {
        "extensiv"
    }

    async fn read_products(
        &self,
        query: &ReadQuery,
        cursor: Option<String>,
    ) -> Result<ProductPage, ChannelError> {
        read::read_products(&self.api, query, cursor).await
    }

    async fn find_by_skus(&self, skus: &[String]) -> Result<Vec<RemoteProduct>, ChannelError> {
        read::find_by_skus(&self.api, skus).await
    }

    /// An Extensiv item holds a description (our title), UPC, price, cost, package weight and
    /// dimensions and a deactivated flag. `description2` is plain text, so it cannot hold the
    /// catalog's HTML description without stripping it; there is no vendor, type, tags,
    /// images, options, compare-at price, and no product status beyond the item's flag.
    fn fields(&self) -> Fields {
        Fields {
            title: true,
            barcode: true,
            price: true,
            cost: true,
            weight: true,
            dimensions: true,
            variant_status: true,
            ..Fields::NONE
        }
    }

    fn write_batch_size(&self) -> usize {
        WRITE_BATCH_SIZE
    }

    async fn write_products(
        &self,
        products: Vec<ExportProduct>,
    ) -> Result<Vec<WriteResult>, ChannelError> {
        write::write_products(&self.api, products).await
    }

    async fn refresh_authorization(&self) -> Result<AuthStatus, ChannelError> {
        let expires_at = self.api.tokens.force_refresh(&self.api).await?;
        Ok(AuthStatus::Refreshed { expires_at })
    }
}
