//! `techoms products import|export`: the catalog as CSV from the command line (the format is in
//! docs/csv.md). Opens the database as `techoms admin` does and acts as the command line on the
//! account named by `--account` (its code or its id).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;
use techoms_app::accounts::cli_access;
use techoms_app::catalog_csv::{self, Exporter, ImportOptions};
use techoms_app::{Access, App, AppError};

use crate::settings::{CommonArgs, Settings};

#[derive(Debug, Subcommand)]
pub enum ProductsCommand {
    /// Import a CSV file into an account's catalog; prints the report (one line per problem)
    /// and exits with status 1 when the file is refused.
    Import {
        /// The CSV file (one row per variant; see docs/csv.md).
        file: PathBuf,
        /// The account's code (e.g. ACME-OUTDOOR) or id.
        #[arg(long)]
        account: String,
        /// Check the file and print the report; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Import the products without errors and skip (whole) those with any; default: one
        /// error refuses the whole file.
        #[arg(long)]
        skip_invalid: bool,
    },
    /// Export an account's catalog as CSV (to standard output unless --output is given).
    Export {
        /// The account's code or id.
        #[arg(long)]
        account: String,
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

/// An application error as one line ("account: no account has the code X").
fn describe(e: AppError) -> anyhow::Error {
    match e {
        AppError::Invalid(errs) => anyhow::anyhow!(
            "{}",
            errs.iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::anyhow!("{other}"),
    }
}

pub async fn run(common: &CommonArgs, cmd: ProductsCommand) -> anyhow::Result<()> {
    let settings = Settings::resolve(common, None)?;
    crate::telemetry::init(settings.log_format, &settings.log_level)?;
    let app = super::open_app(&settings, true).await?;
    let result = match cmd {
        ProductsCommand::Import {
            file,
            account,
            dry_run,
            skip_invalid,
        } => match cli_access(&app, &account).await {
            Ok(access) => import(&app, &access, file, dry_run, skip_invalid).await,
            Err(e) => Err(describe(e)),
        },
        ProductsCommand::Export { account, output } => match cli_access(&app, &account).await {
            Ok(access) => export(&app, &access, output).await,
            Err(e) => Err(describe(e)),
        },
    };
    app.db.close().await;
    result
}

async fn import(
    app: &App,
    access: &Access,
    file: PathBuf,
    dry_run: bool,
    skip_invalid: bool,
) -> anyhow::Result<()> {
    let source =
        std::fs::File::open(&file).with_context(|| format!("cannot open {}", file.display()))?;
    let opts = ImportOptions {
        dry_run,
        skip_invalid,
    };
    let report = catalog_csv::import(app, access, std::io::BufReader::new(source), opts)
        .await
        .map_err(describe)?;
    let mut out = std::io::stdout().lock();
    for p in &report.problems {
        writeln!(out, "{}", p.to_line())?;
    }
    if report.unlisted > 0 {
        writeln!(out, "… and {} more problems", report.unlisted)?;
    }
    if let Some(s) = &report.stopped {
        writeln!(out, "{s}")?;
    }
    writeln!(out, "{}", report.summary())?;
    out.flush()?;
    if report.refused() {
        bail!(
            "{} refused: {} error{}; nothing was imported",
            file.display(),
            report.errors,
            if report.errors == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

async fn export(app: &App, access: &Access, output: Option<PathBuf>) -> anyhow::Result<()> {
    // Written next to the target and renamed at the end, so a failed export never leaves a
    // truncated file where a good one was expected.
    let mut sink: Box<dyn Write> = match &output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(partial(path))
                .with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut ex = Exporter::new(app, access);
    while let Some(chunk) = ex.next_chunk().await.map_err(describe)? {
        sink.write_all(&chunk)?;
    }
    sink.flush()?;
    drop(sink);
    if let Some(path) = &output {
        std::fs::rename(partial(path), path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("exported the catalog to {}", path.display());
    }
    Ok(())
}

fn partial(path: &std::path::Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".partial");
    PathBuf::from(p)
}
