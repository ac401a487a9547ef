//! Reading: full and changed-since pages, the variation sweep, and SKU lookups.
//!
//! A changed-since read runs three phases, each resumable from the cursor:
//! 1. products with `modified_after` (simple products and variable parents), key-set paged;
//! 2. variations changed since then, whose parents did not move: editing a variation never
//!    bumps its parent's `date_modified` (WooCommerce issues #19562, #9531). Read through
//!    `GET /variations?modified_after=` (WooCommerce 10.3+), one request per 100 changed
//!    variations, then each parent with all its variations;
//! 3. on stores without that route (404 `rest_no_route`), a sweep instead: every variable
//!    product (ids only, 100 a page) is asked for `products/{id}/variations?modified_after=`
//!    with `per_page=1`, and the ones that answer are read in full. That costs one request
//!    per variable product, so it only runs when the faster route is missing.
//!
//! Products come back whole (every variation) so that the engine sees each product the same
//! way however it was found; a product may come back twice in one read (changed itself and
//! through a variation), which the engine's de-duplication absorbs.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDateTime};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::WooCommerceConnector;
use super::client::{Failure, Resp};
use super::cursor::{Cursor, KeySet};
use super::mapping::remote_product;
use super::wire::{WireProduct, WireVariation, format_gmt};
use crate::connector::{ProductPage, ReadQuery};
use crate::error::ChannelError;
use crate::model::RemoteProduct;

/// Parents remembered per variation phase, to avoid reading one parent again on later pages.
const DONE_CAP: usize = 2000;
/// SKUs per lookup request (the list travels in the query string).
const SKUS_PER_LOOKUP: usize = 40;

fn parse_list<T: DeserializeOwned>(resp: Resp, what: &str) -> Result<Vec<T>, ChannelError> {
    serde_json::from_value(resp.json).map_err(|e| {
        ChannelError::Permanent(format!("unexpected {what} list from WooCommerce: {e}"))
    })
}

fn date_key(raw: &str) -> String {
    raw.trim().chars().take(19).collect()
}

fn one_second_before(date: &str) -> Option<String> {
    NaiveDateTime::parse_from_str(date, "%Y-%m-%dT%H:%M:%S")
        .ok()
        .map(|t| {
            (t - Duration::seconds(1))
                .format("%Y-%m-%dT%H:%M:%S")
                .to_string()
        })
}

/// The key set after a page whose raw items ended at `page_last`; None when it was the last.
fn advance(keys: &KeySet, page_last: Option<(String, u64)>, full_page: bool) -> Option<KeySet> {
    let page_last = page_last?;
    if !full_page {
        return None;
    }
    let last = match &keys.last {
        Some(prev) if prev > &page_last => prev.clone(),
        _ => page_last,
    };
    match one_second_before(&last.0) {
        Some(after) if Some(&after) != keys.after.as_ref() => Some(KeySet {
            after: Some(after),
            page: 1,
            last: Some(last),
        }),
        // A whole page within one second (or no usable date): page on within the window.
        _ => Some(KeySet {
            after: keys.after.clone(),
            page: keys.page + 1,
            last: Some(last),
        }),
    }
}

fn is_new(keys: &KeySet, key: &(String, u64)) -> bool {
    keys.last.as_ref().is_none_or(|last| key > last)
}

impl WooCommerceConnector {
    fn page_size(&self) -> usize {
        self.client.settings().page_size as usize
    }

    /// Every variation of a variable product, in id order.
    pub(super) async fn variations_of(
        &self,
        product_id: u64,
    ) -> Result<Vec<WireVariation>, ChannelError> {
        let mut all = Vec::new();
        let mut page = 1u32;
        loop {
            let q = [
                ("context", "edit".to_owned()),
                ("per_page", "100".to_owned()),
                ("page", page.to_string()),
                ("orderby", "id".to_owned()),
                ("order", "asc".to_owned()),
            ];
            let resp = self
                .client
                .get(&format!("products/{product_id}/variations"), &q)
                .await?;
            let pages = resp.header_u64("x-wp-totalpages");
            let batch: Vec<WireVariation> = parse_list(resp, "variation")?;
            let n = batch.len();
            all.extend(batch);
            let more = match pages {
                Some(p) => u64::from(page) < p,
                None => n == 100,
            };
            if !more || n == 0 {
                return Ok(all);
            }
            page += 1;
        }
    }

