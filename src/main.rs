//! The `poller` command-line tool: wait on long-running remote tasks from a shell.
//!
//! See `poller --help` and README.md for the contract scripts rely on (output, exit codes).

mod cli;
mod connection;
mod counting;
mod demo;
mod error;
mod ids;
mod listen;
mod out;
mod policy_args;
mod progress;
mod providers_cmd;
mod report;
mod sanitize;
mod signals;
mod status;
mod submit;
mod track;
mod wait;

// Name the providers crate so that its inventory registrations are linked in.
use poller_providers as _;

use clap::{CommandFactory, Parser};
use cli::{Cli, Command};
use out::err_line;
use report::code;
use std::process::ExitCode;
use std::time::Duration;

/// Blocking threads the runtime may start (reqwest resolves names on them); with the two
/// workers and the main thread this bounds the process's threads whatever the number of tasks.
const MAX_BLOCKING_THREADS: usize = 4;

fn init_logging(level: cli::LogLevel) {
    let filter = tracing_subscriber::EnvFilter::new(level.as_str());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(progress::colour_allowed())
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(level) = cli.log {
        init_logging(level);
    }
    if let Command::Completions { shell } = cli.command {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "poller", &mut buf);
        let mut stdout = out::Stdout::default();
        let _ = stdout.line(String::from_utf8_lossy(&buf).trim_end());
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            err_line(&format!("poller: could not start the runtime: {e}"));
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
                format,
            } => status::run(&provider, &task_id, &connection, &format)
                .await
                .map_err(|e| e.to_string()),
            Command::Wait(args) => wait::run(args).await.map_err(|e| e.to_string()),
            Command::Submit(args) => submit::run(args).await.map_err(|e| e.to_string()),
            Command::Track(args) => track::run(args).await,
            Command::Demo { quiet } => demo::run(quiet).await.map_err(|e| e.to_string()),
            Command::Completions { .. } => Ok(code::OK),
        }
    });
    // Requests still in flight (an interrupted wait) must not hold the exit up.
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            err_line(&format!("poller: {}", sanitize::sanitize(&message)));
            ExitCode::from(code::USAGE)
        }
    }
}
