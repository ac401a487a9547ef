//! Reading items: page by page through `pgnum`/`pgsiz`, sorted by `itemId` (stable while
//! items are edited: an edit does not move an item between pages the way sorting by
//! `lastModifiedDate` would), optionally filtered by `readOnly.lastModifiedDate=ge=…`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use techoms_domain::SkuKey;

use super::client::{Api, Call};
use super::mapping::{sku, to_remote};
use super::rql;
use super::settings::MAX_PAGE_SIZE;
use super::wire::{ItemPage, parse_fault, parse_page};
use crate::connector::{ProductPage, ReadQuery};
use crate::error::ChannelError;
use crate::model::RemoteProduct;

/// SKUs per lookup request (keeps the URL short).
const SKUS_PER_LOOKUP: usize = 25;

/// Where a read stands; serialised into the opaque cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Cursor {
    v: u8,
    pgnum: u32,
    pgsiz: u32,
}

impl Cursor {
    fn decode(text: &str) -> Result<Self, ChannelError> {
        serde_json::from_str::<Cursor>(text)
            .ok()
            .filter(|c| c.v == 1 && c.pgnum >= 1 && (1..=MAX_PAGE_SIZE).contains(&c.pgsiz))
            .ok_or_else(|| {
                ChannelError::Permanent(format!("unrecognised Extensiv cursor {text:?}"))
            })
    }

    fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn items_path(api: &Api) -> String {
    format!("/customers/{}/items", api.settings.customer_id)
}

/// One page of the items collection.
pub(crate) async fn fetch_page(
    api: &Api,
    rql: Option<String>,
    pgnum: u32,
    pgsiz: u32,
) -> Result<ItemPage, ChannelError> {
    let mut call = Call::get(items_path(api));
    call.query = vec![
        ("pgsiz", pgsiz.to_string()),
        ("pgnum", pgnum.to_string()),
        ("sort", "itemId".to_string()),
    ];
    if let Some(r) = rql {
        call.query.push(("rql", r));
    }
    let reply = api.call(&call).await?;
    match reply.status {
        200 => parse_page(&reply.body),
        404 => Err(ChannelError::Permanent(format!(
            "Extensiv has no customer {} for these credentials (HTTP 404); check the customer id",
            api.settings.customer_id
        ))),
        status => Err(ChannelError::Permanent(format!(
            "Extensiv refused the item list (HTTP {status}): {}",
            parse_fault(status, &reply.body).text
        ))),
    }
}

fn has_more(page: &ItemPage, pgnum: u32, pgsiz: u32) -> bool {
    match page.total {
        Some(total) => u64::from(pgnum) * u64::from(pgsiz) < total,
        None => page.has_next_link || page.items.len() >= pgsiz as usize,
    }
}

pub(crate) async fn read_products(
    api: &Api,
    query: &ReadQuery,
    cursor: Option<String>,
) -> Result<ProductPage, ChannelError> {
    let at = match cursor {
        Some(text) => Cursor::decode(&text)?,
        None => Cursor {
            v: 1,
            pgnum: 1,
            pgsiz: api.settings.page_size,
        },
    };
    let filter = query
        .changed_since
        .map(|since| rql::modified_since(since - api.settings.timestamp_slack));
    let page = fetch_page(api, filter, at.pgnum, at.pgsiz).await?;
    let units = api.settings.units;
    let products: Vec<RemoteProduct> = page
        .items
        .iter()
        .filter_map(|i| to_remote(i, units))
        .collect();
    let next_cursor = (has_more(&page, at.pgnum, at.pgsiz) && !page.items.is_empty()).then(|| {
        Cursor {
            pgnum: at.pgnum + 1,
            ..at
        }
        .encode()
    });
    Ok(ProductPage {
        products,
        next_cursor,
        total_hint: page.total,
    })
}

/// The SKU key, or None for an empty SKU (which matches nothing).
pub(crate) fn key_of(s: &str) -> Option<SkuKey> {
    let k = SkuKey::of(s);
    (!k.is_empty()).then_some(k)
}

/// The raw items holding any of these SKUs (compared by SKU key).
pub(crate) async fn items_by_skus(api: &Api, skus: &[String]) -> Result<Vec<Value>, ChannelError> {
    let mut wanted: Vec<(SkuKey, String)> = Vec::new();
    for s in skus {
        let trimmed = s.trim();
        if let Some(k) = key_of(trimmed)
            && !wanted.iter().any(|(wk, _)| *wk == k)
        {
            wanted.push((k, trimmed.to_string()));
        }
    }
    let mut found = Vec::new();
    for chunk in wanted.chunks(SKUS_PER_LOOKUP) {
        let values: Vec<String> = chunk.iter().map(|(_, s)| s.clone()).collect();
        let filter = rql::sku_in(&values);
        let mut pgnum = 1;
        loop {
            let page = fetch_page(api, Some(filter.clone()), pgnum, MAX_PAGE_SIZE).await?;
            let more = has_more(&page, pgnum, MAX_PAGE_SIZE) && !page.items.is_empty();
            found.extend(page.items.into_iter().filter(|item| {
                key_of(sku(item)).is_some_and(|k| chunk.iter().any(|(wk, _)| *wk == k))
            }));
            if !more {
                break;
            }
            pgnum += 1;
        }
    }
    Ok(found)
}

pub(crate) async fn find_by_skus(
    api: &Api,
    skus: &[String],
) -> Result<Vec<RemoteProduct>, ChannelError> {
    let units = api.settings.units;
    Ok(items_by_skus(api, skus)
        .await?
        .iter()
        .filter_map(|i| to_remote(i, units))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip() {
        let c = Cursor {
            v: 1,
            pgnum: 3,
            pgsiz: 50,
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        assert!(Cursor::decode("page 3").is_err());
        assert!(Cursor::decode(r#"{"v":1,"pgnum":0,"pgsiz":50}"#).is_err());
    }
}
