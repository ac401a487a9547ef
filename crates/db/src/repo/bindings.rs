//! Channel bindings: the identity ledger (DESIGN §2). For each (channel, remote variant) the
//! channel's own ids, the SKU as the channel spells it, the catalog variant it stands for and
//! the content hash last exchanged. Matching uses the binding first and the SKU second, so a
//! remote product is never created twice.
//!
//! This module also holds [`WriteTx`]: the engine writes one page (catalog rows, bindings, run
//! messages, run counts and checkpoint) in one transaction, across several repositories, on
//! either backend.

use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder, Sqlite, Transaction};
use techoms_domain::{AccountId, ChannelId, ProductId, RunId, SkuKey, VariantId};
use uuid::Uuid;

use crate::error::DbResult;
use crate::pool::{BeginWrite, Db};

/// SQLite's default limit on bound parameters per statement (PostgreSQL allows 65535); every
/// multi-row statement stays under it.
pub(crate) const MAX_BINDS: usize = 32_766;

/// Rows per multi-row statement for a table of `columns` bound columns.
pub(crate) fn rows_per_statement(columns: usize) -> usize {
    (MAX_BINDS / columns.max(1)).max(1)
}

/// Items per `IN (…)` list, leaving room for the statement's other parameters.
pub(crate) const IN_CHUNK: usize = 10_000;

/// A writing transaction on either backend (`BEGIN IMMEDIATE` on SQLite).
pub enum WriteTx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl WriteTx {
    pub async fn begin(db: &Db) -> DbResult<WriteTx> {
        Ok(match db {
            Db::Sqlite(p) => WriteTx::Sqlite(p.begin_write().await?),
            Db::Postgres(p) => WriteTx::Postgres(p.begin_write().await?),
        })
    }

    /// A writing transaction for the engine's pages. On PostgreSQL its commit does not wait
    /// for the WAL flush (`synchronous_commit = off`): a page commits together with the
    /// checkpoint that follows it, so a page lost to a server crash is simply read again when
    /// the run resumes, and any later ordinary commit (the run's end) flushes it anyway.
    pub async fn begin_page(db: &Db) -> DbResult<WriteTx> {
        let mut tx = Self::begin(db).await?;
        if let WriteTx::Postgres(t) = &mut tx {
            sqlx::query("SET LOCAL synchronous_commit = off")
                .execute(&mut **t)
                .await?;
        }
        Ok(tx)
    }

    pub async fn commit(self) -> DbResult<()> {
        match self {
            WriteTx::Sqlite(t) => t.commit().await?,
            WriteTx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// Where a statement runs: the pool, or an open [`WriteTx`].
pub enum Exec<'a> {
    Db(&'a Db),
    Tx(&'a mut WriteTx),
}

impl<'a> From<&'a Db> for Exec<'a> {
    fn from(db: &'a Db) -> Self {
        Exec::Db(db)
    }
}

impl<'a> From<&'a mut WriteTx> for Exec<'a> {
    fn from(tx: &'a mut WriteTx) -> Self {
        Exec::Tx(tx)
    }
}

/// Run a body with `$c: &mut <Connection>` of whichever backend `$tx` (a `&mut WriteTx`)
/// holds; the body is compiled once per driver, like [`crate::on_db!`].
macro_rules! on_tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            $crate::repo::bindings::WriteTx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::repo::bindings::WriteTx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}
pub(crate) use on_tx;

/// Like [`on_tx!`] for an [`Exec`]: a pool connection is acquired for the body.
macro_rules! on_exec {
    ($exec:expr, |$c:ident| $body:expr) => {
        match $exec {
            $crate::repo::bindings::Exec::Db($crate::Db::Sqlite(p)) => {
                let mut conn = p.acquire().await?;
                let $c = &mut *conn;
                $body
            }
            $crate::repo::bindings::Exec::Db($crate::Db::Postgres(p)) => {
                let mut conn = p.acquire().await?;
                let $c = &mut *conn;
                $body
            }
            $crate::repo::bindings::Exec::Tx(tx) => $crate::repo::bindings::on_tx!(tx, |$c| $body),
        }
    };
}
pub(crate) use on_exec;

/// A list of keys a statement is restricted to.
#[derive(Clone, Copy)]
pub(crate) enum Keys<'a> {
    Text(&'a [&'a str]),
    Uuids(&'a [Uuid]),
}

