//! SKU mappings (DESIGN §2): per channel, channel SKU ↔ techOMS SKU, applied on import and on
//! export; unmapped SKUs pass through unchanged. One-to-one in both directions, so an import
//! and an export are inverse of each other.
//!
//! Changing a channel's mappings changes what the channel should hold, so every change here
//! clears the channel's export watermark: the next export compares the whole catalog.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::QueryBuilder;
use techoms_domain::{AccountId, ChannelId, Sku, SkuKey};
use uuid::Uuid;

use crate::error::{DbError, DbResult};
use crate::on_db;
use crate::pool::Db;
use crate::repo::bindings::{
    self, Direction, Exec, IN_CHUNK, Keys, WriteTx, key_match, key_source, on_exec, on_tx,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkuMapping {
    pub id: Uuid,
    pub channel_id: ChannelId,
    pub channel_sku: String,
    pub techoms_sku: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

type Row = (Uuid, Uuid, String, String, DateTime<Utc>, DateTime<Utc>);

fn from_row((id, channel, channel_sku, techoms_sku, created_at, updated_at): Row) -> SkuMapping {
    SkuMapping {
        id,
        channel_id: channel.into(),
        channel_sku,
        techoms_sku,
        created_at,
        updated_at,
    }
}

fn explain(e: DbError, m: &(Sku, Sku)) -> DbError {
    if e.is_conflict_on("techoms_sku") {
        DbError::Conflict {
            constraint: "sku_mappings_techoms_sku_key".into(),
            message: format!(
                "techOMS SKU {} is already mapped to another channel SKU on this channel",
                m.1
            ),
        }
    } else if e.is_conflict_on("channel_sku") {
        DbError::Conflict {
            constraint: "sku_mappings_channel_sku_key".into(),
            message: format!("channel SKU {} is already mapped on this channel", m.0),
        }
    } else {
        e
    }
}

/// Create or replace mappings (channel SKU, techOMS SKU) in one transaction: a mapping whose
/// channel SKU exists is replaced. All or nothing: a conflict names the SKU at fault.
pub async fn upsert(
    db: &Db,
    account: AccountId,
    channel: ChannelId,
    mappings: &[(Sku, Sku)],
    now: DateTime<Utc>,
) -> DbResult<()> {
    let mut tx = WriteTx::begin(db).await?;
    for m in mappings {
        let res: DbResult<()> = on_tx!(&mut tx, |c| {
            sqlx::query(
                "INSERT INTO sku_mappings (id, account_id, channel_id, channel_sku, channel_sku_key, \
                 techoms_sku, techoms_sku_key, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                 ON CONFLICT (channel_id, channel_sku_key) DO UPDATE SET \
                 channel_sku = excluded.channel_sku, techoms_sku = excluded.techoms_sku, \
                 techoms_sku_key = excluded.techoms_sku_key, updated_at = excluded.updated_at \
                 WHERE sku_mappings.account_id = excluded.account_id",
            )
            .bind(Uuid::now_v7())
            .bind(account.as_uuid())
            .bind(channel.as_uuid())
            .bind(m.0.as_str())
            .bind(m.0.key().as_str())
            .bind(m.1.as_str())
            .bind(m.1.key().as_str())
            .bind(now)
            .execute(&mut *c)
            .await
            .map(|_| ())
            .map_err(DbError::from)
        });
        res.map_err(|e| explain(e, m))?;
    }
    bindings::set_watermark(
        &mut tx,
        account,
        channel,
        Direction::Export,
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await
}

/// Delete the mapping of this channel SKU.
pub async fn delete(
    db: &Db,
    account: AccountId,
    channel: ChannelId,
    channel_sku: &SkuKey,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let mut tx = WriteTx::begin(db).await?;
    let n = on_tx!(&mut tx, |c| {
        sqlx::query(
        "DELETE FROM sku_mappings WHERE account_id = $1 AND channel_id = $2 AND channel_sku_key = $3"
    )
    .bind(account.as_uuid())
    .bind(channel.as_uuid())
    .bind(channel_sku.as_str())
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    bindings::set_watermark(
        &mut tx,
        account,
        channel,
        Direction::Export,
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await
}

/// A channel's mappings, by channel SKU.
pub async fn list(db: &Db, account: AccountId, channel: ChannelId) -> DbResult<Vec<SkuMapping>> {
    let rows: Vec<Row> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT id, channel_id, channel_sku, techoms_sku, created_at, updated_at FROM sku_mappings \
         WHERE account_id = $1 AND channel_id = $2 ORDER BY channel_sku_key"
    )
    .bind(account.as_uuid())
    .bind(channel.as_uuid())
    .fetch_all(p)
    .await
    })?;
    Ok(rows.into_iter().map(from_row).collect())
}

pub async fn count(db: &Db, account: AccountId, channel: ChannelId) -> DbResult<i64> {
    let (n,): (i64,) = on_db!(db, |p| sqlx::query_as(
        "SELECT COUNT(*) FROM sku_mappings WHERE account_id = $1 AND channel_id = $2"
    )
    .bind(account.as_uuid())
    .bind(channel.as_uuid())
    .fetch_one(p)
    .await)?;
    Ok(n)
}

/// Which way to look a mapping up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// From channel SKU keys to techOMS SKUs (import).
    FromChannel,
    /// From techOMS SKU keys to channel SKUs (export).
    ToChannel,
}

/// The mappings of these keys, as (the key looked up, the SKU on the other side).
pub async fn lookup<'a>(
    exec: impl Into<Exec<'a>>,
    account: AccountId,
    channel: ChannelId,
    way: Lookup,
    keys: &[&str],
) -> DbResult<Vec<(SkuKey, String)>> {
    let mut out = Vec::new();
    if keys.is_empty() {
        return Ok(out);
    }
    let (from, to) = match way {
        Lookup::FromChannel => ("channel_sku_key", "techoms_sku"),
        Lookup::ToChannel => ("techoms_sku_key", "channel_sku"),
    };
    on_exec!(exec.into(), |c| {
        for chunk in keys.chunks(IN_CHUNK) {
            let keys = Keys::Text(chunk);
            let mut qb = QueryBuilder::new(format!("SELECT m.{from}, m.{to} FROM "));
            key_source(&mut qb, keys);
            qb.push("sku_mappings m WHERE ");
            key_match(&mut qb, &format!("m.{from}"), keys);
            qb.push(" AND m.channel_id = ")
                .push_bind(channel.as_uuid())
                .push(" AND m.account_id = ")
                .push_bind(account.as_uuid());
            let rows: Vec<(String, String)> = qb.build_query_as().fetch_all(&mut *c).await?;
            out.extend(rows.into_iter().map(|(k, s)| (SkuKey::from_stored(k), s)));
        }
    });
    Ok(out)
}
