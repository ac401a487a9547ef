//! Shopify's API search syntax (the `query:` argument): terms `field:value`, comparators
//! `: :< :> :<= :>=`, connectives `AND` / `OR` (AND implied between terms), modifiers `-` and
//! `NOT`, parentheses, single- or double-quoted values with backslash escapes, and a trailing
//! `*` for prefix matches.
//!
//! Date comparisons are inclusive in both directions (`updated_at:>X` also matches X), as
//! observed against the real API; unknown fields are ignored (Shopify answers with every
//! record and a search warning rather than an error).

use chrono::{DateTime, NaiveDate, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Lt,
    Gt,
    Le,
    Ge,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    All,
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Term {
        field: Option<String>,
        cmp: Cmp,
        value: String,
        prefix: bool,
    },
}

/// A value of a searchable field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldVal {
    Text(String),
    Time(DateTime<Utc>),
    Num(u64),
}

/// A record that can be searched. `None` means the field is unknown for this resource.
pub trait Searchable {
    fn field(&self, name: &str) -> Option<Vec<FieldVal>>;
    /// Text matched by a term without a field name.
    fn default_text(&self) -> Vec<String>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Open,
    Close,
    Or,
    And,
    Not,
    Term {
        field: Option<String>,
        cmp: Cmp,
        value: String,
        prefix: bool,
    },
}

fn is_special(c: char) -> bool {
    matches!(c, ':' | '\\' | '(' | ')')
}

fn lex(q: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = q.chars().collect();
    let mut i = 0;
    let mut toks = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '(' {
            toks.push(Tok::Open);
            i += 1;
            continue;
        }
        if c == ')' {
            toks.push(Tok::Close);
            i += 1;
            continue;
        }
        if c == '-' && chars.get(i + 1).is_some_and(|n| !n.is_whitespace()) {
            toks.push(Tok::Not);
            i += 1;
            continue;
        }
        // A quoted value without a field name.
        if c == '"' || c == '\'' {
            let (value, next) = read_quoted(&chars, i)?;
            i = next;
            toks.push(Tok::Term {
                field: None,
                cmp: Cmp::Eq,
                value,
                prefix: false,
            });
            continue;
        }
        let (name, next) = read_name(&chars, i);
        i = next;
        if chars.get(i) == Some(&':') {
            i += 1;
            let cmp = if chars.get(i) == Some(&'<') {
                i += 1;
                if chars.get(i) == Some(&'=') {
                    i += 1;
                    Cmp::Le
                } else {
                    Cmp::Lt
                }
            } else if chars.get(i) == Some(&'>') {
                i += 1;
                if chars.get(i) == Some(&'=') {
                    i += 1;
                    Cmp::Ge
                } else {
                    Cmp::Gt
                }
            } else {
                Cmp::Eq
            };
            let (value, prefix, next) = if matches!(chars.get(i), Some('"') | Some('\'')) {
                let (v, n) = read_quoted(&chars, i)?;
                (v, false, n)
            } else {
                let (v, n) = read_value(&chars, i);
                let prefix = v.ends_with('*');
                (v.trim_end_matches('*').to_owned(), prefix, n)
            };
            i = next;
            toks.push(Tok::Term {
                field: Some(name.to_ascii_lowercase()),
                cmp,
                value,
                prefix,
            });
            continue;
        }
        match name.as_str() {
            "OR" => toks.push(Tok::Or),
            "AND" => toks.push(Tok::And),
            "NOT" => toks.push(Tok::Not),
            "" => return Err(format!("unexpected character {c:?} in search query")),
            _ => {
                let prefix = name.ends_with('*');
                toks.push(Tok::Term {
                    field: None,
                    cmp: Cmp::Eq,
                    value: name.trim_end_matches('*').to_owned(),
                    prefix,
                })
            }
        }
    }
    Ok(toks)
}