/// How each backend is told to probe an index once per key, whatever its statistics say.
///
/// SQLite has no statistics on these tables; beside `account_id = ?` it would rather walk
/// every row of the account than probe a unique index with an `IN (…)` list. Driven from a
/// `VALUES` list with `CROSS JOIN` (which fixes the loop order), it probes. PostgreSQL, whose
/// statistics lag a bulk load, may re-scan a growing table once per key of a `VALUES` list;
/// given an array (`= ANY($n)`) it plans index probes. One SQL text per backend here, shared
/// SQL everywhere else.
pub(crate) trait KeyedSql: sqlx::Database + Sized {
    /// Push what goes before the table in a FROM clause (SQLite: `(VALUES …) k CROSS JOIN `).
    fn push_key_source(qb: &mut QueryBuilder<Self>, keys: Keys<'_>);
    /// Push the WHERE condition tying `column` to the keys.
    fn push_key_match(qb: &mut QueryBuilder<Self>, column: &str, keys: Keys<'_>);
    /// Push `column ∈ keys` for an UPDATE or a DELETE.
    fn push_key_in(qb: &mut QueryBuilder<Self>, column: &str, keys: Keys<'_>);
}

fn push_values_list(qb: &mut QueryBuilder<Sqlite>, keys: Keys<'_>) {
    qb.push("(VALUES ");
    let mut sep = qb.separated(", ");
    match keys {
        Keys::Text(k) => {
            for x in k {
                sep.push("(");
                sep.push_bind_unseparated(*x);
                sep.push_unseparated(")");
            }
        }
        Keys::Uuids(k) => {
            for x in k {
                sep.push("(");
                sep.push_bind_unseparated(*x);
                sep.push_unseparated(")");
            }
        }
    }
    qb.push(") k");
}

impl KeyedSql for Sqlite {
    fn push_key_source(qb: &mut QueryBuilder<Self>, keys: Keys<'_>) {
        push_values_list(qb, keys);
        qb.push(" CROSS JOIN ");
    }
    fn push_key_match(qb: &mut QueryBuilder<Self>, column: &str, _keys: Keys<'_>) {
        qb.push(format!("{column} = k.column1"));
    }
    fn push_key_in(qb: &mut QueryBuilder<Self>, column: &str, keys: Keys<'_>) {
        qb.push(format!("{column} IN (SELECT k.column1 FROM "));
        push_values_list(qb, keys);
        qb.push(")");
    }
}

impl KeyedSql for Postgres {
    fn push_key_source(_qb: &mut QueryBuilder<Self>, _keys: Keys<'_>) {}
    fn push_key_match(qb: &mut QueryBuilder<Self>, column: &str, keys: Keys<'_>) {
        qb.push(format!("{column} = ANY("));
        match keys {
            Keys::Text(k) => qb.push_bind(k.to_vec()),
            Keys::Uuids(k) => qb.push_bind(k.to_vec()),
        };
        qb.push(")");
    }
    fn push_key_in(qb: &mut QueryBuilder<Self>, column: &str, keys: Keys<'_>) {
        Self::push_key_match(qb, column, keys);
    }
}

/// [`KeyedSql::push_key_source`] for whichever backend `qb` is built for.
pub(crate) fn key_source<DB: KeyedSql>(qb: &mut QueryBuilder<DB>, keys: Keys<'_>) {
    DB::push_key_source(qb, keys)
}

/// [`KeyedSql::push_key_match`] for whichever backend `qb` is built for.
pub(crate) fn key_match<DB: KeyedSql>(qb: &mut QueryBuilder<DB>, column: &str, keys: Keys<'_>) {
    DB::push_key_match(qb, column, keys)
}

/// [`KeyedSql::push_key_in`] for whichever backend `qb` is built for.
pub(crate) fn key_in<DB: KeyedSql>(qb: &mut QueryBuilder<DB>, column: &str, keys: Keys<'_>) {
    DB::push_key_in(qb, column, keys)
}

/// One binding as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub channel_id: ChannelId,
    pub variant_id: Option<VariantId>,
    pub remote_product_id: String,
    pub remote_variant_id: String,
    pub inventory_item_id: Option<String>,
    pub channel_sku: String,
    pub sku_key: SkuKey,
    pub remote_updated_at: Option<DateTime<Utc>>,
    pub content_hash: Option<String>,
    pub last_pushed_at: Option<DateTime<Utc>>,
    pub last_read_at: Option<DateTime<Utc>>,
    pub last_read_run_id: Option<RunId>,
    pub missing_at_master: bool,
}

macro_rules! binding_columns {
    () => {
        "channel_id, variant_id, remote_product_id, remote_variant_id, inventory_item_id, \
         channel_sku, sku_key, remote_updated_at, content_hash, last_pushed_at, last_read_at, \
         last_read_run_id, missing_at_master"
    };
}

#[derive(sqlx::FromRow)]
struct BindingRow {
    channel_id: Uuid,
    variant_id: Option<Uuid>,
    remote_product_id: String,
    remote_variant_id: String,
    inventory_item_id: Option<String>,
    channel_sku: String,
    sku_key: String,
    remote_updated_at: Option<DateTime<Utc>>,
    content_hash: Option<String>,
    last_pushed_at: Option<DateTime<Utc>>,
    last_read_at: Option<DateTime<Utc>>,
    last_read_run_id: Option<Uuid>,
    missing_at_master: bool,
}

impl From<BindingRow> for Binding {
    fn from(r: BindingRow) -> Self {
        Binding {
            channel_id: r.channel_id.into(),
            variant_id: r.variant_id.map(Into::into),
            remote_product_id: r.remote_product_id,
            remote_variant_id: r.remote_variant_id,
            inventory_item_id: r.inventory_item_id,
            channel_sku: r.channel_sku,
            sku_key: SkuKey::from_stored(r.sku_key),
            remote_updated_at: r.remote_updated_at,
            content_hash: r.content_hash,
            last_pushed_at: r.last_pushed_at,
            last_read_at: r.last_read_at,
            last_read_run_id: r.last_read_run_id.map(Into::into),
            missing_at_master: r.missing_at_master,
        }
    }
}

/// What the engine reads of a binding on its hot paths: ids, hash and read state — no
/// timestamps or SKU texts to decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    pub variant_id: Option<VariantId>,
    pub remote_product_id: String,
    pub remote_variant_id: String,
    pub inventory_item_id: Option<String>,
    pub content_hash: Option<String>,
    pub last_read_run_id: Option<RunId>,
    pub missing_at_master: bool,
}

#[derive(sqlx::FromRow)]
pub(crate) struct BoundRow {
    pub variant_id: Option<Uuid>,
    pub remote_product_id: String,
    pub remote_variant_id: String,
    pub inventory_item_id: Option<String>,
    pub content_hash: Option<String>,
    pub last_read_run_id: Option<Uuid>,
    pub missing_at_master: bool,
}

impl From<BoundRow> for Bound {
    fn from(r: BoundRow) -> Self {
        Bound {
            variant_id: r.variant_id.map(Into::into),
            remote_product_id: r.remote_product_id,
            remote_variant_id: r.remote_variant_id,
            inventory_item_id: r.inventory_item_id,
            content_hash: r.content_hash,
            last_read_run_id: r.last_read_run_id.map(Into::into),
            missing_at_master: r.missing_at_master,
        }
    }
}

macro_rules! bound_columns {
    () => {
        "b.variant_id, b.remote_product_id, b.remote_variant_id, b.inventory_item_id, \
         b.content_hash, b.last_read_run_id, b.missing_at_master"
    };
}

/// The channel's bindings of these remote variants.
pub async fn by_remote_variants<'a>(
    exec: impl Into<Exec<'a>>,
    account: AccountId,
    channel: ChannelId,
    remote_variant_ids: &[&str],
) -> DbResult<Vec<Bound>> {
    let mut out = Vec::with_capacity(remote_variant_ids.len());
    if remote_variant_ids.is_empty() {
        return Ok(out);
    }
    on_exec!(exec.into(), |c| {
        for chunk in remote_variant_ids.chunks(IN_CHUNK) {
            let keys = Keys::Text(chunk);
            let mut qb = QueryBuilder::new(concat!("SELECT ", bound_columns!(), " FROM "));
            key_source(&mut qb, keys);
            qb.push("channel_bindings b WHERE ");
            key_match(&mut qb, "b.remote_variant_id", keys);
            qb.push(" AND b.channel_id = ")
                .push_bind(channel.as_uuid())
                .push(" AND b.account_id = ")
                .push_bind(account.as_uuid());
            let rows: Vec<BoundRow> = qb.build_query_as().fetch_all(&mut *c).await?;
            out.extend(rows.into_iter().map(Bound::from));
        }
    });
    Ok(out)
}

/// The channel's bindings of these catalog variants.
pub async fn by_variants<'a>(
    exec: impl Into<Exec<'a>>,
    account: AccountId,
    channel: ChannelId,
    variants: &[VariantId],
) -> DbResult<Vec<Bound>> {
    let mut out = Vec::with_capacity(variants.len());
    if variants.is_empty() {
        return Ok(out);
    }
    on_exec!(exec.into(), |c| {
        for chunk in variants.chunks(IN_CHUNK) {
            let ids: Vec<Uuid> = chunk.iter().map(VariantId::as_uuid).collect();
            let keys = Keys::Uuids(&ids);
            let mut qb = QueryBuilder::new(concat!("SELECT ", bound_columns!(), " FROM "));
            key_source(&mut qb, keys);
            qb.push("channel_bindings b WHERE ");
            key_match(&mut qb, "b.variant_id", keys);
            qb.push(" AND b.channel_id = ")
                .push_bind(channel.as_uuid())
                .push(" AND b.account_id = ")
                .push_bind(account.as_uuid());
            let rows: Vec<BoundRow> = qb.build_query_as().fetch_all(&mut *c).await?;
            out.extend(rows.into_iter().map(Bound::from));
        }
    });
    Ok(out)
}

