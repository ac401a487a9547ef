//! `/api/v1/products/export.csv` and `/api/v1/products/import`: the catalog as CSV (the format
//! is in docs/csv.md). Both stream: the export is written a keyset page at a time, the import
//! reads the request body as it arrives (so the API's JSON body limit does not apply; the
//! import has its own, `App::csv_import_max_bytes`).

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use techoms_app::catalog_csv::{self, Exporter, ImportOptions, ImportReport};
use techoms_app::{Access, App, AppError};
use utoipa::{IntoParams, ToSchema};

use super::extract::ApiAccess;
use crate::error::{ApiError, Problem, problem};

/// The export as a streamed body.
pub fn export_body(app: &App, access: &Access) -> Body {
    let stream = futures::stream::unfold(Some(Exporter::new(app, access)), |state| async move {
        let mut ex = state?;
        match ex.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok(Bytes::from(chunk)), Some(ex))),
            Ok(None) => None,
            Err(e) => {
                // The status line is already sent: end the body with an error so the client
                // sees a broken transfer rather than a short file.
                tracing::error!(error = %e, "csv export failed");
                Some((Err(std::io::Error::other(e.to_string())), None))
            }
        }
    });
    Body::from_stream(stream)
}

/// Headers of a CSV download named after the account code.
pub fn download_headers(access: &Access) -> [(header::HeaderName, HeaderValue); 2] {
    let name: String = access
        .account
        .code
        .as_str()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        ),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&format!(
                "attachment; filename=\"catalog-{}.csv\"",
                if name.is_empty() { "export" } else { &name }
            ))
            .unwrap_or(HeaderValue::from_static("attachment")),
        ),
    ]
}

/// The whole catalog as CSV: one row per variant, streamed.
#[utoipa::path(get, path = "/api/v1/products/export.csv", tag = "catalog",
    responses((status = 200, description = "The catalog as CSV (docs/csv.md)", content_type = "text/csv", body = String)))]
pub async fn export(State(app): State<App>, ApiAccess(access): ApiAccess) -> Response {
    (download_headers(&access), export_body(&app, &access)).into_response()
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportQuery {
    /// `true`: check and count only; nothing is written.
    pub dry_run: Option<String>,
    /// `true`: write the products without errors and skip (whole) those with any; default:
    /// one error refuses the whole file.
    pub skip_invalid: Option<String>,
}

fn flag(name: &str, v: &Option<String>) -> Result<bool, AppError> {
    match v.as_deref().map(str::trim) {
        None | Some("") | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(_) => Err(AppError::field(name, "must be true or false")),
    }
}

/// Counts of an import.
#[derive(Debug, Serialize, ToSchema)]
pub struct CsvCountsDto {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub skipped: u64,
}

/// One problem of the file.
#[derive(Debug, Serialize, ToSchema)]
pub struct CsvProblemDto {
    /// The line where the row starts (the header is line 1); null for the whole file.
    pub line: Option<u64>,
    pub column: Option<String>,
    /// error or warning.
    pub level: String,
    pub message: String,
}

/// The report of a CSV import (also of a dry run).
#[derive(Debug, Serialize, ToSchema)]
pub struct CsvImportReportDto {
    /// imported, validated (a dry run that would import) or refused (nothing written).
    pub outcome: String,
    pub dry_run: bool,
    pub skip_invalid: bool,
    /// Data rows read.
    pub rows: u64,
    pub products: CsvCountsDto,
    /// Variants, i.e. rows.
    pub variants: CsvCountsDto,
    pub errors: u64,
    pub warnings: u64,
    /// Every problem in file order, at most 1,000; `unlisted` counts the others.
    pub problems: Vec<CsvProblemDto>,
    pub unlisted: u64,
    /// Why reading stopped before the end of the file, if it did.
    pub stopped: Option<String>,
    /// One line: what happened and the totals.
    pub summary: String,
}

fn counts(c: catalog_csv::Counts) -> CsvCountsDto {
    CsvCountsDto {
        created: c.created,
        updated: c.updated,
        unchanged: c.unchanged,
        skipped: c.skipped,
    }
}

impl From<&ImportReport> for CsvImportReportDto {
    fn from(r: &ImportReport) -> Self {
        CsvImportReportDto {
            outcome: match r.outcome {
                catalog_csv::Outcome::Imported => "imported",
                catalog_csv::Outcome::Validated => "validated",
                catalog_csv::Outcome::Refused => "refused",
            }
            .into(),
            dry_run: r.dry_run,
            skip_invalid: r.skip_invalid,
            rows: r.rows,
            products: counts(r.products),
            variants: counts(r.variants),
            errors: r.errors,
            warnings: r.warnings,
            problems: r
                .problems
                .iter()
                .map(|p| CsvProblemDto {
                    line: p.line,
                    column: p.column.clone(),
                    level: match p.level {
                        catalog_csv::Level::Error => "error",
                        catalog_csv::Level::Warning => "warning",
                    }
                    .into(),
                    message: p.message.clone(),
                })
                .collect(),
            unlisted: r.unlisted,
            stopped: r.stopped.clone(),
            summary: r.summary(),
        }
    }
}

/// Feed a stream of body chunks into an import and wait for its report.
pub async fn import_stream<S, E>(
    app: &App,
    access: &Access,
    chunks: S,
    opts: ImportOptions,
) -> Result<ImportReport, AppError>
where
    S: futures::Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let (tx, rx) = catalog_csv::pipe();
    let feed = async move {
        let mut chunks = chunks;
        while let Some(c) = chunks.next().await {
            match c {
                Ok(b) => {
                    if !tx.send(b.to_vec()).await {
                        // The import stopped reading (refused early, or over the limit).
                        return;
                    }
                }
                Err(e) => {
                    tx.fail(format!("the upload broke off: {e}")).await;
                    return;
                }
            }
        }
    };
    let (_, report) = futures::join!(feed, catalog_csv::import(app, access, rx, opts));
    report
}

