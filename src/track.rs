//! `poller track`: a durable watch list (poller-store) from the shell: add tasks, run a
//! worker that prints (and optionally POSTs) outcomes, list pending tasks and outcomes.

use crate::cli::{ConnectionArgs, PolicyArgs, parse_duration};
use crate::connection::build_source;
use crate::error::CliError;
use crate::ids;
use crate::policy_args::build_policy;
use crate::report::{TaskReport, code};
use async_trait::async_trait;
use clap::{Args, Subcommand};
use hmac::{Hmac, Mac};
use poller_core::{ConfigError, Outcome, RateLimit, Report, provider};
use poller_store::{
    OutcomeSink, SourceBuilder, SourceSpec, Store, StoredOutcome, Worker, WorkerOptions,
};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// The header carrying a POSTed outcome's signature: `sha256=<hex HMAC-SHA256 of the body>`.
pub const SIGNATURE_HEADER: &str = "x-poller-signature";

#[derive(Debug, Args)]
pub struct TrackArgs {
    #[command(subcommand)]
    pub command: TrackCommand,
}

#[derive(Debug, Args)]
pub struct StoreArg {
    /// The store: a SQLite file path, or postgres://… (default: poller/watch.db under
    /// $XDG_DATA_HOME, else ~/.local/share).
    #[arg(long, value_name = "URL", env = "POLLER_STORE")]
    pub store: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TrackCommand {
    /// Add tasks to the store (durable when this returns; adding a task twice changes nothing).
    /// The API key is not stored: the worker reads it from its environment.
    Add {
        /// The provider (see `poller providers`).
        provider: String,
        /// The tasks' ids; `-` reads ids from stdin, one per line (blank lines and #
        /// comments are skipped).
        task_ids: Vec<String>,
        /// Read ids from FILE, one per line (blank lines and # comments skipped; repeatable).
        #[arg(long, value_name = "FILE")]
        ids_file: Vec<std::path::PathBuf>,
        #[command(flatten)]
        store: StoreArg,
        #[command(flatten)]
        connection: ConnectionArgs,
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Run a worker: poll the store's tasks, print each outcome as a JSON line (the shape of
    /// `wait --json`), optionally POST it signed; until Ctrl-C or, with --exit-when-done,
    /// until nothing is left.
    Run(RunArgs),
    /// List the tasks that have not ended, as JSON lines.
    List {
        #[command(flatten)]
        store: StoreArg,
    },
    /// List outcomes, as JSON lines.
    Outcomes {
        #[command(flatten)]
        store: StoreArg,
        /// Only those not yet acknowledged (delivered).
        #[arg(long)]
        unacked: bool,
    },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// POST each outcome (JSON) to this URL, signed in the x-poller-signature header;
    /// retried until the server answers 2xx.
    #[arg(long, value_name = "URL", requires = "post_secret_env")]
    pub post_to: Option<String>,
    /// The environment variable holding the HMAC-SHA256 secret for --post-to.
    #[arg(long, value_name = "VAR")]
    pub post_secret_env: Option<String>,
    /// How long a claimed task stays with this worker without renewal (takeover bound).
    #[arg(long, value_name = "DUR", value_parser = parse_duration, default_value = "30s")]
    pub lease: Duration,
    /// Requests per second per provider, for all workers together: NAME=N (repeatable).
    #[arg(long = "rate-limit", value_name = "NAME=N", value_parser = parse_rate)]
    pub rate_limits: Vec<(String, u32)>,
    /// End once the store has no pending task and no undelivered outcome.
    #[arg(long)]
    pub exit_when_done: bool,
    /// This worker's name (default: from the process id).
    #[arg(long)]
    pub name: Option<String>,
}

fn parse_rate(s: &str) -> Result<(String, u32), String> {
    match s.split_once('=').map(|(n, v)| (n, v.parse::<u32>())) {
        Some((name, Ok(n))) if !name.is_empty() && n > 0 => Ok((name.to_string(), n)),
        _ => Err(format!("{s:?} is not NAME=N (for example narada=10)")),
    }
}

/// What `track add` stores beside the provider, base URL and parameters: the connection and
/// policy options, never the key.
#[derive(Debug, Default, Serialize, Deserialize)]
struct StoredOptions {
    #[serde(default)]
    allow_insecure_http: bool,
    request_timeout_ms: Option<u64>,
    interval_ms: Option<u64>,
    max_interval_ms: Option<u64>,
    backoff: Option<f64>,
    initial_delay_ms: Option<u64>,
    timeout_ms: Option<u64>,
    max_attempts: Option<u32>,
    #[serde(default)]
    stop_on_input: bool,
}

fn to_ms(d: Option<Duration>) -> Option<u64> {
    d.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn from_ms(ms: Option<u64>) -> Option<Duration> {
    ms.map(Duration::from_millis)
}

impl StoredOptions {
    fn new(c: &ConnectionArgs, p: &PolicyArgs) -> Self {
        StoredOptions {
            allow_insecure_http: c.allow_insecure_http,
            request_timeout_ms: to_ms(c.request_timeout),
            interval_ms: to_ms(p.interval),
            max_interval_ms: to_ms(p.max_interval),
            backoff: p.backoff,
            initial_delay_ms: to_ms(p.initial_delay),
            timeout_ms: to_ms(p.timeout),
            max_attempts: p.max_attempts,
            stop_on_input: p.stop_on_input,
        }
    }

    fn args(&self, spec: &SourceSpec) -> (ConnectionArgs, PolicyArgs) {
        let connection = ConnectionArgs {
            base_url: spec.base_url.clone(),
            api_key: None,
            api_key_file: None,
            params: spec.params.clone().into_iter().collect(),
            allow_insecure_http: self.allow_insecure_http,
            request_timeout: from_ms(self.request_timeout_ms),
        };
        let policy = PolicyArgs {
            interval: from_ms(self.interval_ms),
            max_interval: from_ms(self.max_interval_ms),
            backoff: self.backoff,
            initial_delay: from_ms(self.initial_delay_ms),
            timeout: from_ms(self.timeout_ms),
            max_attempts: self.max_attempts,
            stop_on_input: self.stop_on_input,
        };
        (connection, policy)
    }
}

/// Rebuilds a stored task's source as `poller wait` would, with the key from the environment.
fn builder() -> SourceBuilder {
    Arc::new(|spec: &SourceSpec| {
        let provider = provider(&spec.provider)?;
        let options: StoredOptions = serde_json::from_value(spec.options.clone())
            .map_err(|e| ConfigError::Other(format!("stored options: {e}")))?;
        let (connection, policy) = options.args(spec);
        Ok((
            build_source(provider, &connection).map_err(config_error)?,
            build_policy(provider, &policy, false).map_err(config_error)?,
        ))
    })
}

/// A CLI mistake found while rebuilding a stored task's source, as the store's error type.
fn config_error(e: CliError) -> ConfigError {
    match e {
        CliError::Config(e) => e,
        other => ConfigError::Other(other.to_string()),
    }
}

/// A finished task as the JSON line `poller wait --json` prints (the last fetch error of a
/// task that gave up included).
fn task_json(provider: &str, report: &Report) -> serde_json::Value {
    let last_error = match &report.outcome {
        Outcome::GaveUp { last_error, .. } => last_error.as_ref(),
        _ => None,
    };
    TaskReport::finished(provider, report, last_error).json()
}

async fn open(arg: &StoreArg) -> Result<Store, String> {
    let url = match &arg.store {
        Some(url) => url.clone(),
        None => poller_store::default_sqlite_path().display().to_string(),
    };
    Store::open(&url).await.map_err(|e| e.to_string())
}

/// Writes one line to stdout; a closed pipe is an error (the outcome is then not
/// acknowledged).
fn print_line(line: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()
}

/// Prints each outcome; with a URL, POSTs it first (signed) and prints it once accepted.
struct CliSink {
    post: Option<(reqwest::Client, String, Vec<u8>)>,
}

/// `sha256=<hex>` of `body` under `secret`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[async_trait]
impl OutcomeSink for CliSink {
    async fn deliver(&self, outcome: &StoredOutcome) -> Result<(), String> {
        let body = outcome.report.to_string();
        if let Some((client, url, secret)) = &self.post {
            let answer = client
                .post(url)
                .header("content-type", "application/json")
                .header(SIGNATURE_HEADER, signature(secret, body.as_bytes()))
                .header("x-poller-outcome-id", outcome.id.to_string())
                .body(body.clone())
                .send()
                .await
                .map_err(|e| format!("POST {url}: {e}"))?;
            if !answer.status().is_success() {
                return Err(format!("POST {url}: answered {}", answer.status()));
            }
        }
        print_line(&body).map_err(|e| format!("stdout: {e}"))
    }
}

/// Runs `poller track …`; returns the exit code.
pub async fn run(args: TrackArgs) -> Result<u8, String> {
    match args.command {
        TrackCommand::Add {
            provider: name,
            task_ids,
            ids_file,
            store,
            connection,
            policy,
        } => {
            if connection.api_key.is_some() {
                return Err("track add does not take --api-key: keys are never stored; \
                     give the worker the key in its environment"
                    .into());
            }
            let p = provider(&name).map_err(|e| e.to_string())?;
            // The same ids `wait` takes: `-` is stdin, never a task called "-".
            let task_ids = ids::collect(&task_ids, &ids_file, std::io::stdin().lock())
                .map_err(|e| e.to_string())?;
            let mut spec = SourceSpec::new(p.name).options(
                serde_json::to_value(StoredOptions::new(&connection, &policy))
                    .map_err(|e| e.to_string())?,
            );
            if let Some(url) = &connection.base_url {
                spec = spec.base_url(url.clone());
            }
            for (k, v) in &connection.params {
                spec = spec.param(k.clone(), v.clone());
            }
            let store = open(&store).await?;
            let added = store
                .track(&spec, &task_ids)
                .await
                .map_err(|e| e.to_string())?;
            eprintln!(
                "added {added} task(s) to {} ({} already there)",
                store.target(),
                task_ids.len() as u64 - added.min(task_ids.len() as u64)
            );
            Ok(code::OK)
        }
        TrackCommand::Run(run) => run_worker(run).await,
        TrackCommand::List { store } => {
            let store = open(&store).await?;
            for task in store.pending().await.map_err(|e| e.to_string())? {
                let line = serde_json::to_string(&task).map_err(|e| e.to_string())?;
                if print_line(&line).is_err() {
                    break;
                }
            }
            Ok(code::OK)
        }
        TrackCommand::Outcomes { store, unacked } => {
            let store = open(&store).await?;
            for o in store.outcomes(unacked).await.map_err(|e| e.to_string())? {
                let line = serde_json::json!({
                    "id": o.id, "acked": o.acked_ms.is_some(), "report": o.report,
                });
                if print_line(&line.to_string()).is_err() {
                    break;
                }
            }
            Ok(code::OK)
        }
    }
}

async fn run_worker(args: RunArgs) -> Result<u8, String> {
    let post = match (&args.post_to, &args.post_secret_env) {
        (Some(url), Some(var)) => {
            let secret = std::env::var(var)
                .ok()
                .filter(|s| !s.is_empty())
                .ok_or_else(|| format!("--post-secret-env: the variable {var} is not set"))?;
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .map_err(|e| e.to_string())?;
            Some((client, url.clone(), secret.into_bytes()))
        }
        _ => None,
    };
    let store = open(&args.store).await?;
    let mut options = WorkerOptions::default()
        .lease(args.lease)
        .exit_when_idle(args.exit_when_done);
    for (name, n) in &args.rate_limits {
        options = options.rate_limit(name.clone(), RateLimit::per_second(*n));
    }
    let mut worker = Worker::new(store, builder())
        .options(options)
        .renderer(Arc::new(task_json));
    if let Some(name) = args.name {
        worker = worker.name(name);
    }
    let shutdown = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let summary = worker
        .run(CliSink { post }, shutdown)
        .await
        .map_err(|e| e.to_string())?;
    eprintln!(
        "worker done: {} outcome(s) written, {} delivered, {} task(s) claimed",
        summary.outcomes, summary.delivered, summary.claimed
    );
    Ok(code::OK)
}
