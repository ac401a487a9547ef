//! Real runs for the web tests: channels backed by in-memory connectors, driven by the
//! import/export engine, so that runs, messages and bindings are what production writes.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use axum::http::{Method, StatusCode};
use serde_json::json;
use techoms_app::App;
use techoms_app::engine::{self, ConnectorProvider, EngineOptions, RunReport, Trigger};
use techoms_channels::{ChannelError, Connector};
use techoms_domain::{AccountId, Channel, ChannelId};
use techoms_testkit::MemoryConnector;

use super::TestApp;

/// Connectors by channel id.
#[derive(Clone, Default)]
pub struct Provider(pub HashMap<ChannelId, Arc<MemoryConnector>>);

#[async_trait]
impl ConnectorProvider for Provider {
    async fn connector(
        &self,
        _app: &App,
        channel: &Channel,
    ) -> Result<Arc<dyn Connector>, ChannelError> {
        self.0
            .get(&channel.id)
            .map(|c| c.clone() as Arc<dyn Connector>)
            .ok_or_else(|| ChannelError::Permanent("no connector".into()))
    }
}

impl Provider {
    /// Back `channel` (an id as text) with a fresh in-memory connector named `name`.
    pub fn add(&mut self, channel: &str, name: &str) -> Arc<MemoryConnector> {
        let c = Arc::new(MemoryConnector::new(name));
        self.0.insert(channel.parse().unwrap(), c.clone());
        c
    }
}

/// "Sync products" on a channel of `account`, run to its end.
pub async fn sync(
    t: &TestApp,
    provider: &Provider,
    account: &str,
    channel: &str,
    full: bool,
) -> RunReport {
    let account: AccountId = account.parse().unwrap();
    engine::sync_channel(
        &t.app,
        provider,
        account,
        channel.parse().unwrap(),
        Trigger::Manual,
        full,
        &EngineOptions::default(),
    )
    .await
    .unwrap()
}

/// Make `channel` the account's Master Product Channel (a sales channel).
pub async fn set_sales_master(t: &TestApp, key: &str, channel: &str) {
    let (st, v) = t
        .api(
            key,
            Method::PUT,
            "/api/v1/account/master-product-source",
            Some(json!({"source": "sales_channel", "channel_id": channel, "confirm": true})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

/// Set the account's time zone (the other settings as created).
pub async fn set_timezone(t: &TestApp, key: &str, name: &str, tz: &str) {
    let (st, v) = t
        .api(
            key,
            Method::PUT,
            "/api/v1/account",
            Some(json!({"name": name, "timezone": tz, "currency": "USD", "weight_unit": "kg", "length_unit": "cm"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
}
