//! ShipBob connector: the dated product API (2025-07 and later; default 2026-01).
//!
//! Auth is a personal access token sent as `Authorization: Bearer`; `shipbob_channel_id` is
//! sent on writes when configured. Products are containers of variants and the variant
//! carries the SKU: a ShipBob product maps to a techOMS product with its variants, and each
//! techOMS variant to exactly one ShipBob variant (see `write` for how creates are grouped).
//! Units are fixed (ounces, inches) and converted exactly (`mapping`). The 150 requests per
//! minute sliding window is kept on our side (`limiter`), corrected by `x-remaining-calls` and
//! paused by 429's `x-retry-after`.
//!
//! Settings: `api_version` (default 2026-01), `shipbob_channel_id`, `base_url` (default
//! https://api.shipbob.com), `timeout_seconds` (default 30), and, beyond the registry row,
//! `page_size` (default 250), `rate_limit_requests` (default 150) and
//! `rate_limit_window_seconds` (default 60) for accounts or sandboxes with other limits.

mod errors;
mod http;
mod limiter;
mod mapping;
mod read;
mod settings;
mod wire;
mod write;

use async_trait::async_trait;

use crate::config::ChannelConfig;
use crate::connector::{Connector, ProductPage, ReadQuery};
use crate::error::ChannelError;
use crate::fields::Fields;
use crate::model::{ExportProduct, RemoteProduct, WriteResult};

pub use mapping::WIRE_DP;

/// Products per `write_products` call. ShipBob has no batch endpoint (one request per variant
/// or per product patch), so batches are kept small for timely checkpoints.
const WRITE_BATCH_SIZE: usize = 10;

pub struct ShipBobConnector {
    http: http::Http,
}

impl ShipBobConnector {
    pub fn new(config: &ChannelConfig, client: reqwest::Client) -> Result<Self, ChannelError> {
        let settings = settings::Settings::from_config(config)?;
        Ok(Self {
            http: http::Http::new(client, settings),
        })
    }
}

#[async_trait]
impl Connector for ShipBobConnector {
    fn name(&self) -> &str {
        "shipbob"
    }

    async fn read_products(
        &self,
        query: &ReadQuery,
        cursor: Option<String>,
    ) -> Result<ProductPage, ChannelError> {
        read::read_page(&self.http, query, cursor).await
    }

    async fn find_by_skus(&self, skus: &[String]) -> Result<Vec<RemoteProduct>, ChannelError> {
        read::find_by_skus(&self.http, skus).await
    }

    /// ShipBob's product model holds a name, and per variant a SKU, status, barcodes, weight
    /// and dimensions. It has no description, vendor, type, tags, images, compare-at price or
    /// cost; its only price is a sales channel's copy (`channel_metadata`), which we never
    /// write; it has no product status (ours is derived from the variants') and no options
    /// (option values are only parsed back from variant names, lossily).
    fn fields(&self) -> Fields {
        Fields {
            title: true,
            barcode: true,
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
        write::write_products(&self.http, &products).await
    }
}
