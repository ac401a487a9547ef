//! Requested-cost estimates of our documents, by Shopify's documented rules (objects 1,
//! connections 2 + first × one node, mutations 10), and page sizes that keep each request
//! under the limit.

use crate::error::ChannelError;

/// One product node of `ProductFields` with `v` variants and `m` media on its first pages:
/// the product, `options`, `variantsCount`, `media` (2 + m × (media 1 + image 1)) and
/// `variants` (2 + v × (variant, selectedOptions, inventoryItem, unitCost, measurement,
/// weight)).
pub fn product_node(v: u64, m: u64) -> u64 {
    1 + 1 + 1 + (2 + m * 2) + (2 + v * 6)
}

pub fn read_page(p: u64, v: u64, m: u64) -> u64 {
    2 + p * product_node(v, m)
}

pub fn products_by_id(n: u64, v: u64, m: u64) -> u64 {
    n * product_node(v, m)
}

pub fn more_variants(k: u64) -> u64 {
    1 + 2 + k * 6
}

pub fn more_media(k: u64) -> u64 {
    1 + 2 + k * 2
}

pub fn find_variants(first: u64) -> u64 {
    2 + first * 2
}

pub fn recent_products(first: u64) -> u64 {
    2 + first * 4
}

pub const SHOP_INFO: u64 = 1;

/// One aliased productSet answering with `n` variants.
pub fn product_set(n: u64) -> u64 {
    10 + 1 + (2 + n * 2) + 1
}

/// Nested page sizes we ask for on a product page.
pub const VARIANTS_FIRST: u64 = 10;
pub const MEDIA_FIRST: u64 = 5;
/// Shopify's largest page.
pub const MAX_PAGE: u64 = 250;

/// How to shape a product page under `limit` points (already calibrated): products per page,
/// variants and media per product. Nested pages shrink first when the bucket is small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PagePlan {
    pub products: u64,
    pub variants: u64,
    pub media: u64,
}

pub fn plan_page(limit: f64, factor: f64) -> Result<PagePlan, ChannelError> {
    let fits = |p: u64, v: u64, m: u64| (read_page(p, v, m) as f64) * factor <= limit;
    let (mut v, mut m) = (VARIANTS_FIRST, MEDIA_FIRST);
    while !fits(1, v, m) && v > 1 {
        v -= 1;
    }
    while !fits(1, v, m) && m > 0 {
        m -= 1;
    }
    if !fits(1, v, m) {
        return Err(ChannelError::Permanent(format!(
            "Shopify's cost bucket ({limit} points) is too small for a single product query"
        )));
    }
    let per = product_node(v, m) as f64 * factor;
    let products = (((limit - 2.0 * factor) / per).floor() as u64).clamp(1, MAX_PAGE);
    Ok(PagePlan {
        products,
        variants: v,
        media: m,
    })
}

/// The largest `k` with `cost(k) * factor <= limit`, at most `cap`.
pub fn largest_fitting(limit: f64, factor: f64, cap: u64, cost: impl Fn(u64) -> u64) -> u64 {
    let mut k = cap.max(1);
    while k > 1 && cost(k) as f64 * factor > limit {
        k -= 1;
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_fit_the_limit() {
        let p = plan_page(1000.0, 1.0).unwrap();
        assert_eq!((p.variants, p.media), (VARIANTS_FIRST, MEDIA_FIRST));
        assert!(read_page(p.products, p.variants, p.media) <= 1000);
        assert!(read_page(p.products + 1, p.variants, p.media) > 1000);
        let small = plan_page(40.0, 1.0).unwrap();
        assert_eq!(small.products, 1);
        assert!(read_page(1, small.variants, small.media) <= 40);
        assert!(plan_page(5.0, 1.0).is_err());
        assert_eq!(largest_fitting(1000.0, 1.0, 250, more_variants), 166);
    }
}
