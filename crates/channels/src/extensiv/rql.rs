//! Building `rql` filters (Extensiv's FIQL dialect: `;` and, `,` or, `==`, `=ge=`, `=in=(…)`).
//! Reserved characters inside a value are percent-encoded here; the query-string encoding then
//! encodes the whole expression once more, which is the double encoding the Rels
//! documentation asks for (the server decodes twice).

use chrono::{DateTime, Utc};

use super::wire::rql_timestamp;

/// Characters the documentation reserves inside values.
const RESERVED: &[char] = &['%', '!', '(', ')', '*', '=', ',', ';'];

pub(crate) fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if RESERVED.contains(&c) {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Items modified at or after `since`.
pub(crate) fn modified_since(since: DateTime<Utc>) -> String {
    format!("readOnly.lastModifiedDate=ge={}", rql_timestamp(since))
}

/// Items with one of these SKUs.
pub(crate) fn sku_in(skus: &[String]) -> String {
    match skus {
        [one] => format!("sku=={}", escape(one)),
        many => format!(
            "sku=in=({})",
            many.iter().map(|s| escape(s)).collect::<Vec<_>>().join(",")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn filters() {
        let t = Utc.with_ymd_and_hms(2024, 5, 1, 8, 30, 0).unwrap();
        assert_eq!(
            modified_since(t),
            "readOnly.lastModifiedDate=ge=2024-05-01T08:30:00"
        );
        assert_eq!(sku_in(&["A-1".into()]), "sku==A-1");
        assert_eq!(
            sku_in(&["A,1".into(), "B;(2)*".into(), "50%".into()]),
            "sku=in=(A%2C1,B%3B%282%29%2A,50%25)"
        );
    }
}
