//! Job runs and their messages (DESIGN §5). A run records what one execution of a product job
//! did: its counts, its checkpoint (so a resumed run continues where it stopped) and one
//! message per notable event, each with a level.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::QueryBuilder;
use sqlx::types::Json;
use techoms_domain::{AccountId, ChannelId, JobKind, RunId};
use uuid::Uuid;

use crate::error::{DbError, DbResult};
use crate::on_db;
use crate::pool::Db;
use crate::repo::bindings::{IN_CHUNK, WriteTx, on_tx, rows_per_statement};
use crate::rows::parse;

macro_rules! text_enum {
    ($(#[$doc:meta])* $t:ident { $($v:ident => $s:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $t { $($v),+ }

        impl $t {
            pub const ALL: &'static [$t] = &[$($t::$v),+];
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }
        }
        impl FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($s => Ok(Self::$v),)+
                    other => Err(format!(
                        "unknown {} {other:?} (expected {})",
                        stringify!($t),
                        [$($s),+].join(", ")
                    )),
                }
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// Where a run is in its life.
    RunStatus {
        Queued => "queued",
        Running => "running",
        Succeeded => "succeeded",
        PartiallySucceeded => "partially_succeeded",
        Failed => "failed",
    }
);

text_enum!(
    /// What started a run.
    Trigger {
        Schedule => "schedule",
        Manual => "manual",
        Propagation => "propagation",
    }
);

text_enum!(
    /// How serious a run message is. Error: this item failed, the run goes on. Fatal: the run
    /// could not go on.
    Level {
        Info => "info",
        Warning => "warning",
        Error => "error",
        Fatal => "fatal",
    }
);

impl RunStatus {
    /// Whether the run has ended.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            RunStatus::Succeeded | RunStatus::PartiallySucceeded | RunStatus::Failed
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            RunStatus::Queued => "Queued",
            RunStatus::Running => "Running",
            RunStatus::Succeeded => "Succeeded",
            RunStatus::PartiallySucceeded => "Partially succeeded",
            RunStatus::Failed => "Failed",
        }
    }
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Info => "Info",
            Level::Warning => "Warning",
            Level::Error => "Error",
            Level::Fatal => "Fatal",
        }
    }
}

/// Per-item outcomes of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub skipped: i64,
    pub failed: i64,
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.created += o.created;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.skipped += o.skipped;
        self.failed += o.failed;
    }

    pub fn total(&self) -> i64 {
        self.created + self.updated + self.unchanged + self.skipped + self.failed
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    pub id: RunId,
    pub account_id: AccountId,
    pub channel_id: ChannelId,
    pub job_kind: JobKind,
    pub trigger: Trigger,
    pub status: RunStatus,
    pub full: bool,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub counts: Counts,
    pub total_hint: Option<i64>,
    pub checkpoint: Option<serde_json::Value>,
    pub last_error: Option<String>,
}

macro_rules! run_columns {
    () => {
        "id, account_id, channel_id, job_kind, triggered_by, status, is_full, created_at, \
         started_at, finished_at, created_count, updated_count, unchanged_count, skipped_count, \
         failed_count, total_hint, checkpoint, last_error"
    };
}

#[derive(sqlx::FromRow)]
struct RunRow {
    id: Uuid,
    account_id: Uuid,
    channel_id: Uuid,
    job_kind: String,
    triggered_by: String,
    status: String,
    is_full: bool,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    created_count: i64,
    updated_count: i64,
    unchanged_count: i64,
    skipped_count: i64,
    failed_count: i64,
    total_hint: Option<i64>,
    checkpoint: Option<Json<serde_json::Value>>,
    last_error: Option<String>,
}

impl TryFrom<RunRow> for Run {
    type Error = DbError;
    fn try_from(r: RunRow) -> DbResult<Self> {
        Ok(Run {
            id: r.id.into(),
            account_id: r.account_id.into(),
            channel_id: r.channel_id.into(),
            job_kind: parse("runs.job_kind", &r.job_kind)?,
            trigger: parse("runs.triggered_by", &r.triggered_by)?,
            status: parse("runs.status", &r.status)?,
            full: r.is_full,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            counts: Counts {
                created: r.created_count,
                updated: r.updated_count,
                unchanged: r.unchanged_count,
                skipped: r.skipped_count,
                failed: r.failed_count,
            },
            total_hint: r.total_hint,
            checkpoint: r.checkpoint.map(|j| j.0),
            last_error: r.last_error,
        })
    }
}

