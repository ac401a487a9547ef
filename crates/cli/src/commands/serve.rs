//! `techoms serve`: the HTTP server.

use anyhow::Context;

use crate::settings::{CommonArgs, Settings, redact_url};

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (HOST:PORT).
    #[arg(long, env = "TECHOMS_LISTEN")]
    pub listen: Option<String>,
    /// Do not apply pending migrations at start (then /readyz reports them until `techoms migrate`).
    #[arg(long)]
    pub no_migrate: bool,
    /// Do not run workers in this process (run `techoms worker` elsewhere).
    #[arg(long)]
    pub no_workers: bool,
    #[command(flatten)]
    pub worker: super::worker::WorkerArgs,
}

pub async fn run(common: &CommonArgs, args: ServeArgs) -> anyhow::Result<()> {
    let settings = Settings::resolve(common, args.listen.as_deref())?;
    let worker_config = args.worker.config(&settings)?;
    crate::telemetry::init(settings.log_format, &settings.log_level)?;
    let app = super::open_app(&settings, !args.no_migrate).await?;
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr().context("listener has no address")?;
    tracing::info!(%addr, database = %redact_url(&settings.database_url), "techOMS listening");
    println!("techOMS listening on http://{addr}");
    let db = app.db.clone();
    let workers = if args.no_workers {
        None
    } else {
        Some(super::worker::start(&app, worker_config).await?)
    };
    axum::serve(
        listener,
        techoms_web::router(app).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("server failed")?;
    if let Some(w) = workers {
        tracing::info!("stopping workers: running runs stop at their next page boundary");
        let stats = w.shutdown().await;
        tracing::info!(?stats, "workers stopped");
    }
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
