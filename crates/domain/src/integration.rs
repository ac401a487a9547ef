//! The integration registry: one static row per integration we can connect (DESIGN §2).
//!
//! The Master Product Channel picker, the job rules and the channel forms all read this table,
//! so adding an integration starts here (see ARCHITECTURE.md, "Adding an integration").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::channel::ChannelKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Integration {
    Shopify,
    WooCommerce,
    ShipBob,
    Extensiv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    ProductImport,
    ProductExport,
}

/// How the channel limits our request rate; the connector paces itself by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RateModel {
    /// A leaky bucket of query-cost points (Shopify GraphQL): `capacity` points, refilled at
    /// `restore_per_second`.
    CostBucket {
        capacity: u32,
        restore_per_second: u32,
    },
    /// A sliding window of `requests` per `window_seconds` (ShipBob).
    SlidingWindow { requests: u32, window_seconds: u32 },
    /// No published limit: we keep to a configurable client-side rate and back off on 429/503.
    ClientSide { default_requests_per_second: u32 },
}

/// One setting or credential field a channel of this integration needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FieldSpec {
    pub name: &'static str,
    pub label: &'static str,
    pub required: bool,
    /// Shown in the form as a hint; also the value used when the field is left empty.
    pub default: Option<&'static str>,
    pub help: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IntegrationSpec {
    pub integration: Integration,
    pub key: &'static str,
    pub display_name: &'static str,
    pub kind: ChannelKind,
    pub capabilities: &'static [Capability],
    pub settings: &'static [FieldSpec],
    pub credentials: &'static [FieldSpec],
    pub rate_model: RateModel,
}

const fn field(
    name: &'static str,
    label: &'static str,
    required: bool,
    default: Option<&'static str>,
    help: &'static str,
) -> FieldSpec {
    FieldSpec {
        name,
        label,
        required,
        default,
        help,
    }
}

const IMPORT_EXPORT: &[Capability] = &[Capability::ProductImport, Capability::ProductExport];

/// `base_url` is on every integration so that a channel can point at a sandbox, a proxy or a
/// simulator.
static REGISTRY: [IntegrationSpec; 4] = [
    IntegrationSpec {
        integration: Integration::Shopify,
        key: "shopify",
        display_name: "Shopify",
        kind: ChannelKind::Sales,
        capabilities: IMPORT_EXPORT,
        settings: &[
            field(
                "shop_domain",
                "Shop domain",
                true,
                None,
                "your-store.myshopify.com",
            ),
            field(
                "api_version",
                "Admin API version",
                false,
                Some("2025-10"),
                "Quarterly version, e.g. 2025-10",
            ),
            field(
                "base_url",
                "Base URL override",
                false,
                None,
                "Defaults to https://{shop domain}; set for a proxy or simulator",
            ),
            field(
                "timeout_seconds",
                "Request timeout (s)",
                false,
                Some("30"),
                "Seconds before a request is given up and retried",
            ),
        ],
        credentials: &[field(
            "access_token",
            "Admin API access token",
            true,
            None,
            "shpat_…",
        )],
        rate_model: RateModel::CostBucket {
            capacity: 1000,
            restore_per_second: 50,
        },
    },
    IntegrationSpec {
        integration: Integration::WooCommerce,
        key: "woocommerce",
        display_name: "WooCommerce",
        kind: ChannelKind::Sales,
        capabilities: IMPORT_EXPORT,
        settings: &[
            field(
                "site_url",
                "Site URL",
                true,
                None,
                "https://shop.example.com",
            ),
            field(
                "auth_mode",
                "Authentication",
                false,
                Some("basic"),
                "basic, or query when the host strips the Authorization header",
            ),
            field(
                "requests_per_second",
                "Requests per second",
                false,
                Some("5"),
                "Client-side pacing; WooCommerce publishes no limit",
            ),
            field(
                "page_size",
                "Page size",
                false,
                Some("100"),
                "Products per page when reading (1-100)",
            ),
            field(
                "timeout_seconds",
                "Request timeout (s)",
                false,
                Some("30"),
                "Seconds before a request is given up and retried",
            ),
        ],
        credentials: &[
            field("consumer_key", "Consumer key", true, None, "ck_…"),
            field("consumer_secret", "Consumer secret", true, None, "cs_…"),
        ],
        rate_model: RateModel::ClientSide {
            default_requests_per_second: 5,
        },
    },
    IntegrationSpec {
        integration: Integration::ShipBob,
        key: "shipbob",
        display_name: "ShipBob",
        kind: ChannelKind::Fulfillment,
        capabilities: IMPORT_EXPORT,
        settings: &[
            field(
                "api_version",
                "API version",
                false,
                Some("2026-01"),
                "Dated version, e.g. 2026-01",
            ),
            field(
                "shipbob_channel_id",
                "ShipBob channel id",
                false,
                None,
                "Channel with product write scope",
            ),
            field(
                "base_url",
                "Base URL",
                false,
                Some("https://api.shipbob.com"),
                "https://sandbox-api.shipbob.com for the sandbox",
            ),
            field(
                "page_size",
                "Page size",
                false,
                Some("250"),
                "Products per page when reading (1-250)",
            ),
            field(
                "rate_limit_requests",
                "Rate limit: requests",
                false,
                Some("150"),
                "Requests allowed per window (ShipBob: 150)",
            ),
            field(
                "rate_limit_window_seconds",
                "Rate limit: window (s)",
                false,
                Some("60"),
                "Length of the sliding window (ShipBob: 60)",
            ),
            field(
                "timeout_seconds",
                "Request timeout (s)",
                false,
                Some("30"),
                "Seconds before a request is given up and retried",
            ),
        ],
        credentials: &[field(
            "access_token",
            "Personal access token",
            true,
            None,
            "From ShipBob's Integrations page",
        )],
        rate_model: RateModel::SlidingWindow {
            requests: 150,
            window_seconds: 60,
        },
    },
    IntegrationSpec {
        integration: Integration::Extensiv,
        key: "extensiv",
        display_name: "Extensiv 3PL Warehouse Manager",
        kind: ChannelKind::Fulfillment,
        capabilities: IMPORT_EXPORT,
        settings: &[
            field(
                "base_url",
                "Base URL",
                false,
                Some("https://secure-wms.com"),
                "API host",
            ),
            field(
                "customer_id",
                "Customer id",
                true,
                None,
                "Numeric customer id",
            ),
            field(
                "facility_id",
                "Facility id",
                true,
                None,
                "Numeric facility id",
            ),
            field(
                "user_login_id",
                "User login id",
                true,
                None,
                "Issued with the credentials",
            ),
            field(
                "requests_per_second",
                "Requests per second",
                false,
                Some("5"),
                "Client-side pacing; Extensiv publishes no limit",
            ),
            field(
                "page_size",
                "Page size",
                false,
                Some("100"),
                "Items per page when reading (1-100)",
            ),
            field(
                "units",
                "Measurement block",
                false,
                Some("imperial"),
                "imperial (lb/in) or metric (kg/cm): the package block read first",
            ),
            field(
                "inventory_unit",
                "Inventory unit",
                false,
                Some("Each"),
                "Unit new items are created with",
            ),
            field(
                "timestamp_slack_hours",
                "Timestamp slack (h)",
                false,
                Some("14"),
                "Changed-since reads are widened by this much: Extensiv timestamps carry no zone (0 if the warehouse reports UTC)",
            ),
            field(
                "timeout_seconds",
                "Request timeout (s)",
                false,
                Some("30"),
                "Seconds before a request is given up and retried",
            ),
        ],
        credentials: &[
            field("client_id", "Client id", true, None, "Issued by Extensiv"),
            field(
                "client_secret",
                "Client secret",
                true,
                None,
                "Issued by Extensiv",
            ),
            field(
                "tpl_key",
                "TPL key",
                true,
                None,
                "{…} GUID of the warehouse",
            ),
        ],
        rate_model: RateModel::ClientSide {
            default_requests_per_second: 5,
        },
    },
];

