//! A small, real parser and evaluator for the Resource Query Language (RQL, a FIQL dialect)
//! that Extensiv's list endpoints accept in their `rql` parameter.
//!
//! Grammar, as the Rels documentation describes it:
//! - comparisons `selector op value`, with `op` one of `==`, `!=`, `=gt=`, `=ge=`, `=lt=`,
//!   `=le=`, `=in=(a,b)`, `=out=(a,b)`, `=hv=true|false`;
//! - `;` is AND, `,` is OR, `;` binds tighter, parentheses group;
//! - selectors are the model's property names, dotted for nesting, compared case-insensitively;
//! - string values compare case-insensitively and `==`/`!=` accept `*` wildcards at either end;
//! - reserved characters inside a value (`% ! ( ) * = , ;`) arrive percent-encoded once more
//!   than the query string itself, so each value is percent-decoded again after splitting.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

/// Why an expression was refused; the text becomes the `Hint` of a QueryParameterException.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RqlError(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    In,
    Out,
    Hv,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Cmp {
        property: Property,
        op: Op,
        values: Vec<String>,
    },
}

/// How a property's values are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Bool,
    Date,
}

/// A property of the item model that filters and sorts may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// The JSON path in the item as served (camelCase segments).
    pub path: &'static [&'static str],
    pub kind: Kind,
}

/// The item properties this simulator lets a filter or sort name (lower-cased dotted path,
/// JSON path, kind). Anything else is refused as the real API refuses unknown properties.
const ITEM_PROPERTIES: &[(&str, &[&str], Kind)] = &[
    ("itemid", &["itemId"], Kind::Number),
    ("sku", &["sku"], Kind::Text),
    ("upc", &["upc"], Kind::Text),
    ("description", &["description"], Kind::Text),
    ("description2", &["description2"], Kind::Text),
    ("inventorycategory", &["inventoryCategory"], Kind::Text),
    (
        "countryofmanufacture",
        &["countryOfManufacture"],
        Kind::Text,
    ),
    ("cost", &["cost"], Kind::Number),
    ("price", &["price"], Kind::Number),
    ("readonly.itemid", &["readOnly", "itemId"], Kind::Number),
    (
        "readonly.creationdate",
        &["readOnly", "creationDate"],
        Kind::Date,
    ),
    (
        "readonly.lastmodifieddate",
        &["readOnly", "lastModifiedDate"],
        Kind::Date,
    ),
    (
        "readonly.deactivated",
        &["readOnly", "deactivated"],
        Kind::Bool,
    ),
];

/// Resolve a selector of the item model, case-insensitively.
pub fn item_property(selector: &str) -> Option<Property> {
    let key = selector.to_ascii_lowercase();
    ITEM_PROPERTIES
        .iter()
        .find(|(name, _, _)| *name == key)
        .map(|(_, path, kind)| Property { path, kind: *kind })
}

