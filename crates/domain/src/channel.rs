//! Channels and their job settings (DESIGN §2, §5).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, ChannelId};
use crate::integration::Integration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Sales,
    Fulfillment,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Sales => "sales",
            ChannelKind::Fulfillment => "fulfillment",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ChannelKind::Sales => "Sales Channel",
            ChannelKind::Fulfillment => "Fulfillment Channel",
        }
    }
}

impl FromStr for ChannelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sales" => Ok(ChannelKind::Sales),
            "fulfillment" => Ok(ChannelKind::Fulfillment),
            other => Err(format!(
                "unknown channel kind {other:?} (expected \"sales\" or \"fulfillment\")"
            )),
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kinds of recurring work a channel can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    ImportProducts,
    ExportProducts,
    AuthorizationRefresh,
}

impl JobKind {
    pub const ALL: [JobKind; 3] = [
        JobKind::ImportProducts,
        JobKind::ExportProducts,
        JobKind::AuthorizationRefresh,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::ImportProducts => "import_products",
            JobKind::ExportProducts => "export_products",
            JobKind::AuthorizationRefresh => "authorization_refresh",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            JobKind::ImportProducts => "Import Products",
            JobKind::ExportProducts => "Export Products",
            JobKind::AuthorizationRefresh => "Authorization Refresh",
        }
    }
}

impl FromStr for JobKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown job kind {s:?}"))
    }
}

/// How often a channel's job runs. `None` means the job is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum JobPeriod {
    #[default]
    #[serde(rename = "none")]
    None,
    #[serde(rename = "5m")]
    Min5,
    #[serde(rename = "15m")]
    Min15,
    #[serde(rename = "30m")]
    Min30,
    #[serde(rename = "1h")]
    Hour1,
    #[serde(rename = "2h")]
    Hour2,
    #[serde(rename = "4h")]
    Hour4,
    #[serde(rename = "12h")]
    Hour12,
    #[serde(rename = "24h")]
    Hour24,
}

impl JobPeriod {
    pub const ALL: [JobPeriod; 9] = [
        JobPeriod::None,
        JobPeriod::Min5,
        JobPeriod::Min15,
        JobPeriod::Min30,
        JobPeriod::Hour1,
        JobPeriod::Hour2,
        JobPeriod::Hour4,
        JobPeriod::Hour12,
        JobPeriod::Hour24,
    ];

    /// Seconds between runs, or `None` when the job is off.
    pub fn seconds(self) -> Option<i64> {
        Some(match self {
            JobPeriod::None => return None,
            JobPeriod::Min5 => 300,
            JobPeriod::Min15 => 900,
            JobPeriod::Min30 => 1800,
            JobPeriod::Hour1 => 3600,
            JobPeriod::Hour2 => 7200,
            JobPeriod::Hour4 => 14_400,
            JobPeriod::Hour12 => 43_200,
            JobPeriod::Hour24 => 86_400,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JobPeriod::None => "none",
            JobPeriod::Min5 => "5m",
            JobPeriod::Min15 => "15m",
            JobPeriod::Min30 => "30m",
            JobPeriod::Hour1 => "1h",
            JobPeriod::Hour2 => "2h",
            JobPeriod::Hour4 => "4h",
            JobPeriod::Hour12 => "12h",
            JobPeriod::Hour24 => "24h",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            JobPeriod::None => "None",
            JobPeriod::Min5 => "5 min",
            JobPeriod::Min15 => "15 min",
            JobPeriod::Min30 => "30 min",
            JobPeriod::Hour1 => "1 h",
            JobPeriod::Hour2 => "2 h",
            JobPeriod::Hour4 => "4 h",
            JobPeriod::Hour12 => "12 h",
            JobPeriod::Hour24 => "24 h",
        }
    }
}

impl FromStr for JobPeriod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobPeriod::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                format!("unknown period {s:?} (expected one of none, 5m, 15m, 30m, 1h, 2h, 4h, 12h, 24h)")
            })
    }
}

/// A connected channel. Credentials are not part of this type: they stay encrypted in storage
/// and are only decrypted where a connector is built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub id: ChannelId,
    pub account_id: AccountId,
    pub kind: ChannelKind,
    pub integration: Integration,
    pub name: String,
    pub enabled: bool,
    /// Connection settings (base URL, API version, store ids…), by the integration's field names.
    pub settings: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Channel {
    /// The label the master-channel picker shows.
    pub fn picker_label(&self) -> String {
        if self.enabled {
            self.name.clone()
        } else {
            format!("{} (disabled)", self.name)
        }
    }
}