/// A run to record (queued).
#[derive(Debug, Clone)]
pub struct NewRun {
    pub channel_id: ChannelId,
    pub job_kind: JobKind,
    pub trigger: Trigger,
    pub full: bool,
}

pub async fn create(
    db: &Db,
    account: AccountId,
    new: &NewRun,
    now: DateTime<Utc>,
) -> DbResult<Run> {
    let id = RunId::new();
    on_db!(db, |p| sqlx::query(
        "INSERT INTO runs (id, account_id, channel_id, job_kind, triggered_by, status, is_full, \
         created_at, created_count, updated_count, unchanged_count, skipped_count, failed_count) \
         VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, 0, 0, 0, 0, 0)"
    )
    .bind(id.as_uuid())
    .bind(account.as_uuid())
    .bind(new.channel_id.as_uuid())
    .bind(new.job_kind.as_str())
    .bind(new.trigger.as_str())
    .bind(new.full)
    .bind(now)
    .execute(p)
    .await
    .map(|_| ()))?;
    get(db, account, id).await
}

/// Record a queued run inside `tx`, so that it commits (or rolls back) together with the job
/// that will execute it.
pub async fn create_in(
    tx: &mut WriteTx,
    account: AccountId,
    new: &NewRun,
    now: DateTime<Utc>,
) -> DbResult<RunId> {
    let id = RunId::new();
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO runs (id, account_id, channel_id, job_kind, triggered_by, status, is_full, \
         created_at, created_count, updated_count, unchanged_count, skipped_count, failed_count) \
         VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, 0, 0, 0, 0, 0)"
    )
    .bind(id.as_uuid())
    .bind(account.as_uuid())
    .bind(new.channel_id.as_uuid())
    .bind(new.job_kind.as_str())
    .bind(new.trigger.as_str())
    .bind(new.full)
    .bind(now)
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    Ok(id)
}

/// What [`purge_finished_before`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub runs: u64,
    pub messages: u64,
}

/// Delete finished runs (of every account) that ended before `cutoff`, with their messages,
/// at most `limit` runs per call (call again while it returns `limit`). Queued and running
/// runs are never deleted, however old.
pub async fn purge_finished_before(db: &Db, cutoff: DateTime<Utc>, limit: i64) -> DbResult<Purged> {
    let mut tx = WriteTx::begin(db).await?;
    let purged = on_tx!(&mut tx, |c| {
        let ids: Vec<(Uuid,)> = sqlx::query_as(
            "SELECT id FROM runs WHERE status IN ('succeeded', 'partially_succeeded', 'failed') \
             AND finished_at < $1 ORDER BY finished_at LIMIT $2",
        )
        .bind(cutoff)
        .bind(limit.max(1))
        .fetch_all(&mut *c)
        .await?;
        let mut purged = Purged::default();
        for chunk in ids.chunks(IN_CHUNK) {
            let mut qb = QueryBuilder::new("DELETE FROM run_messages WHERE run_id IN (");
            let mut sep = qb.separated(", ");
            for (id,) in chunk {
                sep.push_bind(*id);
            }
            qb.push(")");
            purged.messages += qb.build().execute(&mut *c).await?.rows_affected();
            let mut qb = QueryBuilder::new("DELETE FROM runs WHERE id IN (");
            let mut sep = qb.separated(", ");
            for (id,) in chunk {
                sep.push_bind(*id);
            }
            qb.push(")");
            purged.runs += qb.build().execute(&mut *c).await?.rows_affected();
        }
        purged
    });
    tx.commit().await?;
    Ok(purged)
}

pub async fn get(db: &Db, account: AccountId, id: RunId) -> DbResult<Run> {
    let row: RunRow = on_db!(db, |p| sqlx::query_as(concat!(
        "SELECT ",
        run_columns!(),
        " FROM runs WHERE account_id = $1 AND id = $2"
    ))
    .bind(account.as_uuid())
    .bind(id.as_uuid())
    .fetch_one(p)
    .await)?;
    row.try_into()
}

/// Filters of the run list; newest first, keyset-paginated by `before`.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub channel_id: Option<ChannelId>,
    pub job_kind: Option<JobKind>,
    pub status: Option<RunStatus>,
    pub before: Option<RunId>,
    pub limit: u32,
}

