//! The item resource as the API serves it: the writable body plus server-owned `itemId` and
//! `readOnly` (customerIdentifier, creationDate, lastModifiedDate, deactivated, rowVersion). A
//! row version is an 8-byte counter served base64-encoded, as SQL Server row versions surface
//! through the API; the ETag is that value in quotes.

use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

/// Members a client may send but the server owns (or that are HAL decoration).
const SERVER_OWNED: &[&str] = &["readOnly", "_links", "_embedded", "itemId"];

pub fn rowversion_text(rowversion: u64) -> String {
    base64::engine::general_purpose::STANDARD.encode(rowversion.to_be_bytes())
}

pub fn etag(rowversion: u64) -> String {
    format!("\"{}\"", rowversion_text(rowversion))
}

/// Does an `If-Match` header value match the current row version? Accepts `*`, a list, weak
/// validators and a value without quotes.
pub fn if_match_ok(header: &str, rowversion: u64) -> bool {
    let current = rowversion_text(rowversion);
    header.split(',').any(|candidate| {
        let c = candidate.trim();
        let c = c.strip_prefix("W/").unwrap_or(c);
        c == "*" || c.trim_matches('"') == current
    })
}

/// Timestamps are served as the API serves them: no zone, fraction only when not zero.
pub fn fmt_ts(t: DateTime<Utc>) -> String {
    t.naive_utc().format("%Y-%m-%dT%H:%M:%S%.f").to_string()
}

fn writable(body: &Value) -> Map<String, Value> {
    let mut map = body.as_object().cloned().unwrap_or_default();
    for k in SERVER_OWNED {
        map.remove(*k);
    }
    map
}

pub struct Stamp<'a> {
    pub customer_id: u64,
    pub customer_name: &'a str,
    pub item_id: u64,
    pub rowversion: u64,
}

/// A new item from a create body.
pub fn create(body: &Value, stamp: &Stamp<'_>, now: DateTime<Utc>) -> Value {
    let mut map = writable(body);
    map.insert("itemId".into(), json!(stamp.item_id));
    map.insert(
        "readOnly".into(),
        json!({
            "customerIdentifier": {"name": stamp.customer_name, "id": stamp.customer_id},
            "itemId": stamp.item_id,
            "creationDate": fmt_ts(now),
            "lastModifiedDate": fmt_ts(now),
            "deactivated": false,
            "rowVersion": rowversion_text(stamp.rowversion),
        }),
    );
    Value::Object(map)
}

/// The item after a PUT: the body replaces every writable member (what is absent is gone);
/// the server keeps its own members.
pub fn replace(old: &Value, body: &Value, rowversion: u64, now: DateTime<Utc>) -> Value {
    let mut map = writable(body);
    if let Some(id) = old.get("itemId") {
        map.insert("itemId".into(), id.clone());
    }
    let mut read_only = old.get("readOnly").cloned().unwrap_or_else(|| json!({}));
    stamp_modified(&mut read_only, rowversion, now);
    map.insert("readOnly".into(), read_only);
    Value::Object(map)
}

/// Record a modification in `readOnly` (row version, and the date when `now` is given).
pub fn touch(item: &mut Value, rowversion: u64, now: Option<DateTime<Utc>>) {
    if let Some(ro) = item.get_mut("readOnly") {
        match now {
            Some(now) => stamp_modified(ro, rowversion, now),
            None => {
                ro["rowVersion"] = json!(rowversion_text(rowversion));
            }
        }
    }
}

fn stamp_modified(read_only: &mut Value, rowversion: u64, now: DateTime<Utc>) {
    read_only["lastModifiedDate"] = json!(fmt_ts(now));
    read_only["rowVersion"] = json!(rowversion_text(rowversion));
}

/// RFC 7386 merge patch: objects merge recursively, `null` removes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in patch_map {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// The item with its HAL `self` link, as a single GET or a list serves it.
pub fn with_links(item: &Value, customer_id: u64) -> Value {
    let mut v = item.clone();
    if let (Some(obj), Some(id)) = (v.as_object_mut(), item.get("itemId")) {
        obj.insert(
            "_links".into(),
            json!({"self": {"href": format!("/customers/{customer_id}/items/{id}")}}),
        );
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_forms() {
        let tag = etag(5);
        assert!(if_match_ok(&tag, 5));
        assert!(if_match_ok(&format!("W/{tag}"), 5));
        assert!(if_match_ok(tag.trim_matches('"'), 5));
        assert!(if_match_ok("*", 9));
        assert!(!if_match_ok(&etag(4), 5));
    }

    #[test]
    fn merge_patch_merges_and_removes() {
        let mut v = json!({"a": 1, "o": {"x": 1, "y": 2}});
        merge_patch(&mut v, &json!({"a": null, "o": {"y": 3, "z": 4}}));
        assert_eq!(v, json!({"o": {"x": 1, "y": 3, "z": 4}}));
    }
}
