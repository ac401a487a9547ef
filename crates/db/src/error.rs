//! Storage errors that upper layers can act on without knowing sqlx.

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or foreign-key rule refused the write. `constraint` names it as well as the
    /// backend allows (PostgreSQL gives the constraint, SQLite the columns).
    #[error("conflict: {message}")]
    Conflict { constraint: String, message: String },
    /// A stored value could not be read back into a domain type.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    #[error("database URL: {0}")]
    BadUrl(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Sqlx(sqlx::Error),
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => DbError::NotFound,
            sqlx::Error::Database(ref d)
                if d.is_unique_violation() || d.is_foreign_key_violation() =>
            {
                let constraint = d
                    .constraint()
                    .map(str::to_owned)
                    .unwrap_or_else(|| sqlite_columns(d.message()));
                DbError::Conflict {
                    constraint,
                    message: d.message().to_owned(),
                }
            }
            other => DbError::Sqlx(other),
        }
    }
}

/// SQLite says "UNIQUE constraint failed: accounts.organization_id, accounts.code".
fn sqlite_columns(msg: &str) -> String {
    msg.split_once(": ")
        .map(|(_, cols)| cols.to_owned())
        .unwrap_or_else(|| msg.to_owned())
}

impl DbError {
    /// Whether this is a uniqueness conflict on a constraint whose name or columns contain `needle`.
    pub fn is_conflict_on(&self, needle: &str) -> bool {
        matches!(self, DbError::Conflict { constraint, .. } if constraint.contains(needle))
    }
}

pub type DbResult<T> = Result<T, DbError>;