/// Every channel's binding of one catalog variant (the product page's per-channel status).
pub async fn for_variant(
    db: &Db,
    account: AccountId,
    variant: VariantId,
) -> DbResult<Vec<Binding>> {
    let rows: Vec<BindingRow> = crate::on_db!(db, |p| sqlx::query_as(concat!(
        "SELECT ",
        binding_columns!(),
        " FROM channel_bindings WHERE account_id = $1 AND variant_id = $2 ORDER BY channel_id"
    ))
    .bind(account.as_uuid())
    .bind(variant.as_uuid())
    .fetch_all(p)
    .await)?;
    Ok(rows.into_iter().map(Binding::from).collect())
}

/// The bindings of these catalog variants on these channels (a product page: the account's
/// channels × the product's variants), ordered by variant, then channel. One index probe per
/// (channel, variant), whatever the planner's statistics say (see [`KeyedSql`]).
pub async fn for_variants(
    db: &Db,
    account: AccountId,
    channels: &[ChannelId],
    variants: &[VariantId],
) -> DbResult<Vec<Binding>> {
    let mut out = Vec::new();
    if variants.is_empty() {
        return Ok(out);
    }
    crate::on_db!(db, |p| {
        for channel in channels {
            for chunk in variants.chunks(IN_CHUNK) {
                let ids: Vec<Uuid> = chunk.iter().map(VariantId::as_uuid).collect();
                let keys = Keys::Uuids(&ids);
                let mut qb = QueryBuilder::new(concat!("SELECT ", binding_columns!(), " FROM "));
                key_source(&mut qb, keys);
                qb.push("channel_bindings WHERE ");
                key_match(&mut qb, "variant_id", keys);
                qb.push(" AND channel_id = ")
                    .push_bind(channel.as_uuid())
                    .push(" AND account_id = ")
                    .push_bind(account.as_uuid());
                let rows: Vec<BindingRow> = qb.build_query_as().fetch_all(p).await?;
                out.extend(rows.into_iter().map(Binding::from));
            }
        }
    });
    out.sort_by_key(|b| (b.variant_id, b.channel_id));
    Ok(out)
}

