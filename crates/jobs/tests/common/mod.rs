//! Helpers shared by the test binaries (each uses a subset, hence the allow).
#![allow(dead_code)]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::SqlitePoolOptions;
use techoms_db::Db;
use techoms_domain::{Clock, ManualClock, SystemClock};
use techoms_jobs::{Queue, RetryPolicy};

pub fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub fn manual() -> ManualClock {
    ManualClock::new(start())
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub fn chrono_ms(n: i64) -> chrono::Duration {
    chrono::Duration::milliseconds(n)
}

/// A queue on `db` driven by a manual clock.
pub fn manual_queue(db: &Db, clock: &ManualClock) -> Queue {
    Queue::new(db.clone(), Arc::new(clock.clone()) as Arc<dyn Clock>)
}

/// A queue on `db` driven by the wall clock, with short retry delays.
pub fn system_queue(db: &Db) -> Queue {
    Queue::new(db.clone(), Arc::new(SystemClock)).with_retry_policy(RetryPolicy {
        base: ms(50),
        max: ms(200),
        jitter: 0.5,
    })
}

/// A separate connection pool to the same database: on PostgreSQL it behaves like another
/// process (its own sessions, locks and snapshots); on SQLite another set of file handles.
pub async fn another_pool(db: &Db, max: u32) -> Db {
    match db {
        Db::Sqlite(p) => Db::Sqlite(
            SqlitePoolOptions::new()
                .max_connections(max)
                .connect_with((*p.connect_options()).clone())
                .await
                .unwrap(),
        ),
        Db::Postgres(p) => Db::Postgres(
            PgPoolOptions::new()
                .max_connections(max)
                .connect_with((*p.connect_options()).clone())
                .await
                .unwrap(),
        ),
    }
}

/// Poll `f` every 10 ms until it is true; panic after `timeout`.
pub async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if f().await {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(ms(10)).await;
    }
}
