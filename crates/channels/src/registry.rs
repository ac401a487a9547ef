//! Build the connector of a registered integration.

use std::sync::Arc;

use techoms_domain::Integration;

use crate::config::ChannelConfig;
use crate::connector::Connector;
use crate::error::ChannelError;

/// Build the connector for `integration` from a channel's settings and credentials. `http` is
/// the process-wide client (connection pooling); connectors add their own timeouts per request.
pub fn build_connector(
    integration: Integration,
    config: &ChannelConfig,
    http: reqwest::Client,
) -> Result<Arc<dyn Connector>, ChannelError> {
    Ok(match integration {
        Integration::Shopify => Arc::new(crate::shopify::ShopifyConnector::new(config, http)?),
        Integration::WooCommerce => {
            Arc::new(crate::woocommerce::WooCommerceConnector::new(config, http)?)
        }
        Integration::ShipBob => Arc::new(crate::shipbob::ShipBobConnector::new(config, http)?),
        Integration::Extensiv => Arc::new(crate::extensiv::ExtensivConnector::new(config, http)?),
    })
}
