//! The engine against DESIGN §10: import and export 100,000 variants through the in-memory
//! connector, on SQLite (and PostgreSQL too when TECHOMS_TEST_DATABASE_URL is set), printing
//! throughput and peak memory (VmHWM from /proc/self/status, reset before each phase through
//! /proc/self/clear_refs so that each phase shows its own peak).
//!
//! `cargo bench -p techoms-app --bench engine` (ENGINE_BENCH_VARIANTS=… to change the size).

use std::sync::Arc;
use std::time::{Duration, Instant};

use techoms_app::App;
use techoms_app::engine::{self, EngineOptions, NoSink, RunReport, RunStatus, Trigger};
use techoms_app::secrets::SecretKey;
use techoms_channels::Connector;
use techoms_db::accounts::NewAccount;
use techoms_db::channels::NewChannel;
use techoms_db::{Db, accounts, channels, organizations};
use techoms_domain::{
    AccountId, ChannelId, Clock, Integration, JobKind, MasterProductSource, MasterSetting,
    SystemClock,
};
use techoms_testkit::memory_connector::seed_product;
use techoms_testkit::{MemoryConnector, TestDb};

const VARIANTS_PER_PRODUCT: usize = 4;

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time (user + system) of the whole process so far, in seconds (clock ticks of 1/100 s).
fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            // After the command: state is field 3, utime 14 and stime 15 (1-based).
            let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
            Some(ticks as f64 / 100.0)
        })
        .unwrap_or(0.0)
}

fn mb(kb: u64) -> String {
    format!("{:.0} MB", kb as f64 / 1024.0)
}

/// Reset the peak RSS to the current RSS (Linux ≥ 4.0); false when not allowed.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

struct Bench {
    app: App,
    account: AccountId,
    shop: ChannelId,
    woo: ChannelId,
    master: Arc<MemoryConnector>,
    target: Arc<MemoryConnector>,
    opts: EngineOptions,
}

impl Bench {
    async fn new(db: Db, n_products: usize) -> Bench {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let app = App::new(db.clone(), clock.clone(), SecretKey::generate());
        let now = clock.now();
        let org = organizations::create(&db, "Bench", now).await.expect("org");
        let account = accounts::create(&db, org.id, &NewAccount::named("Bench"), now)
            .await
            .expect("account");
        let mut ids = Vec::new();
        for (name, integration) in [
            ("Shop", Integration::Shopify),
            ("Woo", Integration::WooCommerce),
        ] {
            let ch = channels::create(
                &db,
                account.id,
                &NewChannel {
                    kind: integration.kind(),
                    integration,
                    name: name.into(),
                    enabled: true,
                    settings: Default::default(),
                    credentials: None,
                },
                now,
            )
            .await
            .expect("channel");
            ids.push(ch.id);
        }
        accounts::set_master(
            &db,
            account.id,
            MasterSetting {
                source: MasterProductSource::SalesChannel,
                channel_id: Some(ids[0]),
            },
            now,
        )
        .await
        .expect("master");
        // Shopify's largest page (250 products) and a typical write batch.
        let master = MemoryConnector::new("shop")
            .with_page_size(250)
            .with_batch_size(50);
        for p in 0..n_products {
            let skus: Vec<String> = (0..VARIANTS_PER_PRODUCT)
                .map(|v| format!("SKU-{p:06}-{v}"))
                .collect();
            let refs: Vec<&str> = skus.iter().map(String::as_str).collect();
            master.insert(seed_product(&format!("Product {p}"), &refs));
        }
        let target = MemoryConnector::new("woo")
            .with_page_size(250)
            .with_batch_size(50);
        Bench {
            app,
            account: account.id,
            shop: ids[0],
            woo: ids[1],
            master: Arc::new(master),
            target: Arc::new(target),
            // No overlap window: the benchmark makes its whole catalog within seconds, so the
            // production 5 minutes would make every "incremental" phase read everything.
            opts: EngineOptions {
                export_page_size: 500,
                overlap: chrono::Duration::zero(),
                ..EngineOptions::default()
            },
        }
    }

    async fn run(&self, kind: JobKind, full: bool) -> RunReport {
        let (channel, conn): (ChannelId, &dyn Connector) = match kind {
            JobKind::ImportProducts => (self.shop, self.master.as_ref()),
            _ => (self.woo, self.target.as_ref()),
        };
        let run = engine::create_run(
            &self.app,
            self.account,
            channel,
            kind,
            Trigger::Manual,
            full,
        )
        .await
        .expect("run");
        let report = match kind {
            JobKind::ImportProducts => {
                engine::run_import(
                    &self.app,
                    conn,
                    self.account,
                    run.id,
                    &self.opts,
                    &mut NoSink,
                )
                .await
            }
            _ => {
                engine::run_export(
                    &self.app,
                    conn,
                    self.account,
                    run.id,
                    &self.opts,
                    &mut NoSink,
                )
                .await
            }
        }
        .expect("engine");
        assert_eq!(
            report.run.status,
            RunStatus::Succeeded,
            "{:?}",
            report.fatal
        );
        report
    }
}

