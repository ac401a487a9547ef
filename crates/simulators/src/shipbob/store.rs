//! One merchant's catalog as ShipBob's dated (2025-07+) product API models it: a product is a
//! container, each variant carries a SKU that is unique across the merchant's catalog.
//! Weights are held in ounces and lengths in inches, ShipBob's fixed units.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dimension {
    pub length: Decimal,
    pub width: Decimal,
    pub height: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    pub id: u64,
    pub sku: String,
    pub name: String,
    pub active: bool,
    pub weight_oz: Decimal,
    pub dimension_in: Dimension,
    pub barcodes: Vec<String>,
    pub upc: Option<String>,
    pub gtin: Option<String>,
    pub inventory_id: u64,
    pub created_on: DateTime<Utc>,
    pub updated_on: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: u64,
    pub name: String,
    pub created_on: DateTime<Utc>,
    pub updated_on: DateTime<Utc>,
    pub variants: Vec<Variant>,
}

impl Product {
    /// The instant `LastUpdatedTimestamp` compares with: the product's own stamp, which every
    /// API write to the product or one of its variants moves.
    pub fn last_updated(&self) -> DateTime<Utc> {
        self.updated_on
    }
}

/// A variant as a create or update request describes it; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VariantInput {
    pub id: Option<u64>,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub active: Option<bool>,
    pub weight_oz: Option<Decimal>,
    pub length: Option<Decimal>,
    pub width: Option<Decimal>,
    pub height: Option<Decimal>,
    pub barcodes: Option<Vec<String>>,
    pub upc: Option<Option<String>>,
    pub gtin: Option<Option<String>>,
}

/// A product create or update request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductInput {
    pub name: Option<String>,
    pub variants: Vec<VariantInput>,
}

/// Why an operation was refused; rendered as ShipBob's error bodies by `views`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpError {
    NotFound,
    /// 400: field → messages.
    Invalid(Vec<(String, String)>),
    /// 422: a SKU that already exists (ShipBob's "duplicate" status).
    Duplicate(Vec<(String, String)>),
}

/// Comparison key of a SKU: ShipBob treats SKUs that differ only in case or surrounding
/// spaces as the same item, so uniqueness and lookups use this.
pub fn sku_key(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Ids come from one sequence per server, as from one database, so they are deterministic
/// for a given sequence of calls and never collide across merchants.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdGen {
    next_product: u64,
    next_variant: u64,
    next_inventory: u64,
}

impl Default for IdGen {
    fn default() -> Self {
        Self {
            next_product: 1_000_001,
            next_variant: 5_000_001,
            next_inventory: 9_000_001,
        }
    }
}

impl IdGen {
    fn product(&mut self) -> u64 {
        let id = self.next_product;
        self.next_product += 1;
        id
    }
    fn variant(&mut self) -> (u64, u64) {
        let v = self.next_variant;
        let i = self.next_inventory;
        self.next_variant += 1;
        self.next_inventory += 1;
        (v, i)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub products: BTreeMap<u64, Product>,
    /// SKU key → (product id, variant id), so that uniqueness checks and SKU lookups stay
    /// cheap in catalogs of 100,000 items.
    skus: HashMap<String, (u64, u64)>,
}

impl Catalog {
    /// A catalog holding `products`, with its SKU index rebuilt (a restored snapshot).
    pub fn from_products(products: impl IntoIterator<Item = Product>) -> Self {
        let mut c = Catalog::default();
        for p in products {
            for v in &p.variants {
                c.skus.insert(sku_key(&v.sku), (p.id, v.id));
            }
            c.products.insert(p.id, p);
        }
        c
    }

    pub fn variant_count(&self) -> usize {
        self.products.values().map(|p| p.variants.len()).sum()
    }

    /// The product and variant holding this SKU (compared by key).
    pub fn find_sku(&self, sku: &str) -> Option<(&Product, &Variant)> {
        let (pid, vid) = self.skus.get(&sku_key(sku))?;
        let p = self.products.get(pid)?;
        p.variants.iter().find(|v| v.id == *vid).map(|v| (p, v))
    }

