//! Fresh databases for tests.

use techoms_db::{Db, DbOptions};

/// The environment variable naming the PostgreSQL server used by tests.
pub const PG_ENV: &str = "TECHOMS_TEST_DATABASE_URL";

/// A migrated database that lives as long as the test.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<PgCleanup>,
}

struct PgCleanup {
    admin_url: String,
    name: String,
}

/// Whether this run is CI, where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

impl TestDb {
    /// A SQLite file in a temporary directory (an in-memory database would be private to one
    /// connection of the pool).
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let db = Db::connect(&url, &DbOptions::default())
            .await
            .expect("open sqlite");
        db.migrate().await.expect("migrate sqlite");
        TestDb {
            db,
            url,
            _dir: Some(dir),
            pg: None,
        }
    }

    /// A new database on the PostgreSQL server named by `TECHOMS_TEST_DATABASE_URL`, or None
    /// (with a visible message) when it is not set outside CI.
    pub async fn postgres() -> Option<TestDb> {
        let Some(admin_url) = std::env::var(PG_ENV).ok().filter(|v| !v.is_empty()) else {
            if in_ci() {
                panic!("{PG_ENV} is not set but CI=true: PostgreSQL tests must run in CI");
            }
            eprintln!("SKIPPED (PostgreSQL): set {PG_ENV} to run the PostgreSQL case");
            return None;
        };
        let name = format!("techoms_t_{}", uuid::Uuid::now_v7().simple());
        let admin = Db::connect(
            &admin_url,
            &DbOptions {
                max_connections: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL server: {e}"));
        if let Db::Postgres(p) = &admin {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(p)
                .await
                .expect("create test database");
        }
        admin.close().await;
        let url = with_database(&admin_url, &name);
        let db = Db::connect(&url, &DbOptions::default())
            .await
            .expect("open test database");
        db.migrate().await.expect("migrate postgres");
        Some(TestDb {
            db,
            url,
            _dir: None,
            pg: Some(PgCleanup { admin_url, name }),
        })
    }

    /// A database of each available backend: SQLite always, PostgreSQL when configured.
    pub async fn all() -> Vec<TestDb> {
        let mut v = vec![TestDb::sqlite().await];
        if let Some(pg) = TestDb::postgres().await {
            v.push(pg);
        }
        v
    }

    /// Close the pool and drop a PostgreSQL test database.
    pub async fn finish(self) {
        self.db.close().await;
        let Some(c) = &self.pg else {
            return;
        };
        let opts = DbOptions {
            max_connections: 1,
            ..Default::default()
        };
        if let Ok(admin) = Db::connect(&c.admin_url, &opts).await {
            if let Db::Postgres(p) = &admin {
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    c.name
                )))
                .execute(p)
                .await;
            }
            admin.close().await;
        }
    }
}

/// Replace the database name in a PostgreSQL URL.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let host_part = match path_start {
        Some(i) => &base[..i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{name}?{q}"),
        None => format!("{host_part}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/x", "t"),
            "postgres://u:p@h:5432/t"
        );
        assert_eq!(with_database("postgres://u@h", "t"), "postgres://u@h/t");
        assert_eq!(
            with_database("postgres://u@h/x?sslmode=disable", "t"),
            "postgres://u@h/t?sslmode=disable"
        );
    }
}
