//! Listing posts: `WP_Query` filters, ordering, paging, and the `X-WP-Total`,
//! `X-WP-TotalPages` and `Link` headers of the CRUD controller.

use std::cmp::Ordering;

use chrono::NaiveDateTime;

use super::params::{Collection, Query};
use super::store::{Post, PostType, Store, sku_fold};

/// Which posts a collection route lists before the request's filters apply.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// `/products`: products, plus variations when a SKU filter is given (the v3 products
    /// controller switches `post_type` to both then).
    Products,
    /// `/products/{id}/variations`.
    VariationsOf(u64),
    /// `/variations` (WooCommerce 10.3+).
    AllVariations,
}

pub struct Listed {
    pub ids: Vec<u64>,
    pub total: usize,
    pub pages: usize,
    pub page: usize,
}

fn column(store: &Store, c: &Collection, t: chrono::DateTime<chrono::Utc>) -> NaiveDateTime {
    if c.dates_are_gmt {
        t.naive_utc()
    } else {
        store.local(t)
    }
}

fn status_ok(c: &Collection, p: &Post) -> bool {
    match c.status.as_str() {
        // `any` leaves out statuses excluded from search (trash, auto-draft).
        "any" => !p.is_trashed(),
        s => p.status == s,
    }
}

fn matches(store: &Store, c: &Collection, source: Source, p: &Post) -> bool {
    let type_ok = match source {
        Source::Products => {
            p.post_type == PostType::Product
                || (!c.skus.is_empty() && p.post_type == PostType::Variation)
        }
        Source::VariationsOf(parent) => p.post_type == PostType::Variation && p.parent_id == parent,
        Source::AllVariations => p.post_type == PostType::Variation,
    };
    if !type_ok || !status_ok(c, p) {
        return false;
    }
    if !c.include.is_empty() && !c.include.contains(&p.id) {
        return false;
    }
    if c.exclude.contains(&p.id) {
        return false;
    }
    if !c.parent.is_empty() && !c.parent.contains(&p.parent_id) {
        return false;
    }
    if let Some(t) = &c.product_type
        && (p.post_type != PostType::Product || &p.product_type != t)
    {
        return false;
    }
    if !c.skus.is_empty() && !c.skus.iter().any(|s| sku_fold(s) == sku_fold(&p.sku)) {
        return false;
    }
    if let Some(s) = &c.search
        && !p.name.to_lowercase().contains(&s.to_lowercase())
    {
        return false;
    }
    // WP_Date_Query's default is exclusive: `after` means strictly later, `before` strictly
    // earlier, compared at MySQL DATETIME (second) precision.
    let created = column(store, c, p.date_created);
    let modified = column(store, c, p.date_modified);
    if c.after.is_some_and(|a| created <= a) || c.before.is_some_and(|b| created >= b) {
        return false;
    }
    if c.modified_after.is_some_and(|a| modified <= a)
        || c.modified_before.is_some_and(|b| modified >= b)
    {
        return false;
    }
    true
}

fn compare(c: &Collection, a: &Post, b: &Post) -> Ordering {
    let primary = match c.orderby.as_str() {
        "date" => a.date_created.cmp(&b.date_created),
        "modified" => a.date_modified.cmp(&b.date_modified),
        "title" => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
        "slug" => a.slug.cmp(&b.slug),
        "menu_order" => a.menu_order.cmp(&b.menu_order),
        "include" => {
            let pos = |p: &Post| {
                c.include
                    .iter()
                    .position(|i| *i == p.id)
                    .unwrap_or(usize::MAX)
            };
            return pos(a).cmp(&pos(b));
        }
        "price" => {
            let price = |p: &Post| {
                p.active_price()
                    .parse::<rust_decimal::Decimal>()
                    .unwrap_or_default()
            };
            price(a).cmp(&price(b))
        }
        _ => Ordering::Equal,
    };
    // The controller appends ID to date/modified ordering "for consistency with pagination";
    // the direction applies to both keys.
    let ord = primary.then(a.id.cmp(&b.id));
    if c.desc { ord.reverse() } else { ord }
}

pub fn list(store: &Store, c: &Collection, source: Source) -> Listed {
    let mut hits: Vec<&Post> = store
        .posts
        .values()
        .filter(|p| matches(store, c, source, p))
        .collect();
    hits.sort_by(|a, b| compare(c, a, b));
    let total = hits.len();
    let pages = total.div_ceil(c.per_page);
    let start = c.offset.unwrap_or((c.page - 1) * c.per_page);
    let ids = hits
        .into_iter()
        .skip(start)
        .take(c.per_page)
        .map(|p| p.id)
        .collect();
    Listed {
        ids,
        total,
        pages,
        page: c.page,
    }
}

/// `X-WP-Total`, `X-WP-TotalPages` and `Link` (prev/next only, as the v3 CRUD controller
/// emits). The links repeat every query parameter of the request — credentials included, as
/// WordPress does — with `page` replaced.
pub fn headers(listed: &Listed, url: &str, q: &Query) -> Vec<(&'static str, String)> {
    let mut h = vec![
        ("x-wp-total", listed.total.to_string()),
        ("x-wp-totalpages", listed.pages.to_string()),
    ];
    let link_to = |page: usize| {
        let mut pairs: Vec<String> =
            q.0.iter()
                .filter(|(k, _)| k != "page")
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
        pairs.push(format!("page={page}"));
        format!("<{url}?{}>", pairs.join("&"))
    };
    let mut links = Vec::new();
    if listed.page > 1 {
        let prev = (listed.page - 1).min(listed.pages.max(1));
        links.push(format!("{}; rel=\"prev\"", link_to(prev)));
    }
    if listed.pages > listed.page {
        links.push(format!("{}; rel=\"next\"", link_to(listed.page + 1)));
    }
    if !links.is_empty() {
        h.push(("link", links.join(", ")));
    }
    h
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
