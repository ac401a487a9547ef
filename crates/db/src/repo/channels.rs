//! Channels of an account. Credentials are stored as an opaque, already-encrypted blob: this
//! crate never sees them in clear text.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use techoms_domain::{AccountId, Channel, ChannelId, ChannelKind, Integration};

use crate::error::{DbError, DbResult};
use crate::on_db;
use crate::pool::Db;
use crate::rows::{ChannelRow, channel_columns};

#[derive(Debug, Clone)]
pub struct NewChannel {
    pub kind: ChannelKind,
    pub integration: Integration,
    pub name: String,
    pub enabled: bool,
    pub settings: BTreeMap<String, String>,
    /// Encrypted credentials (see the app crate's secrets module).
    pub credentials: Option<Vec<u8>>,
}

fn name_conflict(e: sqlx::Error, name: &str) -> DbError {
    match DbError::from(e) {
        c @ DbError::Conflict { .. } if c.is_conflict_on("name") => DbError::Conflict {
            constraint: "channels_account_name_key".into(),
            message: format!("a channel named {name:?} already exists in this account"),
        },
        other => other,
    }
}

pub async fn create(
    db: &Db,
    account: AccountId,
    new: &NewChannel,
    now: DateTime<Utc>,
) -> DbResult<Channel> {
    let ch = Channel {
        id: ChannelId::new(),
        account_id: account,
        kind: new.kind,
        integration: new.integration,
        name: new.name.trim().to_owned(),
        enabled: new.enabled,
        settings: new.settings.clone(),
        created_at: now,
        updated_at: now,
    };
    on_db!(db, |p| sqlx::query(
        "INSERT INTO channels (id, account_id, kind, integration, name, enabled, settings, \
         credentials, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )
    .bind(ch.id.as_uuid())
    .bind(account.as_uuid())
    .bind(ch.kind.as_str())
    .bind(ch.integration.key())
    .bind(&ch.name)
    .bind(ch.enabled)
    .bind(Json(&ch.settings))
    .bind(new.credentials.as_deref())
    .bind(now)
    .bind(now)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .map_err(|e| name_conflict(e, &ch.name))?;
    Ok(ch)
}

pub async fn get(db: &Db, account: AccountId, id: ChannelId) -> DbResult<Channel> {
    let row: ChannelRow = on_db!(db, |p| sqlx::query_as(concat!(
        "SELECT ",
        channel_columns!(),
        " FROM channels WHERE account_id = $1 AND id = $2"
    ))
    .bind(account.as_uuid())
    .bind(id.as_uuid())
    .fetch_one(p)
    .await)?;
    row.try_into()
}

pub async fn list(db: &Db, account: AccountId) -> DbResult<Vec<Channel>> {
    let rows: Vec<ChannelRow> = on_db!(db, |p| sqlx::query_as(concat!(
        "SELECT ",
        channel_columns!(),
        " FROM channels WHERE account_id = $1 ORDER BY kind DESC, name"
    ))
    .bind(account.as_uuid())
    .fetch_all(p)
    .await)?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// The encrypted credentials blob of a channel.
pub async fn credentials(db: &Db, account: AccountId, id: ChannelId) -> DbResult<Option<Vec<u8>>> {
    let row: (Option<Vec<u8>>,) = on_db!(db, |p| sqlx::query_as(
        "SELECT credentials FROM channels WHERE account_id = $1 AND id = $2"
    )
    .bind(account.as_uuid())
    .bind(id.as_uuid())
    .fetch_one(p)
    .await)?;
    Ok(row.0)
}

/// What an edit may change. Kind and integration are fixed at creation: a Shopify channel
/// does not become a ShipBob one.
#[derive(Debug, Clone)]
pub struct ChannelUpdate {
    pub name: String,
    pub enabled: bool,
    pub settings: BTreeMap<String, String>,
    /// `Some` replaces the stored credentials; `None` keeps them.
    pub credentials: Option<Vec<u8>>,
}

pub async fn update(
    db: &Db,
    account: AccountId,
    id: ChannelId,
    u: &ChannelUpdate,
    now: DateTime<Utc>,
) -> DbResult<Channel> {
    let name = u.name.trim();
    let n = on_db!(db, |p| sqlx::query(
        "UPDATE channels SET name = $3, enabled = $4, settings = $5, \
         credentials = COALESCE($6, credentials), updated_at = $7 \
         WHERE account_id = $1 AND id = $2"
    )
    .bind(account.as_uuid())
    .bind(id.as_uuid())
    .bind(name)
    .bind(u.enabled)
    .bind(Json(&u.settings))
    .bind(u.credentials.as_deref())
    .bind(now)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .map_err(|e| name_conflict(e, name))?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    get(db, account, id).await
}

pub async fn set_enabled(
    db: &Db,
    account: AccountId,
    id: ChannelId,
    enabled: bool,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let n = on_db!(db, |p| sqlx::query(
        "UPDATE channels SET enabled = $3, updated_at = $4 WHERE account_id = $1 AND id = $2"
    )
    .bind(account.as_uuid())
    .bind(id.as_uuid())
    .bind(enabled)
    .bind(now)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    if n == 0 {
        Err(DbError::NotFound)
    } else {
        Ok(())
    }
}

/// Delete a channel. A channel that is its account's Master Product Channel is refused by the
/// foreign key (the caller checks first and explains).
pub async fn delete(db: &Db, account: AccountId, id: ChannelId) -> DbResult<()> {
    let n = on_db!(db, |p| sqlx::query(
        "DELETE FROM channels WHERE account_id = $1 AND id = $2"
    )
    .bind(account.as_uuid())
    .bind(id.as_uuid())
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    if n == 0 {
        Err(DbError::NotFound)
    } else {
        Ok(())
    }
}
