//! The catalog as a CSV file: import and export (DESIGN §2, §3, §4, §7; the format is in
//! docs/csv.md).
//!
//! An import reads the file as a stream on a blocking thread ([`parse`]), checking every row,
//! then matches the products with the catalog and writes them in one transaction
//! ([`import`]). What "the good rows" become:
//!
//! - by default the file is **atomic**: one error anywhere and nothing is written; the report
//!   lists every problem;
//! - with `skip_invalid`, each product of the file stands alone: a product with any bad row
//!   is skipped whole (never half-written) and the others are written;
//! - with `dry_run`, everything is checked and counted and nothing is written.
//!
//! Duplicate SKUs in the file are Warnings: the first row wins and later ones are skipped.
//! A file larger than the configured limit is refused ([`AppError::TooLarge`]). Imports, like
//! every product edit, need techOMS to be the Master Product Source.

mod columns;
mod export;
mod import;
mod parse;
mod pipe;
mod report;

use std::io::Read;

pub use columns::Column;
pub use export::Exporter;
pub use parse::MAX_GARBAGE_RUN;
pub use pipe::{PipeReader, PipeSender, pipe};
pub use report::{Counts, ImportReport, Level, MAX_LISTED, Outcome, RowProblem};
use techoms_db::bindings::WriteTx;

use crate::App;
use crate::access::Access;
use crate::catalog::require_techoms_master;
use crate::error::{AppError, AppResult};
use parse::{ParseCtx, ReadError};
use report::ProblemLog;

/// The default largest file an import accepts: 64 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// How an import treats the file.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Check and count only; write nothing.
    pub dry_run: bool,
    /// Write the products without errors and skip (whole) those with any.
    pub skip_invalid: bool,
}

/// Import a CSV file into the account's catalog. A refused file is a report with
/// [`Outcome::Refused`], not an error; errors are for the request itself (permission,
/// Master Product Source, size limit, a source that broke off).
pub async fn import<R: Read + Send + 'static>(
    app: &App,
    access: &Access,
    source: R,
    opts: ImportOptions,
) -> AppResult<ImportReport> {
    access.require_admin()?;
    require_techoms_master(app, access).await?;
    let limit = app.csv_import_max_bytes;
    let ctx = ParseCtx {
        skip_invalid: opts.skip_invalid,
        currency: access.account.currency,
    };
    let (read, mut log) = tokio::task::spawn_blocking(move || {
        let mut log = ProblemLog::new(MAX_LISTED);
        let read = parse::parse(pipe::Limited::new(source, limit), ctx, &mut log);
        (read, log)
    })
    .await
    .map_err(|e| AppError::Internal(format!("csv import: reading thread: {e}")))?;
    let mut parsed = match read {
        Ok(p) => p,
        Err(ReadError::TooLarge) => return Err(AppError::TooLarge { limit_bytes: limit }),
        Err(ReadError::Io(m)) => {
            return Err(AppError::field(
                "file",
                format!("the file could not be read to its end: {m}"),
            ));
        }
    };
    let mut report = ImportReport {
        outcome: Outcome::Refused,
        dry_run: opts.dry_run,
        skip_invalid: opts.skip_invalid,
        rows: parsed.rows_read,
        products: Counts::default(),
        variants: Counts::default(),
        errors: 0,
        warnings: 0,
        problems: Vec::new(),
        unlisted: 0,
        stopped: parsed.stopped.clone(),
    };
    let readable = parsed.header.is_some() && parsed.stopped.is_none();
    if readable && (opts.skip_invalid || log.errors() == 0) {
        let header = parsed.header.clone().expect("checked above");
        let mut tx = WriteTx::begin(&app.db).await?;
        let ctx = import::WriteCtx {
            account: access.account.id,
            header: &header,
            now: app.clock.now(),
            skip_invalid: opts.skip_invalid,
            dry_run: opts.dry_run,
        };
        let written = import::write(&mut tx, &ctx, &mut parsed.groups, &mut log).await?;
        if !written.refused {
            report.products = written.products;
            report.variants = written.variants;
            report.outcome = if opts.dry_run {
                Outcome::Validated
            } else {
                tx.commit().await?;
                Outcome::Imported
            };
        }
        // Otherwise dropping the transaction rolls it back.
    }
    if report.outcome == Outcome::Refused {
        report.products = Counts {
            skipped: parsed.products_seen,
            ..Counts::default()
        };
    }
    let handled = report.variants.created + report.variants.updated + report.variants.unchanged;
    report.variants.skipped = report.rows.saturating_sub(handled);
    let (problems, unlisted, errors, warnings) = log.finish();
    report.problems = problems;
    report.unlisted = unlisted;
    report.errors = errors;
    report.warnings = warnings;
    tracing::info!(
        account = %access.account.id,
        outcome = ?report.outcome,
        rows = report.rows,
        created = report.variants.created,
        updated = report.variants.updated,
        errors = report.errors,
        "catalog csv import"
    );
    Ok(report)
}

#[cfg(test)]
mod round_trip_tests;
