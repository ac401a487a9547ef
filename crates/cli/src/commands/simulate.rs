//! `techoms simulate <integration>`: run a channel simulator as a standalone server, for
//! trying a connector by hand, demos and benchmarks.

use std::path::PathBuf;

use anyhow::Context;
use techoms_simulators::server::SimOptions;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SimKind {
    Shopify,
    Woocommerce,
    Shipbob,
    Extensiv,
}

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Which API to simulate.
    pub kind: SimKind,
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1:9000")]
    pub listen: String,
    /// Seed the store from this JSON file (format in the simulator's documentation).
    #[arg(long)]
    pub seed_file: Option<PathBuf>,
    /// Generate this many products.
    #[arg(long)]
    pub products: Option<usize>,
    /// Seed of the generated catalog (same seed, same catalog).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

pub async fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let opts = SimOptions {
        seed_file: args.seed_file,
        generate: args.products,
        seed: args.seed,
    };
    let served = match args.kind {
        SimKind::Shopify => techoms_simulators::shopify::serve_standalone(listener, opts).await,
        SimKind::Woocommerce => {
            techoms_simulators::woocommerce::serve_standalone(listener, opts).await
        }
        SimKind::Shipbob => techoms_simulators::shipbob::serve_standalone(listener, opts).await,
        SimKind::Extensiv => techoms_simulators::extensiv::serve_standalone(listener, opts).await,
    };
    served.context("simulator failed")
}
