//! Query-string parsing and the collection parameters of the `wc/v3` CRUD controllers, with
//! WordPress's own argument-validation errors.

use chrono::NaiveDateTime;

use super::errors::WcError;

/// A parsed query string (percent-decoded pairs, in order).
#[derive(Debug, Clone, Default)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        let Some(raw) = raw else {
            return Self::default();
        };
        let uri = format!("/?{raw}");
        let pairs = uri
            .parse::<axum::http::Uri>()
            .ok()
            .and_then(|u| axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&u).ok())
            .map(|q| q.0)
            .unwrap_or_default();
        Self(pairs)
    }

    /// The last value of a scalar parameter (PHP keeps the last one).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A list parameter: `k=1,2`, `k[]=1&k[]=2` or `k[0]=1` (as `wp_parse_list` reads them).
    pub fn list(&self, key: &str) -> Vec<String> {
        let bracket = format!("{key}[");
        self.0
            .iter()
            .filter(|(k, _)| k == key || k.starts_with(&bracket))
            .flat_map(|(_, v)| {
                v.split(',')
                    .map(|s| s.trim().to_owned())
                    .collect::<Vec<_>>()
            })
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// Which collection a request lists; the enums of `orderby`, `status` and `type` differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Products,
    Variations,
}

#[derive(Debug, Clone)]
pub struct Collection {
    pub page: usize,
    pub per_page: usize,
    pub offset: Option<usize>,
    pub search: Option<String>,
    pub after: Option<NaiveDateTime>,
    pub before: Option<NaiveDateTime>,
    pub modified_after: Option<NaiveDateTime>,
    pub modified_before: Option<NaiveDateTime>,
    pub dates_are_gmt: bool,
    pub include: Vec<u64>,
    pub exclude: Vec<u64>,
    pub desc: bool,
    pub orderby: String,
    pub status: String,
    pub product_type: Option<String>,
    pub skus: Vec<String>,
    pub parent: Vec<u64>,
    pub edit: bool,
    pub fields: Option<Vec<String>>,
}

fn int_param(
    q: &Query,
    name: &str,
    default: i64,
    min: i64,
    max: Option<i64>,
) -> Result<i64, WcError> {
    let Some(raw) = q.get(name) else {
        return Ok(default);
    };
    let v: i64 = raw.trim().parse().map_err(|_| {
        WcError::invalid_param(
            name,
            "rest_invalid_type",
            &format!("{name} is not of type integer."),
        )
    })?;
    match max {
        Some(max) if v < min || v > max => Err(WcError::invalid_param(
            name,
            "rest_out_of_bounds",
            &format!("{name} must be between {min} (inclusive) and {max} (inclusive)"),
        )),
        None if v < min => Err(WcError::invalid_param(
            name,
            "rest_out_of_bounds",
            &format!("{name} must be greater than or equal to {min}"),
        )),
        _ => Ok(v),
    }
}

/// WordPress lists enum values as "a, b, and c".
fn one_of(values: &[&str]) -> String {
    match values {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [a, b] => format!("{a} and {b}"),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
    }
}

fn enum_param(q: &Query, name: &str, default: &str, allowed: &[&str]) -> Result<String, WcError> {
    let v = q.get(name).unwrap_or(default);
    if allowed.contains(&v) {
        Ok(v.to_owned())
    } else {
        Err(WcError::invalid_param(
            name,
            "rest_not_in_enum",
            &format!("{name} is not one of {}.", one_of(allowed)),
        ))
    }
}

fn bool_param(q: &Query, name: &str) -> Result<bool, WcError> {
    match q.get(name).map(|s| s.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) => match v.as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" | "" => Ok(false),
            _ => Err(WcError::invalid_param(
                name,
                "rest_invalid_type",
                &format!("{name} is not of type boolean."),
            )),
        },
    }
}

/// `rest_parse_date` accepts `YYYY-MM-DDTHH:MM:SS` with optional fraction and offset.
/// `WP_Date_Query` then compares the wall-clock part against the column, so an offset is
/// parsed but not applied — that is what WordPress does, and why callers send GMT with
/// `dates_are_gmt=true`.
pub fn parse_wp_date(raw: &str) -> Option<NaiveDateTime> {
    let s = raw.trim();
    if s.len() < 19 {
        return None;
    }
    let (head, rest) = s.split_at(19);
    let head = head.replacen(['t', ' '], "T", 1);
    let dt = NaiveDateTime::parse_from_str(&head, "%Y-%m-%dT%H:%M:%S").ok()?;
    let mut rest = rest;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    let offset_ok = rest.is_empty()
        || rest == "Z"
        || rest == "z"
        || ((rest.starts_with('+') || rest.starts_with('-'))
            && matches!(rest.len(), 3 | 6)
            && rest[1..]
                .chars()
                .filter(|c| *c != ':')
                .all(|c| c.is_ascii_digit()));
    offset_ok.then_some(dt)
}

