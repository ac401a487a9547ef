//! Following the first sync on the terminal: per channel, items done of total while it runs,
//! then one summary line per channel and where to look in the UI.
//!
//! It reads the runs techOMS records (the same rows the Runs page shows), so what it prints
//! is what the UI will show. The first sync is the import from the master started by the
//! demo, and — when that import changed the catalog — the exports it propagates to every
//! other channel.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use techoms_app::engine::{Level, Run, RunFilter, get_run, list_runs, message_counts};
use techoms_app::{Access, App};
use techoms_domain::{ChannelId, JobKind, RunId};

use super::seed::app_error;
use super::state::DemoChannels;

/// How often the runs are read.
const POLL: Duration = Duration::from_millis(400);

/// What the first sync did on one channel.
#[derive(Debug, Clone)]
pub struct ChannelSummary {
    pub name: &'static str,
    /// None: the channel had nothing to do (the import changed nothing).
    pub run: Option<Run>,
    pub warnings: i64,
    pub errors: i64,
}

/// One channel's line while the sync runs.
struct Line {
    name: &'static str,
    kind: Option<JobKind>,
    done: i64,
    total: Option<i64>,
    state: &'static str,
}

impl Line {
    fn render(&self) -> String {
        let kind = match self.kind {
            Some(JobKind::ImportProducts) => "import",
            Some(JobKind::ExportProducts) => "export",
            _ => "",
        };
        let progress = match self.total {
            Some(t) if t > 0 => format!(
                "{} of {} items ({}%)",
                group(self.done),
                group(t),
                (self.done * 100 / t).min(100)
            ),
            _ => format!("{} items", group(self.done)),
        };
        format!(
            "  {:<20} {:<7} {:<34} {}",
            self.name, kind, progress, self.state
        )
    }
}

