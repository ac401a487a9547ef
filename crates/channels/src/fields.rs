//! Which catalog fields a channel holds (DESIGN §6: a hub never destroys data because a channel
//! lacks a field).
//!
//! A connector declares the [`RemoteProduct`](crate::RemoteProduct) /
//! [`RemoteVariant`](crate::RemoteVariant) fields its channel really stores. The engine uses
//! the set both ways: an import from a master keeps the catalog's value of every field the
//! master does not hold (its read returns an empty default there, which is not data), and an
//! export's content hash covers only the fields the target holds, so that editing a field a
//! channel cannot store does not write to it. A field a channel only derives from others (a
//! 3PL's product status from its items' statuses, option values parsed from a variant name)
//! is declared not held: reading it back would replace the catalog's value with a lossy copy.

use serde::{Deserialize, Serialize};

/// One flag per field of a remote product and variant (the SKU is always held).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fields {
    pub title: bool,
    pub description_html: bool,
    pub vendor: bool,
    pub product_type: bool,
    pub tags: bool,
    /// The product's status (Active / Draft / Archived).
    pub status: bool,
    pub options: bool,
    pub images: bool,
    pub option_values: bool,
    pub barcode: bool,
    pub price: bool,
    pub compare_at_price: bool,
    pub cost: bool,
    pub weight: bool,
    /// Length, width and height.
    pub dimensions: bool,
    pub variant_status: bool,
}

impl Fields {
    /// Every field: a channel with the full product model.
    pub const ALL: Fields = Fields {
        title: true,
        description_html: true,
        vendor: true,
        product_type: true,
        tags: true,
        status: true,
        options: true,
        images: true,
        option_values: true,
        barcode: true,
        price: true,
        compare_at_price: true,
        cost: true,
        weight: true,
        dimensions: true,
        variant_status: true,
    };

    /// No field but the SKU: the base of a narrow channel's declaration.
    pub const NONE: Fields = Fields {
        title: false,
        description_html: false,
        vendor: false,
        product_type: false,
        tags: false,
        status: false,
        options: false,
        images: false,
        option_values: false,
        barcode: false,
        price: false,
        compare_at_price: false,
        cost: false,
        weight: false,
        dimensions: false,
        variant_status: false,
    };

    /// Whether every field is held.
    pub fn is_all(&self) -> bool {
        *self == Self::ALL
    }
}

impl Default for Fields {
    fn default() -> Self {
        Self::ALL
    }
}
