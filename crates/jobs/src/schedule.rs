//! Recurring schedules: "enqueue this job every period".
//!
//! Every worker process calls [`Queue::tick`] now and then. A due schedule is claimed by a
//! compare-and-set on its `next_run_at` inside the same transaction that enqueues its job, so
//! however many processes tick at once, exactly one of them enqueues per tick (on PostgreSQL
//! the losers wait on the row lock, then see the new `next_run_at` and change 0 rows; on SQLite
//! `BEGIN IMMEDIATE` serialises them). After downtime the schedule fires once, not once per
//! missed period, and `next_run_at` moves to the first period boundary after now. Boundaries are
//! the schedule's own phase (`first_run_at + k * period`), so schedules created at different
//! times do not all fire on the same second.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use sqlx::types::Json;
use techoms_db::on_db;
use techoms_db::pool::BeginWrite;
use techoms_domain::clock::truncate_micros;
use uuid::Uuid;

use crate::enqueue::{DEDUPE_ROUNDS, LIVE_BY_DEDUPE, insert_job, validate};
use crate::error::{QueueError, QueueResult};
use crate::model::{DEFAULT_MAX_ATTEMPTS, Enqueued, JobId, NewJob};
use crate::queue::{Queue, after};

/// What a schedule enqueues and how often. Build with [`ScheduleSpec::new`].
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleSpec {
    /// Stable name chosen by the caller, e.g. `channel:<id>:import_products`.
    pub key: String,
    pub kind: String,
    pub payload: Value,
    /// Whole seconds, at least one.
    pub period: Duration,
    pub account_id: Option<Uuid>,
    pub priority: i32,
    pub max_attempts: i32,
    pub concurrency_key: Option<String>,
    /// Dedupe key of the enqueued jobs. `None`: each tick gets its own key, so each tick
    /// enqueues. `Some`: a tick while the previous job (or a manual one sharing the key) is
    /// still queued or running folds into it.
    pub dedupe_key: Option<String>,
    /// First due time of a new schedule (and the phase of its boundaries); `None` = now.
    pub first_run_at: Option<DateTime<Utc>>,
}

impl ScheduleSpec {
    pub fn new(key: impl Into<String>, kind: impl Into<String>, period: Duration) -> Self {
        Self {
            key: key.into(),
            kind: kind.into(),
            payload: Value::Null,
            period,
            account_id: None,
            priority: 0,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            concurrency_key: None,
            dedupe_key: None,
            first_run_at: None,
        }
    }

    pub fn payload(mut self, payload: Value) -> Self {
        self.payload = payload;
        self
    }

    pub fn account(mut self, account_id: impl Into<Uuid>) -> Self {
        self.account_id = Some(account_id.into());
        self
    }