fn date_param(q: &Query, name: &str) -> Result<Option<NaiveDateTime>, WcError> {
    match q.get(name) {
        None => Ok(None),
        Some(raw) => parse_wp_date(raw)
            .map(Some)
            .ok_or_else(|| WcError::invalid_param(name, "rest_invalid_date", "Invalid date.")),
    }
}

fn ids(q: &Query, name: &str) -> Vec<u64> {
    q.list(name).iter().filter_map(|s| s.parse().ok()).collect()
}

pub fn parse_collection(q: &Query, kind: ListKind) -> Result<Collection, WcError> {
    let context = enum_param(q, "context", "view", &["view", "edit"])?;
    let page = int_param(q, "page", 1, 1, None)?;
    let per_page = int_param(q, "per_page", 10, 1, Some(100))?;
    let offset = match q.get("offset") {
        Some(_) => Some(int_param(q, "offset", 0, 0, None)? as usize),
        None => None,
    };
    let orderby_values: &[&str] = match kind {
        ListKind::Products => &[
            "date",
            "id",
            "include",
            "title",
            "slug",
            "modified",
            "price",
            "popularity",
            "rating",
        ],
        ListKind::Variations => &[
            "date",
            "id",
            "include",
            "title",
            "slug",
            "modified",
            "menu_order",
        ],
    };
    let orderby = enum_param(q, "orderby", "date", orderby_values)?;
    let order = enum_param(q, "order", "desc", &["asc", "desc"])?;
    let status = enum_param(
        q,
        "status",
        "any",
        &[
            "any", "future", "trash", "draft", "pending", "private", "publish",
        ],
    )?;
    let product_type = match (kind, q.get("type")) {
        (ListKind::Products, Some(_)) => Some(enum_param(
            q,
            "type",
            "simple",
            &["simple", "grouped", "external", "variable"],
        )?),
        _ => None,
    };
    let fields = q.get("_fields").map(|f| {
        f.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    });
    Ok(Collection {
        page: page as usize,
        per_page: per_page as usize,
        offset,
        search: q.get("search").map(str::to_owned).filter(|s| !s.is_empty()),
        after: date_param(q, "after")?,
        before: date_param(q, "before")?,
        modified_after: date_param(q, "modified_after")?,
        modified_before: date_param(q, "modified_before")?,
        dates_are_gmt: bool_param(q, "dates_are_gmt")?,
        include: ids(q, "include"),
        exclude: ids(q, "exclude"),
        desc: order == "desc",
        orderby,
        status,
        product_type,
        skus: q
            .get("sku")
            .map(|s| {
                // The products controller splits on commas and also keeps the whole string.
                let mut v: Vec<String> = s.split(',').map(|x| x.trim().to_owned()).collect();
                if v.len() > 1 {
                    v.push(s.trim().to_owned());
                }
                v.retain(|x| !x.is_empty());
                v
            })
            .unwrap_or_default(),
        parent: ids(q, "parent"),
        edit: context == "edit",
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_page_over_100_is_rest_invalid_param() {
        let q = Query::parse(Some("per_page=101"));
        let e = parse_collection(&q, ListKind::Products).unwrap_err();
        assert_eq!(e.status, 400);
        assert_eq!(e.code, "rest_invalid_param");
        assert_eq!(e.message, "Invalid parameter(s): per_page");
        assert_eq!(
            e.body()["data"]["params"]["per_page"],
            "per_page must be between 1 (inclusive) and 100 (inclusive)"
        );
    }

    #[test]
    fn dates_parse_like_rest_parse_date() {
        assert!(parse_wp_date("2024-05-01T10:00:00").is_some());
        assert!(parse_wp_date("2024-05-01T10:00:00Z").is_some());
        assert!(parse_wp_date("2024-05-01T10:00:00.123+02:00").is_some());
        assert!(parse_wp_date("2024-05-01").is_none());
        assert!(parse_wp_date("yesterday").is_none());
    }

    #[test]
    fn lists_accept_commas_and_brackets() {
        let q = Query::parse(Some("include=1,2&include%5B%5D=3&sku=A%2CB"));
        assert_eq!(q.list("include"), vec!["1", "2", "3"]);
        let c = parse_collection(&q, ListKind::Products).unwrap();
        assert_eq!(c.skus, vec!["A", "B", "A,B"]);
    }
}