/// What an import read of one remote variant records.
#[derive(Debug, Clone)]
pub struct ReadBinding {
    pub variant_id: Option<VariantId>,
    pub remote_product_id: String,
    pub remote_variant_id: String,
    pub inventory_item_id: Option<String>,
    pub channel_sku: String,
    pub sku_key: SkuKey,
    pub remote_updated_at: Option<DateTime<Utc>>,
    pub content_hash: String,
}

/// Record what an import read: upsert by (channel, remote variant), marking each row read by
/// `run` and present at the master. `release` lists catalog variants that change hands in
/// this page: whichever other remote variant held them lets go first, so that
/// (channel, variant) stays unique.
pub async fn record_read(
    tx: &mut WriteTx,
    account: AccountId,
    channel: ChannelId,
    run: RunId,
    rows: &[ReadBinding],
    release: &[VariantId],
    now: DateTime<Utc>,
) -> DbResult<()> {
    on_tx!(tx, |c| {
        for chunk in release.chunks(IN_CHUNK) {
            let mut qb =
                QueryBuilder::new("UPDATE channel_bindings SET variant_id = NULL, updated_at = ");
            qb.push_bind(now)
                .push(" WHERE channel_id = ")
                .push_bind(channel.as_uuid())
                .push(" AND account_id = ")
                .push_bind(account.as_uuid())
                .push(" AND ");
            let ids: Vec<Uuid> = chunk.iter().map(VariantId::as_uuid).collect();
            key_in(&mut qb, "variant_id", Keys::Uuids(&ids));
            qb.build().execute(&mut *c).await?;
        }
        // Per-row values only; the account, channel, run and times are bound once.
        for chunk in rows.chunks(rows_per_statement(8)) {
            let mut qb = QueryBuilder::new(
                "INSERT INTO channel_bindings (account_id, channel_id, variant_id, \
                 remote_product_id, remote_variant_id, inventory_item_id, channel_sku, sku_key, \
                 remote_updated_at, content_hash, last_read_at, last_read_run_id, \
                 missing_at_master, created_at, updated_at) SELECT ",
            );
            qb.push_bind(account.as_uuid())
                .push(", ")
                .push_bind(channel.as_uuid())
                .push(
                    ", k.column1, k.column2, k.column3, k.column4, k.column5, k.column6, \
                     k.column7, k.column8, ",
                )
                .push_bind(now)
                .push(", ")
                .push_bind(run.as_uuid())
                .push(", FALSE, ")
                .push_bind(now)
                .push(", ")
                .push_bind(now)
                .push(" FROM (");
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.variant_id.map(|v| v.as_uuid()))
                    .push_bind(&r.remote_product_id)
                    .push_bind(&r.remote_variant_id)
                    .push_bind(r.inventory_item_id.as_deref())
                    .push_bind(&r.channel_sku)
                    .push_bind(r.sku_key.as_str())
                    .push_bind(r.remote_updated_at)
                    .push_bind(&r.content_hash);
            });
            // `WHERE TRUE` keeps SQLite from reading ON CONFLICT as a join constraint.
            qb.push(
                ") k WHERE TRUE ON CONFLICT (channel_id, remote_variant_id) DO UPDATE SET \
                 variant_id = excluded.variant_id, remote_product_id = excluded.remote_product_id, \
                 inventory_item_id = excluded.inventory_item_id, channel_sku = excluded.channel_sku, \
                 sku_key = excluded.sku_key, remote_updated_at = excluded.remote_updated_at, \
                 content_hash = excluded.content_hash, last_read_at = excluded.last_read_at, \
                 last_read_run_id = excluded.last_read_run_id, \
                 missing_at_master = excluded.missing_at_master, updated_at = excluded.updated_at \
                 WHERE channel_bindings.account_id = excluded.account_id",
            );
            qb.build().execute(&mut *c).await?;
        }
    });
    Ok(())
}

