//! Response bodies in ShipBob's documented shapes: `ProductViewModelV5` with its variants, the
//! paged wrapper `{first, items, last, next, prev}`, ASP.NET problem details for 400/404/422/5xx
//! and the rate limiter's `{statusCode, message}` 429 body.

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value, json};

use super::store::{Product, Variant};

/// A decimal as a JSON number, the way .NET writes a double: integers without a fraction,
/// others in the shortest form that reads back to the same value.
pub fn number(d: Decimal) -> Value {
    let d = d.normalize();
    if d.fract().is_zero()
        && let Some(i) = d.to_i64()
    {
        return Value::from(i);
    }
    d.to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub fn product(p: &Product, user_id: u64) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "type": "Regular",
        "taxonomy": Value::Null,
        "user_id": user_id,
        "created_on": timestamp(p.created_on),
        "updated_on": timestamp(p.updated_on),
        "variants": p.variants.iter().map(variant).collect::<Vec<_>>(),
    })
}

pub fn variant(v: &Variant) -> Value {
    json!({
        "id": v.id,
        "sku": v.sku,
        "name": v.name,
        "status": if v.active { "Active" } else { "Inactive" },
        "barcodes": v.barcodes.iter().map(|b| json!({"value": b, "sticker_url": Value::Null})).collect::<Vec<_>>(),
        "upc": v.upc,
        "gtin": v.gtin,
        "is_digital": false,
        "weight": { "weight": number(v.weight_oz), "unit": "oz" },
        "dimension": {
            "length": number(v.dimension_in.length),
            "width": number(v.dimension_in.width),
            "height": number(v.dimension_in.height),
            "unit": "in",
            "is_locked": false,
            "source": "User",
        },
        "inventory": { "inventory_id": v.inventory_id, "on_hand_qty": 0 },
        "channel_metadata": [],
        "created_on": timestamp(v.created_on),
        "updated_on": timestamp(v.updated_on),
    })
}

pub fn paged(
    items: Vec<Value>,
    first: Option<String>,
    last: Option<String>,
    next: Option<String>,
    prev: Option<String>,
) -> Value {
    json!({ "first": first, "items": items, "last": last, "next": next, "prev": prev })
}

/// A deterministic W3C-style trace id for request number `seq`.
pub fn trace_id(seq: u64) -> String {
    format!("00-{seq:032x}-{seq:016x}-00")
}

/// ASP.NET validation problem details (400 and 422).
pub fn validation_problem(status: u16, errors: &[(String, String)], seq: u64) -> Value {
    let mut map = Map::new();
    for (field, message) in errors {
        let entry = map
            .entry(field.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            list.push(Value::String(message.clone()));
        }
    }
    let kind = if status == 422 {
        "https://tools.ietf.org/html/rfc4918#section-11.2"
    } else {
        "https://tools.ietf.org/html/rfc9110#section-15.5.1"
    };
    json!({
        "type": kind,
        "title": "One or more validation errors occurred.",
        "status": status,
        "errors": map,
        "traceId": trace_id(seq),
    })
}

pub fn not_found(seq: u64) -> Value {
    json!({
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        "title": "Not Found",
        "status": 404,
        "traceId": trace_id(seq),
    })
}

pub fn server_error(status: u16, seq: u64) -> Value {
    json!({
        "type": "https://tools.ietf.org/html/rfc9110#section-15.6.1",
        "title": "An error occurred while processing your request.",
        "status": status,
        "traceId": trace_id(seq),
    })
}

pub fn rate_limited(retry_after_secs: u64) -> Value {
    json!({
        "statusCode": 429,
        "message": format!("Rate limit is exceeded. Try again in {retry_after_secs} seconds."),
    })
}
