//! The read cursor: plain JSON behind a version prefix, so a checkpoint taken by one process
//! resumes in another.
//!
//! Products are read in `(date_modified_gmt, id)` order with a key-set on the last product
//! seen: each page asks for `modified_after` = one second before the last product's date
//! (the filter is exclusive and has one-second precision) and skips what it already passed.
//! An edit made during the read moves a product to the end instead of shifting the pages
//! under the reader, so nothing is skipped. Only when a full page shares one second does
//! the cursor fall back to page numbers within that second.

use serde::{Deserialize, Serialize};

use crate::error::ChannelError;

const PREFIX: &str = "wc1:";

/// A position in `(date_modified_gmt, id)` order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySet {
    /// Exclusive `modified_after` for the next request (naive GMT), None for "from the start".
    pub after: Option<String>,
    /// Page within `after` (only above 1 while a full page shares one second).
    pub page: u32,
    /// The last record returned: its date and id.
    pub last: Option<(String, u64)>,
}

impl KeySet {
    pub fn start(after: Option<String>) -> Self {
        Self {
            after,
            page: 1,
            last: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Cursor {
    /// Products (simple and variable parents) in modified order. `since` is set for a
    /// changed-since read, which then goes on to the variation phases.
    Products { since: Option<String>, keys: KeySet },
    /// Variations changed since `since`, through `GET /variations` (WooCommerce 10.3+);
    /// `done` holds parents already returned in this phase.
    Variations {
        since: String,
        keys: KeySet,
        done: Vec<u64>,
    },
    /// Older stores: every variable product, by id pages, each asked for variations changed
    /// since `since`.
    Sweep { since: String, page: u32 },
}

impl Cursor {
    pub fn encode(&self) -> String {
        // Serialising these plain structs cannot fail; an empty cursor would only restart.
        format!(
            "{PREFIX}{}",
            serde_json::to_string(self).unwrap_or_default()
        )
    }

    pub fn decode(s: &str) -> Result<Self, ChannelError> {
        s.strip_prefix(PREFIX)
            .and_then(|json| serde_json::from_str(json).ok())
            .ok_or_else(|| ChannelError::Permanent(format!("not a WooCommerce read cursor: {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let c = Cursor::Variations {
            since: "2024-05-01T00:00:00".into(),
            keys: KeySet {
                after: Some("2024-05-01T00:00:00".into()),
                page: 2,
                last: Some(("2024-05-01T00:00:01".into(), 77)),
            },
            done: vec![1, 2],
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        assert!(Cursor::decode("garbage").is_err());
    }
}
