//! The `poller` command-line tool: wait on long-running remote tasks from a shell.
//!
//! See `poller --help` and README.md for the contract scripts rely on (output, exit codes).

mod cli;
mod connection;
mod demo;
mod policy_args;
mod progress;
mod providers_cmd;
mod report;
mod status;
mod track;
mod wait;

// Name the providers crate so that its inventory registrations are linked in.
use poller_providers as _;

use clap::Parser;
use cli::{Cli, Command};
use report::code;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(level) = &cli.log {
        let filter = tracing_subscriber::EnvFilter::try_new(level)
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("poller: could not start the runtime: {e}");
            return ExitCode::from(code::USAGE);
        }
    };
    let result: Result<u8, String> = runtime.block_on(async {
        match cli.command {
            Command::Providers { json } => {
                providers_cmd::run(json);
                Ok(code::OK)
            }
            Command::Status {
                provider,
                task_id,
                connection,
                json,
            } => status::run(&provider, &task_id, &connection, json)
                .await
                .map_err(|e| e.to_string()),
            Command::Wait(args) => wait::run(args).await.map_err(|e| e.to_string()),
            Command::Track(args) => track::run(args).await,
            Command::Demo { quiet } => demo::run(quiet).await.map_err(|e| e.to_string()),
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("poller: {message}");
            ExitCode::from(code::USAGE)
        }
    }
}