/// A `name`: non-whitespace, non-special characters; a backslash escapes the next character.
fn read_name(chars: &[char], mut i: usize) -> (String, usize) {
    let mut s = String::new();
    while i < chars.len() {
        let c = chars[i];
        if c == '\\'
            && let Some(n) = chars.get(i + 1)
        {
            s.push(*n);
            i += 2;
            continue;
        }
        if c.is_whitespace() || is_special(c) {
            break;
        }
        s.push(c);
        i += 1;
    }
    (s, i)
}

/// An unquoted value after a comparator: like a name, but a `:` inside it is kept (dates).
fn read_value(chars: &[char], mut i: usize) -> (String, usize) {
    let mut s = String::new();
    while i < chars.len() {
        let c = chars[i];
        if c == '\\'
            && let Some(n) = chars.get(i + 1)
        {
            s.push(*n);
            i += 2;
            continue;
        }
        if c.is_whitespace() || c == '(' || c == ')' {
            break;
        }
        s.push(c);
        i += 1;
    }
    (s, i)
}

fn read_quoted(chars: &[char], start: usize) -> Result<(String, usize), String> {
    let quote = chars[start];
    let mut i = start + 1;
    let mut s = String::new();
    while i < chars.len() {
        let c = chars[i];
        if c == '\\'
            && let Some(n) = chars.get(i + 1)
        {
            s.push(*n);
            i += 2;
            continue;
        }
        if c == quote {
            return Ok((s, i + 1));
        }
        s.push(c);
        i += 1;
    }
    Err("unterminated quoted string in search query".to_owned())
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn or_expr(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.and_expr()?];
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            parts.push(self.and_expr()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and_expr(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.unary()?];
        loop {
            match self.peek() {
                Some(Tok::And) => {
                    self.pos += 1;
                    parts.push(self.unary()?);
                }
                Some(Tok::Close) | Some(Tok::Or) | None => break,
                Some(_) => parts.push(self.unary()?),
            }
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn unary(&mut self) -> Result<Expr, String> {
        match self.peek().cloned() {
            Some(Tok::Not) => {
                self.pos += 1;
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Some(Tok::Open) => {
                self.pos += 1;
                let e = self.or_expr()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err("missing `)` in search query".to_owned());
                }
                self.pos += 1;
                Ok(e)
            }
            Some(Tok::Term {
                field,
                cmp,
                value,
                prefix,
            }) => {
                self.pos += 1;
                Ok(Expr::Term {
                    field,
                    cmp,
                    value,
                    prefix,
                })
            }
            other => Err(format!("unexpected {other:?} in search query")),
        }
    }
}

/// Parse a search query; an empty one matches everything.
pub fn parse(q: &str) -> Result<Expr, String> {
    let toks = lex(q)?;
    if toks.is_empty() {
        return Ok(Expr::All);
    }
    let mut p = Parser { toks, pos: 0 };
    let e = p.or_expr()?;
    if p.pos != p.toks.len() {
        return Err("unexpected `)` in search query".to_owned());
    }
    Ok(e)
}

/// Parse a date value: RFC 3339, or a bare date (midnight UTC).
pub fn parse_time(v: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Some(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc())
}

fn text_matches(field: Option<&str>, have: &str, cmp: Cmp, want: &str, prefix: bool) -> bool {
    let h = have.to_lowercase();
    let w = want.to_lowercase();
    match cmp {
        Cmp::Eq if prefix => h.starts_with(&w),
        // Free text and titles match on a contained word sequence; keyword fields (sku, status,
        // vendor, tag…) match whole values.
        Cmp::Eq if matches!(field, None | Some("title")) => h.contains(&w),
        Cmp::Eq => h == w,
        Cmp::Lt => h < w,
        Cmp::Le => h <= w,
        Cmp::Gt => h > w,
        Cmp::Ge => h >= w,
    }
}

fn term_matches(
    r: &dyn Searchable,
    field: Option<&str>,
    cmp: Cmp,
    value: &str,
    prefix: bool,
) -> bool {
    let Some(name) = field else {
        return r
            .default_text()
            .iter()
            .any(|t| text_matches(None, t, cmp, value, prefix));
    };
    let Some(vals) = r.field(name) else {
        return true;
    };
    // `status:active,draft` lists alternatives.
    let wanted: Vec<&str> = if cmp == Cmp::Eq && !prefix {
        value.split(',').map(str::trim).collect()
    } else {
        vec![value]
    };
    vals.iter().any(|have| {
        wanted.iter().any(|w| match have {
            FieldVal::Text(t) => text_matches(Some(name), t, cmp, w, prefix),
            FieldVal::Time(t) => match parse_time(w) {
                None => false,
                Some(x) => match cmp {
                    Cmp::Eq => *t == x,
                    Cmp::Gt | Cmp::Ge => *t >= x,
                    Cmp::Lt | Cmp::Le => *t <= x,
                },
            },
            FieldVal::Num(n) => {
                let digits = w.rsplit('/').next().unwrap_or(w);
                match digits.parse::<u64>() {
                    Err(_) => false,
                    Ok(x) => match cmp {
                        Cmp::Eq => *n == x,
                        Cmp::Gt => *n > x,
                        Cmp::Ge => *n >= x,
                        Cmp::Lt => *n < x,
                        Cmp::Le => *n <= x,
                    },
                }
            }
        })
    })
}

pub fn eval(e: &Expr, r: &dyn Searchable) -> bool {
    match e {
        Expr::All => true,
        Expr::And(v) => v.iter().all(|x| eval(x, r)),
        Expr::Or(v) => v.iter().any(|x| eval(x, r)),
        Expr::Not(x) => !eval(x, r),
        Expr::Term {
            field,
            cmp,
            value,
            prefix,
        } => term_matches(r, field.as_deref(), *cmp, value, *prefix),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rec {
        sku: &'static str,
        status: &'static str,
        updated: &'static str,
    }

    impl Searchable for Rec {
        fn field(&self, name: &str) -> Option<Vec<FieldVal>> {
            match name {
                "sku" => Some(vec![FieldVal::Text(self.sku.into())]),
                "status" => Some(vec![FieldVal::Text(self.status.into())]),
                "updated_at" => Some(vec![FieldVal::Time(parse_time(self.updated).unwrap())]),
                _ => None,
            }
        }
        fn default_text(&self) -> Vec<String> {
            vec![self.sku.into()]
        }
    }

    fn m(q: &str, r: &Rec) -> bool {
        eval(&parse(q).unwrap(), r)
    }

    #[test]
    fn sku_terms_quotes_and_connectives() {
        let r = Rec {
            sku: "AB \"C\":1",
            status: "ACTIVE",
            updated: "2024-05-01T10:00:00Z",
        };
        assert!(m(r#"sku:"AB \"C\":1""#, &r));
        assert!(m(r#"sku:'ab "c":1'"#, &r));
        assert!(m(r#"sku:AB\ \"C\"\:1"#, &r));
        assert!(!m("sku:AB", &r));
        assert!(m("sku:AB*", &r));
        assert!(m(r#"sku:"X" OR sku:"AB \"C\":1""#, &r));
        assert!(!m(r#"sku:"X" AND status:active"#, &r));
        assert!(m("status:draft,active", &r));
        assert!(m("-status:draft", &r));
        assert!(m("NOT (status:draft OR sku:X)", &r));
    }

    #[test]
    fn dates_are_inclusive() {
        let r = Rec {
            sku: "A",
            status: "ACTIVE",
            updated: "2024-05-01T10:00:00Z",
        };
        assert!(m("updated_at:>'2024-05-01T10:00:00Z'", &r));
        assert!(m("updated_at:>='2024-05-01T10:00:00Z'", &r));
        assert!(!m("updated_at:>='2024-05-01T10:00:01Z'", &r));
        assert!(m("updated_at:<=2024-05-02", &r));
        assert!(m("unknown_field:1", &r));
    }

    #[test]
    fn errors() {
        assert!(parse("(sku:a").is_err());
        assert!(parse("sku:'a").is_err());
        assert_eq!(parse("  ").unwrap(), Expr::All);
    }
}
