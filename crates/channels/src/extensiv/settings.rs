//! The connector's settings and credentials, read once from the channel configuration.

use std::fmt;
use std::time::Duration;

use crate::config::ChannelConfig;
use crate::error::ChannelError;

pub(crate) const DEFAULT_BASE_URL: &str = "https://secure-wms.com";
const DEFAULT_REQUESTS_PER_SECOND: f64 = 5.0;
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The documented maximum `pgsiz` of the items collection.
pub(crate) const MAX_PAGE_SIZE: u32 = 100;
/// `lastModifiedDate` carries no time zone and may be the warehouse's local time; widening the
/// changed-since filter by the largest UTC offset in use covers a warehouse anywhere.
const DEFAULT_TIMESTAMP_SLACK_HOURS: i64 = 14;

/// Which of the item's package-unit measurement blocks is authoritative for this warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnitSystem {
    /// `options.packageUnit.imperial`: pounds and inches.
    Imperial,
    /// `options.packageUnit.metric`: kilograms and centimetres.
    Metric,
}

/// The API client's credentials. `Debug` never shows them.
#[derive(Clone)]
pub(crate) struct Secrets {
    pub client_id: String,
    pub client_secret: String,
    /// The warehouse's TPL GUID without braces (the token request adds them).
    pub tpl: String,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secrets(<redacted>)")
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Without a trailing slash.
    pub base_url: String,
    pub customer_id: u64,
    pub user_login_id: String,
    pub requests_per_second: f64,
    pub timeout: Duration,
    pub page_size: u32,
    pub units: UnitSystem,
    /// The inventory unit new items are created with ("Each" unless the warehouse uses
    /// another name).
    pub inventory_unit: String,
    pub timestamp_slack: chrono::Duration,
    pub secrets: Secrets,
}

fn number<T: std::str::FromStr>(
    config: &ChannelConfig,
    name: &str,
) -> Result<Option<T>, ChannelError> {
    match config.setting(name) {
        None => Ok(None),
        Some(raw) => raw.parse::<T>().map(Some).map_err(|_| {
            ChannelError::Permanent(format!("setting `{name}` must be a number (got {raw:?})"))
        }),
    }
}

fn required_id(config: &ChannelConfig, name: &str) -> Result<u64, ChannelError> {
    config.require_setting(name)?;
    number::<u64>(config, name)?
        .ok_or_else(|| ChannelError::Permanent(format!("setting `{name}` is not set")))
}

impl Settings {
    pub fn from_config(config: &ChannelConfig) -> Result<Self, ChannelError> {
        let base_url = config
            .setting("base_url")
            .unwrap_or(DEFAULT_BASE_URL)
            .trim_end_matches('/')
            .to_string();
        if url::Url::parse(&base_url).is_err() {
            return Err(ChannelError::Permanent(format!(
                "setting `base_url` is not a URL: {base_url:?}"
            )));
        }
        let requests_per_second =
            number::<f64>(config, "requests_per_second")?.unwrap_or(DEFAULT_REQUESTS_PER_SECOND);
        if !requests_per_second.is_finite() || requests_per_second < 0.0 {
            return Err(ChannelError::Permanent(
                "setting `requests_per_second` must be 0 (unpaced) or more".into(),
            ));
        }
        let timeout = match number::<f64>(config, "timeout_seconds")? {
            Some(s) if s.is_finite() && s > 0.0 => Duration::from_secs_f64(s).min(DEFAULT_TIMEOUT),
            Some(_) => {
                return Err(ChannelError::Permanent(
                    "setting `timeout_seconds` must be more than 0".into(),
                ));
            }
            None => DEFAULT_TIMEOUT,
        };
        let page_size = number::<u32>(config, "page_size")?
            .unwrap_or(MAX_PAGE_SIZE)
            .clamp(1, MAX_PAGE_SIZE);
        let units = match config
            .setting("units")
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("imperial") => UnitSystem::Imperial,
            Some("metric") => UnitSystem::Metric,
            Some(other) => {
                return Err(ChannelError::Permanent(format!(
                    "setting `units` must be imperial or metric (got {other:?})"
                )));
            }
        };
        let slack_hours = number::<i64>(config, "timestamp_slack_hours")?
            .unwrap_or(DEFAULT_TIMESTAMP_SLACK_HOURS)
            .clamp(0, 48);
        let creds = &config.credentials;
        let secrets = Secrets {
            client_id: creds.require("client_id")?.trim().to_string(),
            client_secret: creds.require("client_secret")?.trim().to_string(),
            tpl: creds
                .require("tpl_key")?
                .trim()
                .trim_start_matches('{')
                .trim_end_matches('}')
                .to_string(),
        };
        // Items belong to the customer, not a facility; the facility id is still checked so a
        // misconfigured channel is caught when it is saved, not when inventory arrives.
        required_id(config, "facility_id")?;
        Ok(Self {
            base_url,
            customer_id: required_id(config, "customer_id")?,
            user_login_id: config.require_setting("user_login_id")?.to_string(),
            requests_per_second,
            timeout,
            page_size,
            units,
            inventory_unit: config
                .setting("inventory_unit")
                .unwrap_or("Each")
                .to_string(),
            timestamp_slack: chrono::Duration::hours(slack_hours),
            secrets,
        })
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
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            credentials: Credentials::new(BTreeMap::from([
                ("client_id".into(), "id".into()),
                ("client_secret".into(), "s3cret".into()),
                ("tpl_key".into(), "{ABC-123}".into()),
            ])),
        }
    }

    #[test]
    fn defaults_and_validation() {
        let base = [
            ("customer_id", "12"),
            ("facility_id", "3"),
            ("user_login_id", "7"),
        ];
        let s = Settings::from_config(&config(&base)).unwrap();
        assert_eq!(s.base_url, "https://secure-wms.com");
        assert_eq!(s.requests_per_second, 5.0);
        assert_eq!(s.timeout, Duration::from_secs(30));
        assert_eq!(s.page_size, 100);
        assert_eq!(s.units, UnitSystem::Imperial);
        assert_eq!(s.secrets.tpl, "ABC-123");
        assert!(!format!("{s:?}").contains("s3cret"));

        let mut bad = base.to_vec();
        bad[0] = ("customer_id", "abc");
        let e = Settings::from_config(&config(&bad)).unwrap_err();
        assert!(e.to_string().contains("customer_id"), "{e}");
        let mut metric = base.to_vec();
        metric.push(("units", "Metric"));
        metric.push(("timeout_seconds", "2"));
        let s = Settings::from_config(&config(&metric)).unwrap();
        assert_eq!(
            (s.units, s.timeout),
            (UnitSystem::Metric, Duration::from_secs(2))
        );
    }
}
