//! `techoms demo`: techOMS doing its job within a minute, with no store accounts and no
//! network. It starts the server on an embedded SQLite database in a data dir of its own,
//! runs the Shopify, WooCommerce, ShipBob and Extensiv simulators on loopback, seeds an
//! organization, an account, its administrator and four channels pointed at the simulators
//! (Shopify the Master Product Source, products jobs every 15 minutes), starts the first
//! sync at once and follows it on the terminal. Started again on the same data dir it
//! resumes: same credentials, same stores, same catalog.
//!
//! Files: `options` (flags, ports, data dir), `state` (what a restart needs, `demo.json`),
//! `simulators` (the four simulators and their saved stores), `seed` (the account and
//! channels, through the use cases), `schedules` (the first scheduled runs come a period after
//! the first sync), `sync` (the job runtime and the first sync),
//! `progress` (the terminal while the first sync runs, and the summary).

mod options;
mod progress;
mod schedules;
mod seed;
mod simulators;
mod state;
mod sync;

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;

pub use options::DemoArgs;

use crate::settings::{CommonArgs, LogFormat, Settings};
use simulators::{DemoSims, SAVE_EVERY};
use state::{DATABASE_FILE, DemoState};

/// Marks a data dir whose seeding has not finished: a demo that dies while seeding leaves it,
/// and the next start wipes that half-made database instead of refusing the data dir.
const SEEDING_MARKER: &str = ".demo-seeding";

pub async fn run(common: &CommonArgs, args: DemoArgs) -> anyhow::Result<()> {
    // The summary's time is from the start of the command: what a newcomer waits.
    let started = Instant::now();
    // Catch Ctrl-C and SIGTERM from the first instant, so that one arriving while the demo
    // starts still stops it cleanly (the default action would kill it mid-write).
    let stop_signal = stop_signal()?;
    let dir = options::data_dir(common.data_dir.as_ref());
    super::prepare_data_dir(&dir)?;
    let settings = Settings {
        listen: "127.0.0.1:0".parse()?,
        // Always the embedded database in the demo's own data dir, whatever the environment
        // says: the demo must never seed into a real installation's database.
        database_url: format!("sqlite://{}", dir.join(DATABASE_FILE).display()),
        data_dir: dir.clone(),
        log_format: match common.log_format.as_deref() {
            Some("json") => LogFormat::Json,
            _ => LogFormat::Text,
        },
        // Quiet by default: the terminal is for the demo's own progress.
        log_level: common.log_level.clone().unwrap_or_else(|| "warn".into()),
        secret_key: None,
        run_retention_days: techoms_app::sync_jobs::DEFAULT_RUN_RETENTION_DAYS,
        worker_concurrency: None,
        job_lease_secs: None,
        csv_import_max_bytes: techoms_app::catalog_csv::DEFAULT_MAX_BYTES,
    };
    crate::telemetry::init(settings.log_format, &settings.log_level)?;
    if common.database_url.is_some() {
        println!(
            "note: the demo always uses the SQLite database in its data dir; the database URL \
             given (--database-url or TECHOMS_DATABASE_URL) is not used"
        );
    }
    if common.secret_key.is_some() {
        println!(
            "note: the demo seals its channels' credentials with the key in its data dir; the \
             secret key given (--secret-key or TECHOMS_SECRET_KEY) is not used"
        );
    }
    wipe_unfinished_seeding(&dir)?;
    let previous = state::load(&dir)?;
    // The port first: a port in use is refused before anything is written.
    let listener = options::bind_server(args.port).await?;
    let app = super::open_app(&settings, true).await?;

    let (mut sims, state) = match previous {
        Some(mut st) => {
            if let Some(n) = args.products.filter(|n| *n != st.products) {
                println!(
                    "note: --products {n} applies to a fresh data dir; {} already holds the \
                     demo made with {} products (delete it to start over)",
                    dir.display(),
                    st.products
                );
            }
            let mut sims = DemoSims::restore(&dir)?;
            st.ports = sims.serve(st.ports).await?;
            seed::repoint_channels(&app, &st, &sims).await?;
            state::save(&dir, &st)?;
            (sims, (st, true))
        }
        None => {
            std::fs::write(dir.join(SEEDING_MARKER), b"")
                .with_context(|| format!("cannot write in {}", dir.display()))?;
            let wanted = args.products.unwrap_or(options::DEFAULT_PRODUCTS);
            let products = usize::try_from(wanted).unwrap_or(usize::MAX);
            let mut sims = DemoSims::fresh(&dir, products, args.seed)?;
            sims.serve(Default::default()).await?;
            let st = seed::seed(&app, &sims, wanted, args.seed).await?;
            schedules::defer_first_ticks(&app, st.account_id).await?;
            state::save(&dir, &st)?;
            sims.save()?;
            std::fs::remove_file(dir.join(SEEDING_MARKER))
                .with_context(|| format!("cannot write in {}", dir.display()))?;
            (sims, (st, false))
        }
    };
    let (state, resumed) = state;

    let addr = listener.local_addr().context("listener has no address")?;
    let base_url = format!("http://{addr}");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let server = {
        let mut rx = stop_rx.clone();
        let router = techoms_web::router(app.clone())
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = rx.wait_for(|s| *s).await;
                })
                .await
        })
    };
    print_credentials(&state, &base_url, &dir, resumed, &sims, args.json);

    let mut runtime = sync::Runtime::start(&app).await?;
    let access = seed::cli_access(&app, state.account_id).await?;
    let since = app.clock.now();
    let import = runtime.request_first_sync(&access).await?;
    println!(
        "first sync: started ({} variants at {})",
        progress::group(sims.shopify_variants() as i64),
        seed::SHOPIFY_NAME
    );

    let saver = spawn_saver(&sims, stop_rx.clone());
    let signal = tokio::spawn(async move {
        stop_signal.await;
        let _ = stop_tx.send(true);
    });

    let mut stop = stop_rx.clone();
    let followed = tokio::select! {
        r = progress::follow(
            &app,
            &access,
            &state.channels,
            import,
            since,
            sims.shopify_variants() as i64,
        ) => Some(r),
        _ = stop.wait_for(|s| *s) => None,
    };
    match followed {
        Some(Ok(summaries)) => {
            progress::print_summary(&base_url, &summaries, started.elapsed());
            println!(
                "running: press Ctrl-C to stop (state is kept in {})",
                dir.display()
            );
        }
        Some(Err(e)) => eprintln!("warning: cannot follow the first sync: {e:#}"),
        None => {}
    }
    let _ = stop.wait_for(|s| *s).await;

    println!("stopping: server, workers, simulators");
    runtime.shutdown().await;
    // A browser's idle keep-alive connection would hold the graceful shutdown; requests in
    // flight get a few seconds to finish.
    let server_abort = server.abort_handle();
    match tokio::time::timeout(Duration::from_secs(5), server).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => eprintln!("warning: server: {e}"),
        Ok(Err(e)) => eprintln!("warning: server task: {e}"),
        Err(_) => server_abort.abort(),
    }
    let _ = saver.await;
    signal.abort();
    let saved = sims.save();
    sims.shutdown().await;
    app.db.close().await;
    saved.context("cannot save the simulators' stores")?;
    println!(
        "stopped: state saved in {}; run the same command to resume",
        dir.display()
    );
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled.
fn stop_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut int = signal(SignalKind::interrupt()).context("cannot handle Ctrl-C")?;
        let mut term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        Ok(async move {
            tokio::select! {
                _ = int.recv() => {},
                _ = term.recv() => {},
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// A previous start died while seeding: remove what it made so that this start seeds anew.
fn wipe_unfinished_seeding(dir: &Path) -> anyhow::Result<()> {
    if !dir.join(SEEDING_MARKER).exists() {
        return Ok(());
    }
    for f in [
        state::STATE_FILE.to_owned(),
        DATABASE_FILE.to_owned(),
        format!("{DATABASE_FILE}-wal"),
        format!("{DATABASE_FILE}-shm"),
    ] {
        let p = dir.join(f);
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("cannot remove {}", p.display()))?;
        }
    }
    let sims = dir.join("simulators");
    if sims.exists() {
        std::fs::remove_dir_all(&sims)
            .with_context(|| format!("cannot remove {}", sims.display()))?;
    }
    std::fs::remove_file(dir.join(SEEDING_MARKER))?;
    Ok(())
}

/// Save the simulators' stores every [`SAVE_EVERY`] until the demo stops.
fn spawn_saver(
    sims: &DemoSims,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let saver = sims.saver();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(SAVE_EVERY) => {
                    if let Err(e) = saver.save() {
                        tracing::warn!(error = %format!("{e:#}"), "cannot save the simulators");
                    }
                }
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    })
}

