//! The channel's settings and credentials, checked once when the connector is built.

use std::time::Duration;

use rust_decimal::Decimal;
use url::Url;

use crate::config::ChannelConfig;
use crate::error::ChannelError;

/// How the consumer key and secret travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// HTTP Basic (`-u ck:cs`), the documented way over HTTPS.
    Basic,
    /// `consumer_key`/`consumer_secret` query parameters, for hosts that strip the
    /// `Authorization` header.
    Query,
}

#[derive(Debug, Clone)]
pub struct WooSettings {
    /// `{site_url}/wp-json/wc/v3/`, always ending in a slash.
    pub api_base: Url,
    pub auth: AuthMode,
    /// 0 means unpaced.
    pub requests_per_second: f64,
    pub timeout: Duration,
    /// `per_page` for product reads (1–100).
    pub page_size: u32,
}

/// The most a request may take; `timeout_seconds` can only lower it.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(30);

fn decimal_setting(config: &ChannelConfig, name: &str) -> Result<Option<Decimal>, ChannelError> {
    config
        .setting(name)
        .map(|raw| {
            raw.parse::<Decimal>()
                .ok()
                .filter(|d| !d.is_sign_negative())
                .ok_or_else(|| {
                    ChannelError::Permanent(format!(
                        "setting `{name}` must be a non-negative number, got {raw:?}"
                    ))
                })
        })
        .transpose()
}

fn to_f64(d: Decimal) -> f64 {
    // Settings are small human-entered numbers; the text round trip is exact enough for a rate.
    d.to_string().parse().unwrap_or(0.0)
}

impl WooSettings {
    pub fn from_config(config: &ChannelConfig) -> Result<Self, ChannelError> {
        let site = config.require_setting("site_url")?;
        let mut site_url = Url::parse(site).map_err(|e| {
            ChannelError::Permanent(format!("setting `site_url` is not a URL ({e}): {site:?}"))
        })?;
        if !matches!(site_url.scheme(), "http" | "https") || site_url.host_str().is_none() {
            return Err(ChannelError::Permanent(format!(
                "setting `site_url` must be an http(s) address such as https://shop.example.com, got {site:?}"
            )));
        }
        site_url.set_query(None);
        site_url.set_fragment(None);
        let path = format!("{}/wp-json/wc/v3/", site_url.path().trim_end_matches('/'));
        site_url.set_path(&path);
        let auth = match config
            .setting("auth_mode")
            .unwrap_or("basic")
            .to_ascii_lowercase()
            .as_str()
        {
            "basic" => AuthMode::Basic,
            "query" => AuthMode::Query,
            other => {
                return Err(ChannelError::Permanent(format!(
                    "setting `auth_mode` must be `basic` or `query`, got {other:?}"
                )));
            }
        };
        let rps = decimal_setting(config, "requests_per_second")?.map_or(5.0, to_f64);
        let timeout = match decimal_setting(config, "timeout_seconds")? {
            Some(d) if !d.is_zero() => Duration::from_secs_f64(to_f64(d)).min(MAX_TIMEOUT),
            _ => MAX_TIMEOUT,
        };
        let page_size = match config.setting("page_size") {
            None => 100,
            Some(raw) => raw
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| {
                    ChannelError::Permanent(format!(
                        "setting `page_size` must be 1–100, got {raw:?}"
                    ))
                })?,
        };
        Ok(Self {
            api_base: site_url,
            auth,
            requests_per_second: rps,
            timeout,
            page_size,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn config(pairs: &[(&str, &str)]) -> ChannelConfig {
        ChannelConfig {
            settings: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
            ..ChannelConfig::default()
        }
    }

    #[test]
    fn api_base_keeps_subdirectory_installs() {
        let s = WooSettings::from_config(&config(&[("site_url", "https://example.com/shop/")]))
            .unwrap();
        assert_eq!(
            s.api_base.as_str(),
            "https://example.com/shop/wp-json/wc/v3/"
        );
        assert_eq!(s.auth, AuthMode::Basic);
        assert_eq!(s.timeout, MAX_TIMEOUT);
        assert_eq!(s.page_size, 100);
        assert!((s.requests_per_second - 5.0).abs() < f64::EPSILON);
    }

    #[test]
    fn bad_settings_are_named() {
        let e = WooSettings::from_config(&config(&[("site_url", "shop.example.com")])).unwrap_err();
        assert!(e.to_string().contains("site_url"), "{e}");
        let e = WooSettings::from_config(&config(&[
            ("site_url", "https://a.b"),
            ("auth_mode", "oauth"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("auth_mode"), "{e}");
        let s = WooSettings::from_config(&config(&[
            ("site_url", "https://a.b"),
            ("timeout_seconds", "90"),
        ]))
        .unwrap();
        assert_eq!(s.timeout, MAX_TIMEOUT);
        let s = WooSettings::from_config(&config(&[
            ("site_url", "https://a.b"),
            ("timeout_seconds", "0.5"),
        ]))
        .unwrap();
        assert_eq!(s.timeout, Duration::from_millis(500));
    }
}
