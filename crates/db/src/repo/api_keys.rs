//! Account API keys: one per account, stored as a hash; regenerating replaces it, so the old
//! key stops working at once.

use chrono::{DateTime, Utc};
use techoms_domain::AccountId;
use uuid::Uuid;

use crate::error::DbResult;
use crate::on_db;
use crate::pool::Db;

/// Store (or replace) the account's key hash. `prefix` is the first characters of the key,
/// kept to show a masked key ("tok_Ab12…").
pub async fn set(
    db: &Db,
    account: AccountId,
    key_hash: &str,
    prefix: &str,
    now: DateTime<Utc>,
) -> DbResult<()> {
    on_db!(db, |p| {
        sqlx::query(
        "INSERT INTO api_keys (account_id, key_hash, key_prefix, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id) DO UPDATE SET key_hash = excluded.key_hash, \
         key_prefix = excluded.key_prefix, created_at = excluded.created_at"
    )
    .bind(account.as_uuid())
    .bind(key_hash)
    .bind(prefix)
    .bind(now)
    .execute(p)
    .await
    .map(|_| ())
    })?;
    Ok(())
}

pub async fn account_for(db: &Db, key_hash: &str) -> DbResult<Option<AccountId>> {
    let row: Option<(Uuid,)> = on_db!(db, |p| sqlx::query_as(
        "SELECT account_id FROM api_keys WHERE key_hash = $1"
    )
    .bind(key_hash)
    .fetch_optional(p)
    .await)?;
    Ok(row.map(|(a,)| a.into()))
}

/// The masked form's prefix and when the key was made.
pub async fn prefix(db: &Db, account: AccountId) -> DbResult<Option<(String, DateTime<Utc>)>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "SELECT key_prefix, created_at FROM api_keys WHERE account_id = $1"
    )
    .bind(account.as_uuid())
    .fetch_optional(p)
    .await)?)
}
