//! `techoms migrate`: apply pending migrations.

use anyhow::Context;

use crate::settings::{CommonArgs, Settings};

pub async fn run(common: &CommonArgs) -> anyhow::Result<()> {
    let settings = Settings::resolve(common, None)?;
    crate::telemetry::init(settings.log_format, &settings.log_level)?;
    super::prepare_data_dir(&settings.data_dir)?;
    let db = super::connect(&settings).await?;
    let before = db
        .pending_migrations()
        .await
        .context("cannot read migration state")?;
    db.migrate().await.context("migration failed")?;
    println!(
        "database is at migration {} ({} applied now)",
        db.latest_migration(),
        before.len()
    );
    db.close().await;
    Ok(())
}
