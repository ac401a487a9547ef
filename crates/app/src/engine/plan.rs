//! Which channels import and which export, given the account's Master Product Source and the
//! integration registry (DESIGN §4, §5). Pure: no I/O.
//!
//! - A disabled account runs nothing.
//! - techOMS master: nothing imports; every enabled channel whose integration can receive
//!   products gets Export Products.
//! - Channel master: Import Products runs for the master only, while it is enabled and its
//!   integration can import; every other enabled, export-capable channel gets Export
//!   Products — never the master itself.

use serde::Serialize;
use techoms_domain::{Account, Capability, Channel, ChannelId, MasterProductSource};

/// What one product sync of an account does.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncPlan {
    /// The master channel to import from, if any.
    pub import: Option<ChannelId>,
    /// The channels to export to.
    pub exports: Vec<ChannelId>,
    /// Channels that take no part, with the reason.
    pub idle: Vec<(ChannelId, String)>,
}

/// The master channel of the account, when its source is a channel.
fn master(account: &Account) -> Option<ChannelId> {
    match account.master_product_source {
        MasterProductSource::Techoms => None,
        _ => account.master_product_channel_id,
    }
}

/// Why `channel` may not be imported from now, if it may not.
pub fn may_import(account: &Account, channel: &Channel) -> Result<(), String> {
    if channel.account_id != account.id {
        return Err("the channel belongs to another account".into());
    }
    if !account.enabled {
        return Err(format!("account {} is disabled", account.name));
    }
    if master(account) != Some(channel.id) {
        return Err(format!(
            "{} is not the Master Product Channel; products are imported only from the master",
            channel.name
        ));
    }
    if !channel.enabled {
        return Err(format!(
            "{} is disabled: nothing is imported from it while it stays disabled",
            channel.name
        ));
    }
    if !channel.integration.supports(Capability::ProductImport) {
        return Err(format!(
            "{} cannot import products",
            channel.integration.spec().display_name
        ));
    }
    Ok(())
}

/// Why `channel` may not receive an export now, if it may not.
pub fn may_export(account: &Account, channel: &Channel) -> Result<(), String> {
    if channel.account_id != account.id {
        return Err("the channel belongs to another account".into());
    }
    if !account.enabled {
        return Err(format!("account {} is disabled", account.name));
    }
    if master(account) == Some(channel.id) {
        return Err(format!(
            "{} is the Master Product Channel: products come from it, it receives no exports",
            channel.name
        ));
    }
    if !channel.enabled {
        return Err(format!("{} is disabled", channel.name));
    }
    if !channel.integration.supports(Capability::ProductExport) {
        return Err(format!(
            "{} cannot receive products",
            channel.integration.spec().display_name
        ));
    }
    Ok(())
}

/// The plan of a product sync over `channels` (the account's channels).
pub fn plan(account: &Account, channels: &[Channel]) -> SyncPlan {
    let mut out = SyncPlan::default();
    for ch in channels.iter().filter(|c| c.account_id == account.id) {
        if master(account) == Some(ch.id) {
            match may_import(account, ch) {
                Ok(()) => out.import = Some(ch.id),
                Err(why) => out.idle.push((ch.id, why)),
            }
            continue;
        }
        match may_export(account, ch) {
            Ok(()) => out.exports.push(ch.id),
            Err(why) => out.idle.push((ch.id, why)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use techoms_domain::{
        AccountCode, Currency, Integration, LengthUnit, OrganizationId, WeightUnit,
    };
    use techoms_domain::{AccountId, ChannelKind};

    fn account(source: MasterProductSource, master: Option<ChannelId>) -> Account {
        Account {
            id: AccountId::new(),
            organization_id: OrganizationId::new(),
            name: "Shop".into(),
            code: AccountCode::derive("Shop").unwrap(),
            timezone: "UTC".into(),
            weight_unit: WeightUnit::G,
            length_unit: LengthUnit::Mm,
            currency: Currency::USD,
            enabled: true,
            master_product_source: source,
            master_product_channel_id: master,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn channel(a: &Account, integration: Integration, enabled: bool) -> Channel {
        Channel {
            id: ChannelId::new(),
            account_id: a.id,
            kind: integration.kind(),
            integration,
            name: format!("{integration}"),
            enabled,
            settings: Default::default(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn techoms_master_exports_to_every_enabled_channel() {
        let a = account(MasterProductSource::Techoms, None);
        let chans = [
            channel(&a, Integration::Shopify, true),
            channel(&a, Integration::ShipBob, true),
            channel(&a, Integration::WooCommerce, false),
        ];
        let p = plan(&a, &chans);
        assert_eq!(p.import, None);
        assert_eq!(p.exports, vec![chans[0].id, chans[1].id]);
        assert_eq!(p.idle.len(), 1);
        assert!(p.idle[0].1.contains("disabled"));
    }

    #[test]
    fn channel_master_imports_and_never_receives_exports() {
        let mut a = account(MasterProductSource::FulfillmentChannel, None);
        let chans = [
            channel(&a, Integration::Shopify, true),
            channel(&a, Integration::ShipBob, true),
            channel(&a, Integration::Extensiv, true),
        ];
        a.master_product_channel_id = Some(chans[1].id);
        let p = plan(&a, &chans);
        assert_eq!(p.import, Some(chans[1].id));
        assert_eq!(p.exports, vec![chans[0].id, chans[2].id]);
        assert!(may_export(&a, &chans[1]).unwrap_err().contains("Master"));
        assert!(may_import(&a, &chans[0]).is_err());
        assert_eq!(chans[1].kind, ChannelKind::Fulfillment);
    }

    #[test]
    fn disabled_master_imports_nothing_and_disabled_account_runs_nothing() {
        let mut a = account(MasterProductSource::SalesChannel, None);
        let chans = [
            channel(&a, Integration::Shopify, false),
            channel(&a, Integration::ShipBob, true),
        ];
        a.master_product_channel_id = Some(chans[0].id);
        let p = plan(&a, &chans);
        assert_eq!(p.import, None);
        assert_eq!(p.exports, vec![chans[1].id]);
        assert!(may_import(&a, &chans[0]).unwrap_err().contains("disabled"));
        a.enabled = false;
        let p = plan(&a, &chans);
        assert_eq!((p.import, p.exports.len()), (None, 0));
    }

    #[test]
    fn another_accounts_channel_is_ignored() {
        let a = account(MasterProductSource::Techoms, None);
        let other = account(MasterProductSource::Techoms, None);
        let c = channel(&other, Integration::Shopify, true);
        assert!(plan(&a, std::slice::from_ref(&c)).exports.is_empty());
        assert!(may_export(&a, &c).is_err());
    }
}
