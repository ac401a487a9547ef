//! The catalog CSV page: an upload form that shows the import report with line numbers, and
//! the export download (docs/csv.md).
//!
//! The form is `multipart/form-data` with the CSRF token before the file, so the token is
//! checked before a byte of the file is read; the file is streamed into the import.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::response::{IntoResponse, Response};
use techoms_app::App;
use techoms_app::catalog_csv::{ImportOptions, Level};

use super::chrome::Chrome;
use super::session::{UiSession, same_token};
use super::{csrf_refused, page_error};
use crate::api::products_csv::{check_length, download_headers, export_body, import_stream};

pub struct ProblemRow {
    pub line: String,
    pub column: String,
    pub level: &'static str,
    pub message: String,
}

pub struct CountsView {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub skipped: u64,
}

pub struct ReportView {
    pub refused: bool,
    pub dry_run: bool,
    pub summary: String,
    pub products: CountsView,
    pub variants: CountsView,
    pub problems: Vec<ProblemRow>,
    pub unlisted: u64,
    pub stopped: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "products_import.html")]
pub struct ImportPage {
    pub chrome: Chrome,
    pub error: Option<String>,
    pub report: Option<ReportView>,
    pub limit_mb: u64,
}

fn page(app: &App, s: &techoms_app::auth::SignedIn) -> ImportPage {
    ImportPage {
        chrome: Chrome::new(s, "Import and export products", "products-csv"),
        error: None,
        report: None,
        limit_mb: app.csv_import_max_bytes / (1024 * 1024),
    }
}

pub async fn form(State(app): State<App>, UiSession(s): UiSession) -> Response {
    page(&app, &s).into_response()
}

pub async fn export(State(app): State<App>, UiSession(s): UiSession) -> Response {
    let access = s.access();
    (download_headers(&access), export_body(&app, &access)).into_response()
}

fn view(r: &techoms_app::catalog_csv::ImportReport) -> ReportView {
    let c = |c: techoms_app::catalog_csv::Counts| CountsView {
        created: c.created,
        updated: c.updated,
        unchanged: c.unchanged,
        skipped: c.skipped,
    };
    ReportView {
        refused: r.refused(),
        dry_run: r.dry_run,
        summary: r.summary(),
        products: c(r.products),
        variants: c(r.variants),
        problems: r
            .problems
            .iter()
            .map(|p| ProblemRow {
                line: p.line.map(|l| l.to_string()).unwrap_or_default(),
                column: p.column.clone().unwrap_or_default(),
                level: match p.level {
                    Level::Error => "error",
                    Level::Warning => "warning",
                },
                message: p.message.clone(),
            })
            .collect(),
        unlisted: r.unlisted,
        stopped: r.stopped.clone(),
    }
}

pub async fn submit(State(app): State<App>, UiSession(s): UiSession, req: Request) -> Response {
    let mut shown = page(&app, &s);
    let access = s.access();
    if let Err(e) = check_length(&app, req.headers()) {
        return page_error(e);
    }
    // A post that is not this form's multipart body cannot carry its token.
    let Ok(mut multipart) = Multipart::from_request(req, &app).await else {
        return csrf_refused();
    };
    let mut csrf_ok = false;
    let mut opts = ImportOptions::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                shown.error = Some(format!("The upload could not be read: {e}"));
                return shown.into_response();
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "csrf" => {
                let token = field.text().await.unwrap_or_default();
                csrf_ok = same_token(&token, &s.csrf_token);
            }
            "dry_run" => opts.dry_run = field.text().await.is_ok_and(|v| v == "true"),
            "skip_invalid" => opts.skip_invalid = field.text().await.is_ok_and(|v| v == "true"),
            "file" => {
                if !csrf_ok {
                    return csrf_refused();
                }
                let chunks = Box::pin(futures::stream::unfold(field, |mut f| async move {
                    match f.chunk().await {
                        Ok(Some(b)) => Some((Ok(b), f)),
                        Ok(None) => None,
                        Err(e) => Some((Err(e), f)),
                    }
                }));
                match import_stream(&app, &access, chunks, opts).await {
                    Ok(r) => shown.report = Some(view(&r)),
                    Err(e @ techoms_app::AppError::Internal(_)) => return page_error(e),
                    Err(e) => shown.error = Some(e.to_string()),
                }
                return shown.into_response();
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return csrf_refused();
    }
    shown.error = Some("Choose a CSV file to import.".into());
    shown.into_response()
}
