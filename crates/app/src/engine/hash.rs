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
//!
//! Hashes are taken *for a channel*: a field the channel does not hold ([`Fields`]) enters
//! the hash as its empty value, whatever the catalog or the read says, so that editing it does
//! not make the variant changed for that channel. A channel holding every field hashes exactly
//! as before the field sets existed.

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use techoms_channels::{ExportProduct, ExportVariant, Fields, RemoteProduct, RemoteVariant};
use techoms_domain::{Length, ProductStatus, VariantStatus, Weight};

/// The hash state of a product's own fields; each variant continues from a clone of it.
#[derive(Clone)]
pub struct ProductHasher {
    h: Sha256,
    fields: Fields,
}

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
    /// The hasher of a product for a channel holding every field.
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
        Self::for_channel(
            Fields::ALL,
            title,
            description_html,
            vendor,
            product_type,
            tags,
            status,
            options,
            images,
        )
    }

    /// The hasher of a product for a channel holding `fields`.
    #[allow(clippy::too_many_arguments)]
    pub fn for_channel(
        fields: Fields,
        title: &str,
        description_html: &str,
        vendor: &str,
        product_type: &str,
        tags: &[String],
        status: ProductStatus,
        options: &[String],
        images: &[String],
    ) -> Self {
        let f = &fields;
        let none: &[String] = &[];
        let mut h = Sha256::new();
        h.update(b"techoms.variant.v1");
        text(&mut h, if f.title { title } else { "" });
        text(
            &mut h,
            if f.description_html {
                description_html
            } else {
                ""
            },
        );
        text(&mut h, if f.vendor { vendor } else { "" });
        text(&mut h, if f.product_type { product_type } else { "" });
        let mut sorted = if f.tags { tags.to_vec() } else { Vec::new() };
        sorted.sort();
        list(&mut h, &sorted);
        let status = if f.status {
            status
        } else {
            ProductStatus::Active
        };
        text(&mut h, status.as_str());
        list(&mut h, if f.options { options } else { none });
        list(&mut h, if f.images { images } else { none });
        Self { h, fields }
    }

    pub fn of_export(p: &ExportProduct) -> Self {
        Self::of_export_for(Fields::ALL, p)
    }

    pub fn of_export_for(fields: Fields, p: &ExportProduct) -> Self {
        Self::for_channel(
            fields,
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
        Self::of_remote_for(Fields::ALL, p)
    }

    /// What a read from a channel holding `fields` hashes to: equal to
    /// [`Self::of_export_for`] of the same content with the same fields.
    pub fn of_remote_for(fields: Fields, p: &RemoteProduct) -> Self {
        Self::for_channel(
            fields,
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
        let f = &self.fields;
        let mut h = self.h.clone();
        text(&mut h, v.sku.trim());
        list(
            &mut h,
            if f.option_values {
                v.option_values
            } else {
                &[]
            },
        );
        opt_text(&mut h, v.barcode.filter(|_| f.barcode));
        dec(&mut h, v.price.filter(|_| f.price));
        dec(&mut h, v.compare_at_price.filter(|_| f.compare_at_price));
        dec(&mut h, v.cost.filter(|_| f.cost));
        dec(&mut h, v.weight.filter(|_| f.weight).map(|w| w.grams()));
        let dim = |l: Option<Length>| l.filter(|_| f.dimensions).map(|l| l.mm());
        dec(&mut h, dim(v.length));
        dec(&mut h, dim(v.width));
        dec(&mut h, dim(v.height));
        let status = match f.variant_status {
            true => v.status,
            false => VariantStatus::Active,
        };
        text(&mut h, status.as_str());
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

    #[test]
    fn fields_a_channel_does_not_hold_do_not_count() {
        let narrow = Fields {
            title: true,
            weight: true,
            ..Fields::NONE
        };
        let of = |f: Fields, title: &str, description: &str| {
            ProductHasher::for_channel(
                f,
                title,
                description,
                "V",
                "",
                &[],
                ProductStatus::Draft,
                &[],
                &[],
            )
        };
        let a = of(narrow, "T", "one").variant(&fields("A-1", Decimal::ONE));
        // Description, vendor, status and price are not held: no difference.
        assert_eq!(
            a,
            of(narrow, "T", "two").variant(&fields("A-1", Decimal::TWO))
        );
        // Title and SKU are.
        assert_ne!(
            a,
            of(narrow, "U", "one").variant(&fields("A-1", Decimal::ONE))
        );
        assert_ne!(
            a,
            of(narrow, "T", "one").variant(&fields("A-2", Decimal::ONE))
        );
        // Every field held: the same hash as without a field set.
        assert_eq!(
            of(Fields::ALL, "T", "one").variant(&fields("A-1", Decimal::ONE)),
            ProductHasher::new("T", "one", "V", "", &[], ProductStatus::Draft, &[], &[])
                .variant(&fields("A-1", Decimal::ONE))
        );
    }
}