/// Mark these remote variants read by `run` and present at the master, when nothing else
/// about them changed (the narrow write of an unchanged re-read).
pub async fn mark_read(
    tx: &mut WriteTx,
    account: AccountId,
    channel: ChannelId,
    run: RunId,
    remote_variant_ids: &[&str],
    now: DateTime<Utc>,
) -> DbResult<()> {
    on_tx!(tx, |c| {
        for chunk in remote_variant_ids.chunks(IN_CHUNK) {
            let mut qb = QueryBuilder::new("UPDATE channel_bindings SET last_read_at = ");
            qb.push_bind(now)
                .push(", last_read_run_id = ")
                .push_bind(run.as_uuid())
                .push(", missing_at_master = FALSE WHERE channel_id = ")
                .push_bind(channel.as_uuid())
                .push(" AND account_id = ")
                .push_bind(account.as_uuid())
                .push(" AND ");
            key_in(&mut qb, "remote_variant_id", Keys::Text(chunk));
            qb.build().execute(&mut *c).await?;
        }
    });
    Ok(())
}

/// What an export (or an adoption by SKU) records for one catalog variant.
#[derive(Debug, Clone)]
pub struct PushedBinding {
    pub variant_id: VariantId,
    pub remote_product_id: String,
    pub remote_variant_id: String,
    pub inventory_item_id: Option<String>,
    pub channel_sku: String,
    pub sku_key: SkuKey,
    pub content_hash: String,
}

