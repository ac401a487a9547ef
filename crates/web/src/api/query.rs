//! Query strings read strictly: every parameter is known, given at most once unless it may
//! repeat, and parsed with an error that names it. All problems are reported at once (422).
//!
//! axum's `Query<T>` answers a bad value with a plain-text 400 that does not follow the API's
//! problem+json contract, and cannot take a repeated parameter; this reads the raw pairs.

use std::str::FromStr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use techoms_app::{App, AppError, FieldError};

use crate::error::ApiError;

/// The query string's (name, value) pairs, percent-decoded, in order.
pub struct QueryPairs {
    pairs: Vec<(String, String)>,
    errors: Vec<FieldError>,
}

impl FromRequestParts<App> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<Vec<(String, String)>>::from_request_parts(parts, app).await {
            Ok(axum::extract::Query(pairs)) => Ok(QueryPairs {
                pairs,
                errors: Vec::new(),
            }),
            Err(e) => Err(AppError::field("query", e.body_text()).into()),
        }
    }
}

impl QueryPairs {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Self {
            pairs,
            errors: Vec::new(),
        }
    }

    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A parameter given at most once; an empty value counts as absent.
    pub fn text(&mut self, name: &str) -> Option<String> {
        let vals: Vec<String> = self.values(name).map(str::to_owned).collect();
        if vals.len() > 1 {
            self.errors
                .push(FieldError::new(name, "is given more than once"));
            return None;
        }
        vals.into_iter().next().filter(|v| !v.trim().is_empty())
    }

    /// A parameter given at most once, parsed; `what` describes a valid value.
    pub fn parse<T: FromStr>(&mut self, name: &str, what: &str) -> Option<T> {
        let v = self.text(name)?;
        match v.trim().parse() {
            Ok(t) => Some(t),
            Err(_) => {
                self.errors
                    .push(FieldError::new(name, format!("{v:?} is not {what}")));
                None
            }
        }
    }

    /// A parameter that may repeat and may hold comma-separated values, each parsed.
    pub fn list<T: FromStr>(&mut self, name: &str, what: &str) -> Vec<T> {
        let mut out = Vec::new();
        let raw: Vec<String> = self
            .values(name)
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect();
        for v in raw {
            match v.parse() {
                Ok(t) => out.push(t),
                Err(_) => self
                    .errors
                    .push(FieldError::new(name, format!("{v:?} is not {what}"))),
            }
        }
        out
    }

    /// A page size between 1 and `max`, `default` when absent.
    pub fn limit(&mut self, default: u32, max: u32) -> u32 {
        match self.text("limit") {
            None => default,
            Some(v) => match v.trim().parse::<u32>() {
                Ok(n) if (1..=max).contains(&n) => n,
                _ => {
                    self.errors.push(FieldError::new(
                        "limit",
                        format!("must be between 1 and {max}"),
                    ));
                    default
                }
            },
        }
    }

    /// Refuse parameters outside `known`, then answer every problem found (422), or Ok.
    pub fn finish(mut self, known: &[&str]) -> Result<(), ApiError> {
        let mut unknown: Vec<&str> = self
            .pairs
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !known.contains(k))
            .collect();
        unknown.dedup();
        for k in unknown {
            self.errors.push(FieldError::new(
                k,
                format!(
                    "is not a parameter of this request (known: {})",
                    known.join(", ")
                ),
            ));
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.errors).into())
        }
    }
}
