//! `GET /{v}/product`: filters, sorting and cursor paging with `first/last/next/prev` links.
//! A cursor names the item a page starts after (or ends before), so pages stay stable when
//! products are added or edited between page requests. Query parameter names are matched
//! case-insensitively, as ASP.NET binds them.

use std::collections::BTreeMap;
use std::ops::Bound::{Excluded, Unbounded};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;

use super::store::{Product, sku_key};

pub const DEFAULT_PAGE_SIZE: usize = 50;
pub const MAX_PAGE_SIZE: usize = 250;

/// The query of a product list request.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub pairs: Vec<(String, String)>,
    pub page_size: usize,
    pub descending: bool,
    pub cursor: Option<Cursor>,
    pub sku: Option<String>,
    pub search: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
    pub product_id: Option<u64>,
    pub variant_id: Option<u64>,
    pub barcode: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    After(u64),
    Before(u64),
    /// The last page.
    Last,
}

impl Cursor {
    fn encode(self) -> String {
        let raw = match self {
            Cursor::After(id) => format!("after:{id}"),
            Cursor::Before(id) => format!("before:{id}"),
            Cursor::Last => "last:".to_owned(),
        };
        URL_SAFE_NO_PAD.encode(raw)
    }

    fn decode(s: &str) -> Option<Self> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(s.trim()).ok()?).ok()?;
        match raw.split_once(':')? {
            ("after", id) => Some(Cursor::After(id.parse().ok()?)),
            ("before", id) => Some(Cursor::Before(id.parse().ok()?)),
            ("last", "") => Some(Cursor::Last),
            _ => None,
        }
    }
}

fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

/// Parse the query; errors are (parameter, message) pairs for a 400.
pub fn parse(pairs: Vec<(String, String)>) -> Result<ListQuery, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let mut q = ListQuery {
        page_size: DEFAULT_PAGE_SIZE,
        ..ListQuery::default()
    };
    if let Some(v) = get(&pairs, "PageSize") {
        match v.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => q.page_size = n,
            _ => errors.push((
                "PageSize".to_owned(),
                format!("PageSize must be between 1 and {MAX_PAGE_SIZE}."),
            )),
        }
    }
    if let Some(v) = get(&pairs, "SortBy")
        && !v.trim().eq_ignore_ascii_case("id")
    {
        errors.push((
            "SortBy".to_owned(),
            format!("The value '{v}' is not supported by this simulator; use Id."),
        ));
    }
    if let Some(v) = get(&pairs, "SortOrder") {
        match v.trim().to_ascii_uppercase().as_str() {
            "ASC" => {}
            "DESC" => q.descending = true,
            _ => errors.push((
                "SortOrder".to_owned(),
                format!("The value '{v}' is not valid for SortOrder."),
            )),
        }
    }
    if let Some(v) = get(&pairs, "Cursor") {
        match Cursor::decode(v) {
            Some(c) => q.cursor = Some(c),
            None => errors.push(("Cursor".to_owned(), "The cursor is not valid.".to_owned())),
        }
    }
    if let Some(v) = get(&pairs, "LastUpdatedTimestamp") {
        match parse_instant(v) {
            Some(t) => q.updated_since = Some(t),
            None => errors.push((
                "LastUpdatedTimestamp".to_owned(),
                format!("The value '{v}' is not valid for LastUpdatedTimestamp."),
            )),
        }
    }
    for (name, slot) in [
        ("ProductId", &mut q.product_id),
        ("VariantId", &mut q.variant_id),
    ] {
        if let Some(v) = get(&pairs, name) {
            match v.trim().parse() {
                Ok(id) => *slot = Some(id),
                Err(_) => errors.push((
                    name.to_owned(),
                    format!("The value '{v}' is not valid for {name}."),
                )),
            }
        }
    }
    if let Some(v) = get(&pairs, "VariantStatus") {
        match v.trim().to_ascii_lowercase().as_str() {
            "active" | "0" => q.active = Some(true),
            "inactive" | "1" => q.active = Some(false),
            _ => errors.push((
                "VariantStatus".to_owned(),
                format!("The value '{v}' is not valid for VariantStatus."),
            )),
        }
    }
    q.sku = get(&pairs, "SKU").map(str::to_owned);
    q.search = get(&pairs, "Search").map(str::to_owned);
    q.barcode = get(&pairs, "Barcode").map(str::to_owned);
    q.pairs = pairs;
    if errors.is_empty() {
        Ok(q)
    } else {
        Err(errors)
    }
}

/// RFC 3339, a naive date-time (taken as UTC, as ShipBob stores UTC) or a bare date.
pub fn parse_instant(v: &str) -> Option<DateTime<Utc>> {
    let v = v.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t.and_utc());
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