/// The block a newcomer needs, as stable `key: value` lines (and one JSON line with --json).
fn print_credentials(
    state: &DemoState,
    base_url: &str,
    dir: &Path,
    resumed: bool,
    sims: &DemoSims,
    as_json: bool,
) {
    let p = sims.ports();
    println!();
    if resumed {
        println!("techOMS demo resumed from {}", dir.display());
    } else {
        println!("techOMS demo ready in {}", dir.display());
    }
    println!("url: {base_url}");
    println!("email: {}", state.email);
    println!("password: {}", state.password);
    println!("api key: {}", state.api_key);
    println!("data dir: {}", dir.display());
    println!(
        "simulators: shopify http://127.0.0.1:{}, woocommerce http://127.0.0.1:{}, shipbob http://127.0.0.1:{}, extensiv http://127.0.0.1:{}",
        p.shopify, p.woocommerce, p.shipbob, p.extensiv
    );
    if as_json {
        println!(
            "{}",
            json!({
                "url": base_url,
                "email": state.email,
                "password": state.password,
                "api_key": state.api_key,
                "data_dir": dir.display().to_string(),
                "resumed": resumed,
                "account_id": state.account_id,
                "channels": {
                    "shopify": state.channels.shopify,
                    "woocommerce": state.channels.woocommerce,
                    "shipbob": state.channels.shipbob,
                    "extensiv": state.channels.extensiv,
                },
            })
        );
    }
    println!();
}
