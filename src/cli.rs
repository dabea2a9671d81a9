//! The command line, as clap sees it. Everything here is part of the contract scripts rely on.

use clap::{Args, Parser, Subcommand};
use std::time::Duration;

const AFTER_HELP: &str = "\
EXIT CODES
  0  every task succeeded
  1  a task failed or was cancelled remotely
  2  usage or configuration error (unknown provider, missing key or parameter, bad flag)
  3  gave up: the deadline (--timeout) or the attempt limit (--max-attempts) was reached
  4  a task needs input and --stop-on-input was given
  5  a fetch error that retrying cannot fix (auth, not found, a response that is not the
     documented format, an unknown status value), or transient errors beyond the retry limit
  130 interrupted (Ctrl-C); the last known status of each task is printed first
With several tasks the highest code that applies wins.

JSON OUTPUT (wait --json): one object per task, one per line, as each finishes:
  provider, task_id, outcome (succeeded | failed | cancelled | gave_up | needs_input |
  fetch_error), phase (queued | running | needs_input | paused | succeeded | failed |
  cancelled, or null if no status was fetched), status (the provider's raw status), output,
  error (null or {code, message}), progress, details, attempts, elapsed_ms.

API KEYS
  --api-key, else POLLER_API_KEY, else the provider's own variable (NARADA_API_KEY,
  RUNWARE_API_KEY, DARI_API_KEY, VESSL_API_TOKEN). Keys are never printed or logged.";

/// Wait on long-running remote tasks (Narada, Runware, Dari, VESSL) from a shell.
#[derive(Debug, Parser)]
#[command(name = "poller", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// Log what happens at this level on stderr (error, warn, info, debug, trace).
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every registered provider: summary, parameters, key variable, default policy, docs.
    Providers {
        /// Print one JSON array instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Fetch the status of one task once and print it (exit 0 when fetched, 5 when not).
    #[command(after_help = AFTER_HELP)]
    Status {
        /// The provider (see `poller providers`).
        provider: String,
        /// The task's id (Narada requestId, Runware taskUUID, Dari job_id, VESSL request id).
        task_id: String,
        #[command(flatten)]
        connection: ConnectionArgs,
        /// Print the status as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Wait for one or more tasks to end (concurrently, batched where the provider can).
    #[command(after_help = AFTER_HELP)]
    Wait(WaitArgs),
    /// A durable watch list: add tasks to a store, run workers on it (SQLite or PostgreSQL).
    Track(crate::track::TrackArgs),
    /// Run every provider against the embedded simulator: no account, no network.
    Demo {
        /// No live progress; only the summary.
        #[arg(long)]
        quiet: bool,
    },
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// The provider (see `poller providers`).
    pub provider: String,
    /// The tasks' ids.
    #[arg(required = true)]
    pub task_ids: Vec<String>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Print one JSON object per task on stdout, one per line, as each finishes.
    #[arg(long)]
    pub json: bool,
    /// No progress on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args, Default)]
pub struct ConnectionArgs {
    /// The API's base URL (default: the provider's; VESSL has none: give your service's URL).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The API key (else POLLER_API_KEY, else the provider's own variable).
    #[arg(long, value_name = "KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// A provider parameter, named as in the vendor's docs (repeatable):
    /// --param org_id=my-org --param endpoint_name=contact_form
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    /// Allow plain http:// to hosts other than loopback (the key would travel in clear).
    #[arg(long)]
    pub allow_insecure_http: bool,
    /// Per-request timeout.
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub request_timeout: Option<Duration>,
}

#[derive(Debug, Args, Default)]
pub struct PolicyArgs {
    /// The first delay between polls (500ms, 5s, 2m). Replaces the provider's schedule.
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub interval: Option<Duration>,
    /// The longest delay between polls. Replaces the provider's schedule.
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub max_interval: Option<Duration>,
    /// Multiply the delay by FACTOR after each poll (1 = fixed). Replaces the provider's schedule.
    #[arg(long, value_name = "FACTOR", value_parser = parse_factor)]
    pub backoff: Option<f64>,
    /// Wait this long before the first poll.
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub initial_delay: Option<Duration>,
    /// Give up after this long (replaces the provider's default deadline).
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Give up after this many polls of a task.
    #[arg(long, value_name = "N")]
    pub max_attempts: Option<u32>,
    /// Stop (exit 4) as soon as a task needs input, instead of waiting for it to go on.
    #[arg(long)]
    pub stop_on_input: bool,
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s)
        .map_err(|e| format!("{e}; write durations like 500ms, 5s, 2m or 1h30m"))
}

fn parse_factor(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if f.is_finite() && f >= 1.0 => Ok(f),
        _ => Err(format!("{s:?} is not a factor of at least 1 (such as 1.5)")),
    }
}

fn parse_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err(format!(
            "{s:?} is not NAME=VALUE (for example org_id=my-org)"
        )),
    }
}
