//! Row types shared by both backends and their conversion into domain types. Every field type
//! here decodes on SQLite and on PostgreSQL, which is what lets one `FromRow` serve both.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::types::Json;
use techoms_domain::{
    Account, AccountCode, Channel, Currency, Length, Organization, Product, Sku, Variant, Weight,
};
use uuid::Uuid;

use crate::error::{DbError, DbResult};

pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> DbError {
    DbError::Corrupt(format!("{what}: {e}"))
}

pub(crate) fn parse<T: FromStr>(what: &str, s: &str) -> DbResult<T>
where
    T::Err: std::fmt::Display,
{
    s.parse::<T>().map_err(|e| corrupt(what, e))
}

pub(crate) fn dec(what: &str, s: Option<String>) -> DbResult<Option<Decimal>> {
    s.map(|v| Decimal::from_str(&v).map_err(|e| corrupt(what, e)))
        .transpose()
}

pub(crate) fn dec_text(d: Option<Decimal>) -> Option<String> {
    d.map(|d| d.normalize().to_string())
}

#[derive(sqlx::FromRow)]
pub(crate) struct OrganizationRow {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<OrganizationRow> for Organization {
    fn from(r: OrganizationRow) -> Self {
        Organization {
            id: r.id.into(),
            name: r.name,
            created_at: r.created_at,
        }
    }
}

/// Column list of the `account` row, for `concat!` into `&'static str` SQL.
macro_rules! account_columns {
    () => {
        "id, organization_id, name, code, timezone, weight_unit, length_unit, currency, enabled, master_product_source, master_product_channel_id, created_at, updated_at"
    };
}
pub(crate) use account_columns;

#[derive(sqlx::FromRow)]
pub(crate) struct AccountRow {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub code: String,
    pub timezone: String,
    pub weight_unit: String,
    pub length_unit: String,
    pub currency: String,
    pub enabled: bool,
    pub master_product_source: String,
    pub master_product_channel_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<AccountRow> for Account {
    type Error = DbError;
    fn try_from(r: AccountRow) -> DbResult<Self> {
        Ok(Account {
            id: r.id.into(),
            organization_id: r.organization_id.into(),
            name: r.name,
            code: AccountCode::from_stored(r.code),
            timezone: r.timezone,
            weight_unit: parse("accounts.weight_unit", &r.weight_unit)?,
            length_unit: parse("accounts.length_unit", &r.length_unit)?,
            currency: Currency::parse(&r.currency).map_err(|e| corrupt("accounts.currency", e))?,
            enabled: r.enabled,
            master_product_source: parse(
                "accounts.master_product_source",
                &r.master_product_source,
            )?,
            master_product_channel_id: r.master_product_channel_id.map(Into::into),
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// Column list of the `channel` row, for `concat!` into `&'static str` SQL.
macro_rules! channel_columns {
    () => {
        "id, account_id, kind, integration, name, enabled, settings, created_at, updated_at"
    };
}
pub(crate) use channel_columns;

#[derive(sqlx::FromRow)]
pub(crate) struct ChannelRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub kind: String,
    pub integration: String,
    pub name: String,
    pub enabled: bool,
    pub settings: Json<std::collections::BTreeMap<String, String>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<ChannelRow> for Channel {
    type Error = DbError;
    fn try_from(r: ChannelRow) -> DbResult<Self> {
        Ok(Channel {
            id: r.id.into(),
            account_id: r.account_id.into(),
            kind: parse("channels.kind", &r.kind)?,
            integration: parse("channels.integration", &r.integration)?,
            name: r.name,
            enabled: r.enabled,
            settings: r.settings.0,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// Column list of the `product` row, for `concat!` into `&'static str` SQL.
macro_rules! product_columns {
    () => {
        "id, account_id, title, description_html, vendor, product_type, tags, status, options, images, created_at, updated_at"
    };
}
pub(crate) use product_columns;

#[derive(sqlx::FromRow)]
pub(crate) struct ProductRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub title: String,
    pub description_html: String,
    pub vendor: String,
    pub product_type: String,
    pub tags: Json<Vec<String>>,
    pub status: String,
    pub options: Json<Vec<String>>,
    pub images: Json<Vec<String>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ProductRow {
    pub fn into_product(self, variants: Vec<Variant>) -> DbResult<Product> {
        Ok(Product {
            id: self.id.into(),
            account_id: self.account_id.into(),
            title: self.title,
            description_html: self.description_html,
            vendor: self.vendor,
            product_type: self.product_type,
            tags: self.tags.0,
            status: parse("products.status", &self.status)?,
            options: self.options.0,
            images: self.images.0,
            variants,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// Column list of the `variant` row, for `concat!` into `&'static str` SQL.
macro_rules! variant_columns {
    () => {
        "id, product_id, sku, position, option_values, barcode, price, compare_at_price, cost, weight_g, length_mm, width_mm, height_mm, status, created_at, updated_at"
    };
}
pub(crate) use variant_columns;

#[derive(sqlx::FromRow)]
pub(crate) struct VariantRow {
    pub id: Uuid,
    pub product_id: Uuid,
    pub sku: String,
    pub position: i32,
    pub option_values: Json<Vec<String>>,
    pub barcode: Option<String>,
    pub price: Option<String>,
    pub compare_at_price: Option<String>,
    pub cost: Option<String>,
    pub weight_g: Option<String>,
    pub length_mm: Option<String>,
    pub width_mm: Option<String>,
    pub height_mm: Option<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<VariantRow> for Variant {
    type Error = DbError;
    fn try_from(r: VariantRow) -> DbResult<Self> {
        Ok(Variant {
            id: r.id.into(),
            product_id: r.product_id.into(),
            sku: Sku::parse(&r.sku).map_err(|e| corrupt("variants.sku", e))?,
            position: r.position,
            option_values: r.option_values.0,
            barcode: r.barcode,
            price: dec("variants.price", r.price)?,
            compare_at_price: dec("variants.compare_at_price", r.compare_at_price)?,
            cost: dec("variants.cost", r.cost)?,
            weight: dec("variants.weight_g", r.weight_g)?.map(Weight::from_grams),
            length: dec("variants.length_mm", r.length_mm)?.map(Length::from_mm),
            width: dec("variants.width_mm", r.width_mm)?.map(Length::from_mm),
            height: dec("variants.height_mm", r.height_mm)?.map(Length::from_mm),
            status: parse("variants.status", &r.status)?,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}
