//! Connecting to SQLite or PostgreSQL, chosen by the URL scheme.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection, PgConnection, Postgres, Sqlite, Transaction};

use crate::error::{DbError, DbResult};

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Recognise the backend from a URL's scheme, or say what is wrong with it.
    pub fn of_url(url: &str) -> DbResult<Backend> {
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or("");
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            "" => Err(DbError::BadUrl(
                "missing scheme: use sqlite://PATH or postgres://USER@HOST/DB".into(),
            )),
            other => Err(DbError::BadUrl(format!(
                "unsupported scheme {other:?}: use sqlite://PATH or postgres://USER@HOST/DB"
            ))),
        }
    }
}

/// Pool tuning.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub max_connections: u32,
    /// How long to wait for a connection (and, on first connect, for the server).
    pub acquire_timeout: Duration,
    /// SQLite: how long a writer waits for the write lock before failing.
    pub busy_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(10),
            busy_timeout: Duration::from_secs(10),
        }
    }
}

/// A connection pool to either backend.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Run one body against whichever pool `db` holds. The body is compiled once per driver, so
/// the same SQL text and row types serve both.
#[macro_export]
macro_rules! on_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

impl Db {
    /// Connect to `url` (`sqlite://…` or `postgres://…`). SQLite files are created when
    /// missing and opened in WAL mode with foreign keys on.
    pub async fn connect(url: &str, opts: &DbOptions) -> DbResult<Db> {
        match Backend::of_url(url)? {
            Backend::Sqlite => {
                let co = SqliteConnectOptions::from_str(url)
                    .map_err(|e| DbError::BadUrl(e.to_string()))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(opts.busy_timeout);
                let pool = SqlitePoolOptions::new()
                    .max_connections(opts.max_connections)
                    .acquire_timeout(opts.acquire_timeout)
                    .connect_with(co)
                    .await?;
                Ok(Db::Sqlite(pool))
            }
            Backend::Postgres => {
                let co =
                    PgConnectOptions::from_str(url).map_err(|e| DbError::BadUrl(e.to_string()))?;
                // One direct connection first: when the server is down the pool only reports
                // "timed out", while a direct attempt says why (refused, unknown host, bad
                // password).
                match tokio::time::timeout(opts.acquire_timeout, PgConnection::connect_with(&co))
                    .await
                {
                    Ok(Ok(conn)) => {
                        let _ = conn.close().await;
                    }
                    Ok(Err(e)) => return Err(e.into()),
                    Err(_) => {
                        return Err(DbError::Sqlx(sqlx::Error::Io(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            format!(
                                "no answer from the server within {:?}",
                                opts.acquire_timeout
                            ),
                        ))));
                    }
                }
                let pool = PgPoolOptions::new()
                    .max_connections(opts.max_connections)
                    .acquire_timeout(opts.acquire_timeout)
                    .connect_with(co)
                    .await?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> DbResult<()> {
        on_db!(self, |p| {
            sqlx::query("SELECT 1").execute(p).await?;
        });
        Ok(())
    }

    pub async fn close(&self) {
        on_db!(self, |p| p.close().await)
    }
}

/// Start a transaction that may write. On SQLite it is `BEGIN IMMEDIATE`: taking the write
/// lock up front means a concurrent writer waits on the busy timeout instead of failing with
/// SQLITE_BUSY when a deferred transaction tries to upgrade its read lock.
pub trait BeginWrite {
    type Database: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = DbResult<Transaction<'static, Self::Database>>> + Send;
}

impl BeginWrite for SqlitePool {
    type Database = Sqlite;
    async fn begin_write(&self) -> DbResult<Transaction<'static, Sqlite>> {
        Ok(self.begin_with("BEGIN IMMEDIATE").await?)
    }
}

impl BeginWrite for PgPool {
    type Database = Postgres;
    async fn begin_write(&self) -> DbResult<Transaction<'static, Postgres>> {
        Ok(self.begin().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_from_scheme() {
        assert_eq!(Backend::of_url("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of_url("sqlite::memory:").unwrap(), Backend::Sqlite);
        assert_eq!(
            Backend::of_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::of_url("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        let e = Backend::of_url("mysql://u@h/db").unwrap_err().to_string();
        assert!(e.contains("mysql"), "{e}");
        assert!(Backend::of_url("just-a-path").is_err());
    }
}
