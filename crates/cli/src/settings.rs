//! Configuration, layered: built-in defaults, then an optional TOML file, then `TECHOMS_*`
//! environment variables, then command-line flags (clap reads the variables and the flags, so
//! a flag beats its variable; both beat the file).
//!
//! The file refuses unknown keys: a misspelt setting is an error, not a silent default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// Settings that can come from the file. Every field is optional there.
/// (No `Debug`: it may hold the secret key.)
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub log_format: Option<String>,
    pub log_level: Option<String>,
    pub secret_key: Option<String>,
    pub run_retention_days: Option<u32>,
    pub worker_concurrency: Option<usize>,
    pub job_lease_secs: Option<u64>,
}

/// Flags and environment variables common to commands (clap fills these).
#[derive(Default, Clone, clap::Args)]
pub struct CommonArgs {
    /// TOML configuration file.
    #[arg(long, env = "TECHOMS_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://PATH (default: a file in the data dir) or postgres://USER@HOST/DB.
    #[arg(
        long,
        env = "TECHOMS_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Directory for the SQLite database and generated keys.
    #[arg(long, env = "TECHOMS_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Log format: text or json.
    #[arg(long, env = "TECHOMS_LOG_FORMAT", global = true)]
    pub log_format: Option<String>,
    /// Log filter, e.g. info or techoms=debug,sqlx=warn.
    #[arg(long, env = "TECHOMS_LOG", global = true)]
    pub log_level: Option<String>,
    /// Base64 key (32 bytes) that encrypts channel credentials; default: DATA_DIR/secret.key,
    /// generated on first start.
    #[arg(
        long,
        env = "TECHOMS_SECRET_KEY",
        global = true,
        hide_env_values = true
    )]
    pub secret_key: Option<String>,
    /// Days a finished run (with its messages) is kept.
    #[arg(long, env = "TECHOMS_RUN_RETENTION_DAYS", global = true)]
    pub run_retention_days: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The resolved settings.
#[derive(Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub database_url: String,
    pub data_dir: PathBuf,
    pub log_format: LogFormat,
    pub log_level: String,
    pub secret_key: Option<String>,
    /// Finished runs older than this many days are deleted (at least 1).
    pub run_retention_days: u32,
    /// From the file; the worker flags and variables override these.
    pub worker_concurrency: Option<usize>,
    pub job_lease_secs: Option<u64>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field("data_dir", &self.data_dir)
            .field("log_format", &self.log_format)
            .field("log_level", &self.log_level)
            .field("run_retention_days", &self.run_retention_days)
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

impl Settings {
    /// Resolve settings; `listen_flag` is the serve command's `--listen` (flag or env).
    pub fn resolve(args: &CommonArgs, listen_flag: Option<&str>) -> anyhow::Result<Settings> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileSettings::default(),
        };
        let data_dir = args
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("data"));
        let listen_text = listen_flag
            .map(str::to_owned)
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen: SocketAddr = listen_text.parse().with_context(|| {
            format!("listen address {listen_text:?} is not HOST:PORT (e.g. 127.0.0.1:8080)")
        })?;
        let database_url = args
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("techoms.db").display()));
        let log_format = match args
            .log_format
            .clone()
            .or(file.log_format)
            .as_deref()
            .unwrap_or("text")
        {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => bail!("log format {other:?} is not text or json"),
        };
        let log_level = args
            .log_level
            .clone()
            .or(file.log_level)
            .unwrap_or_else(|| "info,sqlx=warn,tower_http=info".to_owned());
        let run_retention_days = args
            .run_retention_days
            .or(file.run_retention_days)
            .unwrap_or(techoms_app::sync_jobs::DEFAULT_RUN_RETENTION_DAYS);
        if run_retention_days == 0 {
            bail!("run_retention_days must be at least 1 (got 0)");
        }
        Ok(Settings {
            listen,
            database_url,
            data_dir,
            log_format,
            log_level,
            secret_key: args.secret_key.clone().or(file.secret_key),
            run_retention_days,
            worker_concurrency: file.worker_concurrency,
            job_lease_secs: file.job_lease_secs,
        })
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileSettings> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text).map_err(|e| {
        // toml's message spans several lines with a source excerpt; keep the first line and
        // the key it names, which is what a person needs.
        let msg = e.message().to_owned();
        anyhow::anyhow!("config file {}: {msg}", path.display())
    })
}

/// A database URL fit for a log line: the password is replaced.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> CommonArgs {
        CommonArgs::default()
    }

    #[test]
    fn defaults() {
        let s = Settings::resolve(&args(), None).unwrap();
        assert_eq!(s.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(s.database_url, "sqlite://data/techoms.db");
        assert_eq!(s.log_format, LogFormat::Text);
        assert_eq!(s.run_retention_days, 90);
    }

    #[test]
    fn run_retention_layers_and_refuses_zero() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.toml");
        std::fs::write(&f, "run_retention_days = 30\n").unwrap();
        let mut a = args();
        a.config = Some(f.clone());
        assert_eq!(Settings::resolve(&a, None).unwrap().run_retention_days, 30);
        a.run_retention_days = Some(7);
        assert_eq!(Settings::resolve(&a, None).unwrap().run_retention_days, 7);
        a.run_retention_days = Some(0);
        let e = Settings::resolve(&a, None).unwrap_err().to_string();
        assert!(e.contains("run_retention_days"), "{e}");
    }

    #[test]
    fn file_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.toml");
        std::fs::write(
            &f,
            "listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/x\"\nlog_format = \"json\"\n",
        )
        .unwrap();
        let mut a = args();
        a.config = Some(f.clone());
        let s = Settings::resolve(&a, None).unwrap();
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(s.database_url, "sqlite:///srv/x/techoms.db");
        assert_eq!(s.log_format, LogFormat::Json);
        // A flag (or its environment variable, which clap folds into the same field) wins.
        a.data_dir = Some("/other".into());
        let s = Settings::resolve(&a, Some("127.0.0.1:9100")).unwrap();
        assert_eq!(s.listen.port(), 9100);
        assert_eq!(s.data_dir, PathBuf::from("/other"));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.toml");
        std::fs::write(&f, "listn = \"x\"\n").unwrap();
        let mut a = args();
        a.config = Some(f);
        let e = Settings::resolve(&a, None).unwrap_err().to_string();
        assert!(e.contains("listn"), "{e}");
        let e = Settings::resolve(&args(), Some("nowhere"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("nowhere"), "{e}");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
    }
}
