//! Use-case errors, shaped so the web layer can answer without knowing storage: a missing
//! resource, field errors, a conflict with an explanation, a refused permission.

use serde::Serialize;
use techoms_db::DbError;

/// One refused field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The resource does not exist *for this caller* (another account's resources are
    /// reported the same way, so their existence does not leak).
    #[error("not found")]
    NotFound,
    /// Input refused; nothing was stored.
    #[error("invalid input: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// The request conflicts with the current state; `details` says what would happen or why.
    #[error("{message}")]
    Conflict {
        message: String,
        details: serde_json::Value,
    },
    /// Authenticated but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// Not authenticated (or authentication refused).
    #[error("{0}")]
    Unauthenticated(String),
    #[error("too many attempts; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// An upload (a CSV file) larger than the configured limit; nothing was stored.
    #[error("the upload is larger than the limit of {limit_bytes} bytes")]
    TooLarge { limit_bytes: u64 },
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        AppError::Conflict {
            message: message.into(),
            details: serde_json::Value::Null,
        }
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound => AppError::NotFound,
            DbError::Conflict { message, .. } => AppError::conflict(message),
            other => AppError::Internal(other.to_string()),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
