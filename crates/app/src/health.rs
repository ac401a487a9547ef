//! Liveness and readiness.

use crate::App;

/// Why the service is not ready to take traffic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotReady {
    #[error("database unreachable: {0}")]
    Database(String),
    #[error(
        "database schema is behind this binary: migrations {0:?} not applied (run `techoms migrate`)"
    )]
    PendingMigrations(Vec<i64>),
}

/// Ready when the database answers and every migration this binary knows has been applied.
pub async fn readiness(app: &App) -> Result<(), NotReady> {
    app.db
        .ping()
        .await
        .map_err(|e| NotReady::Database(e.to_string()))?;
    let pending = app
        .db
        .pending_migrations()
        .await
        .map_err(|e| NotReady::Database(e.to_string()))?;
    if pending.is_empty() {
        Ok(())
    } else {
        Err(NotReady::PendingMigrations(pending))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use techoms_domain::SystemClock;
    use techoms_testkit::TestDb;

    #[tokio::test]
    async fn ready_only_when_migrated() {
        for t in TestDb::all().await {
            let app = App::new(
                t.db.clone(),
                Arc::new(SystemClock),
                crate::secrets::SecretKey::generate(),
            );
            assert_eq!(readiness(&app).await, Ok(()));
            t.finish().await;
        }
        // A fresh, unmigrated database is reachable but not ready.
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/fresh.db", dir.path().display());
        let db = techoms_db::Db::connect(&url, &Default::default())
            .await
            .unwrap();
        let app = App::new(
            db,
            Arc::new(SystemClock),
            crate::secrets::SecretKey::generate(),
        );
        match readiness(&app).await {
            Err(NotReady::PendingMigrations(v)) => assert!(v.contains(&1)),
            other => panic!("expected pending migrations, got {other:?}"),
        }
    }
}
