//! The Master Product Source (DESIGN §4): where an account's product data originates.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::channel::{Channel, ChannelKind};
use crate::ids::{AccountId, ChannelId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MasterProductSource {
    #[default]
    Techoms,
    SalesChannel,
    FulfillmentChannel,
}

impl MasterProductSource {
    pub const ALL: [MasterProductSource; 3] = [
        MasterProductSource::Techoms,
        MasterProductSource::SalesChannel,
        MasterProductSource::FulfillmentChannel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MasterProductSource::Techoms => "techoms",
            MasterProductSource::SalesChannel => "sales_channel",
            MasterProductSource::FulfillmentChannel => "fulfillment_channel",
        }
    }

    /// The label of the settings page select.
    pub fn label(self) -> &'static str {
        match self {
            MasterProductSource::Techoms => "techOMS (default)",
            MasterProductSource::SalesChannel => "Sales Channel",
            MasterProductSource::FulfillmentChannel => "Fulfillment Channel",
        }
    }

    /// The channel kind this source needs, if it names a channel at all.
    pub fn channel_kind(self) -> Option<ChannelKind> {
        match self {
            MasterProductSource::Techoms => None,
            MasterProductSource::SalesChannel => Some(ChannelKind::Sales),
            MasterProductSource::FulfillmentChannel => Some(ChannelKind::Fulfillment),
        }
    }
}

impl FromStr for MasterProductSource {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MasterProductSource::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown source {s:?} (expected techoms, sales_channel or fulfillment_channel)"
                )
            })
    }
}

impl fmt::Display for MasterProductSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An account's master setting: the source and, for a channel source, the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct MasterSetting {
    pub source: MasterProductSource,
    pub channel_id: Option<ChannelId>,
}

/// A refused master setting, naming the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct MasterSettingError {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> MasterSettingError {
    MasterSettingError {
        field,
        message: message.into(),
    }
}

impl MasterSetting {
    pub const TECHOMS: MasterSetting = MasterSetting {
        source: MasterProductSource::Techoms,
        channel_id: None,
    };

    /// Validate a proposed setting for `account`. `channel` is the channel `channel_id` names,
    /// looked up *within the account* (None when it does not exist there). A disabled channel
    /// is allowed: nothing is imported from it while it stays disabled.
    pub fn validate(
        &self,
        account: AccountId,
        channel: Option<&Channel>,
    ) -> Result<(), MasterSettingError> {
        let Some(kind) = self.source.channel_kind() else {
            return match self.channel_id {
                None => Ok(()),
                Some(_) => Err(refuse(
                    "channel_id",
                    "must be empty when the source is techOMS",
                )),
            };
        };
        let Some(id) = self.channel_id else {
            return Err(refuse(
                "channel_id",
                format!(
                    "a Master Product Channel is required for the {} source",
                    self.source.label()
                ),
            ));
        };
        let channel = match channel {
            Some(c) if c.id == id && c.account_id == account => c,
            _ => {
                return Err(refuse("channel_id", "is not a channel of this account"));
            }
        };
        if channel.kind != kind {
            return Err(refuse(
                "channel_id",
                format!(
                    "{:?} is a {} channel; the {} source needs a {} channel",
                    channel.name,
                    channel.kind.as_str(),
                    self.source.label(),
                    kind.as_str()
                ),
            ));
        }
        if !channel.integration.can_be_master() {
            return Err(refuse(
                "channel_id",
                format!(
                    "{:?} ({}) cannot import products, so it cannot be the master",
                    channel.name,
                    channel.integration.spec().display_name
                ),
            ));
        }
        Ok(())
    }

    /// The channels the picker offers for `source`: this account's channels of that kind whose
    /// integration can import products, disabled ones included.
    pub fn eligible(
        source: MasterProductSource,
        account: AccountId,
        channels: &[Channel],
    ) -> Vec<&Channel> {
        let Some(kind) = source.channel_kind() else {
            return Vec::new();
        };
        channels
            .iter()
            .filter(|c| c.account_id == account && c.kind == kind && c.integration.can_be_master())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integration::Integration;
    use chrono::Utc;

    fn channel(account: AccountId, integration: Integration, enabled: bool) -> Channel {
        Channel {
            id: ChannelId::new(),
            account_id: account,
            kind: integration.kind(),
            integration,
            name: format!("{integration}"),
            enabled,
            settings: Default::default(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn set(source: MasterProductSource, c: Option<&Channel>) -> MasterSetting {
        MasterSetting {
            source,
            channel_id: c.map(|c| c.id),
        }
    }

    #[test]
    fn techoms_needs_no_channel() {
        let a = AccountId::new();
        assert!(MasterSetting::TECHOMS.validate(a, None).is_ok());
        let c = channel(a, Integration::Shopify, true);
        let e = set(MasterProductSource::Techoms, Some(&c))
            .validate(a, Some(&c))
            .unwrap_err();
        assert_eq!(e.field, "channel_id");
    }

    #[test]
    fn channel_source_rules() {
        let a = AccountId::new();
        let shop = channel(a, Integration::Shopify, true);
        let bob = channel(a, Integration::ShipBob, false);
        let sales = MasterProductSource::SalesChannel;
        let ful = MasterProductSource::FulfillmentChannel;
        assert!(set(sales, Some(&shop)).validate(a, Some(&shop)).is_ok());
        // A disabled channel may be chosen.
        assert!(set(ful, Some(&bob)).validate(a, Some(&bob)).is_ok());
        // Missing channel.
        assert_eq!(
            set(sales, None).validate(a, None).unwrap_err().field,
            "channel_id"
        );
        // Wrong kind.
        let e = set(sales, Some(&bob)).validate(a, Some(&bob)).unwrap_err();
        assert!(e.message.contains("fulfillment"), "{e}");
        // Another account's channel.
        let other = channel(AccountId::new(), Integration::Shopify, true);
        assert!(set(sales, Some(&other)).validate(a, Some(&other)).is_err());
        // A channel id that was not found.
        assert!(set(sales, Some(&shop)).validate(a, None).is_err());
    }

    #[test]
    fn picker_lists_eligible_channels_with_disabled_suffix() {
        let a = AccountId::new();
        let chans = vec![
            channel(a, Integration::Shopify, true),
            channel(a, Integration::WooCommerce, false),
            channel(a, Integration::ShipBob, true),
            channel(AccountId::new(), Integration::Shopify, true),
        ];
        let labels: Vec<String> =
            MasterSetting::eligible(MasterProductSource::SalesChannel, a, &chans)
                .into_iter()
                .map(Channel::picker_label)
                .collect();
        assert_eq!(
            labels,
            vec!["shopify".to_string(), "woocommerce (disabled)".to_string()]
        );
        assert!(MasterSetting::eligible(MasterProductSource::Techoms, a, &chans).is_empty());
    }
}
