//! Extractors of the JSON API: the account an API key grants, and JSON bodies whose
//! rejections are problem+json naming the field.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use techoms_app::{Access, App, AppError, auth};

use crate::error::{ApiError, Problem, problem};

/// The access granted by `Authorization: Bearer <account API key>`.
pub struct ApiAccess(pub Access);

impl FromRequestParts<App> for ApiAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let key = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .unwrap_or("");
        if key.is_empty() {
            return Err(AppError::Unauthenticated(
                "send the account API key as `Authorization: Bearer <key>`".into(),
            )
            .into());
        }
        match auth::api_key(app, key).await? {
            Some(access) => Ok(ApiAccess(access)),
            None => Err(AppError::Unauthenticated("the API key is not valid".into()).into()),
        }
    }
}

/// A JSON body. Syntax errors are 400, a body of the wrong shape is 422 naming the field, an
/// oversized body is 413, and a missing JSON content type is 415 — all as problem+json.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<App> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, app).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rej) => Err(json_problem(rej)),
        }
    }
}

/// The field a serde message names ("unknown field `x`", "missing field `x`").
fn named_field(msg: &str) -> Option<String> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(msg[start..start + len].to_owned())
}

fn json_problem(rej: JsonRejection) -> Problem {
    match rej {
        JsonRejection::JsonDataError(e) => {
            // serde_json's message ends with the position; the field is in backticks when it
            // names one, otherwise the message describes the value.
            let msg = std::error::Error::source(&e)
                .map(ToString::to_string)
                .unwrap_or_else(|| e.body_text());
            // axum reports "path.to.field: problem"; a missing field is reported at the parent
            // (".") and named inside the message.
            let clean = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
            let (path, problem_text) = match clean.split_once(": ") {
                Some((p, rest)) if !p.contains(' ') => (p.to_owned(), rest.to_owned()),
                _ => (".".to_owned(), clean.clone()),
            };
            let field = if problem_text.starts_with("missing field")
                || problem_text.starts_with("unknown field")
            {
                named_field(&problem_text).unwrap_or(path)
            } else if path == "." {
                "body".to_owned()
            } else {
                path
            };
            let clean = format!("{field}: {problem_text}");
            Problem {
                errors: vec![techoms_app::FieldError::new(field, problem_text)],
                ..problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "/problems/validation",
                    "Invalid input",
                    clean,
                )
            }
        }
        JsonRejection::JsonSyntaxError(e) => problem(
            StatusCode::BAD_REQUEST,
            "/problems/malformed-json",
            "Malformed JSON",
            std::error::Error::source(&e)
                .map(ToString::to_string)
                .unwrap_or_else(|| e.body_text()),
        ),
        JsonRejection::MissingJsonContentType(_) => problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "/problems/content-type",
            "Unsupported Media Type",
            "send the body as application/json".into(),
        ),
        JsonRejection::BytesRejection(e) => {
            let status = e.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                problem(
                    status,
                    "/problems/too-large",
                    "Payload Too Large",
                    format!("the body is larger than {} bytes", crate::API_BODY_LIMIT),
                )
            } else {
                problem(status, "about:blank", "Bad Request", e.body_text())
            }
        }
        other => problem(
            other.status(),
            "about:blank",
            "Bad Request",
            other.body_text(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::named_field;

    #[test]
    fn field_names_are_found() {
        assert_eq!(
            named_field("unknown field `sorce`, expected one of"),
            Some("sorce".into())
        );
        assert_eq!(named_field("nothing here"), None);
    }
}
