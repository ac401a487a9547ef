//! Looking products up by SKU. Shopify keeps SKUs in its search index: `productVariants` with
//! `query: "sku:\"A\" OR sku:\"B\""` finds the variants, then the products are read by id
//! (`nodes(ids:)`, straight from the database). Hits are compared by SKU key again here,
//! because search matching is looser than SKU identity.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::ShopifyConnector;
use super::client::Gql;
use super::cost;
use super::mapping::sku_key;
use super::queries;
use super::read::gid_number;
use super::wire::{Connection, ProductNode, RecentProduct, VariantHit, take};
use crate::error::ChannelError;
use crate::model::RemoteProduct;

/// SKUs per search query: short enough for Shopify's search and cheap in points.
pub const SKUS_PER_QUERY: usize = 25;

/// A `sku:` search term with the value quoted: backslashes and double quotes are escaped, so
/// spaces, colons, parentheses and quotes in a SKU stay part of the value.
pub fn sku_term(sku: &str) -> String {
    let mut v = String::with_capacity(sku.len() + 8);
    for c in sku.chars() {
        if c == '\\' || c == '"' {
            v.push('\\');
        }
        v.push(c);
    }
    format!("sku:\"{v}\"")
}

/// A variant found by SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub product_id: String,
    pub variant_id: String,
    pub sku: String,
}

impl ShopifyConnector {
    /// Variants carrying each SKU key, first (lowest product id, then variant id) first.
    pub(super) async fn find_hits(
        &self,
        skus: &[String],
    ) -> Result<BTreeMap<String, Vec<Hit>>, ChannelError> {
        let mut wanted: Vec<(String, String)> = Vec::new();
        let mut seen = BTreeSet::new();
        for s in skus {
            let t = s.trim();
            let k = sku_key(t);
            if !k.is_empty() && seen.insert(k.clone()) {
                wanted.push((k, t.to_owned()));
            }
        }
        let mut out: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
        for chunk in wanted.chunks(SKUS_PER_QUERY) {
            let query = chunk
                .iter()
                .map(|(_, s)| sku_term(s))
                .collect::<Vec<_>>()
                .join(" OR ");
            // Room for a few duplicates per SKU; more come on further pages.
            let first = (chunk.len() as u64 * 2).min(cost::MAX_PAGE);
            let mut after: Option<String> = None;
            loop {
                let q = Gql {
                    kind: "lookup",
                    query: queries::FIND_VARIANTS.to_owned(),
                    variables: json!({ "first": first, "after": after, "query": query }),
                    estimate: cost::find_variants(first) as f64,
                };
                let resp = self.client.request(&q).await?;
                let conn: Connection<VariantHit> = take(&resp.data, "/productVariants")?;
                for h in &conn.nodes {
                    let sku = h.sku.clone().unwrap_or_default();
                    let k = sku_key(&sku);
                    if chunk.iter().any(|(w, _)| *w == k) {
                        out.entry(k).or_default().push(Hit {
                            product_id: h.product.id.clone(),
                            variant_id: h.id.clone(),
                            sku,
                        });
                    }
                }
                match conn.has_next() {
                    Some(a) => after = Some(a.to_owned()),
                    None => break,
                }
            }
        }
        for hits in out.values_mut() {
            hits.sort_by_key(|h| (gid_number(&h.product_id), gid_number(&h.variant_id)));
            hits.dedup();
        }
        Ok(out)
    }

    /// Complete products by id, in the order given.
    pub(super) async fn products_by_id(
        &self,
        ids: &[String],
    ) -> Result<Vec<RemoteProduct>, ChannelError> {
        let mut out = Vec::new();
        let limit = self.client.limiter.limit().await;
        let plan = cost::plan_page(limit, self.client.factor("read"))?;
        let per = cost::largest_fitting(limit, self.client.factor("by_id"), cost::MAX_PAGE, |n| {
            cost::products_by_id(n, plan.variants, plan.media)
        }) as usize;
        for chunk in ids.chunks(per.max(1)) {
            let q = Gql {
                kind: "by_id",
                query: queries::products_by_id(),
                variables: json!({
                    "ids": chunk,
                    "variantsFirst": plan.variants,
                    "mediaFirst": plan.media,
                }),
                estimate: cost::products_by_id(chunk.len() as u64, plan.variants, plan.media)
                    as f64,
            };
            let resp = self.client.request(&q).await?;
            let nodes: Vec<Option<ProductNode>> = take(&resp.data, "/nodes")?;
            for node in nodes.into_iter().flatten() {
                out.push(self.complete(node).await?);
            }
        }
        Ok(out)
    }

    pub(super) async fn find_products(
        &self,
        skus: &[String],
    ) -> Result<Vec<RemoteProduct>, ChannelError> {
        self.shop_info().await?;
        let hits = self.find_hits(skus).await?;
        let mut ids: Vec<String> = hits
            .values()
            .flatten()
            .map(|h| h.product_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        ids.sort_by_key(|id| gid_number(id));
        self.products_by_id(&ids).await
    }

    /// The newest products with the SKU of their first variant, read without the search
    /// index: catches a product created moments ago that search does not show yet.
    pub(super) async fn recent_products(
        &self,
        n: u64,
    ) -> Result<Vec<(String, String)>, ChannelError> {
        let limit = self.client.limiter.limit().await;
        let n = cost::largest_fitting(
            limit,
            self.client.factor("recent"),
            n.clamp(1, cost::MAX_PAGE),
            cost::recent_products,
        );
        let q = Gql {
            kind: "recent",
            query: queries::RECENT_PRODUCTS.to_owned(),
            variables: json!({ "first": n }),
            estimate: cost::recent_products(n) as f64,
        };
        let resp = self.client.request(&q).await?;
        let conn: Connection<RecentProduct> = take(&resp.data, "/products")?;
        Ok(conn
            .nodes
            .into_iter()
            .map(|p| {
                let sku = p
                    .variants
                    .nodes
                    .first()
                    .and_then(|v| v.sku.clone())
                    .unwrap_or_default();
                (p.id, sku)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sku_terms_are_quoted_and_escaped() {
        assert_eq!(sku_term("ABC-1"), r#"sku:"ABC-1""#);
        assert_eq!(sku_term(r#"A "B" \C:(1)"#), r#"sku:"A \"B\" \\C:(1)""#);
    }
}
