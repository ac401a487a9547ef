//! The channel settings the ShipBob connector reads, with their defaults.

use std::time::Duration;

use url::Url;

use crate::config::ChannelConfig;
use crate::error::ChannelError;

pub const DEFAULT_BASE_URL: &str = "https://api.shipbob.com";
pub const DEFAULT_API_VERSION: &str = "2026-01";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// ShipBob's maximum; big pages spend fewer of the 150 requests a minute.
pub const DEFAULT_PAGE_SIZE: u32 = 250;
/// ShipBob's published limit: 150 requests per minute, sliding window.
pub const DEFAULT_RATE_REQUESTS: u32 = 150;
pub const DEFAULT_RATE_WINDOW: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct Settings {
    /// Without a trailing slash.
    pub base_url: Url,
    pub api_version: String,
    /// Sent as `shipbob_channel_id` on writes when set.
    pub channel_id: Option<String>,
    pub timeout: Duration,
    pub page_size: u32,
    pub rate_requests: u32,
    pub rate_window: Duration,
    /// Never printed: `Settings` has no `Debug`.
    pub access_token: String,
}

impl Settings {
    pub fn from_config(config: &ChannelConfig) -> Result<Self, ChannelError> {
        let access_token = config
            .credentials
            .require("access_token")?
            .trim()
            .to_owned();
        let raw_base = config.setting("base_url").unwrap_or(DEFAULT_BASE_URL);
        let base_url = Url::parse(raw_base.trim_end_matches('/'))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                ChannelError::Permanent(format!(
                    "setting `base_url` must be an http(s) URL such as {DEFAULT_BASE_URL}, not {raw_base:?}"
                ))
            })?;
        let api_version = config
            .setting("api_version")
            .unwrap_or(DEFAULT_API_VERSION)
            .to_owned();
        if !is_dated_version(&api_version) {
            return Err(ChannelError::Permanent(format!(
                "setting `api_version` must be a dated ShipBob API version such as {DEFAULT_API_VERSION} \
                 (this connector speaks the 2025-07+ product API), not {api_version:?}"
            )));
        }
        let channel_id = match config.setting("shipbob_channel_id") {
            None => None,
            Some(c) if !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()) => Some(c.to_owned()),
            Some(c) => {
                return Err(ChannelError::Permanent(format!(
                    "setting `shipbob_channel_id` must be a numeric ShipBob channel id, not {c:?}"
                )));
            }
        };
        let timeout = match config.setting("timeout_seconds") {
            None => DEFAULT_TIMEOUT,
            Some(s) => positive_seconds(s)
                .filter(|d| *d <= DEFAULT_TIMEOUT * 10)
                .ok_or_else(|| {
                    ChannelError::Permanent(format!(
                        "setting `timeout_seconds` must be a number of seconds above 0, not {s:?}"
                    ))
                })?,
        };
        let page_size = number_setting(config, "page_size", DEFAULT_PAGE_SIZE, 1..=250)?;
        let rate_requests = number_setting(
            config,
            "rate_limit_requests",
            DEFAULT_RATE_REQUESTS,
            1..=100_000,
        )?;
        let rate_window = match config.setting("rate_limit_window_seconds") {
            None => DEFAULT_RATE_WINDOW,
            Some(s) => positive_seconds(s).ok_or_else(|| {
                ChannelError::Permanent(format!(
                    "setting `rate_limit_window_seconds` must be a number of seconds above 0, not {s:?}"
                ))
            })?,
        };
        Ok(Self {
            base_url,
            api_version,
            channel_id,
            timeout,
            page_size,
            rate_requests,
            rate_window,
            access_token,
        })
    }
}

/// `YYYY-MM`, ShipBob's dated versions.
fn is_dated_version(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || c.is_ascii_digit())
}

fn positive_seconds(s: &str) -> Option<Duration> {
    let secs: f64 = s.parse().ok()?;
    (secs.is_finite() && secs > 0.0).then(|| Duration::from_secs_f64(secs))
}

fn number_setting(
    config: &ChannelConfig,
    name: &str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, ChannelError> {
    match config.setting(name) {
        None => Ok(default),
        Some(s) => s
            .parse::<u32>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                ChannelError::Permanent(format!(
                    "setting `{name}` must be a whole number from {} to {}, not {s:?}",
                    range.start(),
                    range.end()
                ))
            }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::Credentials;

    fn config(settings: &[(&str, &str)]) -> ChannelConfig {
        ChannelConfig {
            channel_label: "test".into(),
            settings: settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            credentials: Credentials::new(BTreeMap::from([(
                "access_token".to_owned(),
                "secret-pat".to_owned(),
            )])),
        }
    }

    #[test]
    fn defaults() {
        let s = Settings::from_config(&config(&[])).map_err(|e| e.to_string());
        let s = s.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.base_url.as_str(), "https://api.shipbob.com/");
        assert_eq!(s.api_version, "2026-01");
        assert_eq!(s.timeout, Duration::from_secs(30));
        assert_eq!(
            (s.rate_requests, s.rate_window),
            (150, Duration::from_secs(60))
        );
        assert_eq!(s.channel_id, None);
    }

    #[test]
    fn refusals_name_the_setting_and_never_the_token() {
        for (k, v) in [
            ("api_version", "1.0"),
            ("base_url", "ftp://x"),
            ("shipbob_channel_id", "abc"),
            ("timeout_seconds", "0"),
            ("page_size", "500"),
        ] {
            let e = Settings::from_config(&config(&[(k, v)]))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(e.contains(k), "{e}");
            assert!(!e.contains("secret-pat"), "{e}");
        }
        let mut c = config(&[]);
        c.credentials = Credentials::default();
        let e = Settings::from_config(&c)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("access_token"), "{e}");
    }
}