/// Parse an `rql` expression against the item model.
pub fn parse(input: &str) -> Result<Node, RqlError> {
    let mut p = Parser {
        chars: input.chars().collect(),
        pos: 0,
    };
    let node = p.or_expr()?;
    if p.pos != p.chars.len() {
        return Err(RqlError(format!(
            "Unexpected character '{}' at position {}",
            p.chars[p.pos], p.pos
        )));
    }
    Ok(node)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn or_expr(&mut self) -> Result<Node, RqlError> {
        let mut terms = vec![self.and_expr()?];
        while self.peek() == Some(',') {
            self.pos += 1;
            terms.push(self.and_expr()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Node::Or(terms)
        })
    }

    fn and_expr(&mut self) -> Result<Node, RqlError> {
        let mut terms = vec![self.term()?];
        while self.peek() == Some(';') {
            self.pos += 1;
            terms.push(self.term()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Node::And(terms)
        })
    }

    fn term(&mut self) -> Result<Node, RqlError> {
        if self.peek() == Some('(') {
            self.pos += 1;
            let inner = self.or_expr()?;
            if self.peek() != Some(')') {
                return Err(RqlError(format!("Missing ')' at position {}", self.pos)));
            }
            self.pos += 1;
            return Ok(inner);
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Node, RqlError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                self.pos += 1;
            } else {
                break;
            }
        }
        let selector: String = self.chars[start..self.pos].iter().collect();
        if selector.is_empty() {
            return Err(RqlError(format!(
                "Expected a property name at position {start}"
            )));
        }
        let property = item_property(&selector)
            .ok_or_else(|| RqlError(format!("Properties not supported: {selector}")))?;
        let op = self.operator()?;
        let values = if self.peek() == Some('(') {
            self.pos += 1;
            let mut values = vec![self.value()?];
            while self.peek() == Some(',') {
                self.pos += 1;
                values.push(self.value()?);
            }
            if self.peek() != Some(')') {
                return Err(RqlError(format!("Missing ')' at position {}", self.pos)));
            }
            self.pos += 1;
            values
        } else {
            vec![self.value()?]
        };
        match op {
            Op::In | Op::Out => {}
            _ if values.len() != 1 => {
                return Err(RqlError(format!(
                    "Only =in= and =out= take a list ({selector})"
                )));
            }
            _ => {}
        }
        if values[0].is_empty() && !matches!(op, Op::Eq | Op::Ne) {
            return Err(RqlError(format!("Missing value for {selector}")));
        }
        for v in &values {
            check_value(&property, op, v, &selector)?;
        }
        Ok(Node::Cmp {
            property,
            op,
            values,
        })
    }

    fn operator(&mut self) -> Result<Op, RqlError> {
        let rest: String = self.chars[self.pos..].iter().take(6).collect();
        if rest.starts_with("==") {
            self.pos += 2;
            return Ok(Op::Eq);
        }
        if rest.starts_with("!=") {
            self.pos += 2;
            return Ok(Op::Ne);
        }
        if rest.starts_with('=') {
            let name_start = self.pos + 1;
            let mut end = name_start;
            while end < self.chars.len() && self.chars[end].is_ascii_alphabetic() {
                end += 1;
            }
            if end < self.chars.len() && self.chars[end] == '=' {
                let name: String = self.chars[name_start..end].iter().collect();
                let op = match name.to_ascii_lowercase().as_str() {
                    "gt" => Op::Gt,
                    "ge" => Op::Ge,
                    "lt" => Op::Lt,
                    "le" => Op::Le,
                    "in" => Op::In,
                    "out" => Op::Out,
                    "hv" => Op::Hv,
                    _ => return Err(RqlError(format!("Unknown operator ={name}="))),
                };
                self.pos = end + 1;
                return Ok(op);
            }
        }
        Err(RqlError(format!(
            "Expected an operator at position {}",
            self.pos
        )))
    }

    /// A value runs to the next unescaped `;`, `,` or `)`; it is then percent-decoded (the
    /// second decoding the documentation describes).
    fn value(&mut self) -> Result<String, RqlError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if matches!(c, ';' | ',' | ')' | '(') {
                break;
            }
            self.pos += 1;
        }
        let raw: String = self.chars[start..self.pos].iter().collect();
        percent_decode(&raw).ok_or_else(|| RqlError(format!("Bad escape sequence in '{raw}'")))
    }
}

