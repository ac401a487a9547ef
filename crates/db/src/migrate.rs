//! Embedded migrations, one folder per backend with the same numbering.

use std::collections::BTreeSet;

use sqlx::migrate::Migrator;

use crate::error::DbResult;
use crate::on_db;
use crate::pool::Db;

static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");

impl Db {
    fn migrator(&self) -> &'static Migrator {
        match self {
            Db::Sqlite(_) => &SQLITE,
            Db::Postgres(_) => &POSTGRES,
        }
    }

    /// Apply every pending migration. On PostgreSQL the migrator holds an advisory lock, so
    /// several processes starting at once apply each migration once.
    pub async fn migrate(&self) -> DbResult<()> {
        let m = self.migrator();
        on_db!(self, |p| m.run(p).await)?;
        Ok(())
    }

    /// Versions the binary knows that the database has not applied (empty when current).
    pub async fn pending_migrations(&self) -> DbResult<Vec<i64>> {
        let known: BTreeSet<i64> = self.migrator().iter().map(|m| m.version).collect();
        let applied: Vec<(i64,)> = on_db!(self, |p| {
            let exists = match self {
                Db::Sqlite(_) => {
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
                }
                Db::Postgres(_) => {
                    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
                }
            };
            let (n,): (i64,) = sqlx::query_as(exists).fetch_one(p).await?;
            if n == 0 {
                Vec::new()
            } else {
                sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success")
                    .fetch_all(p)
                    .await?
            }
        });
        let applied: BTreeSet<i64> = applied.into_iter().map(|(v,)| v).collect();
        Ok(known.difference(&applied).copied().collect())
    }

    /// The highest migration version this binary knows.
    pub fn latest_migration(&self) -> i64 {
        self.migrator().iter().map(|m| m.version).max().unwrap_or(0)
    }
}
