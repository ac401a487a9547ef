//! Turning ShipBob's error answers into text a merchant can act on. ShipBob answers refusals
//! with ASP.NET problem details (`{type, title, status, detail, errors: {field: [messages]}}`),
//! some endpoints with a bare `{field: [messages]}` map, and the rate limiter with
//! `{statusCode, message}`; the text we keep is the channel's own wording.

use serde_json::Value;

const MAX_RAW: usize = 500;

/// The channel's own error text from an error body.
pub fn error_text(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return format!("HTTP {status} with an empty body");
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(v) => from_json(&v).unwrap_or_else(|| truncate(trimmed)),
        Err(_) => truncate(trimmed),
    }
}

fn from_json(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Object(obj) => {
            if let Some(errors) = obj.get("errors").and_then(field_messages) {
                return Some(errors);
            }
            for key in ["message", "Message", "detail", "title"] {
                if let Some(s) = obj
                    .get(key)
                    .and_then(Value::as_str)
                    .filter(|s| !s.trim().is_empty())
                {
                    return Some(s.trim().to_owned());
                }
            }
            // The bare validation map of some endpoints: every value a list of messages.
            field_messages(v)
        }
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(from_json).collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        _ => None,
    }
}

/// `{field: [messages]}` as "field: message; field: message".
fn field_messages(v: &Value) -> Option<String> {
    let obj = v.as_object()?;
    let mut parts = Vec::new();
    for (field, messages) in obj {
        let list: Vec<&str> = match messages {
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            Value::String(s) => vec![s.as_str()],
            _ => return None,
        };
        for m in list {
            if field.is_empty() {
                parts.push(m.trim().to_owned());
            } else {
                parts.push(format!("{field}: {}", m.trim()));
            }
        }
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn truncate(s: &str) -> String {
    if s.chars().count() <= MAX_RAW {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(MAX_RAW).collect();
        format!("{cut}…")
    }
}

pub fn unauthorized_message() -> String {
    "ShipBob did not accept the access token (HTTP 401 Unauthorized): it may have been revoked, \
     expired or mistyped. Create a new personal access token in ShipBob (Integrations > API \
     Tokens) and save it in this channel's credentials."
        .to_owned()
}

pub fn forbidden_message(detail: &str) -> String {
    format!(
        "ShipBob refused access (HTTP 403 Forbidden: {detail}). Check that the token may read and \
         write products, and that the `shipbob_channel_id` setting names a channel of this ShipBob \
         account."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let problem =
            br#"{"type":"x","title":"One or more validation errors occurred.","status":422,
            "errors":{"Variants[0].Sku":["A product variant with SKU 'A-1' already exists."]}}"#;
        assert_eq!(
            error_text(422, problem),
            "Variants[0].Sku: A product variant with SKU 'A-1' already exists."
        );
        assert_eq!(
            error_text(400, br#"{"PageSize":["too big","really"]}"#),
            "PageSize: too big; PageSize: really"
        );
        assert_eq!(
            error_text(429, br#"{"statusCode":429,"message":"Rate limit is exceeded. Try again in 25 seconds."}"#),
            "Rate limit is exceeded. Try again in 25 seconds."
        );
        assert_eq!(
            error_text(404, br#"{"title":"Not Found","status":404}"#),
            "Not Found"
        );
        assert_eq!(error_text(500, b"  "), "HTTP 500 with an empty body");
        assert_eq!(
            error_text(502, b"<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
    }
}