/// Record what an export wrote (or adopted). Any row holding one of these remote variants or
/// catalog variants is replaced, so both uniqueness rules hold whatever the channel answered.
pub async fn record_pushed(
    tx: &mut WriteTx,
    account: AccountId,
    channel: ChannelId,
    rows: &[PushedBinding],
    now: DateTime<Utc>,
) -> DbResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    on_tx!(tx, |c| {
        for chunk in rows.chunks(IN_CHUNK) {
            // Whoever holds one of these remote variants, and these variants' old rows.
            let mut qb = QueryBuilder::new("DELETE FROM channel_bindings WHERE channel_id = ");
            qb.push_bind(channel.as_uuid())
                .push(" AND account_id = ")
                .push_bind(account.as_uuid())
                .push(" AND ");
            let rids: Vec<&str> = chunk.iter().map(|r| r.remote_variant_id.as_str()).collect();
            key_in(&mut qb, "remote_variant_id", Keys::Text(&rids));
            qb.build().execute(&mut *c).await?;
            let mut qb = QueryBuilder::new("DELETE FROM channel_bindings WHERE channel_id = ");
            qb.push_bind(channel.as_uuid())
                .push(" AND account_id = ")
                .push_bind(account.as_uuid())
                .push(" AND ");
            let vids: Vec<Uuid> = chunk.iter().map(|r| r.variant_id.as_uuid()).collect();
            key_in(&mut qb, "variant_id", Keys::Uuids(&vids));
            qb.build().execute(&mut *c).await?;
        }
        for chunk in rows.chunks(rows_per_statement(7)) {
            let mut qb = QueryBuilder::new(
                "INSERT INTO channel_bindings (account_id, channel_id, variant_id, \
                 remote_product_id, remote_variant_id, inventory_item_id, channel_sku, sku_key, \
                 content_hash, last_pushed_at, missing_at_master, created_at, updated_at) SELECT ",
            );
            qb.push_bind(account.as_uuid())
                .push(", ")
                .push_bind(channel.as_uuid())
                .push(
                    ", k.column1, k.column2, k.column3, k.column4, k.column5, k.column6, \
                     k.column7, ",
                )
                .push_bind(now)
                .push(", FALSE, ")
                .push_bind(now)
                .push(", ")
                .push_bind(now)
                .push(" FROM (");
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.variant_id.as_uuid())
                    .push_bind(&r.remote_product_id)
                    .push_bind(&r.remote_variant_id)
                    .push_bind(r.inventory_item_id.as_deref())
                    .push_bind(&r.channel_sku)
                    .push_bind(r.sku_key.as_str())
                    .push_bind(&r.content_hash);
            });
            qb.push(") k");
            qb.build().execute(&mut *c).await?;
        }
    });
    Ok(())
}

