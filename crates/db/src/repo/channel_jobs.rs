//! Each channel's job periods (DESIGN §5). A missing row means the job is off.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use techoms_domain::{AccountId, ChannelId, JobKind, JobPeriod};
use uuid::Uuid;

use crate::error::DbResult;
use crate::on_db;
use crate::pool::Db;
use crate::rows::parse;

/// Periods of every job kind of the channel (off when not stored).
pub async fn get(
    db: &Db,
    account: AccountId,
    channel: ChannelId,
) -> DbResult<BTreeMap<JobKind, JobPeriod>> {
    let rows: Vec<(String, String)> = on_db!(db, |p| sqlx::query_as(
        "SELECT job_kind, period FROM channel_jobs WHERE account_id = $1 AND channel_id = $2"
    )
    .bind(account.as_uuid())
    .bind(channel.as_uuid())
    .fetch_all(p)
    .await)?;
    let mut out: BTreeMap<JobKind, JobPeriod> =
        JobKind::ALL.iter().map(|k| (*k, JobPeriod::None)).collect();
    for (k, per) in rows {
        out.insert(
            parse("channel_jobs.job_kind", &k)?,
            parse("channel_jobs.period", &per)?,
        );
    }
    Ok(out)
}

pub async fn set(
    db: &Db,
    account: AccountId,
    channel: ChannelId,
    kind: JobKind,
    period: JobPeriod,
    now: DateTime<Utc>,
) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "INSERT INTO channel_jobs (account_id, channel_id, job_kind, period, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel_id, job_kind) \
         DO UPDATE SET period = excluded.period, updated_at = excluded.updated_at"
    )
    .bind(account.as_uuid())
    .bind(channel.as_uuid())
    .bind(kind.as_str())
    .bind(period.as_str())
    .bind(now)
    .execute(p)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Every (channel, kind, period) with a period other than None, across all accounts; the
/// scheduler reads this.
pub async fn all_active(db: &Db) -> DbResult<Vec<(AccountId, ChannelId, JobKind, JobPeriod)>> {
    let rows: Vec<(Uuid, Uuid, String, String)> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT account_id, channel_id, job_kind, period FROM channel_jobs WHERE period <> 'none'"
    )
    .fetch_all(p)
    .await
    })?;
    rows.into_iter()
        .map(|(a, c, k, per)| {
            Ok((
                a.into(),
                c.into(),
                parse("channel_jobs.job_kind", &k)?,
                parse("channel_jobs.period", &per)?,
            ))
        })
        .collect()
}