    pub fn priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    pub fn max_attempts(mut self, n: i32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    pub fn concurrency_key(mut self, key: impl Into<String>) -> Self {
        self.concurrency_key = Some(key.into());
        self
    }

    pub fn dedupe_key(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }

    pub fn first_run_at(mut self, at: DateTime<Utc>) -> Self {
        self.first_run_at = Some(at);
        self
    }

    fn period_seconds(&self) -> i64 {
        i64::try_from(self.period.as_secs())
            .unwrap_or(i64::MAX)
            .max(1)
    }
}

/// A stored schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub key: String,
    pub account_id: Option<Uuid>,
    pub kind: String,
    pub payload: Value,
    pub period_seconds: i64,
    pub priority: i32,
    pub max_attempts: i32,
    pub concurrency_key: Option<String>,
    pub dedupe_key: Option<String>,
    pub enabled: bool,
    pub next_run_at: DateTime<Utc>,
    pub last_enqueued_at: Option<DateTime<Utc>>,
    pub last_job_id: Option<JobId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One job enqueued by [`Queue::tick`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    pub schedule_key: String,
    /// The boundary that was due.
    pub tick: DateTime<Utc>,
    /// `created: false` when the schedule's dedupe key folded it into a live job.
    pub job: Enqueued,
}

macro_rules! schedule_columns {
    () => {
        "key, account_id, kind, payload, period_seconds, priority, max_attempts, \
         concurrency_key, dedupe_key, enabled, next_run_at, last_enqueued_at, last_job_id, \
         created_at, updated_at"
    };
}

#[derive(sqlx::FromRow)]
struct ScheduleRow {
    key: String,
    account_id: Option<Uuid>,
    kind: String,
    payload: Json<Value>,
    period_seconds: i64,
    priority: i32,
    max_attempts: i32,
    concurrency_key: Option<String>,
    dedupe_key: Option<String>,
    enabled: bool,
    next_run_at: DateTime<Utc>,
    last_enqueued_at: Option<DateTime<Utc>>,
    last_job_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ScheduleRow> for Schedule {
    fn from(r: ScheduleRow) -> Self {
        Schedule {
            key: r.key,
            account_id: r.account_id,
            kind: r.kind,
            payload: r.payload.0,
            period_seconds: r.period_seconds,
            priority: r.priority,
            max_attempts: r.max_attempts,
            concurrency_key: r.concurrency_key,
            dedupe_key: r.dedupe_key,
            enabled: r.enabled,
            next_run_at: r.next_run_at,
            last_enqueued_at: r.last_enqueued_at,
            last_job_id: r.last_job_id.map(Into::into),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The first boundary `anchor + k * period` (k >= 1) strictly after `now`.
pub fn next_boundary(
    anchor: DateTime<Utc>,
    period_seconds: i64,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let period = TimeDelta::seconds(period_seconds.max(1));
    let Some(p) = period.num_microseconds().filter(|p| *p > 0) else {
        return now + TimeDelta::seconds(1);
    };
    let elapsed = (now - anchor).num_microseconds().unwrap_or(i64::MAX).max(0);
    let k = elapsed / p + 1;
    let step = TimeDelta::microseconds(k.saturating_mul(p));
    truncate_micros(anchor.checked_add_signed(step).unwrap_or(now + period))
}

/// How many due schedules one tick handles; the rest wait for the next tick.
const TICK_BATCH: i64 = 500;

// On conflict, a changed period takes effect soon: the next run moves forward to `now + new
// period` if that is earlier than the one planned (going from 24 h to 5 min should not wait
// until tomorrow). Otherwise the planned run stands, so re-upserting the same schedule at every
// start-up does not shift its phase.
const UPSERT: &str = concat!(
    "INSERT INTO schedules (key, account_id, kind, payload, period_seconds, priority, \
     max_attempts, concurrency_key, dedupe_key, enabled, next_run_at, last_enqueued_at, \
     last_job_id, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, TRUE, $10, NULL, NULL, $11, $11) \
     ON CONFLICT (key) DO UPDATE SET \
     account_id = excluded.account_id, kind = excluded.kind, payload = excluded.payload, \
     priority = excluded.priority, max_attempts = excluded.max_attempts, \
     concurrency_key = excluded.concurrency_key, dedupe_key = excluded.dedupe_key, \
     next_run_at = CASE WHEN schedules.period_seconds <> excluded.period_seconds \
       AND schedules.next_run_at > $12 THEN $12 ELSE schedules.next_run_at END, \
     period_seconds = excluded.period_seconds, enabled = TRUE, updated_at = $11 \
     RETURNING ",
    schedule_columns!()
);

impl Queue {
    /// Create or update (and enable) a schedule.
    pub async fn upsert_schedule(&self, spec: &ScheduleSpec) -> QueueResult<Schedule> {
        if spec.key.trim().is_empty() {
            return Err(QueueError::Invalid("schedule key is empty".into()));
        }
        validate(&NewJob::new(spec.kind.clone(), Value::Null))?;
        let now = self.now();
        let first = spec.first_run_at.map(truncate_micros).unwrap_or(now);
        let sooner = after(now, spec.period);
        let row: ScheduleRow = on_db!(&self.db, |p| sqlx::query_as(UPSERT)
            .bind(&spec.key)
            .bind(spec.account_id)
            .bind(&spec.kind)
            .bind(Json(&spec.payload))
            .bind(spec.period_seconds())
            .bind(spec.priority)
            .bind(spec.max_attempts.max(1))
            .bind(spec.concurrency_key.as_deref())
            .bind(spec.dedupe_key.as_deref())
            .bind(first)
            .bind(now)
            .bind(sooner)
            .fetch_one(p)
            .await)?;
        Ok(row.into())
    }

    /// Stop a schedule from firing (it keeps its settings; upserting enables it again).
    pub async fn disable_schedule(&self, key: &str) -> QueueResult<()> {
        let now = self.now();
        let n = on_db!(&self.db, |p| sqlx::query(
            "UPDATE schedules SET enabled = FALSE, updated_at = $2 WHERE key = $1"
        )
        .bind(key)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(QueueError::ScheduleNotFound(key.to_owned()));
        }
        Ok(())
    }

    /// Remove a schedule. `Ok(false)` when there was none.
    pub async fn delete_schedule(&self, key: &str) -> QueueResult<bool> {
        let n = on_db!(&self.db, |p| sqlx::query(
            "DELETE FROM schedules WHERE key = $1"
        )
        .bind(key)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    pub async fn get_schedule(&self, key: &str) -> QueueResult<Option<Schedule>> {
        let row: Option<ScheduleRow> = on_db!(&self.db, |p| sqlx::query_as(concat!(
            "SELECT ",
            schedule_columns!(),
            " FROM schedules WHERE key = $1"
        ))
        .bind(key)
        .fetch_optional(p)
        .await)?;
        Ok(row.map(Into::into))
    }

    /// Schedules of one account, or (`None`) all, by key.
    pub async fn list_schedules(&self, account_id: Option<Uuid>) -> QueueResult<Vec<Schedule>> {
        let rows: Vec<ScheduleRow> = on_db!(&self.db, |p| sqlx::query_as(concat!(
            "SELECT ",
            schedule_columns!(),
            " FROM schedules WHERE ($1 IS NULL OR account_id = $1) ORDER BY key"
        ))
        .bind(account_id)
        .fetch_all(p)
        .await)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Enqueue one job for every enabled schedule that is due, and move each to its next
    /// boundary after now. Safe to call from any number of processes at once.
    pub async fn tick(&self) -> QueueResult<Vec<Fired>> {
        let now = self.now();
        let due: Vec<ScheduleRow> = on_db!(&self.db, |p| sqlx::query_as(concat!(
            "SELECT ",
            schedule_columns!(),
            " FROM schedules WHERE enabled AND next_run_at <= $1 ORDER BY next_run_at LIMIT $2"
        ))
        .bind(now)
        .bind(TICK_BATCH)
        .fetch_all(p)
        .await)?;
        let mut fired = Vec::new();
        for s in due {
            let s = Schedule::from(s);
            if let Some(job) = self.fire(&s, now).await? {
                fired.push(Fired {
                    schedule_key: s.key.clone(),
                    tick: s.next_run_at,
                    job,
                });
            }
        }
        Ok(fired)
    }

    /// Compare-and-set `s.next_run_at` and enqueue, in one transaction. `None` when another
    /// process fired this tick first (or the schedule was disabled meanwhile). The job is built
    /// from the row the compare-and-set returns, so an edit made since the due list was read is
    /// honoured.
    async fn fire(&self, s: &Schedule, now: DateTime<Utc>) -> QueueResult<Option<Enqueued>> {
        let next = next_boundary(s.next_run_at, s.period_seconds, now);
        let out: Result<Option<Enqueued>, QueueError> = on_db!(&self.db, |p| {
            async {
                let mut tx = p.begin_write().await?;
                let won: Option<ScheduleRow> = sqlx::query_as(concat!(
                    "UPDATE schedules SET next_run_at = $3, last_enqueued_at = $4, \
                     updated_at = $4 WHERE key = $1 AND next_run_at = $2 AND enabled RETURNING ",
                    schedule_columns!()
                ))
                .bind(&s.key)
                .bind(s.next_run_at)
                .bind(next)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(current) = won else {
                    tx.rollback().await?;
                    return Ok(None);
                };
                let (job, dedupe) = job_of(&Schedule::from(current), s.next_run_at);
                let mut enqueued = None;
                for _ in 0..DEDUPE_ROUNDS {
                    let id = JobId::new();
                    if let Some((id,)) = insert_job!(&mut *tx, id.as_uuid(), job, now, now)? {
                        enqueued = Some(Enqueued {
                            id: id.into(),
                            created: true,
                        });
                        break;
                    }
                    let live: Option<(Uuid,)> = sqlx::query_as(LIVE_BY_DEDUPE)
                        .bind(&dedupe)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if let Some((id,)) = live {
                        enqueued = Some(Enqueued {
                            id: id.into(),
                            created: false,
                        });
                        break;
                    }
                }
                let Some(enqueued) = enqueued else {
                    tx.rollback().await?;
                    return Err(QueueError::Invalid(format!(
                        "schedule {:?}: dedupe key {dedupe:?} kept changing hands",
                        s.key
                    )));
                };
                sqlx::query("UPDATE schedules SET last_job_id = $2 WHERE key = $1")
                    .bind(&s.key)
                    .bind(enqueued.id.as_uuid())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Some(enqueued))
            }
            .await
        });
        if let Ok(Some(e)) = &out {
            tracing::debug!(schedule = %s.key, job = %e.id, created = e.created, "schedule fired");
        }
        out
    }
}

/// The job a schedule enqueues for the boundary `tick`, and its dedupe key.
fn job_of(s: &Schedule, tick: DateTime<Utc>) -> (NewJob, String) {
    let dedupe = s
        .dedupe_key
        .clone()
        .unwrap_or_else(|| format!("schedule:{}@{}", s.key, tick.to_rfc3339()));
    let mut job = NewJob::new(s.kind.clone(), s.payload.clone())
        .priority(s.priority)
        .max_attempts(s.max_attempts)
        .dedupe_key(dedupe.clone());
    job.account_id = s.account_id;
    job.concurrency_key = s.concurrency_key.clone();
    (job, dedupe)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn next_boundary_is_strictly_after_now_on_the_schedule_phase() {
        let a = t("2026-01-01T00:00:07Z");
        // Due exactly at the anchor: next is one period later.
        assert_eq!(next_boundary(a, 60, a), t("2026-01-01T00:01:07Z"));
        // Five and a half periods late: the sixth boundary, once.
        assert_eq!(
            next_boundary(a, 60, t("2026-01-01T00:05:37Z")),
            t("2026-01-01T00:06:07Z")
        );
        // Exactly on a later boundary: the one after it.
        assert_eq!(
            next_boundary(a, 60, t("2026-01-01T00:03:07Z")),
            t("2026-01-01T00:04:07Z")
        );
        // Clock behind the anchor (skew): one period after the anchor.
        assert_eq!(
            next_boundary(a, 60, t("2025-12-31T23:00:00Z")),
            t("2026-01-01T00:01:07Z")
        );
    }
}