/// Flag up to `limit` bound variants of the master channel that the full read `run` did not
/// return as missing at master, and return them (for one Warning each). Call until it returns
/// fewer than `limit`.
pub async fn flag_missing(
    tx: &mut WriteTx,
    account: AccountId,
    channel: ChannelId,
    run: RunId,
    limit: i64,
    now: DateTime<Utc>,
) -> DbResult<Vec<Binding>> {
    // Two statements: find the victims, then update them by key. One statement with
    // `remote_variant_id IN (SELECT … LIMIT n)` (or a join with it) lets PostgreSQL, whose
    // statistics lag a bulk load, re-run the subquery once per binding: minutes for 50,000.
    let victims: Vec<(String,)> = on_tx!(tx, |c| sqlx::query_as(
        "SELECT remote_variant_id FROM channel_bindings WHERE channel_id = $2 \
         AND account_id = $1 AND variant_id IS NOT NULL AND NOT missing_at_master \
         AND (last_read_run_id IS NULL OR last_read_run_id <> $3) LIMIT $4"
    )
    .bind(account.as_uuid())
    .bind(channel.as_uuid())
    .bind(run.as_uuid())
    .bind(limit)
    .fetch_all(&mut *c)
    .await)?;
    let keys: Vec<&str> = victims.iter().map(|(k,)| k.as_str()).collect();
    let mut rows: Vec<BindingRow> = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(IN_CHUNK) {
        let part: Vec<BindingRow> = on_tx!(tx, |c| {
            let mut qb = QueryBuilder::new(
                "UPDATE channel_bindings SET missing_at_master = TRUE, updated_at = ",
            );
            qb.push_bind(now)
                .push(" WHERE channel_id = ")
                .push_bind(channel.as_uuid())
                .push(" AND account_id = ")
                .push_bind(account.as_uuid())
                .push(" AND ");
            key_in(&mut qb, "remote_variant_id", Keys::Text(chunk));
            qb.push(concat!(" RETURNING ", binding_columns!()));
            qb.build_query_as().fetch_all(&mut *c).await?
        });
        rows.extend(part);
    }
    Ok(rows.into_iter().map(Binding::from).collect())
}

/// For each of these catalog products, the remote products of the channel that hold one of
/// its variants (live bindings only): which remote product "owns" a catalog product.
pub async fn product_owners<'a>(
    exec: impl Into<Exec<'a>>,
    account: AccountId,
    channel: ChannelId,
    products: &[ProductId],
) -> DbResult<Vec<(ProductId, String)>> {
    let mut out = Vec::new();
    if products.is_empty() {
        return Ok(out);
    }
    on_exec!(exec.into(), |c| {
        for chunk in products.chunks(IN_CHUNK) {
            // Driven from the products, so the cost follows the page, not the account.
            let ids: Vec<Uuid> = chunk.iter().map(ProductId::as_uuid).collect();
            let keys = Keys::Uuids(&ids);
            let mut qb =
                QueryBuilder::new("SELECT DISTINCT v.product_id, b.remote_product_id FROM ");
            key_source(&mut qb, keys);
            qb.push("products p CROSS JOIN variants v CROSS JOIN channel_bindings b WHERE ");
            key_match(&mut qb, "p.id", keys);
            qb.push(
                " AND v.product_id = p.id AND b.variant_id = v.id \
                 AND NOT b.missing_at_master AND p.account_id = ",
            )
            .push_bind(account.as_uuid())
            .push(" AND b.channel_id = ")
            .push_bind(channel.as_uuid());
            let rows: Vec<(Uuid, String)> = qb.build_query_as().fetch_all(&mut *c).await?;
            out.extend(rows.into_iter().map(|(p, r)| (p.into(), r)));
        }
    });
    Ok(out)
}

/// Whether any channel of the account has a variant bound.
pub async fn has_any(db: &Db, account: AccountId) -> DbResult<bool> {
    let (n,): (i64,) = crate::on_db!(db, |p| sqlx::query_as(
        "SELECT COUNT(*) FROM (SELECT 1 FROM channels c CROSS JOIN channel_bindings b \
         WHERE c.account_id = $1 AND b.channel_id = c.id AND b.variant_id IS NOT NULL LIMIT 1) t"
    )
    .bind(account.as_uuid())
    .fetch_one(p)
    .await)?;
    Ok(n > 0)
}

