//! The channel's settings and credential, checked once when the connector is built.

use std::time::Duration;

use url::Url;

use crate::config::ChannelConfig;
use crate::error::ChannelError;

pub const DEFAULT_API_VERSION: &str = "2025-10";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct Settings {
    /// `https://{shop}/admin/api/{version}/graphql.json` (or under `base_url`).
    pub endpoint: Url,
    pub api_version: String,
    pub access_token: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("endpoint", &self.endpoint.as_str())
            .field("api_version", &self.api_version)
            .field("access_token", &"<redacted>")
            .field("timeout", &self.timeout)
            .finish()
    }
}

fn valid_version(v: &str) -> bool {
    if v == "unstable" {
        return true;
    }
    let b = v.as_bytes();
    b.len() == 7
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && matches!(&v[5..], "01" | "04" | "07" | "10")
}

impl Settings {
    pub fn from_config(config: &ChannelConfig) -> Result<Self, ChannelError> {
        let shop = config
            .require_setting("shop_domain")?
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_ascii_lowercase();
        if shop.is_empty() || shop.contains('/') {
            return Err(ChannelError::Permanent(format!(
                "setting `shop_domain` must be a host name such as your-store.myshopify.com, not {shop:?}"
            )));
        }
        let api_version = config
            .setting("api_version")
            .unwrap_or(DEFAULT_API_VERSION)
            .to_owned();
        if !valid_version(&api_version) {
            return Err(ChannelError::Permanent(format!(
                "setting `api_version` must be a quarterly version such as {DEFAULT_API_VERSION}, not {api_version:?}"
            )));
        }
        let base = match config.setting("base_url") {
            Some(b) => b.trim_end_matches('/').to_owned(),
            None => format!("https://{shop}"),
        };
        let endpoint = Url::parse(&format!("{base}/admin/api/{api_version}/graphql.json"))
            .map_err(|e| {
                ChannelError::Permanent(format!("invalid Shopify base URL {base:?}: {e}"))
            })?;
        if !matches!(endpoint.scheme(), "http" | "https") {
            return Err(ChannelError::Permanent(format!(
                "the Shopify base URL must use http or https, not {}",
                endpoint.scheme()
            )));
        }
        let timeout = match config.setting("timeout_seconds") {
            None => DEFAULT_TIMEOUT,
            Some(s) => {
                let secs: f64 = s.parse().map_err(|_| {
                    ChannelError::Permanent(format!(
                        "setting `timeout_seconds` must be a number, not {s:?}"
                    ))
                })?;
                if !(secs.is_finite() && secs > 0.0) {
                    return Err(ChannelError::Permanent(
                        "setting `timeout_seconds` must be greater than zero".into(),
                    ));
                }
                Duration::from_secs_f64(secs).min(DEFAULT_TIMEOUT)
            }
        };
        let access_token = config
            .credentials
            .require("access_token")?
            .trim()
            .to_owned();
        Ok(Self {
            endpoint,
            api_version,
            access_token,
            timeout,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::Credentials;

    fn cfg(settings: &[(&str, &str)]) -> ChannelConfig {
        ChannelConfig {
            channel_label: "test".into(),
            settings: settings
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            credentials: Credentials::new(BTreeMap::from([(
                "access_token".into(),
                "shpat_x".into(),
            )])),
        }
    }

    #[test]
    fn endpoint_from_shop_or_base_url() {
        let s = Settings::from_config(&cfg(&[("shop_domain", "https://My-Shop.myshopify.com/")]))
            .unwrap();
        assert_eq!(
            s.endpoint.as_str(),
            "https://my-shop.myshopify.com/admin/api/2025-10/graphql.json"
        );
        let s = Settings::from_config(&cfg(&[
            ("shop_domain", "a.myshopify.com"),
            ("base_url", "http://127.0.0.1:9/"),
            ("api_version", "2026-01"),
            ("timeout_seconds", "2.5"),
        ]))
        .unwrap();
        assert_eq!(
            s.endpoint.as_str(),
            "http://127.0.0.1:9/admin/api/2026-01/graphql.json"
        );
        assert_eq!(s.timeout, Duration::from_millis(2500));
        assert!(!format!("{s:?}").contains("shpat_x"));
    }

    #[test]
    fn bad_settings_are_permanent() {
        assert!(Settings::from_config(&cfg(&[])).is_err());
        assert!(
            Settings::from_config(&cfg(&[
                ("shop_domain", "a.myshopify.com"),
                ("api_version", "2025-11")
            ]))
            .is_err()
        );
        assert!(
            Settings::from_config(&cfg(&[
                ("shop_domain", "a.myshopify.com"),
                ("timeout_seconds", "0")
            ]))
            .is_err()
        );
    }
}