    fn sku_taken(&self, key: &str, except_variant: Option<u64>) -> bool {
        self.skus
            .get(key)
            .is_some_and(|(_, vid)| Some(*vid) != except_variant)
    }

    /// `POST /{v}/product`.
    pub fn create_product(
        &mut self,
        ids: &mut IdGen,
        input: ProductInput,
        now: DateTime<Utc>,
    ) -> Result<u64, OpError> {
        let name = input.name.as_deref().map(str::trim).unwrap_or_default();
        let mut errors = Vec::new();
        if name.is_empty() {
            errors.push(("Name".to_owned(), "The Name field is required.".to_owned()));
        }
        if input.variants.is_empty() {
            errors.push((
                "Variants".to_owned(),
                "At least one variant is required.".to_owned(),
            ));
        }
        if !errors.is_empty() {
            return Err(OpError::Invalid(errors));
        }
        self.check_new_variants(&input.variants)?;
        let id = ids.product();
        let variants: Vec<Variant> = input
            .variants
            .into_iter()
            .map(|v| new_variant(ids, v, name, now))
            .collect();
        for v in &variants {
            self.skus.insert(sku_key(&v.sku), (id, v.id));
        }
        self.products.insert(
            id,
            Product {
                id,
                name: name.to_owned(),
                created_on: now,
                updated_on: now,
                variants,
            },
        );
        Ok(id)
    }

    /// `POST /{v}/product/{id}/variants`.
    pub fn add_variants(
        &mut self,
        ids: &mut IdGen,
        product_id: u64,
        variants: Vec<VariantInput>,
        now: DateTime<Utc>,
    ) -> Result<(), OpError> {
        if !self.products.contains_key(&product_id) {
            return Err(OpError::NotFound);
        }
        if variants.is_empty() {
            return Err(OpError::Invalid(vec![(
                String::new(),
                "At least one variant is required.".to_owned(),
            )]));
        }
        self.check_new_variants(&variants)?;
        let Some(product) = self.products.get_mut(&product_id) else {
            return Err(OpError::NotFound);
        };
        let name = product.name.clone();
        for v in variants {
            let v = new_variant(ids, v, &name, now);
            self.skus.insert(sku_key(&v.sku), (product_id, v.id));
            product.variants.push(v);
        }
        product.updated_on = now;
        Ok(())
    }

    /// `PATCH /{v}/product/{id}`: a merge patch; variants are addressed by id.
    pub fn patch_product(
        &mut self,
        product_id: u64,
        input: ProductInput,
        now: DateTime<Utc>,
    ) -> Result<(), OpError> {
        let Some(product) = self.products.get(&product_id) else {
            return Err(OpError::NotFound);
        };
        let mut errors = Vec::new();
        if input.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            errors.push((
                "Name".to_owned(),
                "The Name field must not be empty.".to_owned(),
            ));
        }
        let mut seen = Vec::new();
        for (i, v) in input.variants.iter().enumerate() {
            let field = format!("Variants[{i}]");
            match v.id {
                None => errors.push((
                    format!("{field}.Id"),
                    "The variant id is required to update a variant.".to_owned(),
                )),
                Some(id) if !product.variants.iter().any(|pv| pv.id == id) => errors.push((
                    format!("{field}.Id"),
                    format!("Variant {id} does not belong to product {product_id}."),
                )),
                Some(_) => {}
            }
            errors.extend(field_errors(v, &field));
            if let Some(sku) = &v.sku {
                let key = sku_key(sku);
                if key.is_empty() {
                    errors.push((
                        format!("{field}.Sku"),
                        "The Sku field is required.".to_owned(),
                    ));
                } else if seen.contains(&key) || self.sku_taken(&key, v.id) {
                    return Err(OpError::Duplicate(vec![(
                        format!("{field}.Sku"),
                        duplicate_message(sku),
                    )]));
                }
                seen.push(key);
            }
        }
        if !errors.is_empty() {
            return Err(OpError::Invalid(errors));
        }
        let Some(product) = self.products.get_mut(&product_id) else {
            return Err(OpError::NotFound);
        };
        if let Some(name) = input.name {
            product.name = name.trim().to_owned();
        }
        for v in input.variants {
            if let Some(target) = product.variants.iter_mut().find(|pv| Some(pv.id) == v.id) {
                let old_key = sku_key(&target.sku);
                apply(target, v);
                target.updated_on = now;
                let new_key = sku_key(&target.sku);
                if new_key != old_key {
                    self.skus.remove(&old_key);
                    self.skus.insert(new_key, (product_id, target.id));
                }
            }
        }
        product.updated_on = now;
        Ok(())
    }

