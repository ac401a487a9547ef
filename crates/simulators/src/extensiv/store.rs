//! Item mutations shared by the HTTP handlers and the Rust handle: create, replace (PUT),
//! out-of-band edits. SKUs are unique per customer, compared trimmed and case-insensitively.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::faults::OobAction;
use super::item::{self, Stamp};
use super::state::{Inner, StoredItem, sku_key};

/// Why a write was refused; becomes a 400 ModelValidationException.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    Required(&'static str),
    Duplicate(String),
    NotSupported {
        property: &'static str,
        value: Value,
        hint: String,
    },
}

impl Refusal {
    pub fn response(&self) -> axum::response::Response {
        use super::http::model_validation;
        match self {
            Refusal::Required(name) => model_validation(
                "Required",
                name,
                &Value::Null,
                &format!("{name} is required"),
            ),
            Refusal::Duplicate(sku) => model_validation(
                "Duplicate",
                "Sku",
                &Value::String(sku.clone()),
                &format!("An item with SKU '{sku}' already exists for this customer"),
            ),
            Refusal::NotSupported {
                property,
                value,
                hint,
            } => model_validation("ValueNotSupported", property, value, hint),
        }
    }
}

fn non_empty_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The SKU of a write body, required.
pub fn body_sku(body: &Value) -> Result<String, Refusal> {
    if !body.is_object() {
        return Err(Refusal::NotSupported {
            property: "Body",
            value: Value::Null,
            hint: "The body must be a single item object".into(),
        });
    }
    non_empty_str(body, "sku")
        .map(str::to_string)
        .ok_or(Refusal::Required("Sku"))
}

/// What every item write must carry besides the SKU.
fn validate(body: &Value) -> Result<(), Refusal> {
    if non_empty_str(body, "description").is_none() {
        return Err(Refusal::Required("Description"));
    }
    let unit = body
        .get("options")
        .and_then(|o| o.get("inventoryUnit"))
        .and_then(|u| u.get("unitIdentifier"));
    let has_unit = unit.is_some_and(|u| {
        non_empty_str(u, "name").is_some() || u.get("id").is_some_and(Value::is_number)
    });
    if !has_unit {
        return Err(Refusal::Required("Options.InventoryUnit.UnitIdentifier"));
    }
    Ok(())
}

/// Create an item for a customer. Returns its id.
pub fn create(
    g: &mut Inner,
    customer_id: u64,
    body: &Value,
    now: DateTime<Utc>,
) -> Result<u64, Refusal> {
    let sku = body_sku(body)?;
    validate(body)?;
    let key = sku_key(&sku);
    let Some(customer) = g.customers.get(&customer_id) else {
        return Err(Refusal::Required("CustomerIdentifier"));
    };
    if customer.sku_index.contains_key(&key) {
        return Err(Refusal::Duplicate(sku));
    }
    let item_id = g.next_item;
    g.next_item += 1;
    let rowversion = g.next_rowversion();
    let Some(customer) = g.customers.get_mut(&customer_id) else {
        return Err(Refusal::Required("CustomerIdentifier"));
    };
    let value = item::create(
        body,
        &Stamp {
            customer_id,
            customer_name: &customer.name,
            item_id,
            rowversion,
        },
        now,
    );
    customer
        .items
        .insert(item_id, StoredItem { value, rowversion });
    customer.sku_index.insert(key, item_id);
    g.stats.creates += 1;
    Ok(item_id)
}

/// Replace an item's writable members (PUT). The caller has checked `If-Match`.
pub fn replace(
    g: &mut Inner,
    customer_id: u64,
    item_id: u64,
    body: &Value,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    let sku = body_sku(body)?;
    validate(body)?;
    let key = sku_key(&sku);
    let Some(customer) = g.customers.get(&customer_id) else {
        return Err(Refusal::Required("CustomerIdentifier"));
    };
    if customer
        .sku_index
        .get(&key)
        .is_some_and(|id| *id != item_id)
    {
        return Err(Refusal::Duplicate(sku));
    }
    let rowversion = g.next_rowversion();
    let Some(customer) = g.customers.get_mut(&customer_id) else {
        return Err(Refusal::Required("CustomerIdentifier"));
    };
    let Some(stored) = customer.items.get_mut(&item_id) else {
        return Err(Refusal::Required("ItemIdentifier"));
    };
    let old_key = stored.value.get("sku").and_then(Value::as_str).map(sku_key);
    stored.value = item::replace(&stored.value, body, rowversion, now);
    stored.rowversion = rowversion;
    if let Some(old) = old_key.filter(|o| *o != key) {
        customer.sku_index.remove(&old);
        customer.sku_index.insert(key, item_id);
    }
    g.stats.updates += 1;
    Ok(())
}

/// An out-of-band edit (a merchant in the UI, another integration): merge `patch`, always bump
/// the row version, and bump `lastModifiedDate` unless `silent`.
pub fn edit(
    g: &mut Inner,
    customer_id: u64,
    item_id: u64,
    patch: &Value,
    now: DateTime<Utc>,
    silent: bool,
) -> bool {
    let rowversion = g.next_rowversion();
    let Some(customer) = g.customers.get_mut(&customer_id) else {
        return false;
    };
    let Some(stored) = customer.items.get_mut(&item_id) else {
        return false;
    };
    let old_key = stored.value.get("sku").and_then(Value::as_str).map(sku_key);
    item::merge_patch(&mut stored.value, patch);
    item::touch(&mut stored.value, rowversion, (!silent).then_some(now));
    stored.rowversion = rowversion;
    let new_key = stored.value.get("sku").and_then(Value::as_str).map(sku_key);
    if old_key != new_key {
        if let Some(old) = old_key {
            customer.sku_index.remove(&old);
        }
        if let Some(new) = new_key {
            customer.sku_index.insert(new, item_id);
        }
    }
    true
}

pub fn find_by_sku(g: &Inner, customer_id: u64, sku: &str) -> Option<u64> {
    g.customers
        .get(&customer_id)?
        .sku_index
        .get(&sku_key(sku))
        .copied()
}

/// Carry out an action scheduled to happen just before a write of `sku`.
pub fn apply_oob(
    g: &mut Inner,
    customer_id: u64,
    sku: &str,
    action: &OobAction,
    now: DateTime<Utc>,
) {
    match action {
        OobAction::Edit { patch } => {
            if let Some(id) = find_by_sku(g, customer_id, sku) {
                edit(g, customer_id, id, patch, now, false);
            }
        }
        OobAction::Create { item } => {
            // A refusal (say, the SKU exists already) leaves things as they are, as it would
            // for the other writer.
            let _ = create(g, customer_id, item, now);
        }
    }
}