struct Measured {
    took: Duration,
    cpu: f64,
    writes: u64,
    rss_before_kb: u64,
    peak_kb: u64,
}

fn row(phase: &str, m: &Measured, r: &RunReport) {
    let c = &r.run.counts;
    let secs = m.took.as_secs_f64().max(1e-9);
    println!(
        "{phase:<34} {:>6.2} s {:>6.2} s {:>9.0}/s {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>8}",
        secs,
        m.cpu,
        r.considered as f64 / secs,
        r.considered,
        c.created,
        c.updated,
        c.unchanged,
        m.writes,
        mb(m.peak_kb),
        format!("+{}", mb(m.peak_kb.saturating_sub(m.rss_before_kb)))
    );
}

async fn phase(b: &Bench, name: &str, kind: JobKind, full: bool) -> RunReport {
    let writes_before = b.target.stats().variants_written();
    let peak_ok = reset_peak();
    let rss_before_kb = status_kb("VmRSS:");
    let (start, cpu0) = (Instant::now(), cpu_secs());
    let r = b.run(kind, full).await;
    let m = Measured {
        took: start.elapsed(),
        cpu: cpu_secs() - cpu0,
        writes: b.target.stats().variants_written() - writes_before,
        rss_before_kb,
        peak_kb: if peak_ok { status_kb("VmHWM:") } else { 0 },
    };
    row(name, &m, &r);
    r
}

async fn bench(db: Db, label: &str, n_variants: usize) {
    let n_products = n_variants / VARIANTS_PER_PRODUCT;
    let rss0 = status_kb("VmRSS:");
    let b = Bench::new(db, n_products).await;
    println!(
        "\n{label}: {} variants ({n_products} products × {VARIANTS_PER_PRODUCT}); RSS before seeding {}, after seeding the master connector {}",
        n_products * VARIANTS_PER_PRODUCT,
        mb(rss0),
        mb(status_kb("VmRSS:"))
    );
    println!(
        "{:<34} {:>8} {:>8} {:>11} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>8}",
        "phase",
        "wall",
        "cpu",
        "variants",
        "seen",
        "created",
        "updated",
        "same",
        "writes",
        "peak",
        "engine"
    );
    phase(
        &b,
        "full import (empty catalog)",
        JobKind::ImportProducts,
        true,
    )
    .await;
    // ENGINE_BENCH_IMPORT_ONLY=1 stops here (for profiling the import).
    if std::env::var("ENGINE_BENCH_IMPORT_ONLY").is_ok() {
        return;
    }
    phase(
        &b,
        "full export (empty channel)",
        JobKind::ExportProducts,
        true,
    )
    .await;
    let writes = b.target.stats().write_calls;
    phase(
        &b,
        "full export, unchanged catalog",
        JobKind::ExportProducts,
        true,
    )
    .await;
    phase(
        &b,
        "incremental export, unchanged",
        JobKind::ExportProducts,
        false,
    )
    .await;
    assert_eq!(
        b.target.stats().write_calls,
        writes,
        "an unchanged catalog was written"
    );
    phase(
        &b,
        "full import, unchanged master",
        JobKind::ImportProducts,
        true,
    )
    .await;
    // 100 variants change at the master (in 100 products).
    tokio::time::sleep(Duration::from_millis(5)).await;
    for p in (0..n_products).step_by((n_products / 100).max(1)).take(100) {
        b.master.edit_variant(&format!("SKU-{p:06}-1"), |v| {
            v.price = v.price.map(|d| d + rust_decimal::Decimal::ONE);
        });
    }
    let imp = phase(
        &b,
        "incremental import, 100 changed",
        JobKind::ImportProducts,
        false,
    )
    .await;
    assert_eq!(imp.run.counts.updated, 100);
    let exp = phase(
        &b,
        "incremental export, 100 changed",
        JobKind::ExportProducts,
        false,
    )
    .await;
    assert_eq!(exp.run.counts.updated, 100);
    println!(
        "process peak RSS (VmHWM, whole run incl. both in-memory channel copies): {}",
        mb(status_kb("VmHWM:"))
    );
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cores} cores available, {cpu}")
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument is ignored.
    let n: usize = std::env::var("ENGINE_BENCH_VARIANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!("techOMS engine benchmark — {}", machine());
    // Statements slower than a second are logged by sqlx (RUST_LOG overrides the filter).
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    // ENGINE_BENCH_BACKENDS=postgres (or sqlite) runs one backend only.
    let only = std::env::var("ENGINE_BENCH_BACKENDS").unwrap_or_default();
    rt.block_on(async {
        if only.is_empty() || only.contains("sqlite") {
            let t = TestDb::sqlite().await;
            bench(t.db.clone(), "SQLite", n).await;
            t.finish().await;
        }
        if !(only.is_empty() || only.contains("postgres")) {
            return;
        }
        if let Some(t) = TestDb::postgres().await {
            bench(t.db.clone(), "PostgreSQL", n).await;
            // ENGINE_BENCH_KEEP_DB=1 leaves the database for inspection.
            if std::env::var("ENGINE_BENCH_KEEP_DB").is_ok() {
                println!("kept {}", t.url);
            } else {
                t.finish().await;
            }
        }
    });
}
