//! The Authorization Refresh job: build the channel's connector and let it renew its
//! credentials. Each refresh is a run, so its outcome (and a failure's exact error) shows in
//! the channel's run history like any other job.

use techoms_channels::{AuthStatus, ChannelError};
use techoms_db::bindings::WriteTx;
use techoms_db::runs::{self, Level, NewMessage, Progress, Run, RunStatus};
use techoms_db::{accounts, channels};
use techoms_jobs::JobError;

use crate::App;
use crate::engine::ConnectorProvider;

pub(crate) async fn execute(
    app: &App,
    provider: &dyn ConnectorProvider,
    run: &Run,
) -> Result<(), JobError> {
    if run.status.is_finished() && run.status != RunStatus::Failed {
        return Ok(());
    }
    let db_err = |e: techoms_db::DbError| JobError::retryable(e.to_string());
    let acc = accounts::get(&app.db, run.account_id)
        .await
        .map_err(db_err)?;
    let ch = channels::get(&app.db, run.account_id, run.channel_id)
        .await
        .map_err(db_err)?;
    runs::mark_running(&app.db, run.account_id, run.id, app.clock.now())
        .await
        .map_err(db_err)?;
    let (level, message, status, error) = if !acc.enabled || !ch.enabled {
        let who = if acc.enabled { &ch.name } else { &acc.name };
        (
            Level::Warning,
            format!("{who} is disabled: the authorization was not refreshed"),
            RunStatus::Succeeded,
            None,
        )
    } else {
        let result = match provider.connector(app, &ch).await {
            Ok(c) => c.refresh_authorization().await,
            Err(e) => Err(e),
        };
        match result {
            Ok(AuthStatus::NotNeeded) => (
                Level::Info,
                format!("the credentials of {} do not expire", ch.name),
                RunStatus::Succeeded,
                None,
            ),
            Ok(AuthStatus::Refreshed { expires_at }) => (
                Level::Info,
                format!(
                    "authorization of {} renewed; valid until {}",
                    ch.name,
                    expires_at.to_rfc3339()
                ),
                RunStatus::Succeeded,
                None,
            ),
            Err(e) => {
                let retry = match &e {
                    ChannelError::Throttled { retry_after, .. } => Some(JobError::Retryable {
                        message: e.to_string(),
                        retry_after: Some(*retry_after),
                    }),
                    ChannelError::Transient(_) => Some(JobError::retryable(e.to_string())),
                    ChannelError::Authentication(_) | ChannelError::Permanent(_) => None,
                };
                let advice = if retry.is_some() {
                    "it will be retried"
                } else {
                    "reconnect the channel with valid credentials"
                };
                (
                    Level::Fatal,
                    format!(
                        "refreshing the authorization of {} failed: {e} ({advice})",
                        ch.name
                    ),
                    RunStatus::Failed,
                    Some(retry.unwrap_or_else(|| JobError::permanent(e.to_string()))),
                )
            }
        }
    };
    record(app, run, level, &message, status)
        .await
        .map_err(db_err)?;
    match error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

async fn record(
    app: &App,
    run: &Run,
    level: Level,
    message: &str,
    status: RunStatus,
) -> Result<(), techoms_db::DbError> {
    let now = app.clock.now();
    let seq = runs::last_seq(&app.db, run.account_id, run.id).await? + 1;
    let mut tx = WriteTx::begin(&app.db).await?;
    runs::record_progress(
        &mut tx,
        run.account_id,
        run.id,
        &Progress {
            messages: vec![NewMessage {
                level,
                sku: None,
                remote_id: None,
                message: message.to_owned(),
            }],
            first_seq: seq,
            ..Progress::default()
        },
        now,
    )
    .await?;
    tx.commit().await?;
    let last_error = (status == RunStatus::Failed).then_some(message);
    runs::finish(&app.db, run.account_id, run.id, status, last_error, now).await?;
    Ok(())
}
