//! Running a simulator on a loopback port.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A simulator serving on a local port until dropped or shut down.
pub struct RunningSim {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl RunningSim {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serve `router` on `listener` in the background.
    pub fn spawn(listener: TcpListener, router: axum::Router) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            let serve = axum::serve(listener, router).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "simulator stopped");
            }
        });
        Ok(Self {
            addr,
            shutdown: Some(tx),
            handle: Some(handle),
        })
    }

    /// Bind 127.0.0.1 on a free port and serve `router`.
    pub async fn start(router: axum::Router) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        Self::spawn(listener, router)
    }

    /// Stop serving and wait for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.abort();
        }
    }
}

/// Options every simulator accepts when run standalone (`techoms simulate <name> ...`).
#[derive(Debug, Clone, Default)]
pub struct SimOptions {
    /// A JSON file of products to seed the store with (the simulator's own documented format).
    pub seed_file: Option<std::path::PathBuf>,
    /// Generate this many products (deterministic for a given `seed`).
    pub generate: Option<usize>,
    /// Seed for generated data.
    pub seed: u64,
}
