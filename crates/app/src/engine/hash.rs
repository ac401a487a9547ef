//! Content hashes of variants *as a channel holds them* (after SKU mapping). An export sends a
//! variant only when its hash differs from the one recorded in the binding, so an unchanged
//! catalog sends nothing.
//!
//! The same function hashes what an export sends ([`ExportProduct`]) and what an import reads
//! ([`RemoteProduct`]), so a variant read from a master hashes equal to what an export would
//! send it, and a master switch re-sends nothing that already matches. Product-level fields
//! are part of every variant's hash: a title change re-sends the product. Tags are hashed as a
//! set (channels reorder them); the variant's position is left out (channels keep their own
//! order).

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use techoms_channels::{ExportProduct, ExportVariant, RemoteProduct, RemoteVariant};
use techoms_domain::{Length, ProductStatus, VariantStatus, Weight};

/// The hash state of a product's own fields; each variant continues from a clone of it.
#[derive(Clone)]
pub struct ProductHasher(Sha256);

/// A variant's fields as they enter the hash.
pub struct VariantFields<'a> {
    pub sku: &'a str,
    pub option_values: &'a [String],
    pub barcode: Option<&'a str>,
    pub price: Option<Decimal>,
    pub compare_at_price: Option<Decimal>,
    pub cost: Option<Decimal>,
    pub weight: Option<Weight>,
    pub length: Option<Length>,
    pub width: Option<Length>,
    pub height: Option<Length>,
    pub status: VariantStatus,
}

fn text(h: &mut Sha256, s: &str) {
    // Length-prefixed, so that field boundaries cannot shift.
    h.update((s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}

fn list(h: &mut Sha256, items: &[String]) {
    h.update((items.len() as u64).to_le_bytes());
    for i in items {
        text(h, i);
    }
}

fn opt_text(h: &mut Sha256, s: Option<&str>) {
    match s {
        None => h.update([0u8]),
        Some(s) => {
            h.update([1u8]);
            text(h, s);
        }
    }
}

fn dec(h: &mut Sha256, d: Option<Decimal>) {
    opt_text(h, d.map(|d| d.normalize().to_string()).as_deref());
}

impl ProductHasher {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        title: &str,
        description_html: &str,
        vendor: &str,
        product_type: &str,
        tags: &[String],
        status: ProductStatus,
        options: &[String],
        images: &[String],
    ) -> Self {
        let mut h = Sha256::new();
        h.update(b"techoms.variant.v1");
        text(&mut h, title);
        text(&mut h, description_html);
        text(&mut h, vendor);
        text(&mut h, product_type);
        let mut sorted = tags.to_vec();
        sorted.sort();
        list(&mut h, &sorted);
        text(&mut h, status.as_str());
        list(&mut h, options);
        list(&mut h, images);
        Self(h)
    }

    pub fn of_export(p: &ExportProduct) -> Self {
        Self::new(
            &p.title,
            &p.description_html,
            &p.vendor,
            &p.product_type,
            &p.tags,
            p.status,
            &p.options,
            &p.images,
        )
    }

    pub fn of_remote(p: &RemoteProduct) -> Self {
        Self::new(
            &p.title,
            &p.description_html,
            &p.vendor,
            &p.product_type,
            &p.tags,
            p.status,
            &p.options,
            &p.images,
        )
    }

    /// The hex hash (128 bits) of one variant of this product.
    pub fn variant(&self, v: &VariantFields<'_>) -> String {
        let mut h = self.0.clone();
        text(&mut h, v.sku.trim());
        list(&mut h, v.option_values);
        opt_text(&mut h, v.barcode);
        dec(&mut h, v.price);
        dec(&mut h, v.compare_at_price);
        dec(&mut h, v.cost);
        dec(&mut h, v.weight.map(|w| w.grams()));
        dec(&mut h, v.length.map(|l| l.mm()));
        dec(&mut h, v.width.map(|l| l.mm()));
        dec(&mut h, v.height.map(|l| l.mm()));
        text(&mut h, v.status.as_str());
        hex::encode(&h.finalize()[..16])
    }

    pub fn export_variant(&self, v: &ExportVariant) -> String {
        self.variant(&VariantFields {
            sku: &v.sku,
            option_values: &v.option_values,
            barcode: v.barcode.as_deref(),
            price: v.price,
            compare_at_price: v.compare_at_price,
            cost: v.cost,
            weight: v.weight,
            length: v.length,
            width: v.width,
            height: v.height,
            status: v.status,
        })
    }

    pub fn remote_variant(&self, v: &RemoteVariant) -> String {
        self.variant(&VariantFields {
            sku: &v.sku,
            option_values: &v.option_values,
            barcode: v.barcode.as_deref(),
            price: v.price,
            compare_at_price: v.compare_at_price,
            cost: v.cost,
            weight: v.weight,
            length: v.length,
            width: v.width,
            height: v.height,
            status: v.status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(sku: &str, price: Decimal) -> VariantFields<'_> {
        VariantFields {
            sku,
            option_values: &[],
            barcode: None,
            price: Some(price),
            compare_at_price: None,
            cost: None,
            weight: None,
            length: None,
            width: None,
            height: None,
            status: VariantStatus::Active,
        }
    }

    fn product(tags: &[&str]) -> ProductHasher {
        let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        ProductHasher::new("T", "", "", "", &tags, ProductStatus::Active, &[], &[])
    }

    #[test]
    fn equal_content_equal_hash() {
        let p = product(&["a", "b"]);
        // 1.50 and 1.5 are the same price; tag order does not matter.
        assert_eq!(
            p.variant(&fields("A-1", Decimal::new(150, 2))),
            product(&["b", "a"]).variant(&fields(" A-1 ", Decimal::new(15, 1)))
        );
    }

    #[test]
    fn any_difference_changes_the_hash() {
        let p = product(&[]);
        let base = p.variant(&fields("A-1", Decimal::ONE));
        assert_ne!(base, p.variant(&fields("a-1", Decimal::ONE)));
        assert_ne!(base, p.variant(&fields("A-1", Decimal::TWO)));
        assert_ne!(
            base,
            ProductHasher::new("U", "", "", "", &[], ProductStatus::Active, &[], &[])
                .variant(&fields("A-1", Decimal::ONE))
        );
        // Field boundaries are length-prefixed.
        let a = ProductHasher::new("ab", "c", "", "", &[], ProductStatus::Active, &[], &[]);
        let b = ProductHasher::new("a", "bc", "", "", &[], ProductStatus::Active, &[], &[]);
        assert_ne!(
            a.variant(&fields("X", Decimal::ONE)),
            b.variant(&fields("X", Decimal::ONE))
        );
    }
}
