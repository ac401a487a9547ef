//! Response shapes shared by the handlers: HAL JSON, Extensiv's exception bodies
//! (Newtonsoft `$type` + PascalCase members, per the Rels "exceptions" page) and query-string
//! encoding.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub const HAL_JSON: &str = "application/hal+json; charset=utf-8";

/// The rel under which a customer's items are embedded in a list (note the capital C).
pub const ITEM_REL: &str = "http://api.3plCentral.com/rels/customers/item";

const MODEL_VALIDATION_TYPE: &str =
    "WMS.V2.Generic.Models.Exceptions.ModelValidationException, WMS.V2.Generic.Models";
const QUERY_PARAMETER_TYPE: &str =
    "WMS.V2.Generic.Models.Exceptions.QueryParameterException, WMS.V2.Generic.Models";

pub fn hal(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(HAL_JSON));
    resp
}

pub fn hal_with_etag(status: StatusCode, body: &Value, etag: &str) -> Response {
    let mut resp = hal(status, body);
    if let Ok(v) = HeaderValue::from_str(etag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

pub fn empty(status: StatusCode) -> Response {
    status.into_response()
}

/// A 401 for a missing, unknown, expired or revoked bearer token (the body is empty).
pub fn unauthorized() -> Response {
    let mut resp = StatusCode::UNAUTHORIZED.into_response();
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    resp
}

/// 400 ModelValidationException: `code` is one of Required, DoesNotExist, Duplicate,
/// Incompatible, ValueNotSupported.
pub fn model_validation(code: &str, property: &str, value: &Value, hint: &str) -> Response {
    hal(
        StatusCode::BAD_REQUEST,
        &json!({
            "$type": MODEL_VALIDATION_TYPE,
            "ModelType": 0,
            "Properties": [{"Name": property, "Value": value}],
            "ErrorCode": code,
            "Hint": hint,
        }),
    )
}

/// 400 QueryParameterException (`NotParsable`, `Required`, `DoesNotExist`).
pub fn query_parameter(parameter: &str, code: &str, hint: &str) -> Response {
    hal(
        StatusCode::BAD_REQUEST,
        &json!({
            "$type": QUERY_PARAMETER_TYPE,
            "Parameters": [parameter],
            "ErrorCode": code,
            "Hint": hint,
        }),
    )
}

/// The 5xx the documentation describes: a plain-text body.
pub fn server_error(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, "An unexpected error occurred.").into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

pub fn throttled(retry_after: Option<&str>) -> Response {
    let mut resp = (StatusCode::TOO_MANY_REQUESTS, "Too many requests").into_response();
    if let Some(v) = retry_after.and_then(|v| HeaderValue::from_str(v).ok()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// A header's value as text, if present and readable.
pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Decode an `application/x-www-form-urlencoded` query string.
pub fn decode_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(k), decode_component(v))
        })
        .collect()
}

fn decode_component(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => match s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                Some(b) => {
                    out.push(b);
                    i += 3;
                }
                None => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encode a query component (everything but unreserved characters).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_round_trip() {
        let q = format!("rql={}&pgnum=2", encode_component("sku==a%2Cb;x==y z"));
        assert_eq!(
            decode_query(&q),
            vec![
                ("rql".to_string(), "sku==a%2Cb;x==y z".to_string()),
                ("pgnum".to_string(), "2".to_string())
            ]
        );
        assert_eq!(decode_query("a=b+c"), vec![("a".into(), "b c".into())]);
    }
}
