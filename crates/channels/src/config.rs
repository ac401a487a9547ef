//! What a connector is built from: the channel's settings and its decrypted credentials.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::ChannelError;

/// Decrypted credentials. `Debug` never prints the values, so a credential cannot reach a log
/// through a stray `{:?}`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials(BTreeMap<String, String>);

impl Credentials {
    pub fn new(map: BTreeMap<String, String>) -> Self {
        Self(map)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A required credential, or a Permanent error naming it (never its value).
    pub fn require(&self, name: &str) -> Result<&str, ChannelError> {
        self.get(name)
            .ok_or_else(|| ChannelError::Permanent(format!("credential `{name}` is not set")))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|k| (k, "<redacted>")))
            .finish()
    }
}

/// Everything needed to build a connector for one channel.
#[derive(Debug, Clone, Default)]
pub struct ChannelConfig {
    /// Used only to label log lines.
    pub channel_label: String,
    pub settings: BTreeMap<String, String>,
    pub credentials: Credentials,
}

impl ChannelConfig {
    pub fn setting(&self, name: &str) -> Option<&str> {
        self.settings
            .get(name)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    /// A required setting, or a Permanent error naming it.
    pub fn require_setting(&self, name: &str) -> Result<&str, ChannelError> {
        self.setting(name)
            .ok_or_else(|| ChannelError::Permanent(format!("setting `{name}` is not set")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_credential_values() {
        let c = Credentials::new(BTreeMap::from([(
            "access_token".into(),
            "shpat_secret".into(),
        )]));
        let s = format!("{c:?}");
        assert!(!s.contains("shpat_secret"), "{s}");
        assert!(s.contains("access_token"));
    }
}
