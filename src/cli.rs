//! The command line, as clap sees it. Everything here is part of the contract scripts rely on.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

const AFTER_HELP: &str = "\
EXIT CODES
  0  every task met the condition (--until; by default: succeeded)
  1  a task failed or was cancelled remotely
  2  usage or configuration error (unknown provider, missing key or parameter, bad flag or id;
     --listen: a provider without callbacks, a missing secret variable, an address that
     cannot be bound)
  3  gave up: the deadline (--timeout) or the attempt limit (--max-attempts) was reached
     (status: the task has not ended yet)
  4  a task needs input and --stop-on-input was given (status: the task needs input)
  5  a fetch error that retrying cannot fix (auth, not found, a response that is not the
     documented format, an unknown status value), transient errors beyond the retry limit,
     or the same permanent error for several tasks (a wrong key: the wait stops early);
     submit: the create request never reached the API (connection refused)
  6  submit: the vendor rejected the create request (a 4xx answer: nothing was started)
  7  submit: the create request may have started a task but no answer said so (a timeout,
     a cut connection, a 5xx, Ctrl-C while it was in flight); the ids known are printed:
     look them up before submitting again
  130 interrupted (Ctrl-C), 143 terminated (SIGTERM); the last known status of each task
     is printed first
With several tasks the highest code that applies wins. When stdout is closed early (a pipe
into `head`), the command stops quietly with the code earned so far, 0 if none.

JSON OUTPUT (-o json, or --json): one object per task, one per line, as each finishes
(`status`: the one fetched):
  provider, task_id, outcome (succeeded | failed | cancelled | gave_up | needs_input |
  fetch_error | in_progress | interrupted | abandoned | submitted), phase (queued | running |
  needs_input | paused | succeeded | failed | cancelled, or null if no status was fetched),
  status (the provider's raw status), output, error (null or {code, message}, and for
  gave_up the last fetch error as cause), progress, details, attempts, elapsed_ms.
  submitted: created by `submit` without --wait (phase and status null, attempts 0);
  in_progress: the task had not ended (status, --until running); interrupted: Ctrl-C or
  SIGTERM; abandoned: the wait stopped before the task ended (--fail-fast, --until
  any-final, repeated identical errors).

API KEYS AND BASE URLS
  --api-key or --api-key-file, else POLLER_API_KEY, else the provider's own variable
  (NARADA_API_KEY, RUNWARE_API_KEY, DARI_API_KEY, VESSL_API_TOKEN). Keys are never printed
  or logged. --base-url, else POLLER_BASE_URL, else NARADA_BASE_URL, RUNWARE_BASE_URL,
  DARI_BASE_URL or VESSL_BASE_URL, else the provider's default.";

const WAIT_HELP: &str = "\
PROGRESS (stderr)
  On a terminal: one line with done/failed/running of N, requests and elapsed time, the most
  recent changes below it, and a row per task while they fit; redrawn at most 10 times a
  second. Otherwise (a pipe, a file, TERM=dumb): one line per change or retry; with more
  than 50 tasks, a summary line every 5 seconds instead. No colour when NO_COLOR is set.";

