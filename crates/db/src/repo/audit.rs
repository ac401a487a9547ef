//! Audit events, newest first.

use chrono::{DateTime, Utc};
use techoms_domain::{AccountId, AuditEvent};
use uuid::Uuid;

use crate::error::DbResult;
use crate::on_db;
use crate::pool::Db;

pub async fn record(db: &Db, e: &AuditEvent) -> DbResult<()> {
    on_db!(db, |p| {
        sqlx::query(
        "INSERT INTO audit_events (id, account_id, actor, action, old_value, new_value, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(e.id)
    .bind(e.account_id.as_uuid())
    .bind(&e.actor)
    .bind(&e.action)
    .bind(e.old_value.as_deref())
    .bind(e.new_value.as_deref())
    .bind(e.created_at)
    .execute(p)
    .await
    .map(|_| ())
    })?;
    Ok(())
}

type Row = (
    Uuid,
    Uuid,
    String,
    String,
    Option<String>,
    Option<String>,
    DateTime<Utc>,
);

pub async fn list(db: &Db, account: AccountId, limit: u32) -> DbResult<Vec<AuditEvent>> {
    let rows: Vec<Row> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT id, account_id, actor, action, old_value, new_value, created_at FROM audit_events \
         WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
    )
    .bind(account.as_uuid())
    .bind(i64::from(limit))
    .fetch_all(p)
    .await
    })?;
    Ok(rows
        .into_iter()
        .map(
            |(id, a, actor, action, old_value, new_value, created_at)| AuditEvent {
                id,
                account_id: a.into(),
                actor,
                action,
                old_value,
                new_value,
                created_at,
            },
        )
        .collect())
}