fn check_value(property: &Property, op: Op, v: &str, selector: &str) -> Result<(), RqlError> {
    if op == Op::Hv {
        return parse_bool(v)
            .map(|_| ())
            .ok_or_else(|| RqlError(format!("=hv= takes true or false ({selector})")));
    }
    if v.is_empty() {
        return Ok(());
    }
    let ok = match property.kind {
        Kind::Text => true,
        Kind::Number => v.parse::<Decimal>().is_ok(),
        Kind::Bool => parse_bool(v).is_some(),
        Kind::Date => parse_date(v).is_some(),
    };
    if ok {
        Ok(())
    } else {
        Err(RqlError(format!("Value '{v}' is not valid for {selector}")))
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// Dates in filters and in served items: `2024-05-01`, `2024-05-01T10:00:00(.fff)`, optionally
/// with `Z` or an offset. Naive values are taken as UTC, as this simulator serves UTC.
pub fn parse_date(v: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t.and_utc());
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// The value at `path`, or None when absent or null.
pub fn lookup<'a>(item: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = item;
    for seg in path {
        cur = cur.get(*seg)?;
    }
    (!cur.is_null()).then_some(cur)
}

/// Does `item` satisfy the expression?
pub fn matches(node: &Node, item: &Value) -> bool {
    match node {
        Node::And(terms) => terms.iter().all(|t| matches(t, item)),
        Node::Or(terms) => terms.iter().any(|t| matches(t, item)),
        Node::Cmp {
            property,
            op,
            values,
        } => compare_node(property, *op, values, lookup(item, property.path)),
    }
}

fn compare_node(property: &Property, op: Op, values: &[String], field: Option<&Value>) -> bool {
    match op {
        Op::Hv => {
            let wanted = values.first().and_then(|v| parse_bool(v)).unwrap_or(true);
            let has = field.is_some_and(|f| !f.as_str().is_some_and(str::is_empty));
            has == wanted
        }
        Op::In => values.iter().any(|v| equals(property.kind, field, v)),
        Op::Out => !values.iter().any(|v| equals(property.kind, field, v)),
        Op::Eq => values
            .first()
            .is_some_and(|v| equals(property.kind, field, v)),
        Op::Ne => !values
            .first()
            .is_some_and(|v| equals(property.kind, field, v)),
        Op::Gt | Op::Ge | Op::Lt | Op::Le => {
            let Some(v) = values.first() else {
                return false;
            };
            let Some(ord) = field.and_then(|f| order_against(property.kind, f, v)) else {
                return false;
            };
            match op {
                Op::Gt => ord == Ordering::Greater,
                Op::Ge => ord != Ordering::Less,
                Op::Lt => ord == Ordering::Less,
                _ => ord != Ordering::Greater,
            }
        }
    }
}

fn equals(kind: Kind, field: Option<&Value>, v: &str) -> bool {
    let Some(field) = field else {
        return v.is_empty();
    };
    if kind == Kind::Text {
        // Text compares as the warehouse database does: case-insensitively, ignoring
        // surrounding blanks.
        let text = text_of(field).trim().to_lowercase();
        return wildcard_eq(&text, &v.trim().to_lowercase());
    }
    order_against(kind, field, v) == Some(Ordering::Equal)
}

fn wildcard_eq(text: &str, pattern: &str) -> bool {
    let starts = pattern.starts_with('*');
    let ends = pattern.len() > 1 && pattern.ends_with('*');
    let core = pattern.trim_start_matches('*').trim_end_matches('*');
    match (starts, ends) {
        (true, true) => text.contains(core),
        (true, false) => text.ends_with(core),
        (false, true) => text.starts_with(core),
        (false, false) => text == pattern,
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Order a field against a filter value, typed by the property's kind.
pub fn order_against(kind: Kind, field: &Value, v: &str) -> Option<Ordering> {
    match kind {
        Kind::Text => Some(text_of(field).to_lowercase().cmp(&v.to_lowercase())),
        Kind::Number => {
            let a = text_of(field).parse::<Decimal>().ok()?;
            let b = v.parse::<Decimal>().ok()?;
            Some(a.cmp(&b))
        }
        Kind::Bool => {
            let a = field.as_bool()?;
            Some(a.cmp(&parse_bool(v)?))
        }
        Kind::Date => {
            let a = parse_date(field.as_str()?)?;
            Some(a.cmp(&parse_date(v)?))
        }
    }
}

/// Order two items by one property (missing values first, as SQL orders NULLs).
pub fn order_items(property: &Property, a: &Value, b: &Value) -> Ordering {
    match (lookup(a, property.path), lookup(b, property.path)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => {
            order_against(property.kind, x, &text_of(y)).unwrap_or(Ordering::Equal)
        }
    }
}

/// A parsed `sort` parameter: properties, each ascending unless prefixed with `-`.
pub fn parse_sort(input: &str) -> Result<Vec<(Property, bool)>, RqlError> {
    input
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            let s = s.trim();
            let (name, descending) = match s.strip_prefix('-') {
                Some(rest) => (rest, true),
                None => (s.strip_prefix('+').unwrap_or(s), false),
            };
            item_property(name)
                .map(|p| (p, descending))
                .ok_or_else(|| RqlError(format!("Properties not supported: {name}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item() -> Value {
        json!({
            "itemId": 12, "sku": "Mug-Blue", "description": "Blue mug", "price": 9.99,
            "readOnly": {"lastModifiedDate": "2024-05-02T10:00:00", "deactivated": false}
        })
    }

    fn eval(q: &str) -> bool {
        matches(&parse(q).unwrap(), &item())
    }

    #[test]
    fn operators_and_combinators() {
        assert!(eval("sku==mug-blue"));
        assert!(eval("sku==MUG*"));
        assert!(eval("sku==*blue"));
        assert!(!eval("sku!=Mug-Blue"));
        assert!(eval("readOnly.lastModifiedDate=ge=2024-05-01T00:00:00"));
        assert!(!eval("readonly.lastmodifieddate=gt=2024-05-02T10:00:00"));
        assert!(eval("readonly.lastmodifieddate=le=2024-05-02T10:00:00"));
        assert!(!eval("readonly.lastmodifieddate=le=2024-05-02"));
        assert!(eval("price=lt=10;readonly.deactivated==false"));
        assert!(eval("sku==nope,price=gt=9.98"));
        assert!(!eval("sku==nope;price=gt=9.98,sku==x"));
        assert!(eval("(sku==nope,itemId==12);price==9.99"));
        assert!(eval("sku=in=(a,MUG-BLUE,c)"));
        assert!(!eval("sku=out=(a,MUG-BLUE,c)"));
        assert!(eval("upc=hv=false"));
    }

    #[test]
    fn escaped_values_are_decoded_after_splitting() {
        let it = json!({"sku": "A,B;(C)"});
        let n = parse("sku=in=(x,A%2CB%3B%28C%29)").unwrap();
        assert!(matches(&n, &it));
    }

    #[test]
    fn refusals_name_the_problem() {
        assert_eq!(
            parse("gorp==1").unwrap_err(),
            RqlError("Properties not supported: gorp".into())
        );
        assert!(parse("sku=xx=1").is_err());
        assert!(parse("(sku==1").is_err());
        assert!(parse("readonly.lastmodifieddate=ge=yesterday").is_err());
        assert!(parse("price=gt=").is_err());
    }

    #[test]
    fn sort_parses_direction() {
        let s = parse_sort("itemId,-readOnly.lastModifiedDate").unwrap();
        assert_eq!(s.len(), 2);
        assert!(!s[0].1 && s[1].1);
        assert!(parse_sort("bogus").is_err());
    }
}
