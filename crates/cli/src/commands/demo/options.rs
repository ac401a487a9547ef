//! `techoms demo` options and where they lead: the data dir, the ports.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use tokio::net::TcpListener;

/// The data dir used when neither `--data-dir` nor `TECHOMS_DATA_DIR` names one: a folder of
/// its own, so that the demo never mixes with a real installation's `data`.
pub const DEFAULT_DATA_DIR: &str = "techoms-demo";
/// The port tried first when `--port` is not given.
pub const DEFAULT_PORT: u16 = 8080;
/// Products in the Shopify simulator's generated catalog by default.
pub const DEFAULT_PRODUCTS: u64 = 300;

#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Port of the techOMS server on 127.0.0.1 (0: any free port). Default: 8080, or a free
    /// port when 8080 is taken.
    #[arg(long)]
    pub port: Option<u16>,
    /// Products the Shopify simulator starts with on a fresh data dir (at least 20, so that
    /// the planted duplicate SKUs fit) [default: 300].
    #[arg(long, value_parser = clap::value_parser!(u64).range(20..=100_000))]
    pub products: Option<u64>,
    /// Seed of the generated catalog (same seed, same catalog).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print the credentials block as one JSON object on a line of its own (besides the text).
    #[arg(long)]
    pub json: bool,
}

/// The demo's data dir: the global `--data-dir` (or `TECHOMS_DATA_DIR`), else
/// [`DEFAULT_DATA_DIR`] in the working directory.
pub fn data_dir(global: Option<&PathBuf>) -> PathBuf {
    global
        .cloned()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))
}

/// Bind the server's listener: the explicit port (0: free), else 8080 or a free port.
pub async fn bind_server(port: Option<u16>) -> anyhow::Result<TcpListener> {
    match port {
        Some(p) => {
            let addr = SocketAddr::from(([127, 0, 0, 1], p));
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} (--port)"))
        }
        None => match TcpListener::bind(("127.0.0.1", DEFAULT_PORT)).await {
            Ok(l) => Ok(l),
            Err(_) => TcpListener::bind(("127.0.0.1", 0))
                .await
                .context("cannot listen on a free port of 127.0.0.1"),
        },
    }
}

/// Bind a simulator: the port it had last time when it is free (so that a resumed demo
/// keeps its addresses), else any free port.
pub async fn bind_simulator(previous: Option<u16>) -> anyhow::Result<TcpListener> {
    if let Some(p) = previous.filter(|p| *p != 0)
        && let Ok(l) = TcpListener::bind(("127.0.0.1", p)).await
    {
        return Ok(l);
    }
    TcpListener::bind(("127.0.0.1", 0))
        .await
        .context("cannot listen on a free port of 127.0.0.1 for a simulator")
}