impl Integration {
    pub const ALL: [Integration; 4] = [
        Integration::Shopify,
        Integration::WooCommerce,
        Integration::ShipBob,
        Integration::Extensiv,
    ];

    pub fn spec(self) -> &'static IntegrationSpec {
        REGISTRY
            .iter()
            .find(|s| s.integration == self)
            .unwrap_or(&REGISTRY[0])
    }

    pub fn key(self) -> &'static str {
        self.spec().key
    }

    pub fn kind(self) -> ChannelKind {
        self.spec().kind
    }

    pub fn supports(self, cap: Capability) -> bool {
        self.spec().capabilities.contains(&cap)
    }

    /// Whether a channel of this integration can be the Master Product Source.
    pub fn can_be_master(self) -> bool {
        self.supports(Capability::ProductImport)
    }
}

/// Every registered integration.
pub fn registry() -> &'static [IntegrationSpec] {
    &REGISTRY
}

impl FromStr for Integration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        REGISTRY
            .iter()
            .find(|r| r.key == s)
            .map(|r| r.integration)
            .ok_or_else(|| {
                let known: Vec<_> = REGISTRY.iter().map(|r| r.key).collect();
                format!("unknown integration {s:?} (known: {})", known.join(", "))
            })
    }
}

impl fmt::Display for Integration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_rows_are_consistent() {
        for (i, row) in REGISTRY.iter().enumerate() {
            assert_eq!(Integration::ALL[i], row.integration);
            assert_eq!(row.key.parse::<Integration>().unwrap(), row.integration);
            assert_eq!(row.integration.spec().key, row.key);
            let mut names: Vec<_> = row
                .settings
                .iter()
                .chain(row.credentials)
                .map(|f| f.name)
                .collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(
                names.len(),
                row.settings.len() + row.credentials.len(),
                "{} repeats a field",
                row.key
            );
        }
    }

    #[test]
    fn which_integrations_can_be_master() {
        let masters: Vec<(&str, ChannelKind)> = Integration::ALL
            .into_iter()
            .filter(|i| i.can_be_master())
            .map(|i| (i.key(), i.kind()))
            .collect();
        assert_eq!(
            masters,
            vec![
                ("shopify", ChannelKind::Sales),
                ("woocommerce", ChannelKind::Sales),
                ("shipbob", ChannelKind::Fulfillment),
                ("extensiv", ChannelKind::Fulfillment),
            ]
        );
    }

    #[test]
    fn unknown_integration_names_the_known_ones() {
        let e = "amazon".parse::<Integration>().unwrap_err();
        assert!(e.contains("shopify") && e.contains("extensiv"), "{e}");
    }
}
