//! SKU mappings applied per page: channel SKU → techOMS SKU on import, techOMS SKU → channel
//! SKU on export. Unmapped SKUs pass through unchanged. Only the page's keys are looked up, so
//! memory does not grow with the number of mappings; a channel without mappings costs no
//! query at all.

use std::collections::HashMap;

use techoms_db::bindings::Exec;
use techoms_db::sku_mappings::{self, Lookup};
use techoms_domain::{AccountId, ChannelId, SkuKey};

use crate::App;
use crate::error::AppResult;

pub(crate) struct Mapper {
    account: AccountId,
    channel: ChannelId,
    active: bool,
}

impl Mapper {
    pub async fn load(app: &App, account: AccountId, channel: ChannelId) -> AppResult<Mapper> {
        let n = sku_mappings::count(&app.db, account, channel).await?;
        Ok(Mapper {
            account,
            channel,
            active: n > 0,
        })
    }

    /// Whether the channel has any mapping at all.
    pub fn active(&self) -> bool {
        self.active
    }

    /// The other side's SKU for each of these keys that has a mapping.
    pub async fn lookup<'a>(
        &self,
        exec: impl Into<Exec<'a>>,
        way: Lookup,
        keys: &[&str],
    ) -> AppResult<HashMap<SkuKey, String>> {
        if !self.active || keys.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = sku_mappings::lookup(exec, self.account, self.channel, way, keys).await?;
        Ok(rows.into_iter().collect())
    }
}
