//! Test harness shared by the workspace's tests.
//!
//! [`TestDb`] gives a fresh, migrated database on either backend. PostgreSQL cases read
//! `TECHOMS_TEST_DATABASE_URL` (a server URL whose role may create databases); each test gets
//! its own database, dropped afterwards. Without the variable the PostgreSQL case is skipped
//! with a message on stderr — except when `CI=true`, where a missing PostgreSQL is a failure,
//! so CI can never pass by skipping.

pub mod db;
pub mod memory_connector;

pub use db::TestDb;
pub use memory_connector::MemoryConnector;

/// Run one async test body on SQLite and on PostgreSQL, as two tests named `<name>::sqlite`
/// and `<name>::postgres`. The body is an async closure taking a migrated [`techoms_db::Db`].
///
/// ```ignore
/// db_test!(creates_an_account, async |db: Db| { ... });
/// ```
#[macro_export]
macro_rules! db_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = $crate::TestDb::sqlite().await;
                let body = $body;
                body(t.db.clone()).await;
                t.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(t) = $crate::TestDb::postgres().await else {
                    return;
                };
                let body = $body;
                body(t.db.clone()).await;
                t.finish().await;
            }
        }
    };
}