pub async fn list(db: &Db, account: AccountId, f: &RunFilter) -> DbResult<Vec<Run>> {
    let rows: Vec<RunRow> = on_db!(db, |p| sqlx::query_as(concat!(
        "SELECT ",
        run_columns!(),
        " FROM runs WHERE account_id = $1 AND ($2 IS NULL OR channel_id = $2) \
         AND ($3 IS NULL OR job_kind = $3) AND ($4 IS NULL OR status = $4) \
         AND ($5 IS NULL OR id < $5) ORDER BY id DESC LIMIT $6"
    ))
    .bind(account.as_uuid())
    .bind(f.channel_id.map(|c| c.as_uuid()))
    .bind(f.job_kind.map(JobKind::as_str))
    .bind(f.status.map(RunStatus::as_str))
    .bind(f.before.map(|r| r.as_uuid()))
    .bind(i64::from(f.limit.clamp(1, 500)))
    .fetch_all(p)
    .await)?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// Mark a run running. `started_at` is set once: a resumed run (after a crash, or a retry of
/// a failed run) keeps its first start; its end and last error are cleared.
pub async fn mark_running(
    db: &Db,
    account: AccountId,
    id: RunId,
    now: DateTime<Utc>,
) -> DbResult<Run> {
    let n = on_db!(db, |p| sqlx::query(
        "UPDATE runs SET status = 'running', started_at = COALESCE(started_at, $3), \
         finished_at = NULL, last_error = NULL WHERE account_id = $1 AND id = $2"
    )
    .bind(account.as_uuid())
    .bind(id.as_uuid())
    .bind(now)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    get(db, account, id).await
}

/// Mark a run finished with `status`.
pub async fn finish(
    db: &Db,
    account: AccountId,
    id: RunId,
    status: RunStatus,
    last_error: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<Run> {
    on_db!(db, |p| sqlx::query(
        "UPDATE runs SET status = $3, finished_at = $4, last_error = COALESCE($5, last_error) \
         WHERE account_id = $1 AND id = $2"
    )
    .bind(account.as_uuid())
    .bind(id.as_uuid())
    .bind(status.as_str())
    .bind(now)
    .bind(last_error)
    .execute(p)
    .await
    .map(|_| ()))?;
    get(db, account, id).await
}

/// A message to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub level: Level,
    pub sku: Option<String>,
    pub remote_id: Option<String>,
    pub message: String,
}

/// What one committed page adds to its run, written in the page's transaction so that a
/// resumed run neither loses nor double-counts it.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub counts: Counts,
    pub total_hint: Option<i64>,
    pub checkpoint: Option<serde_json::Value>,
    /// Numbered from `first_seq`.
    pub messages: Vec<NewMessage>,
    pub first_seq: i64,
}

pub async fn record_progress(
    tx: &mut WriteTx,
    account: AccountId,
    run: RunId,
    p: &Progress,
    now: DateTime<Utc>,
) -> DbResult<()> {
    on_tx!(tx, |c| {
        let c_counts = &p.counts;
        sqlx::query(
            "UPDATE runs SET created_count = created_count + $3, \
             updated_count = updated_count + $4, unchanged_count = unchanged_count + $5, \
             skipped_count = skipped_count + $6, failed_count = failed_count + $7, \
             total_hint = COALESCE($8, total_hint), checkpoint = COALESCE($9, checkpoint) \
             WHERE account_id = $1 AND id = $2",
        )
        .bind(account.as_uuid())
        .bind(run.as_uuid())
        .bind(c_counts.created)
        .bind(c_counts.updated)
        .bind(c_counts.unchanged)
        .bind(c_counts.skipped)
        .bind(c_counts.failed)
        .bind(p.total_hint)
        .bind(p.checkpoint.as_ref().map(Json))
        .execute(&mut *c)
        .await?;
        let numbered: Vec<(i64, &NewMessage)> = p
            .messages
            .iter()
            .enumerate()
            .map(|(i, m)| (p.first_seq + i as i64, m))
            .collect();
        for chunk in numbered.chunks(rows_per_statement(9)) {
            let mut qb = QueryBuilder::new(
                "INSERT INTO run_messages (id, run_id, account_id, seq, level, sku, remote_id, \
                 message, created_at) ",
            );
            qb.push_values(chunk, |mut b, (seq, m)| {
                b.push_bind(Uuid::now_v7())
                    .push_bind(run.as_uuid())
                    .push_bind(account.as_uuid())
                    .push_bind(*seq)
                    .push_bind(m.level.as_str())
                    .push_bind(m.sku.as_deref())
                    .push_bind(m.remote_id.as_deref())
                    .push_bind(&m.message)
                    .push_bind(now);
            });
            qb.build().execute(&mut *c).await?;
        }
    });
    Ok(())
}

/// The highest message number of a run (0 when it has none).
pub async fn last_seq(db: &Db, account: AccountId, run: RunId) -> DbResult<i64> {
    let (n,): (Option<i64>,) = on_db!(db, |p| sqlx::query_as(
        "SELECT MAX(seq) FROM run_messages WHERE account_id = $1 AND run_id = $2"
    )
    .bind(account.as_uuid())
    .bind(run.as_uuid())
    .fetch_one(p)
    .await)?;
    Ok(n.unwrap_or(0))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunMessage {
    pub id: Uuid,
    pub run_id: RunId,
    pub seq: i64,
    pub level: Level,
    pub sku: Option<String>,
    pub remote_id: Option<String>,
    pub message: String,
    pub created_at: DateTime<Utc>,
}

/// Filters of a run's messages, in order, keyset-paginated by `after_seq`.
#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    /// Empty: every level.
    pub levels: Vec<Level>,
    pub after_seq: Option<i64>,
    pub limit: u32,
}

type MessageRow = (
    Uuid,
    Uuid,
    i64,
    String,
    Option<String>,
    Option<String>,
    String,
    DateTime<Utc>,
);

pub async fn messages(
    db: &Db,
    account: AccountId,
    run: RunId,
    f: &MessageFilter,
) -> DbResult<Vec<RunMessage>> {
    let rows: Vec<MessageRow> = on_db!(db, |p| {
        let mut qb = QueryBuilder::new(
            "SELECT id, run_id, seq, level, sku, remote_id, message, created_at \
             FROM run_messages WHERE account_id = ",
        );
        qb.push_bind(account.as_uuid())
            .push(" AND run_id = ")
            .push_bind(run.as_uuid())
            .push(" AND seq > ")
            .push_bind(f.after_seq.unwrap_or(0));
        if !f.levels.is_empty() {
            qb.push(" AND level IN (");
            let mut sep = qb.separated(", ");
            for l in f.levels.iter().take(IN_CHUNK) {
                sep.push_bind(l.as_str());
            }
            qb.push(")");
        }
        qb.push(" ORDER BY seq LIMIT ")
            .push_bind(i64::from(f.limit.clamp(1, 1000)));
        qb.build_query_as().fetch_all(p).await?
    });
    rows.into_iter()
        .map(
            |(id, run_id, seq, level, sku, remote_id, message, created_at)| {
                Ok(RunMessage {
                    id,
                    run_id: run_id.into(),
                    seq,
                    level: parse("run_messages.level", &level)?,
                    sku,
                    remote_id,
                    message,
                    created_at,
                })
            },
        )
        .collect()
}

/// Number of messages of a run per level.
pub async fn message_counts(
    db: &Db,
    account: AccountId,
    run: RunId,
) -> DbResult<Vec<(Level, i64)>> {
    let rows: Vec<(String, i64)> = on_db!(db, |p| sqlx::query_as(
        "SELECT level, COUNT(*) FROM run_messages WHERE account_id = $1 AND run_id = $2 \
         GROUP BY level"
    )
    .bind(account.as_uuid())
    .bind(run.as_uuid())
    .fetch_all(p)
    .await)?;
    let mut out: Vec<(Level, i64)> = rows
        .into_iter()
        .map(|(l, n)| Ok((parse("run_messages.level", &l)?, n)))
        .collect::<DbResult<_>>()?;
    out.sort();
    Ok(out)
}

/// Number of messages per level of each of these runs (for a page of the run list); runs
/// without messages are absent.
pub async fn message_counts_of(
    db: &Db,
    account: AccountId,
    runs: &[RunId],
) -> DbResult<Vec<(RunId, Level, i64)>> {
    let mut out = Vec::new();
    for chunk in runs.chunks(IN_CHUNK) {
        let rows: Vec<(Uuid, String, i64)> = on_db!(db, |p| {
            let mut qb = QueryBuilder::new(
                "SELECT run_id, level, COUNT(*) FROM run_messages WHERE account_id = ",
            );
            qb.push_bind(account.as_uuid()).push(" AND run_id IN (");
            let mut sep = qb.separated(", ");
            for r in chunk {
                sep.push_bind(r.as_uuid());
            }
            qb.push(") GROUP BY run_id, level");
            qb.build_query_as().fetch_all(p).await?
        });
        for (run, level, n) in rows {
            out.push((run.into(), parse("run_messages.level", &level)?, n));
        }
    }
    out.sort();
    Ok(out)
}