    /// SKU rules for variants about to be created: present, unique in the request and in the
    /// catalog, and field values in range.
    fn check_new_variants(&self, variants: &[VariantInput]) -> Result<(), OpError> {
        let mut errors = Vec::new();
        let mut seen = Vec::new();
        for (i, v) in variants.iter().enumerate() {
            let field = format!("Variants[{i}]");
            errors.extend(field_errors(v, &field));
            let key = v.sku.as_deref().map(sku_key).unwrap_or_default();
            if key.is_empty() {
                errors.push((
                    format!("{field}.Sku"),
                    "The Sku field is required.".to_owned(),
                ));
                continue;
            }
            if seen.contains(&key) || self.sku_taken(&key, None) {
                let sku = v.sku.as_deref().unwrap_or_default();
                return Err(OpError::Duplicate(vec![(
                    format!("{field}.Sku"),
                    duplicate_message(sku),
                )]));
            }
            seen.push(key);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(OpError::Invalid(errors))
        }
    }
}

pub fn duplicate_message(sku: &str) -> String {
    format!(
        "A product variant with SKU '{}' already exists.",
        sku.trim()
    )
}

fn field_errors(v: &VariantInput, field: &str) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    if v.weight_oz
        .is_some_and(|w| w.is_sign_negative() && !w.is_zero())
    {
        errors.push((
            format!("{field}.Weight"),
            "Weight must be 0 or greater.".to_owned(),
        ));
    }
    for (name, value) in [
        ("Length", v.length),
        ("Width", v.width),
        ("Height", v.height),
    ] {
        if value.is_some_and(|d| d.is_sign_negative() && !d.is_zero()) {
            errors.push((
                format!("{field}.Dimension.{name}"),
                format!("{name} must be 0 or greater."),
            ));
        }
    }
    errors
}

fn new_variant(
    ids: &mut IdGen,
    input: VariantInput,
    product_name: &str,
    now: DateTime<Utc>,
) -> Variant {
    let (id, inventory_id) = ids.variant();
    let mut v = Variant {
        id,
        sku: String::new(),
        name: product_name.to_owned(),
        active: true,
        weight_oz: Decimal::ZERO,
        dimension_in: Dimension::default(),
        barcodes: Vec::new(),
        upc: None,
        gtin: None,
        inventory_id,
        created_on: now,
        updated_on: now,
    };
    apply(&mut v, input);
    v
}

fn apply(v: &mut Variant, input: VariantInput) {
    if let Some(sku) = input.sku {
        v.sku = sku.trim().to_owned();
    }
    if let Some(name) = input.name {
        v.name = name;
    }
    if let Some(active) = input.active {
        v.active = active;
    }
    if let Some(w) = input.weight_oz {
        v.weight_oz = w;
    }
    if let Some(l) = input.length {
        v.dimension_in.length = l;
    }
    if let Some(w) = input.width {
        v.dimension_in.width = w;
    }
    if let Some(h) = input.height {
        v.dimension_in.height = h;
    }
    if let Some(b) = input.barcodes {
        v.barcodes = b;
    }
    if let Some(u) = input.upc {
        v.upc = u;
    }
    if let Some(g) = input.gtin {
        v.gtin = g;
    }
}
