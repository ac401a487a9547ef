//! JSON helpers: exact decimals on the wire and tolerant reading.
//!
//! serde_json (without `arbitrary_precision`) holds numbers as f64, so money and measurements
//! would pass through binary floating point on their way out. Instead, decimals are placed in
//! a body as marker strings and [`to_string`] writes them as bare JSON numbers, digit for digit.
//! Reading goes the other way through the number's shortest round-trip text, which gives back
//! the decimal the server wrote.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// Control characters that no typed text contains; a string is only taken for a decimal when
/// what follows the marker also parses as one.
const DECIMAL_MARK: &str = "\u{1}\u{2}techoms-exact-decimal\u{3}";

/// A decimal to put into a JSON body built with `serde_json::Value`.
pub(crate) fn decimal(d: Decimal) -> Value {
    Value::String(format!("{DECIMAL_MARK}{}", d.normalize()))
}

/// Serialize, writing decimal markers as JSON numbers.
pub(crate) fn to_string(v: &Value) -> String {
    let mut out = String::new();
    write(v, &mut out);
    out
}

fn write(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => match s
            .strip_prefix(DECIMAL_MARK)
            .filter(|d| Decimal::from_str(d).is_ok())
        {
            Some(digits) => out.push_str(digits),
            None => out.push_str(&Value::String(s.clone()).to_string()),
        },
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write(item, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// A decimal from a JSON number, a numeric string or a decimal marker.
pub(crate) fn decimal_of(v: &Value) -> Option<Decimal> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.strip_prefix(DECIMAL_MARK).unwrap_or(s).trim().to_string(),
        _ => return None,
    };
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}

/// Some responses (and one published client's mock) use PascalCase member names
/// (`ResourceList`, `ReadOnly`, `ItemId`); the documented HAL form is camelCase. Lower the first
/// letter of every member name so one reader handles both.
pub(crate) fn camel_case_keys(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (lower_first(&k), camel_case_keys(v)))
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(camel_case_keys).collect()),
        other => other,
    }
}

fn lower_first(k: &str) -> String {
    let mut chars = k.chars();
    match chars.next() {
        Some(c) if c.is_ascii_uppercase() => {
            let mut s = c.to_ascii_lowercase().to_string();
            s.push_str(chars.as_str());
            s
        }
        _ => k.to_string(),
    }
}

/// A member by name, ignoring case (for bodies whose casing is not documented).
pub(crate) fn get_ci<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decimals_are_written_digit_for_digit() {
        let d = Decimal::from_str("0.1000000000000000000000000001").unwrap();
        let body = json!({"price": decimal(d), "name": "a \"b\"", "n": [1, null, true]});
        let text = to_string(&body);
        assert_eq!(
            text,
            r#"{"n":[1,null,true],"name":"a \"b\"","price":0.1000000000000000000000000001}"#
        );
        let not_a_number = Value::String(format!("{DECIMAL_MARK}abc"));
        assert!(to_string(&json!({"s": not_a_number})).contains("abc\""));
        assert_eq!(decimal_of(&json!(9.99)), Some(Decimal::new(999, 2)));
        assert_eq!(decimal_of(&json!("12.50")), Some(Decimal::new(1250, 2)));
        assert_eq!(
            decimal_of(&decimal(Decimal::new(5, 1))),
            Some(Decimal::new(5, 1))
        );
        assert_eq!(decimal_of(&json!(1e-7)), Some(Decimal::new(1, 7)));
    }

    #[test]
    fn pascal_case_is_lowered() {
        let v = camel_case_keys(
            json!({"ResourceList": [{"ReadOnly": {"LastModifiedDate": "x"}, "SKU": 1}]}),
        );
        assert_eq!(
            v,
            json!({"resourceList": [{"readOnly": {"lastModifiedDate": "x"}, "sKU": 1}]})
        );
    }
}
