//! shopify connector — placeholder until its issue lands; it refuses to run rather than pretend.

use async_trait::async_trait;

use crate::config::ChannelConfig;
use crate::connector::{Connector, ProductPage, ReadQuery};
use crate::error::ChannelError;
use crate::model::{ExportProduct, RemoteProduct, WriteResult};

pub struct ShopifyConnector;

impl ShopifyConnector {
    pub fn new(_config: &ChannelConfig, _http: reqwest::Client) -> Result<Self, ChannelError> {
        Err(ChannelError::Permanent("the shopify connector is not available in this build".into()))
    }
}

#[async_trait]
impl Connector for ShopifyConnector {
    fn name(&self) -> &str {
        "shopify"
    }
    async fn read_products(&self, _q: &ReadQuery, _c: Option<String>) -> Result<ProductPage, ChannelError> {
        Err(ChannelError::Permanent("not available".into()))
    }
    async fn find_by_skus(&self, _skus: &[String]) -> Result<Vec<RemoteProduct>, ChannelError> {
        Err(ChannelError::Permanent("not available".into()))
    }
    fn write_batch_size(&self) -> usize {
        1
    }
    async fn write_products(&self, _p: Vec<ExportProduct>) -> Result<Vec<WriteResult>, ChannelError> {
        Err(ChannelError::Permanent("not available".into()))
    }
}