/// Refuse a body that says it is larger than the limit before reading any of it.
pub fn check_length(app: &App, headers: &HeaderMap) -> Result<(), AppError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > app.csv_import_max_bytes => Err(AppError::TooLarge {
            limit_bytes: app.csv_import_max_bytes,
        }),
        _ => Ok(()),
    }
}

/// Import a CSV file into the catalog (only while techOMS is the Master Product Source).
///
/// The body is the file itself. By default one error anywhere refuses the whole file
/// (422, the report in the problem's `details`); nothing is ever half-written.
#[utoipa::path(post, path = "/api/v1/products/import", tag = "catalog", params(ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "The CSV file (docs/csv.md)"),
    responses(
        (status = 200, description = "Imported, or a dry run that would import", body = CsvImportReportDto),
        (status = 409, description = "A channel is the Master Product Source", body = Problem),
        (status = 413, description = "Larger than the import limit", body = Problem),
        (status = 415, body = Problem),
        (status = 422, description = "Refused: nothing written; `details` holds the report", body = Problem)))]
pub async fn import(
    State(app): State<App>,
    ApiAccess(access): ApiAccess,
    Query(q): Query<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let opts = ImportOptions {
        dry_run: flag("dry_run", &q.dry_run)?,
        skip_invalid: flag("skip_invalid", &q.skip_invalid)?,
    };
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ctype.starts_with("multipart/")
        || ctype.starts_with("application/json")
        || ctype.starts_with("application/x-www-form-urlencoded")
    {
        return Ok(problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "/problems/content-type",
            "Unsupported Media Type",
            "send the CSV file itself as the body (content type text/csv)".into(),
        )
        .into_response());
    }
    check_length(&app, &headers)?;
    let report = import_stream(&app, &access, body.into_data_stream(), opts).await?;
    Ok(report_response(&report))
}

/// 200 with the report, or 422 with the report in the problem's `details`.
pub fn report_response(report: &ImportReport) -> Response {
    let dto = CsvImportReportDto::from(report);
    if !report.refused() {
        return (StatusCode::OK, axum::Json(dto)).into_response();
    }
    let first = report
        .problems
        .iter()
        .find(|p| p.level == catalog_csv::Level::Error)
        .map(|p| format!("; first: {}", p.to_line()))
        .unwrap_or_default();
    Problem {
        details: serde_json::to_value(&dto).unwrap_or_default(),
        ..problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "/problems/csv-refused",
            "CSV file refused",
            format!("{}{first}", report.summary()),
        )
    }
    .into_response()
}
