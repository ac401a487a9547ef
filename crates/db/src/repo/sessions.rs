//! Server-side login sessions. Only a hash of the session token is stored, so a copy of the
//! database does not hand out live sessions.

use chrono::{DateTime, Utc};
use techoms_domain::{AccountId, UserId};
use uuid::Uuid;

use crate::error::DbResult;
use crate::on_db;
use crate::pool::Db;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: UserId,
    pub csrf_token: String,
    pub current_account_id: Option<AccountId>,
    pub expires_at: DateTime<Utc>,
}

pub async fn create(db: &Db, token_hash: &str, s: &Session, now: DateTime<Utc>) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, current_account_id, created_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(token_hash)
    .bind(s.user_id.as_uuid())
    .bind(&s.csrf_token)
    .bind(s.current_account_id.map(|a| a.as_uuid()))
    .bind(now)
    .bind(s.expires_at)
    .execute(p)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// A live session (not expired at `now`).
pub async fn get(db: &Db, token_hash: &str, now: DateTime<Utc>) -> DbResult<Option<Session>> {
    let row: Option<(Uuid, String, Option<Uuid>, DateTime<Utc>)> = on_db!(db, |p| sqlx::query_as(
        "SELECT user_id, csrf_token, current_account_id, expires_at FROM sessions \
         WHERE token_hash = $1 AND expires_at > $2"
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(p)
    .await)?;
    Ok(row.map(|(u, csrf, acc, exp)| Session {
        user_id: u.into(),
        csrf_token: csrf,
        current_account_id: acc.map(Into::into),
        expires_at: exp,
    }))
}

pub async fn set_account(db: &Db, token_hash: &str, account: AccountId) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "UPDATE sessions SET current_account_id = $2 WHERE token_hash = $1"
    )
    .bind(token_hash)
    .bind(account.as_uuid())
    .execute(p)
    .await
    .map(|_| ()))?;
    Ok(())
}

pub async fn delete(db: &Db, token_hash: &str) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "DELETE FROM sessions WHERE token_hash = $1"
    )
    .bind(token_hash)
    .execute(p)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Remove sessions that expired before `now`.
pub async fn purge_expired(db: &Db, now: DateTime<Utc>) -> DbResult<u64> {
    Ok(on_db!(db, |p| sqlx::query(
        "DELETE FROM sessions WHERE expires_at <= $1"
    )
    .bind(now)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?)
}