fn matches(p: &Product, q: &ListQuery) -> bool {
    if q.updated_since.is_some_and(|t| p.last_updated() < t) {
        return false;
    }
    if q.product_id.is_some_and(|id| p.id != id) {
        return false;
    }
    if q.variant_id
        .is_some_and(|id| !p.variants.iter().any(|v| v.id == id))
    {
        return false;
    }
    if let Some(sku) = &q.sku {
        // Exact SKU match on any variant (case-insensitive, as SKU uniqueness is).
        let key = sku_key(sku);
        if !p.variants.iter().any(|v| sku_key(&v.sku) == key) {
            return false;
        }
    }
    if let Some(b) = &q.barcode
        && !p
            .variants
            .iter()
            .any(|v| v.barcodes.iter().any(|x| x == b.trim()))
    {
        return false;
    }
    if let Some(active) = q.active
        && !p.variants.iter().any(|v| v.active == active)
    {
        return false;
    }
    if let Some(s) = &q.search {
        // Search: partial match on product name and SKU, exact on product and inventory id.
        let needle = s.trim().to_lowercase();
        let hit = p.name.to_lowercase().contains(&needle)
            || p.id.to_string() == needle
            || p.variants.iter().any(|v| {
                v.sku.to_lowercase().contains(&needle) || v.inventory_id.to_string() == needle
            });
        if !hit {
            return false;
        }
    }
    true
}

type Products = BTreeMap<u64, Product>;
type Iter<'a> = Box<dyn Iterator<Item = &'a Product> + 'a>;

/// Products strictly after `after` in the sort order (all of them for `None`).
fn forward<'a>(products: &'a Products, descending: bool, after: Option<u64>) -> Iter<'a> {
    match (descending, after) {
        (false, None) => Box::new(products.values()),
        (false, Some(id)) => Box::new(products.range((Excluded(id), Unbounded)).map(|(_, p)| p)),
        (true, None) => Box::new(products.values().rev()),
        (true, Some(id)) => Box::new(products.range(..id).rev().map(|(_, p)| p)),
    }
}

/// Products strictly before `before` in the sort order, nearest first (from the end for `None`).
fn backward<'a>(products: &'a Products, descending: bool, before: Option<u64>) -> Iter<'a> {
    match (descending, before) {
        (false, None) => Box::new(products.values().rev()),
        (false, Some(id)) => Box::new(products.range(..id).rev().map(|(_, p)| p)),
        (true, None) => Box::new(products.values()),
        (true, Some(id)) => Box::new(products.range((Excluded(id), Unbounded)).map(|(_, p)| p)),
    }
}

/// One page of `products` for `q`, with its links. Pages are found by walking from the
/// cursor, so a page costs its own size, not the catalog's.
pub fn page(
    products: &Products,
    q: &ListQuery,
    base_path: &str,
    render: impl Fn(&Product) -> Value,
) -> Value {
    let m = |p: &&Product| matches(p, q);
    let size = q.page_size;
    let desc = q.descending;
    let items: Vec<&Product> = match q.cursor {
        None => forward(products, desc, None).filter(m).take(size).collect(),
        Some(Cursor::After(id)) => forward(products, desc, Some(id))
            .filter(m)
            .take(size)
            .collect(),
        Some(Cursor::Before(id)) => {
            let mut v: Vec<&Product> = backward(products, desc, Some(id))
                .filter(m)
                .take(size)
                .collect();
            v.reverse();
            v
        }
        Some(Cursor::Last) => {
            let mut v: Vec<&Product> = backward(products, desc, None)
                .filter(m)
                .take(size)
                .collect();
            v.reverse();
            v
        }
    };
    let has_next = items
        .last()
        .is_some_and(|l| forward(products, desc, Some(l.id)).any(|p| matches(p, q)));
    let has_prev = items
        .first()
        .is_some_and(|f| backward(products, desc, Some(f.id)).any(|p| matches(p, q)));
    let link = |c: Option<Cursor>| link(base_path, &q.pairs, c);
    let next = has_next
        .then(|| items.last().map(|p| link(Some(Cursor::After(p.id)))))
        .flatten();
    let prev = has_prev
        .then(|| items.first().map(|p| link(Some(Cursor::Before(p.id)))))
        .flatten();
    super::views::paged(
        items.iter().map(|p| render(p)).collect(),
        Some(link(None)),
        Some(link(Some(Cursor::Last))),
        next,
        prev,
    )
}

/// The request's own path and query, with the cursor replaced.
fn link(base_path: &str, pairs: &[(String, String)], cursor: Option<Cursor>) -> String {
    let mut parts: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("Cursor"))
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    if let Some(c) = cursor {
        parts.push(format!("Cursor={}", c.encode()));
    }
    if parts.is_empty() {
        base_path.to_owned()
    } else {
        format!("{base_path}?{}", parts.join("&"))
    }
}

/// Percent-encoding for a query component (RFC 3986 unreserved characters pass).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        for c in [Cursor::After(7), Cursor::Before(1_000_003), Cursor::Last] {
            assert_eq!(Cursor::decode(&c.encode()), Some(c));
        }
        assert_eq!(Cursor::decode("nonsense"), None);
    }

    #[test]
    fn instants() {
        assert!(parse_instant("2026-01-05T10:00:00Z").is_some());
        assert!(parse_instant("2026-01-05T10:00:00.123").is_some());
        assert!(parse_instant("2026-01-05").is_some());
        assert!(parse_instant("yesterday").is_none());
        assert_eq!(encode("a b+c:Z"), "a%20b%2Bc%3AZ");
    }
}