    /// Products by id (any status but trash), in chunks of 100.
    pub(super) async fn products_by_ids(
        &self,
        ids: &[u64],
    ) -> Result<Vec<WireProduct>, ChannelError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(100) {
            let include = chunk
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let q = [
                ("context", "edit".to_owned()),
                ("include", include),
                ("per_page", "100".to_owned()),
                ("orderby", "include".to_owned()),
            ];
            let resp = self.client.get("products", &q).await?;
            out.extend(parse_list::<WireProduct>(resp, "product")?);
        }
        Ok(out)
    }

    /// Map products, reading each variable product's variations.
    pub(super) async fn complete(
        &self,
        products: Vec<WireProduct>,
    ) -> Result<Vec<RemoteProduct>, ChannelError> {
        let units = self.units().await?;
        let mut out = Vec::with_capacity(products.len());
        for p in products {
            let variations = if p.is_variable() {
                self.variations_of(p.id).await?
            } else {
                Vec::new()
            };
            out.push(remote_product(&p, &variations, &units));
        }
        Ok(out)
    }

    pub(super) async fn read_page(
        &self,
        query: &ReadQuery,
        cursor: Option<String>,
    ) -> Result<ProductPage, ChannelError> {
        let first = cursor.is_none();
        let cursor = match cursor {
            Some(c) => Cursor::decode(&c)?,
            None => {
                // The filter is exclusive at one-second precision: one second before the
                // (floored) instant makes it "at or after".
                let since = query
                    .changed_since
                    .map(|t| format_gmt(t - Duration::seconds(1)));
                Cursor::Products {
                    keys: KeySet::start(since.clone()),
                    since,
                }
            }
        };
        match cursor {
            Cursor::Products { since, keys } => self.products_page(since, keys, first).await,
            Cursor::Variations { since, keys, done } => {
                self.variations_page(since, keys, done).await
            }
            Cursor::Sweep { since, page } => self.sweep_page(since, page).await,
        }
    }

    async fn products_page(
        &self,
        since: Option<String>,
        keys: KeySet,
        first: bool,
    ) -> Result<ProductPage, ChannelError> {
        let size = self.page_size();
        let mut q = vec![
            ("context", "edit".to_owned()),
            ("per_page", size.to_string()),
            ("page", keys.page.to_string()),
            ("orderby", "modified".to_owned()),
            ("order", "asc".to_owned()),
            ("dates_are_gmt", "true".to_owned()),
        ];
        if let Some(after) = &keys.after {
            q.push(("modified_after", after.clone()));
        }
        let resp = self.client.get("products", &q).await?;
        let total_hint = if first {
            resp.header_u64("x-wp-total")
        } else {
            None
        };
        let items: Vec<WireProduct> = parse_list(resp, "product")?;
        let full_page = items.len() >= size;
        let page_last = items.last().map(|p| (date_key(&p.date_modified_gmt), p.id));
        let fresh: Vec<WireProduct> = items
            .into_iter()
            .filter(|p| is_new(&keys, &(date_key(&p.date_modified_gmt), p.id)))
            .collect();
        let products = self.complete(fresh).await?;
        let next = match (advance(&keys, page_last, full_page), since) {
            (Some(keys), since) => Some(Cursor::Products { since, keys }),
            (None, Some(since)) => Some(Cursor::Variations {
                keys: KeySet::start(Some(since.clone())),
                since,
                done: Vec::new(),
            }),
            (None, None) => None,
        };
        Ok(ProductPage {
            products,
            next_cursor: next.map(|c| c.encode()),
            total_hint,
        })
    }

    async fn variations_page(
        &self,
        since: String,
        keys: KeySet,
        mut done: Vec<u64>,
    ) -> Result<ProductPage, ChannelError> {
        let mut q = vec![
            ("context", "edit".to_owned()),
            ("per_page", "100".to_owned()),
            ("page", keys.page.to_string()),
            ("orderby", "modified".to_owned()),
            ("order", "asc".to_owned()),
            ("dates_are_gmt", "true".to_owned()),
        ];
        if let Some(after) = &keys.after {
            q.push(("modified_after", after.clone()));
        }
        let resp = match self.client.get_raw("variations", &q).await {
            Ok(r) => r,
            // WooCommerce before 10.3 has no store-wide variations route: sweep instead.
            Err(Failure::NoRoute(_)) => return self.sweep_page(since, 1).await,
            Err(f) => return Err(f.into_channel_error()),
        };
        let items: Vec<WireVariation> = parse_list(resp, "variation")?;
        let full_page = items.len() >= 100;
        let page_last = items.last().map(|v| (date_key(&v.date_modified_gmt), v.id));
        let mut parents = Vec::new();
        for v in &items {
            let key = (date_key(&v.date_modified_gmt), v.id);
            if is_new(&keys, &key)
                && v.parent_id > 0
                && !done.contains(&v.parent_id)
                && !parents.contains(&v.parent_id)
            {
                parents.push(v.parent_id);
            }
        }
        let wire = self.products_by_ids(&parents).await?;
        let products = self.complete(wire).await?;
        done.extend(parents);
        if done.len() > DONE_CAP {
            done.drain(..done.len() - DONE_CAP);
        }
        let next = advance(&keys, page_last, full_page).map(|keys| Cursor::Variations {
            since,
            keys,
            done,
        });
        Ok(ProductPage {
            products,
            next_cursor: next.map(|c| c.encode()),
            total_hint: None,
        })
    }

    async fn sweep_page(&self, since: String, page: u32) -> Result<ProductPage, ChannelError> {
        let size = self.page_size();
        let q = [
            ("type", "variable".to_owned()),
            ("per_page", size.to_string()),
            ("page", page.to_string()),
            ("orderby", "id".to_owned()),
            ("order", "asc".to_owned()),
            ("_fields", "id".to_owned()),
        ];
        let resp = self.client.get("products", &q).await?;
        let ids: Vec<u64> = parse_list::<Value>(resp, "product")?
            .iter()
            .filter_map(|v| v.get("id").and_then(Value::as_u64))
            .collect();
        let mut changed = Vec::new();
        for id in &ids {
            let q = [
                ("per_page", "1".to_owned()),
                ("modified_after", since.clone()),
                ("dates_are_gmt", "true".to_owned()),
                ("_fields", "id".to_owned()),
            ];
            let resp = self
                .client
                .get(&format!("products/{id}/variations"), &q)
                .await?;
            let hit = resp.header_u64("x-wp-total").is_some_and(|n| n > 0)
                || resp.json.as_array().is_some_and(|a| !a.is_empty());
            if hit {
                changed.push(*id);
            }
        }
        let wire = self.products_by_ids(&changed).await?;
        let products = self.complete(wire).await?;
        let next = (ids.len() >= size).then(|| Cursor::Sweep {
            since,
            page: page + 1,
        });
        Ok(ProductPage {
            products,
            next_cursor: next.map(|c| c.encode()),
            total_hint: None,
        })
    }

    /// The raw products and variations holding any of `skus` (the `sku` filter searches both
    /// and compares as the database does: case-insensitively).
    pub(super) async fn sku_hits(&self, skus: &[String]) -> Result<Vec<WireProduct>, ChannelError> {
        let mut wanted: Vec<String> = skus
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        wanted.sort();
        wanted.dedup();
        // A SKU containing a comma cannot share a list; it goes alone (the controller also
        // matches the whole parameter as one SKU).
        let (alone, listable): (Vec<String>, Vec<String>) =
            wanted.into_iter().partition(|s| s.contains(','));
        let mut groups: Vec<String> = alone;
        groups.extend(listable.chunks(SKUS_PER_LOOKUP).map(|c| c.join(",")));
        let mut hits = Vec::new();
        for group in groups {
            let mut page = 1u32;
            loop {
                let q = [
                    ("context", "edit".to_owned()),
                    ("sku", group.clone()),
                    ("per_page", "100".to_owned()),
                    ("page", page.to_string()),
                    ("orderby", "id".to_owned()),
                    ("order", "asc".to_owned()),
                ];
                let resp = self.client.get("products", &q).await?;
                let pages = resp.header_u64("x-wp-totalpages").unwrap_or(1);
                hits.extend(parse_list::<WireProduct>(resp, "product")?);
                if u64::from(page) >= pages {
                    break;
                }
                page += 1;
            }
        }
        Ok(hits)
    }

    pub(super) async fn find_skus(
        &self,
        skus: &[String],
    ) -> Result<Vec<RemoteProduct>, ChannelError> {
        let hits = self.sku_hits(skus).await?;
        let mut seen = BTreeSet::new();
        let mut whole = Vec::new();
        let mut parents = Vec::new();
        for h in hits {
            if h.is_variation() {
                if h.parent_id > 0 && seen.insert(h.parent_id) {
                    parents.push(h.parent_id);
                }
            } else if seen.insert(h.id) {
                whole.push(h);
            }
        }
        whole.extend(self.products_by_ids(&parents).await?);
        self.complete(whole).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(d: &str, id: u64) -> (String, u64) {
        (d.to_owned(), id)
    }

    #[test]
    fn key_set_moves_by_date_and_pages_within_one_second() {
        let start = KeySet::start(None);
        let next = advance(&start, Some(k("2024-05-01T10:00:05", 9)), true).unwrap();
        assert_eq!(next.after.as_deref(), Some("2024-05-01T10:00:04"));
        assert_eq!(next.page, 1);
        // The next full page ends in the same second: page on.
        let same = advance(&next, Some(k("2024-05-01T10:00:05", 30)), true).unwrap();
        assert_eq!(same.after.as_deref(), Some("2024-05-01T10:00:04"));
        assert_eq!(same.page, 2);
        assert_eq!(same.last, Some(k("2024-05-01T10:00:05", 30)));
        assert!(advance(&same, Some(k("2024-05-01T10:00:07", 31)), false).is_none());
        assert!(is_new(&same, &k("2024-05-01T10:00:05", 31)));
        assert!(!is_new(&same, &k("2024-05-01T10:00:05", 30)));
    }
}