/// Follow the runs started since `since` until the first sync has finished; print progress
/// (redrawn in place on a terminal, a line per change otherwise) and return each channel's
/// final run. `import` is the master's run; `master_total` the master's variant count, for
/// a total while the connector gives none; `catalog_total` reads the catalog's size.
pub async fn follow(
    app: &App,
    access: &Access,
    channels: &DemoChannels,
    import: RunId,
    since: DateTime<Utc>,
    master_total: i64,
) -> anyhow::Result<Vec<ChannelSummary>> {
    let tty = std::io::stdout().is_terminal();
    let mut drawn = 0usize;
    let mut last_printed: Vec<String> = Vec::new();
    let mut last_print = Instant::now() - Duration::from_secs(60);
    loop {
        let mut runs = runs_since(app, access, since).await?;
        // The import may predate this start (a resumed one); read it by id.
        let import_run = get_run(app, access, import).await.map_err(app_error)?;
        if !runs.iter().any(|r| r.id == import) {
            runs.push(import_run.clone());
        }
        let import_run = Some(import_run);
        let catalog_total = techoms_db::products::counts(&app.db, access.account.id)
            .await
            .map(|(_, v)| v)
            .unwrap_or(0);
        let latest = latest_per_channel(&runs);
        let lines: Vec<Line> = channels
            .all()
            .iter()
            .map(|(id, name)| line(name, latest.get(id), master_total, catalog_total))
            .collect();
        let rendered: Vec<String> = lines.iter().map(Line::render).collect();
        let done = finished(import_run.as_ref(), channels, &latest, &runs);
        if rendered != last_printed
            && (tty || last_print.elapsed() >= Duration::from_secs(2) || done)
        {
            let mut out = std::io::stdout().lock();
            if tty && drawn > 0 {
                // Back to the top of the block, then overwrite it line by line.
                let _ = write!(out, "\x1b[{drawn}A");
            }
            for l in &rendered {
                if tty {
                    // Clear what the previous drawing left on this line.
                    let _ = write!(out, "\x1b[2K");
                }
                let _ = writeln!(out, "{l}");
            }
            if !tty {
                let _ = writeln!(out);
            }
            let _ = out.flush();
            drawn = rendered.len();
            last_printed = rendered;
            last_print = Instant::now();
        }
        if done {
            let mut out = Vec::new();
            for (id, name) in channels.all() {
                let Some(run) = latest.get(&id) else {
                    out.push(ChannelSummary {
                        name,
                        run: None,
                        warnings: 0,
                        errors: 0,
                    });
                    continue;
                };
                {
                    let counts = message_counts(app, access, run.id)
                        .await
                        .map_err(app_error)?;
                    let of = |l: Level| {
                        counts
                            .iter()
                            .filter(|(lv, _)| *lv == l)
                            .map(|(_, n)| *n)
                            .sum()
                    };
                    out.push(ChannelSummary {
                        name,
                        run: Some((*run).clone()),
                        warnings: of(Level::Warning),
                        errors: of(Level::Error) + of(Level::Fatal),
                    });
                }
            }
            return Ok(out);
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn runs_since(app: &App, access: &Access, since: DateTime<Utc>) -> anyhow::Result<Vec<Run>> {
    let runs = list_runs(
        app,
        access,
        &RunFilter {
            limit: 100,
            ..RunFilter::default()
        },
    )
    .await
    .map_err(app_error)?;
    // Runs asked for since the start, and runs a previous start left queued or running (a
    // Ctrl-C mid-sync releases them with their checkpoints; this start's request folds into
    // them and they resume).
    Ok(runs
        .into_iter()
        .filter(|r| r.created_at >= since || !r.status.is_finished())
        .collect())
}

/// The newest run of each channel.
fn latest_per_channel(runs: &[Run]) -> BTreeMap<ChannelId, &Run> {
    let mut m: BTreeMap<ChannelId, &Run> = BTreeMap::new();
    for r in runs {
        let newer = m
            .get(&r.channel_id)
            .is_none_or(|cur| r.created_at > cur.created_at);
        if newer {
            m.insert(r.channel_id, r);
        }
    }
    m
}

fn line(name: &'static str, run: Option<&&Run>, master_total: i64, catalog_total: i64) -> Line {
    match run {
        None => Line {
            name,
            kind: None,
            done: 0,
            total: None,
            state: "waiting for the import",
        },
        Some(r) => {
            let c = r.counts;
            let done = c.created + c.updated + c.unchanged + c.skipped + c.failed;
            let total = r.total_hint.or(Some(match r.job_kind {
                JobKind::ImportProducts => master_total,
                _ => catalog_total,
            }));
            Line {
                name,
                kind: Some(r.job_kind),
                done,
                total,
                state: r.status.label(),
            }
        }
    }
}

/// The first sync is over when the import has finished and, if it changed the catalog, every
/// other channel has a finished run of its own and nothing of the account is still queued or
/// running.
fn finished(
    import: Option<&Run>,
    channels: &DemoChannels,
    latest: &BTreeMap<ChannelId, &Run>,
    runs: &[Run],
) -> bool {
    let Some(import) = import else {
        return false;
    };
    if !import.status.is_finished() {
        return false;
    }
    let changed = import.counts.created + import.counts.updated > 0;
    if !changed {
        return true;
    }
    let others_done = channels
        .all()
        .iter()
        .filter(|(id, _)| *id != import.channel_id)
        .all(|(id, _)| latest.get(id).is_some_and(|r| r.status.is_finished()));
    others_done && runs.iter().all(|r| r.status.is_finished())
}

/// The summary: a line per channel, then where to look.
pub fn print_summary(base_url: &str, summaries: &[ChannelSummary], elapsed: Duration) {
    println!();
    for s in summaries {
        let Some(run) = &s.run else {
            println!(
                "summary: {}: up to date (the import changed nothing, so nothing was sent)",
                s.name
            );
            continue;
        };
        let c = run.counts;
        let kind = match run.job_kind {
            JobKind::ImportProducts => "import",
            _ => "export",
        };
        println!(
            "summary: {} {kind}: {} — {} created, {} updated, {} unchanged, {} skipped, {} failed, {} warnings, {} errors ({base_url}/runs/{})",
            s.name,
            run.status.label(),
            group(c.created),
            group(c.updated),
            group(c.unchanged),
            group(c.skipped),
            group(c.failed),
            group(s.warnings),
            group(s.errors),
            run.id,
        );
    }
    let failed = summaries.iter().any(|s| {
        s.run
            .as_ref()
            .is_some_and(|r| r.status == techoms_app::engine::RunStatus::Failed)
    });
    println!(
        "first sync: {} in {:.1} s",
        if failed {
            "finished with errors"
        } else {
            "complete"
        },
        elapsed.as_secs_f64()
    );
    println!();
    println!("Where to look (log in with the e-mail and password above):");
    println!("  Account settings, the Master Product Source: {base_url}/settings");
    println!("  Channels, their job periods and Sync products: {base_url}/channels");
    println!("  Runs and their Warnings (the duplicate SKUs):  {base_url}/runs");
    println!("  Products, search by SKU, bindings per channel: {base_url}/products");
}

/// 1234567 → "1,234,567".
pub fn group(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1234567), "1,234,567");
        assert_eq!(group(-1200), "-1,200");
    }
}
