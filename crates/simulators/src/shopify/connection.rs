//! Relay pagination over a sorted list: opaque cursors, `first`/`after`, `last`/`before`,
//! `reverse`, and `pageInfo`. A cursor carries the sort value and id of its record (as
//! Shopify's do), so a page boundary stays put when other records change.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::model::fmt_time;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortVal {
    Num(u64),
    Text(String),
    Time(DateTime<Utc>),
}

impl SortVal {
    fn to_json(&self) -> Value {
        match self {
            SortVal::Num(n) => json!(n),
            SortVal::Text(s) => json!(s),
            SortVal::Time(t) => json!(fmt_time(*t)),
        }
    }

    /// Read a cursor's `last_value` as the same kind as `like`.
    fn from_json(v: &Value, like: &SortVal) -> Option<SortVal> {
        Some(match like {
            SortVal::Num(_) => SortVal::Num(v.as_u64().or_else(|| v.as_str()?.parse().ok())?),
            SortVal::Text(_) => SortVal::Text(v.as_str()?.to_owned()),
            SortVal::Time(_) => SortVal::Time(super::search::parse_time(v.as_str()?)?),
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    pub first: Option<usize>,
    pub last: Option<usize>,
    pub after: Option<String>,
    pub before: Option<String>,
    pub reverse: bool,
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<(String, T)>,
    pub has_next: bool,
    pub has_prev: bool,
}

pub fn encode_cursor(val: &SortVal, id: u64) -> String {
    STANDARD.encode(json!({ "last_id": id, "last_value": val.to_json() }).to_string())
}

fn decode_cursor(c: &str, like: &SortVal) -> Option<(SortVal, u64)> {
    let bytes = STANDARD.decode(c.trim()).ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    let id = v.get("last_id")?.as_u64()?;
    let val = SortVal::from_json(v.get("last_value")?, like)?;
    Some((val, id))
}

pub const INVALID_CURSOR: &str = "Invalid cursor for current pagination sort.";

/// One page of `items` (any order; sorted here by (value, id), then reversed if asked).
pub fn paginate<T>(mut items: Vec<(SortVal, u64, T)>, args: &PageArgs) -> Result<Page<T>, String> {
    items.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    if args.reverse {
        items.reverse();
    }
    let ord = |a: (&SortVal, u64), b: (&SortVal, u64)| {
        if args.reverse { b.cmp(&a) } else { a.cmp(&b) }
    };
    let like = items.first().map(|i| i.0.clone());
    let mut start = 0;
    let mut end = items.len();
    if let (Some(c), Some(like)) = (&args.after, &like) {
        let (v, id) = decode_cursor(c, like).ok_or(INVALID_CURSOR)?;
        start = items
            .iter()
            .position(|i| ord((&i.0, i.1), (&v, id)).is_gt())
            .unwrap_or(items.len());
    }
    if let (Some(c), Some(like)) = (&args.before, &like) {
        let (v, id) = decode_cursor(c, like).ok_or(INVALID_CURSOR)?;
        end = items
            .iter()
            .position(|i| ord((&i.0, i.1), (&v, id)).is_ge())
            .unwrap_or(items.len())
            .max(start);
    }
    let mut has_prev = start > 0;
    let mut has_next = end < items.len();
    if let Some(n) = args.first
        && end - start > n
    {
        end = start + n;
        has_next = true;
    }
    if let Some(n) = args.last
        && end - start > n
    {
        start = end - n;
        has_prev = true;
    }
    let window: Vec<(String, T)> = items
        .into_iter()
        .skip(start)
        .take(end - start)
        .map(|(v, id, t)| (encode_cursor(&v, id), t))
        .collect();
    Ok(Page {
        items: window,
        has_next,
        has_prev,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(p: &Page<u64>) -> Vec<u64> {
        p.items.iter().map(|i| i.1).collect()
    }

    #[test]
    fn forward_and_backward() {
        let items = || (1..=5).map(|i| (SortVal::Num(i), i, i)).collect::<Vec<_>>();
        let p1 = paginate(
            items(),
            &PageArgs {
                first: Some(2),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(ids(&p1), vec![1, 2]);
        assert!(p1.has_next && !p1.has_prev);
        let after = p1.items[1].0.clone();
        let p2 = paginate(
            items(),
            &PageArgs {
                first: Some(10),
                after: Some(after),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(ids(&p2), vec![3, 4, 5]);
        assert!(!p2.has_next && p2.has_prev);
        let r = paginate(
            items(),
            &PageArgs {
                first: Some(2),
                reverse: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(ids(&r), vec![5, 4]);
        let l = paginate(
            items(),
            &PageArgs {
                last: Some(2),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(ids(&l), vec![4, 5]);
        assert!(
            paginate(
                items(),
                &PageArgs {
                    after: Some("x".into()),
                    ..Default::default()
                }
            )
            .is_err()
        );
    }
}
