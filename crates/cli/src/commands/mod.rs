//! One module per subcommand.

pub mod admin;
pub mod demo;
pub mod migrate;
pub mod products;
pub mod serve;
pub mod simulate;
pub mod worker;

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use techoms_db::{Db, DbOptions};

use crate::settings::{Settings, redact_url};

/// Make sure the data directory exists and can be written.
pub fn prepare_data_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("data dir {} cannot be created", dir.display()))?;
    let probe = dir.join(".techoms-write-test");
    std::fs::write(&probe, b"ok")
        .with_context(|| format!("data dir {} cannot be written", dir.display()))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// Connect to the configured database with a message that names the URL (password hidden).
pub async fn connect(settings: &Settings) -> anyhow::Result<Db> {
    let shown = redact_url(&settings.database_url);
    let opts = DbOptions {
        acquire_timeout: Duration::from_secs(5),
        ..DbOptions::default()
    };
    Db::connect(&settings.database_url, &opts)
        .await
        .with_context(|| format!("cannot open database {shown}"))
}

/// The key that seals channel credentials: from the configuration, else the data dir.
pub fn secret_key(settings: &Settings) -> anyhow::Result<techoms_app::secrets::SecretKey> {
    let key = match &settings.secret_key {
        Some(k) => techoms_app::secrets::SecretKey::from_base64(k),
        None => techoms_app::secrets::SecretKey::load_or_create(&settings.data_dir),
    };
    key.map_err(|e| anyhow::anyhow!("secret key: {e}"))
}

/// Open the database (migrating it) and build the application services.
pub async fn open_app(settings: &Settings, migrate: bool) -> anyhow::Result<techoms_app::App> {
    prepare_data_dir(&settings.data_dir)?;
    let db = connect(settings).await?;
    if migrate {
        db.migrate().await.context("migration failed")?;
    }
    let key = secret_key(settings)?;
    let mut app = techoms_app::App::new(db, std::sync::Arc::new(techoms_domain::SystemClock), key);
    app.csv_import_max_bytes = settings.csv_import_max_bytes;
    Ok(app)
}