const LISTEN_HELP: &str = "\
WEBHOOK-ASSISTED WAITS (--listen ADDR [--public-url URL])
  A receiver on ADDR (IP:PORT; port 0: any free port) takes the vendor's callbacks while
  the wait runs. A verified callback brings its task's next poll forward; the poll alone
  decides the outcome, so a lost or forged callback costs time, never a wrong result. The
  provider's schedule relaxes to a safety net, stretched 10 times, same deadline; a schedule
  given with --interval, --max-interval or --backoff is used as given, not stretched. The
  bound address and the callback URL are printed on stderr, even with -q (a Runware token
  shows as token=…). The URL the vendor calls is --public-url, else http://ADDR with
  0.0.0.0 as 127.0.0.1 and [::] as [::1]. The receiver stops when the wait ends.
  submit  narada: callbackUrl and a fresh random callbackSecret; runware: webhookURL with
          the receiver's random token, on every task; a body that sets one of these
          already exits 2. dari: nothing in the body (set the printed URL on the portal).
  wait    the secrets come from the environment (never flags: `ps` shows them); missing,
          exit 2: NARADA_CALLBACK_SECRET (the tasks' callbackSecret), RUNWARE_WEBHOOK_TOKEN
          (the token= of their webhookURL, which must point at the printed URL).
  both    dari: DARI_WEBHOOK_SECRET (the portal's webhook secret). vessl documents no
          callbacks: exit 2.";

const SUBMIT_HELP: &str = "\
REQUEST BODIES (--data), as each vendor documents its create endpoint
  narada   {\"prompt\": \"…\", \"executionMode\": \"cloud\"}  (client mode needs browserWindowId)
  runware  one task object or an array of them (one request):
           {\"taskType\": \"imageInference\", \"positivePrompt\": \"…\", \"model\": \"…\"};
           taskUUID is generated when absent, deliveryMethod is always async
  dari     {\"form_data\": {…}} or {\"document_bundle_id\": \"…\"}, with --param org_id=…
           --param endpoint_name=…
  vessl    {\"data\": {…}, \"method\": \"POST\", \"path\": \"/\"}
The body is checked before anything is sent: a wrong field exits 2 naming it. A create
request is sent again only when it never reached the API (connection refused); Runware
batches are resent with the same taskUUIDs. Without --wait, each new id is printed on
stdout as -o says (human and id: the id alone); with --wait they are said on stderr and
stdout carries the wait's results, as `poller wait` prints them. When only part of a
Runware batch was created, the created ids are printed on stdout all the same, the others
are named on stderr, and the command exits 6 or 7 without waiting.";

/// Wait on long-running remote tasks (Narada, Runware, Dari, VESSL) from a shell.
#[derive(Debug, Parser)]
#[command(
    name = "poller",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("POLLER_COMMIT"), ")"),
    about,
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// Log what happens at this level on stderr.
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log: Option<LogLevel>,
    #[command(subcommand)]
    pub command: Command,
}

/// The levels `--log` takes.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every registered provider: summary, parameters, key variable, default policy, docs.
    Providers {
        /// Print one JSON array instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Fetch the status of one task once and print it; the exit code follows the task's state.
    #[command(after_help = AFTER_HELP)]
    Status {
        /// The provider (see `poller providers`).
        provider: String,
        /// The task's id (Narada requestId, Runware taskUUID, Dari job_id, VESSL request id).
        task_id: String,
        #[command(flatten)]
        connection: ConnectionArgs,
        #[command(flatten)]
        format: FormatArgs,
    },
    /// Wait for one or more tasks to end (concurrently, batched where the provider can).
    #[command(after_help = format!("{WAIT_HELP}\n\n{LISTEN_HELP}\n\n{AFTER_HELP}"))]
    Wait(WaitArgs),
    /// Create a task (Runware: one or more) through the provider's create endpoint and print
    /// its id; with --wait, then wait on it as `poller wait` does.
    #[command(after_help = format!("{SUBMIT_HELP}\n\n{WAIT_HELP}\n\n{LISTEN_HELP}\n\n{AFTER_HELP}"))]
    Submit(SubmitArgs),
    /// A durable watch list: add tasks to a store, run workers on it (SQLite or PostgreSQL).
    Track(crate::track::TrackArgs),
    /// Run every provider against the embedded simulator: no account, no network.
    Demo {
        /// No live progress; only the summary.
        #[arg(long)]
        quiet: bool,
    },
    /// Print a shell completion script: poller completions bash > /etc/bash_completion.d/poller
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// The provider (see `poller providers`).
    pub provider: String,
    /// The tasks' ids; `-` reads ids from stdin, one per line (blank lines and # comments
    /// are skipped).
    pub task_ids: Vec<String>,
    /// Read ids from FILE, one per line (blank lines and # comments skipped; repeatable).
    #[arg(long, value_name = "FILE")]
    pub ids_file: Vec<PathBuf>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub output: WaitOutput,
    #[command(flatten)]
    pub listen: ListenArgs,
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The provider (see `poller providers`).
    pub provider: String,
    /// The request body: inline JSON, @FILE to read it from FILE, or - to read it from stdin.
    #[arg(long, value_name = "JSON|@FILE|-")]
    pub data: String,
    /// Then wait on the new task(s) as `poller wait` does (same options, output, exit codes).
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub output: WaitOutput,
    #[command(flatten)]
    pub listen: ListenArgs,
}

/// `--listen`: a webhook receiver beside the wait (see WEBHOOK-ASSISTED WAITS in --help).
#[derive(Debug, Args, Default, Clone)]
pub struct ListenArgs {
    /// Run a webhook receiver on ADDR (IP:PORT, port 0 for any free one) while waiting: a
    /// verified callback brings its task's poll forward (submit: needs --wait).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
    /// The URL at which the vendor reaches the --listen receiver (a tunnel, a public host);
    /// default http://ADDR.
    #[arg(long, value_name = "URL", requires = "listen", value_parser = parse_public_url)]
    pub public_url: Option<String>,
}

/// How results are printed (shared by `status` and `wait`).
#[derive(Debug, Args, Default, Clone)]
pub struct FormatArgs {
    /// human: a line per task; json: one JSON object per task per line; id: the id of each
    /// task that met the condition; output: the output of each such task, as compact JSON
    /// (for `| jq`).
    #[arg(long, short = 'o', value_name = "FORMAT", value_enum, default_value_t)]
    pub output: Format,
    /// Same as -o json.
    #[arg(long, conflicts_with = "output")]
    pub json: bool,
}

impl FormatArgs {
    pub fn format(&self) -> Format {
        if self.json { Format::Json } else { self.output }
    }
}

/// What goes on stdout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Human,
    Json,
    Id,
    Output,
}

/// What `wait` (and anything that waits, such as `submit --wait`) prints and when it stops.
#[derive(Debug, Args, Default, Clone)]
pub struct WaitOutput {
    #[command(flatten)]
    pub format: FormatArgs,
    /// No progress on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// The condition to wait for: succeeded (every task succeeded; exit 1 if one failed),
    /// final (every task ended, however: a remote failure exits 0), running (every task has
    /// left the queue), any-final (one task ended: exit with its code, stop waiting on the
    /// rest).
    #[arg(long, value_enum, value_name = "CONDITION", default_value_t)]
    pub until: Until,
    /// Stop as soon as one task fails (any non-zero code); the rest are abandoned.
    #[arg(long)]
    pub fail_fast: bool,
    /// Keep waiting on the other tasks when several fail with the same permanent error (by
    /// default the wait stops after 3, exit 5: a wrong key fails every task alike).
    #[arg(long, conflicts_with = "fail_fast")]
    pub keep_going: bool,
}

/// `--until`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Until {
    #[default]
    Succeeded,
    Final,
    Running,
    AnyFinal,
}

#[derive(Debug, Args, Default)]
pub struct ConnectionArgs {
    /// The API's base URL (else POLLER_BASE_URL, else NARADA_BASE_URL … VESSL_BASE_URL, else
    /// the provider's; VESSL has none: give your service's URL).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The API key (else --api-key-file, POLLER_API_KEY, or the provider's own variable).
    #[arg(long, value_name = "KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Read the API key from FILE (its first line).
    #[arg(long, value_name = "FILE", conflicts_with = "api_key")]
    pub api_key_file: Option<PathBuf>,
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
    /// The first delay between polls (500ms, 5s, 2m; at least 100ms). Replaces the
    /// provider's schedule.
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub interval: Option<Duration>,
    /// The longest delay between polls (at least --interval). Replaces the provider's
    /// schedule.
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
    /// Give up after this many polls of a task (at least 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_attempts: Option<u32>,
    /// Stop (exit 4) as soon as a task needs input, instead of waiting for it to go on.
    #[arg(long)]
    pub stop_on_input: bool,
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s)
        .map_err(|e| format!("{e}; write durations like 500ms, 5s, 2m or 1h30m"))
}

/// An `http(s)://` URL without query or fragment: the receiver's routes are appended to it.
fn parse_public_url(s: &str) -> Result<String, String> {
    match reqwest::Url::parse(s) {
        Ok(u) if !matches!(u.scheme(), "http" | "https") => {
            Err(format!("{s:?} is not an http:// or https:// URL"))
        }
        Ok(u) if u.query().is_some() || u.fragment().is_some() => Err(format!(
            "{s:?} has a query or fragment: give the base URL the routes /narada, /runware \
             and /dari are appended to"
        )),
        Ok(_) => Ok(s.to_string()),
        Err(e) => Err(format!("{s:?} is not a URL ({e})")),
    }
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
