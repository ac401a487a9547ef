//! Reading products: full and changed-since reads page by page, and lookups by SKU.
//!
//! A read asks `GET /{v}/product?PageSize=…&SortBy=Id&SortOrder=ASC` (plus
//! `LastUpdatedTimestamp` for a changed-since read, which the 2025-07 and 2026-01 specs
//! document) and follows the `next` link ShipBob returns, as given. The cursor handed to the
//! engine is that link's path and query, so a resumed run continues where it stopped.
//! ShipBob compares `LastUpdatedTimestamp` with the product's `updated_on`; changes that do
//! not move it (stock moves, edits ShipBob does not stamp) are caught by the engine's periodic
//! full read.

use chrono::{DateTime, SubsecRound, Utc};
use reqwest::Method;

use super::http::{Http, Repeat};
use super::mapping::{self, has_sku};
use super::wire;
use crate::connector::{ProductPage, ReadQuery};
use crate::error::ChannelError;
use crate::model::RemoteProduct;

/// The first page's target for a query.
pub fn first_target(http: &Http, query: &ReadQuery) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("PageSize", &http.settings().page_size.to_string());
    q.append_pair("SortBy", "Id");
    q.append_pair("SortOrder", "ASC");
    if let Some(since) = query.changed_since {
        q.append_pair("LastUpdatedTimestamp", &timestamp(since));
    }
    format!("{}?{}", http.product_path(), q.finish())
}

/// Whole seconds, rounded down so that the filter never starts after the instant asked for.
fn timestamp(t: DateTime<Utc>) -> String {
    t.trunc_subsecs(0).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub async fn read_page(
    http: &Http,
    query: &ReadQuery,
    cursor: Option<String>,
) -> Result<ProductPage, ChannelError> {
    let target = match cursor {
        None => first_target(http, query),
        // A cursor is a path on our own host; anything else did not come from us.
        Some(c) if c.starts_with('/') && !c.starts_with("//") => c,
        Some(c) => {
            return Err(ChannelError::Permanent(format!(
                "the ShipBob read cursor {c:?} is not one this connector made; restart the read"
            )));
        }
    };
    let page = get_page(http, &target).await?;
    let channel = http.settings().channel_id.as_deref();
    let products = page
        .items
        .iter()
        .flatten()
        .map(|p| mapping::remote_product(p, channel))
        .collect();
    let next_cursor = page
        .next
        .as_deref()
        .and_then(|l| http.target_from_link(l))
        // A link back to the same page would never end.
        .filter(|next| *next != target);
    Ok(ProductPage {
        products,
        next_cursor,
        total_hint: None,
    })
}

async fn get_page(http: &Http, target: &str) -> Result<wire::ProductPage, ChannelError> {
    let answer = http.send(Method::GET, target, None, Repeat::Safe).await?;
    if !answer.is_success() {
        let hint = if answer.status == 404 {
            " (check the `api_version` and `base_url` settings)"
        } else {
            ""
        };
        return Err(ChannelError::Permanent(format!(
            "ShipBob refused the product list (HTTP {}): {}{hint}",
            answer.status,
            answer.error_text()
        )));
    }
    answer.json("product list")
}

/// The products holding a variant with this SKU (`SKU` filter, then an exact comparison of
/// our own, as the filter's matching rules are not documented).
pub async fn products_with_sku(http: &Http, sku: &str) -> Result<Vec<wire::Product>, ChannelError> {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("SKU", sku.trim())
        .append_pair("PageSize", "50")
        .finish();
    let target = format!("{}?{query}", http.product_path());
    let page = get_page(http, &target).await?;
    Ok(page
        .items
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.variants().iter().any(|v| has_sku(v, sku)))
        .collect())
}

/// The product and variant holding this SKU; the lowest variant id wins if ShipBob holds
/// more than one.
pub async fn lookup_sku(
    http: &Http,
    sku: &str,
) -> Result<Option<(wire::Product, wire::Variant)>, ChannelError> {
    let products = products_with_sku(http, sku).await?;
    Ok(products
        .iter()
        .flat_map(|p| {
            p.variants()
                .iter()
                .filter(|v| has_sku(v, sku))
                .map(move |v| (p, v))
        })
        .min_by_key(|(_, v)| v.id)
        .map(|(p, v)| (p.clone(), v.clone())))
}

pub async fn find_by_skus(
    http: &Http,
    skus: &[String],
) -> Result<Vec<RemoteProduct>, ChannelError> {
    let mut seen_skus = Vec::new();
    let mut seen_products = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    let channel = http.settings().channel_id.as_deref();
    for sku in skus {
        let key = techoms_domain::SkuKey::of(sku);
        if key.is_empty() || seen_skus.contains(&key) {
            continue;
        }
        seen_skus.push(key);
        for p in products_with_sku(http, sku).await? {
            if seen_products.insert(p.id) {
                out.push(mapping::remote_product(&p, channel));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_down_to_the_second() {
        let t = DateTime::parse_from_rfc3339("2026-01-05T10:00:07.900+01:00")
            .map(|t| t.with_timezone(&Utc));
        assert_eq!(
            t.map(timestamp).ok().as_deref(),
            Some("2026-01-05T09:00:07Z")
        );
    }
}
