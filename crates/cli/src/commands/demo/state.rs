//! What a demo remembers between starts, in `<data dir>/demo.json` (mode 0600): the
//! administrator's credentials and the API key (shown again on every start — it is a demo),
//! the ids of what it seeded, and the simulators' last ports. The simulators' stores are kept
//! beside it by [`super::simulators`].

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use techoms_domain::{AccountId, ChannelId};

pub const STATE_FILE: &str = "demo.json";
/// The SQLite file inside the data dir.
pub const DATABASE_FILE: &str = "techoms.db";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoState {
    /// Format of this file.
    pub version: u32,
    pub organization: String,
    pub account_name: String,
    pub account_id: AccountId,
    pub email: String,
    pub password: String,
    pub api_key: String,
    /// Products generated into the Shopify simulator, and their seed.
    pub products: u64,
    pub seed: u64,
    pub channels: DemoChannels,
    #[serde(default)]
    pub ports: SimPorts,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct DemoChannels {
    pub shopify: ChannelId,
    pub woocommerce: ChannelId,
    pub shipbob: ChannelId,
    pub extensiv: ChannelId,
}

impl DemoChannels {
    /// In display order, with the names the demo gives them.
    pub fn all(&self) -> [(ChannelId, &'static str); 4] {
        [
            (self.shopify, super::seed::SHOPIFY_NAME),
            (self.woocommerce, super::seed::WOOCOMMERCE_NAME),
            (self.shipbob, super::seed::SHIPBOB_NAME),
            (self.extensiv, super::seed::EXTENSIV_NAME),
        ]
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct SimPorts {
    pub shopify: u16,
    pub woocommerce: u16,
    pub shipbob: u16,
    pub extensiv: u16,
}

pub fn state_path(dir: &Path) -> PathBuf {
    dir.join(STATE_FILE)
}

/// The state of a previous start, if this data dir has one. A data dir holding a techOMS
/// database but no demo state is refused: it belongs to a real installation, and the demo
/// must not seed accounts into it.
pub fn load(dir: &Path) -> anyhow::Result<Option<DemoState>> {
    let path = state_path(dir);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let state: DemoState = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a demo state file", path.display()))?;
            if state.version != 1 {
                bail!(
                    "{}: format version {} is not supported (expected 1); use a fresh --data-dir",
                    path.display(),
                    state.version
                );
            }
            Ok(Some(state))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if dir.join(DATABASE_FILE).exists() {
                bail!(
                    "data dir {} holds a techOMS database that the demo did not create; \
                     give the demo a data dir of its own (--data-dir)",
                    dir.display()
                );
            }
            Ok(None)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Write the state atomically (temporary file, then rename), readable by the owner only.
pub fn save(dir: &Path, state: &DemoState) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(state)?;
    write_private(&state_path(dir), text.as_bytes())
}

/// Write `bytes` to `path` through a temporary file and a rename, so that a crash never
/// leaves half a file, with mode 0600 on Unix.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .with_context(|| format!("cannot write {}", tmp.display()))?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> DemoState {
        DemoState {
            version: 1,
            organization: "O".into(),
            account_name: "A".into(),
            account_id: AccountId::new(),
            email: "a@b.test".into(),
            password: "pw-pw-pw-pw".into(),
            api_key: "key".into(),
            products: 20,
            seed: 1,
            channels: DemoChannels {
                shopify: ChannelId::new(),
                woocommerce: ChannelId::new(),
                shipbob: ChannelId::new(),
                extensiv: ChannelId::new(),
            },
            ports: SimPorts::default(),
        }
    }

    #[test]
    fn round_trip_private_and_refuses_foreign_data_dirs() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).unwrap().is_none());
        let s = sample();
        save(dir.path(), &s).unwrap();
        let back = load(dir.path()).unwrap().unwrap();
        assert_eq!(back.api_key, s.api_key);
        assert_eq!(back.channels.extensiv, s.channels.extensiv);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(state_path(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A real installation's data dir: a database and no demo state.
        let other = tempfile::tempdir().unwrap();
        std::fs::write(other.path().join(DATABASE_FILE), b"").unwrap();
        let e = load(other.path()).unwrap_err().to_string();
        assert!(e.contains("did not create"), "{e}");
        // A damaged state file is named.
        std::fs::write(state_path(dir.path()), b"{").unwrap();
        let e = format!("{:#}", load(dir.path()).unwrap_err());
        assert!(e.contains("demo.json"), "{e}");
    }
}
