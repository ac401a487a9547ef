//! `techoms`: the techOMS server, workers and administration commands.

mod commands;
mod settings;
mod telemetry;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::settings::CommonArgs;

#[derive(Parser)]
#[command(
    name = "techoms",
    version,
    about = "techOMS: one product catalog, every channel in step"
)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (UI, API, health) with in-process workers.
    Serve(commands::serve::ServeArgs),
    /// Run background workers only (sync jobs, schedules, retention); no HTTP server.
    Worker(commands::worker::WorkerCmdArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Run a channel API simulator (shopify, woocommerce, shipbob, extensiv) on loopback.
    Simulate(commands::simulate::SimulateArgs),
    /// Try techOMS in a minute: the server, four channel simulators, a seeded account and
    /// its first sync, all on loopback (resumes when started again on the same data dir).
    Demo(commands::demo::DemoArgs),
    /// Administration: create accounts and users.
    #[command(subcommand)]
    Admin(commands::admin::AdminCommand),
    /// The catalog as CSV: import a file, export the catalog.
    #[command(subcommand)]
    Products(commands::products::ProductsCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => commands::serve::run(&cli.common, args).await,
            Command::Worker(args) => commands::worker::run(&cli.common, args).await,
            Command::Migrate => commands::migrate::run(&cli.common).await,
            Command::Admin(cmd) => commands::admin::run(&cli.common, cmd).await,
            Command::Products(cmd) => commands::products::run(&cli.common, cmd).await,
            Command::Simulate(args) => commands::simulate::run(args).await,
            Command::Demo(args) => commands::demo::run(&cli.common, args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line naming the problem: the context chain, no backtrace.
            eprintln!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, skipping a cause whose text its parent already
/// includes (sqlx and io errors repeat their source in their own message).
fn one_line(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out.replace('\n', " ")
}
