//! Reading Extensiv's response bodies: HAL item lists (and the PascalCase `ResourceList`
//! variant), exception bodies, and zone-less timestamps.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

use super::json::{camel_case_keys, get_ci};
use crate::error::ChannelError;

/// The rel the items collection embeds its items under (the documented HAL form).
pub(crate) const ITEM_REL: &str = "http://api.3plCentral.com/rels/customers/item";

/// One page of the items collection, member names normalised to camelCase.
#[derive(Debug)]
pub(crate) struct ItemPage {
    pub items: Vec<Value>,
    pub total: Option<u64>,
    pub has_next_link: bool,
}

fn count(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str()?.trim().parse().ok())
}

/// Parse a list answer. Accepts `_embedded` under the documented rel (compared without case),
/// under a bare `item`/`items` key, or a `ResourceList` array.
pub(crate) fn parse_page(body: &str) -> Result<ItemPage, ChannelError> {
    let raw: Value = serde_json::from_str(body).map_err(|e| {
        ChannelError::Permanent(format!(
            "Extensiv answered an item list that is not JSON: {e}"
        ))
    })?;
    let doc = camel_case_keys(raw);
    let embedded = doc.get("_embedded").and_then(Value::as_object);
    let from_embedded = embedded.and_then(|m| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(ITEM_REL))
            .or_else(|| {
                m.iter()
                    .find(|(k, _)| matches!(k.to_ascii_lowercase().as_str(), "item" | "items"))
            })
            .map(|(_, v)| v)
    });
    let list = from_embedded
        .or_else(|| doc.get("resourceList"))
        .and_then(Value::as_array);
    let items = match list {
        Some(items) => items.clone(),
        // An empty page may come without `_embedded` at all.
        None if embedded.is_none() && doc.get("resourceList").is_none() => Vec::new(),
        None => {
            return Err(ChannelError::Permanent(
                "Extensiv answered an item list without items under a known key".into(),
            ));
        }
    };
    Ok(ItemPage {
        items,
        total: doc.get("totalResults").and_then(count),
        has_next_link: doc
            .get("_links")
            .and_then(|l| l.get("next"))
            .is_some_and(|n| !n.is_null()),
    })
}

/// A single item answer, normalised to camelCase.
pub(crate) fn parse_item(body: &str) -> Result<Value, ChannelError> {
    serde_json::from_str::<Value>(body)
        .map(camel_case_keys)
        .map_err(|e| {
            ChannelError::Permanent(format!("Extensiv answered an item that is not JSON: {e}"))
        })
}

/// What an exception body says (`ErrorCode`, `Hint`; member casing not relied on).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Fault {
    pub error_code: Option<String>,
    pub hint: Option<String>,
    /// The exact text to show: the hint, else the body, else the status.
    pub text: String,
}

/// Longest body text carried into an error message.
const MAX_TEXT: usize = 500;

pub(crate) fn parse_fault(status: u16, body: &str) -> Fault {
    let json: Option<Value> = serde_json::from_str(body).ok();
    let field = |name: &str| {
        json.as_ref()
            .and_then(|v| get_ci(v, name))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let hint = field("Hint").or_else(|| field("Message"));
    let trimmed = body.trim();
    let text = match (&hint, trimmed.is_empty()) {
        (Some(h), _) => h.clone(),
        (None, false) => trimmed.chars().take(MAX_TEXT).collect(),
        (None, true) => format!("HTTP {status} with no body"),
    };
    Fault {
        error_code: field("ErrorCode"),
        hint,
        text,
    }
}

/// Parse `lastModifiedDate`-style timestamps: RFC 3339, or zone-less (taken as UTC) with or
/// without a fraction.
pub(crate) fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// The RQL form of an instant: zone-less, whole seconds (rounded down, so an inclusive
/// filter never skips the instant itself).
pub(crate) fn rql_timestamp(t: DateTime<Utc>) -> String {
    t.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn hal_and_resource_list_pages() {
        let hal = r#"{"totalResults":3,"_links":{"next":{"href":"/x?pgnum=2"}},
            "_embedded":{"http://api.3plcentral.com/rels/customers/item":[{"itemId":1,"sku":"A"}]}}"#;
        let p = parse_page(hal).unwrap();
        assert_eq!(
            (p.items.len(), p.total, p.has_next_link),
            (1, Some(3), true)
        );
        let pascal = r#"{"TotalResults":"2","ResourceList":[{"ItemId":5,"Sku":"B","ReadOnly":{"Deactivated":true}}]}"#;
        let p = parse_page(pascal).unwrap();
        assert_eq!(p.total, Some(2));
        assert_eq!(p.items[0]["readOnly"]["deactivated"], true);
        assert!(!p.has_next_link);
        let empty = parse_page(r#"{"totalResults":0,"_links":{}}"#).unwrap();
        assert!(empty.items.is_empty());
        assert!(parse_page(r#"{"_embedded":{"other":[]}}"#).is_err());
    }

    #[test]
    fn faults_keep_the_exact_hint() {
        let f = parse_fault(
            400,
            r#"{"$type":"X","ErrorCode":"Duplicate","Hint":"SKU exists"}"#,
        );
        assert_eq!(f.error_code.as_deref(), Some("Duplicate"));
        assert_eq!(f.text, "SKU exists");
        assert_eq!(parse_fault(500, "Boom").text, "Boom");
        assert_eq!(parse_fault(412, "").text, "HTTP 412 with no body");
    }

    #[test]
    fn timestamps() {
        let t = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap();
        assert_eq!(parse_timestamp("2024-05-01T10:00:00"), Some(t));
        assert_eq!(parse_timestamp("2024-05-01T12:00:00+02:00"), Some(t));
        assert_eq!(
            parse_timestamp("2024-05-01T10:00:00.4770000"),
            Some(t + chrono::Duration::milliseconds(477))
        );
        assert_eq!(
            rql_timestamp(t + chrono::Duration::milliseconds(999)),
            "2024-05-01T10:00:00"
        );
    }
}