/// For a prospective master: (its SKUs matching the catalog, its SKUs new to the catalog,
/// catalog SKUs it lacks), from what techOMS knows of the channel's copy; None when nothing
/// of the channel is known yet.
pub async fn match_counts(
    db: &Db,
    account: AccountId,
    channel: ChannelId,
) -> DbResult<Option<(i64, i64, i64)>> {
    // Through the unique indexes only: bound variants are the matches; unbound ones (seen,
    // skipped) whose key the catalog lacks are new; catalog variants without a live binding
    // are what the channel lacks.
    let counts: (i64, i64, i64, i64) = crate::on_db!(db, |p| sqlx::query_as(
        "SELECT \
         (SELECT COUNT(*) FROM channel_bindings WHERE account_id = $1 AND channel_id = $2), \
         (SELECT COUNT(*) FROM channel_bindings WHERE account_id = $1 AND channel_id = $2 \
          AND variant_id IS NOT NULL AND NOT missing_at_master), \
         (SELECT COUNT(DISTINCT b.sku_key) FROM channel_bindings b WHERE b.account_id = $1 \
          AND b.channel_id = $2 AND b.variant_id IS NULL AND NOT b.missing_at_master \
          AND b.sku_key <> '' AND NOT EXISTS \
          (SELECT 1 FROM variants v WHERE v.account_id = $1 AND v.sku_key = b.sku_key)), \
         (SELECT COUNT(*) FROM variants v WHERE v.account_id = $1 AND NOT EXISTS \
          (SELECT 1 FROM channel_bindings b WHERE b.channel_id = $2 AND b.variant_id = v.id \
           AND NOT b.missing_at_master))"
    )
    .bind(account.as_uuid())
    .bind(channel.as_uuid())
    .fetch_one(p)
    .await)?;
    Ok((counts.0 > 0).then_some((counts.1, counts.2, counts.3)))
}

/// A channel's sync watermarks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncState {
    pub last_import_high_water: Option<DateTime<Utc>>,
    pub last_full_import_at: Option<DateTime<Utc>>,
    pub last_export_high_water: Option<DateTime<Utc>>,
    pub last_full_export_at: Option<DateTime<Utc>>,
}

type SyncRow = (
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

pub async fn sync_state(db: &Db, account: AccountId, channel: ChannelId) -> DbResult<SyncState> {
    let row: Option<SyncRow> = crate::on_db!(db, |p| sqlx::query_as(
        "SELECT last_import_high_water, last_full_import_at, last_export_high_water, \
         last_full_export_at FROM channel_sync_state WHERE account_id = $1 AND channel_id = $2"
    )
    .bind(account.as_uuid())
    .bind(channel.as_uuid())
    .fetch_optional(p)
    .await)?;
    Ok(row
        .map(|(a, b, c, d)| SyncState {
            last_import_high_water: a,
            last_full_import_at: b,
            last_export_high_water: c,
            last_full_export_at: d,
        })
        .unwrap_or_default())
}

/// Which watermark to move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Import,
    Export,
}

/// Set the import or export high-water mark (None clears it, forcing the next run to read
/// everything); `full_at` records a completed full pass (None keeps the previous one).
pub async fn set_watermark<'a>(
    exec: impl Into<Exec<'a>>,
    account: AccountId,
    channel: ChannelId,
    direction: Direction,
    high_water: Option<DateTime<Utc>>,
    full_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let sql = match direction {
        Direction::Import => {
            "INSERT INTO channel_sync_state (channel_id, account_id, last_import_high_water, \
             last_full_import_at, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (channel_id) DO UPDATE SET \
             last_import_high_water = excluded.last_import_high_water, \
             last_full_import_at = COALESCE(excluded.last_full_import_at, channel_sync_state.last_full_import_at), \
             updated_at = excluded.updated_at WHERE channel_sync_state.account_id = excluded.account_id"
        }
        Direction::Export => {
            "INSERT INTO channel_sync_state (channel_id, account_id, last_export_high_water, \
             last_full_export_at, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (channel_id) DO UPDATE SET \
             last_export_high_water = excluded.last_export_high_water, \
             last_full_export_at = COALESCE(excluded.last_full_export_at, channel_sync_state.last_full_export_at), \
             updated_at = excluded.updated_at WHERE channel_sync_state.account_id = excluded.account_id"
        }
    };
    on_exec!(exec.into(), |c| {
        sqlx::query(sql)
            .bind(channel.as_uuid())
            .bind(account.as_uuid())
            .bind(high_water)
            .bind(full_at)
            .bind(now)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}
