//! Reading products page by page: full reads in id order, changed-since reads through the
//! `updated_at:>=` search filter in `updatedAt` order; every product is completed (variants and
//! media past the first nested page) before it is handed out.

use serde_json::{Value, json};

use super::ShopifyConnector;
use super::client::Gql;
use super::cost;
use super::cursor::ReadCursor;
use super::mapping::remote_product;
use super::queries;
use super::wire::{Connection, MediaNode, ProductNode, VariantNode, take};
use crate::connector::{ProductPage, ReadQuery};
use crate::error::ChannelError;
use crate::model::RemoteProduct;

/// The numeric part of a GID (`gid://shopify/Product/1001` → 1001).
pub fn gid_number(gid: &str) -> u64 {
    gid.rsplit('/')
        .next()
        .and_then(|s| s.split('?').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// `updated_at:>='…'` at whole seconds (Shopify compares seconds; the filter is inclusive).
pub fn since_filter(since: chrono::DateTime<chrono::Utc>) -> String {
    format!("updated_at:>='{}'", since.format("%Y-%m-%dT%H:%M:%SZ"))
}

impl ShopifyConnector {
    pub(super) async fn read_page(
        &self,
        query: &ReadQuery,
        cursor: Option<String>,
    ) -> Result<ProductPage, ChannelError> {
        self.shop_info().await?;
        let mut c = match cursor {
            Some(s) => ReadCursor::decode(&s)?,
            None => ReadCursor {
                v: 1,
                since: query.changed_since,
                ..Default::default()
            },
        };
        let limit = self.client.limiter.limit().await;
        let plan = cost::plan_page(limit, self.client.factor("read"))?;
        let (search, sort_key) = match c.since {
            Some(t) => (Value::String(since_filter(t)), "UPDATED_AT"),
            None => (Value::Null, "ID"),
        };
        let q = Gql {
            kind: "read",
            query: queries::read_products(),
            variables: json!({
                "first": plan.products,
                "after": c.after,
                "query": search,
                "sortKey": sort_key,
                "variantsFirst": plan.variants,
                "mediaFirst": plan.media,
            }),
            estimate: cost::read_page(plan.products, plan.variants, plan.media) as f64,
        };
        let resp = self.client.request(&q).await?;
        let page: Connection<ProductNode> = take(&resp.data, "/products")?;
        let next_after = page.has_next().map(str::to_owned);
        let mut products = Vec::with_capacity(page.nodes.len());
        for node in page.nodes {
            if c.since.is_some() {
                let id = gid_number(&node.id);
                let updated = node
                    .updated_at
                    .as_deref()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map_or(0, |t| t.timestamp());
                if c.seen(id, updated) {
                    continue;
                }
                c.remember(id, updated);
            }
            products.push(self.complete(node).await?);
        }
        let next_cursor = next_after.map(|a| {
            c.after = Some(a);
            c.encode()
        });
        Ok(ProductPage {
            products,
            next_cursor,
            total_hint: None,
        })
    }

    /// Fetch the variant and media pages past the first ones, then map.
    pub(super) async fn complete(
        &self,
        mut node: ProductNode,
    ) -> Result<RemoteProduct, ChannelError> {
        let mut variants = std::mem::take(&mut node.variants.nodes);
        let mut after = node.variants.has_next().map(str::to_owned);
        let total = node.variants_count.as_ref().map(|c| c.count);
        while let Some(a) = after {
            let (more, next) = self
                .more_variants(
                    &node.id,
                    Some(a),
                    total.map(|t| t.saturating_sub(variants.len() as u64)),
                )
                .await?;
            variants.extend(more);
            after = next;
        }
        let mut media = std::mem::take(&mut node.media.nodes);
        let mut after = node.media.has_next().map(str::to_owned);
        while let Some(a) = after {
            let limit = self.client.limiter.limit().await;
            let k = cost::largest_fitting(
                limit,
                self.client.factor("media"),
                cost::MAX_PAGE,
                cost::more_media,
            );
            let q = Gql {
                kind: "media",
                query: queries::more_media(),
                variables: json!({ "id": node.id, "first": k, "after": a }),
                estimate: cost::more_media(k) as f64,
            };
            let resp = self.client.request(&q).await?;
            let conn: Connection<MediaNode> = take(&resp.data, "/product/media")?;
            after = conn.has_next().map(str::to_owned);
            media.extend(conn.nodes);
        }
        Ok(remote_product(node, variants, media))
    }

    /// One more page of a product's variants, sized to what is left (when known) and to the
    /// cost limit. Returns the variants and the cursor of the page after, if any.
    pub(super) async fn more_variants(
        &self,
        product_id: &str,
        after: Option<String>,
        remaining: Option<u64>,
    ) -> Result<(Vec<VariantNode>, Option<String>), ChannelError> {
        let limit = self.client.limiter.limit().await;
        let cap = remaining
            .filter(|r| *r > 0)
            .unwrap_or(cost::MAX_PAGE)
            .min(cost::MAX_PAGE);
        let k = cost::largest_fitting(
            limit,
            self.client.factor("variants"),
            cap,
            cost::more_variants,
        );
        let q = Gql {
            kind: "variants",
            query: queries::more_variants(),
            variables: json!({ "id": product_id, "first": k, "after": after }),
            estimate: cost::more_variants(k) as f64,
        };
        let resp = self.client.request(&q).await?;
        if resp.data.pointer("/product").is_none_or(Value::is_null) {
            return Err(ChannelError::Transient(format!(
                "product {product_id} disappeared while its variants were being read"
            )));
        }
        let conn: Connection<VariantNode> = take(&resp.data, "/product/variants")?;
        let next = conn.has_next().map(str::to_owned);
        Ok((conn.nodes, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gid_numbers_and_filters() {
        assert_eq!(gid_number("gid://shopify/Product/1001"), 1001);
        assert_eq!(gid_number("gid://shopify/Product/7?x=1"), 7);
        assert_eq!(gid_number("nonsense"), 0);
        let t = chrono::DateTime::from_timestamp(1_714_557_600, 900_000_000).unwrap();
        assert_eq!(since_filter(t), "updated_at:>='2024-05-01T10:00:00Z'");
    }
}
