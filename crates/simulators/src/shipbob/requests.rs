//! Reading request bodies the way ShipBob's (ASP.NET) API binds them: snake_case fields,
//! numbers as JSON numbers, enums as their integer ids, unknown fields ignored. A value of the
//! wrong JSON type is a 400 naming the JSON path, as System.Text.Json reports it.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

use super::store::{OpError, ProductInput, VariantInput};

type Errors = Vec<(String, String)>;

/// Parse a request body; an unreadable body is a 400 like ASP.NET's.
pub fn parse_json(body: &[u8]) -> Result<Value, OpError> {
    if body.is_empty() {
        return Err(OpError::Invalid(vec![(
            String::new(),
            "A non-empty request body is required.".to_owned(),
        )]));
    }
    serde_json::from_slice(body).map_err(|e| {
        OpError::Invalid(vec![(
            "$".to_owned(),
            format!("The request body is not valid JSON: {e}"),
        )])
    })
}

/// `POST /product` and `PATCH /product/{id}` bodies.
pub fn product_input(body: &Value) -> Result<ProductInput, OpError> {
    let Some(obj) = body.as_object() else {
        return Err(type_error("$", "CreateProductRequestModel"));
    };
    let mut errors = Errors::new();
    let name = opt_string(obj.get("name"), "$.name", &mut errors);
    if let Some(t) = obj.get("type_id").filter(|v| !v.is_null()) {
        match enum_id(t) {
            Some(1) => {}
            Some(2) => errors.push((
                "TypeId".to_owned(),
                "Bundle products are not supported by this simulator.".to_owned(),
            )),
            _ => errors.push((
                "$.type_id".to_owned(),
                "The value is not a valid product type id (1 = Regular, 2 = Bundle).".to_owned(),
            )),
        }
    }
    let variants = match obj.get("variants") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| variant_input(v, &format!("$.variants[{i}]"), &mut errors))
            .collect(),
        Some(_) => {
            errors.push(type_error_pair("$.variants", "List`1"));
            Vec::new()
        }
    };
    if errors.is_empty() {
        Ok(ProductInput { name, variants })
    } else {
        Err(OpError::Invalid(errors))
    }
}

/// `POST /product/{id}/variants` body: an array of variants.
pub fn variant_list(body: &Value) -> Result<Vec<VariantInput>, OpError> {
    let Some(items) = body.as_array() else {
        return Err(type_error("$", "List`1"));
    };
    let mut errors = Errors::new();
    let out = items
        .iter()
        .enumerate()
        .map(|(i, v)| variant_input(v, &format!("$[{i}]"), &mut errors))
        .collect();
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(OpError::Invalid(errors))
    }
}

fn variant_input(v: &Value, path: &str, errors: &mut Errors) -> VariantInput {
    let Some(obj) = v.as_object() else {
        errors.push(type_error_pair(path, "VariantRequestModel"));
        return VariantInput::default();
    };
    let mut out = VariantInput {
        id: obj.get("id").filter(|x| !x.is_null()).and_then(|x| {
            let id = x.as_u64();
            if id.is_none() {
                errors.push(type_error_pair(&format!("{path}.id"), "System.Int64"));
            }
            id
        }),
        sku: opt_string(obj.get("sku"), &format!("{path}.sku"), errors),
        name: opt_string(obj.get("name"), &format!("{path}.name"), errors),
        weight_oz: opt_number(obj.get("weight"), &format!("{path}.weight"), errors),
        ..VariantInput::default()
    };
    if let Some(s) = obj.get("status_id").filter(|x| !x.is_null()) {
        match enum_id(s) {
            Some(0) => out.active = Some(true),
            Some(1) => out.active = Some(false),
            _ => errors.push((
                format!("{path}.status_id"),
                "The value is not a valid variant status id (0 = Active, 1 = Inactive).".to_owned(),
            )),
        }
    }
    match obj.get("dimension") {
        None | Some(Value::Null) => {}
        Some(Value::Object(d)) => {
            out.length = opt_number(d.get("length"), &format!("{path}.dimension.length"), errors);
            out.width = opt_number(d.get("width"), &format!("{path}.dimension.width"), errors);
            out.height = opt_number(d.get("height"), &format!("{path}.dimension.height"), errors);
        }
        Some(_) => errors.push(type_error_pair(
            &format!("{path}.dimension"),
            "DimensionRequestModel",
        )),
    }
    match obj.get("barcodes") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            let mut codes = Vec::new();
            for (i, b) in items.iter().enumerate() {
                let p = format!("{path}.barcodes[{i}].value");
                if let Some(value) = b
                    .as_object()
                    .and_then(|o| opt_string(o.get("value"), &p, errors))
                    && !value.trim().is_empty()
                {
                    codes.push(value.trim().to_owned());
                }
            }
            out.barcodes = Some(codes);
        }
        Some(_) => errors.push(type_error_pair(&format!("{path}.barcodes"), "List`1")),
    }
    // The older single `barcode` field is still accepted on create, as in ShipBob's guide.
    if out.barcodes.is_none()
        && let Some(b) = opt_string(obj.get("barcode"), &format!("{path}.barcode"), errors)
    {
        out.barcodes = Some(vec![b.trim().to_owned()]);
    }
    if obj.contains_key("upc") {
        out.upc = Some(opt_string(obj.get("upc"), &format!("{path}.upc"), errors));
    }
    if obj.contains_key("gtin") {
        out.gtin = Some(opt_string(obj.get("gtin"), &format!("{path}.gtin"), errors));
    }
    out
}

fn opt_string(v: Option<&Value>, path: &str, errors: &mut Errors) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.push(type_error_pair(path, "System.String"));
            None
        }
    }
}

fn opt_number(v: Option<&Value>, path: &str, errors: &mut Errors) -> Option<Decimal> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => {
            let text = n.to_string();
            let d = Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text));
            match d {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push(type_error_pair(path, "System.Double"));
                    None
                }
            }
        }
        Some(_) => {
            errors.push(type_error_pair(path, "System.Double"));
            None
        }
    }
}

/// An enum given by its id: a JSON integer or a string holding one.
fn enum_id(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn type_error_pair(path: &str, ty: &str) -> (String, String) {
    (
        path.to_owned(),
        format!("The JSON value could not be converted to {ty}. Path: {path}"),
    )
}

fn type_error(path: &str, ty: &str) -> OpError {
    OpError::Invalid(vec![type_error_pair(path, ty)])
}
