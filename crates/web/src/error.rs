//! Errors as HTTP answers. The API answers `application/problem+json` (RFC 9457) with the
//! refused fields; internal failures are logged and shown generically.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use techoms_app::{AppError, FieldError};
use utoipa::ToSchema;

/// The body of every API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The refused fields, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<FieldError>,
    /// What the request would do or why it conflicts (409).
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// An API error.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

pub fn problem(status: StatusCode, kind: &str, title: &str, detail: String) -> Problem {
    Problem {
        kind: kind.to_owned(),
        title: title.to_owned(),
        status: status.as_u16(),
        detail,
        errors: Vec::new(),
        details: serde_json::Value::Null,
    }
}

impl Problem {
    pub fn into_response_with(self, extra: Option<(header::HeaderName, HeaderValue)>) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some((k, v)) = extra {
            res.headers_mut().insert(k, v);
        }
        res
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        self.into_response_with(None)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.0 {
            AppError::NotFound => problem(
                StatusCode::NOT_FOUND,
                "about:blank",
                "Not Found",
                "no such resource in this account".into(),
            )
            .into(),
            AppError::Invalid(errors) => {
                let detail = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                Problem {
                    errors,
                    ..problem(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "/problems/validation",
                        "Invalid input",
                        detail,
                    )
                }
                .into_response()
            }
            AppError::Conflict { message, details } => Problem {
                details,
                ..problem(
                    StatusCode::CONFLICT,
                    "/problems/conflict",
                    "Conflict",
                    message,
                )
            }
            .into_response(),
            AppError::Forbidden(m) => {
                problem(StatusCode::FORBIDDEN, "/problems/forbidden", "Forbidden", m)
                    .into_response()
            }
            AppError::Unauthenticated(m) => problem(
                StatusCode::UNAUTHORIZED,
                "/problems/unauthenticated",
                "Unauthorized",
                m,
            )
            .into_response_with(Some((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer"),
            ))),
            AppError::RateLimited { retry_after_secs } => problem(
                StatusCode::TOO_MANY_REQUESTS,
                "/problems/rate-limited",
                "Too Many Requests",
                format!("try again in {retry_after_secs} s"),
            )
            .into_response_with(
                HeaderValue::from_str(&retry_after_secs.to_string())
                    .ok()
                    .map(|v| (header::RETRY_AFTER, v)),
            ),
            AppError::TooLarge { limit_bytes } => problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "/problems/too-large",
                "Payload Too Large",
                format!(
                    "the body is larger than the limit of {limit_bytes} bytes; nothing was stored"
                ),
            )
            .into_response(),
            AppError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "about:blank",
                    "Internal Server Error",
                    "something went wrong; the server log has the details".into(),
                )
                .into_response()
            }
        }
    }
}

impl From<Problem> for Response {
    fn from(p: Problem) -> Self {
        p.into_response()
    }
}
