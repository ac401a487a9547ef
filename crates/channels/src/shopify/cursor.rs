//! The opaque read cursor handed to the engine: a versioned, base64url JSON record of where a
//! read stands, so that a new process can continue it.
//!
//! - `after`: Shopify's `endCursor` of the last products page fully returned. Nested variant
//!   and media pages are always completed within the call that returns their product (a
//!   product is never handed out half-read), so no nested position needs to survive a call.
//! - `since`: the changed-since instant the read was started with (a resumed read keeps it).
//! - `recent`: `(numeric id, updatedAt seconds)` of the products returned lately by a
//!   changed-since read. The search index behind `query:` lags, so a product edited while we
//!   page can show up again later with the same `updatedAt`; those repeats are dropped.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ChannelError;

/// How many recent (id, updatedAt) pairs a cursor remembers.
pub const RECENT_MAX: usize = 256;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadCursor {
    pub v: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent: Vec<(u64, i64)>,
}

impl ReadCursor {
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(s: &str) -> Result<Self, ChannelError> {
        let bad = || {
            ChannelError::Permanent(
                "the Shopify read cursor is not one of ours; restart the read".into(),
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(s.trim()).map_err(|_| bad())?;
        let c: ReadCursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if c.v != 1 {
            return Err(bad());
        }
        Ok(c)
    }

    pub fn remember(&mut self, id: u64, updated: i64) {
        self.recent.push((id, updated));
        if self.recent.len() > RECENT_MAX {
            let drop = self.recent.len() - RECENT_MAX;
            self.recent.drain(..drop);
        }
    }

    pub fn seen(&self, id: u64, updated: i64) -> bool {
        self.recent.contains(&(id, updated))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejects_garbage() {
        let mut c = ReadCursor {
            v: 1,
            after: Some("eyJsYXN0X2lkIjoxfQ==".into()),
            since: DateTime::from_timestamp(1_714_550_400, 0),
            recent: vec![],
        };
        for i in 0..300 {
            c.remember(i, 7);
        }
        assert_eq!(c.recent.len(), RECENT_MAX);
        assert!(c.seen(299, 7) && !c.seen(0, 7));
        let s = c.encode();
        assert_eq!(ReadCursor::decode(&s).unwrap(), c);
        assert!(ReadCursor::decode("not a cursor").is_err());
        assert!(ReadCursor::decode(&URL_SAFE_NO_PAD.encode(br#"{"v":2}"#)).is_err());
    }
}
