//! Narada Remote Dispatch: `GET {base_url}/fast/v2/remote-dispatch/responses/{requestId}`
//! with the key in the `x-api-key` header.
//!
//! ```no_run
//! # async fn run() -> Result<(), poller_core::ConfigError> {
//! use poller_providers::narada::Narada;
//! // One line: the vendor's schedule (5 s growing to 10 s, at most 1000 s) and the key from
//! // NARADA_API_KEY.
//! let report = Narada::from_env()?.wait("req_abc123def456").await?;
//! println!("{}: {:?}", report.outcome, report.outcome.last_status().and_then(|s| s.output.as_ref()));
//! # Ok(()) }
//! ```
//!
//! # Statuses
//!
//! | `status` | phase | notes |
//! |---|---|---|
//! | `pending` | [`Running`](poller_core::Phase::Running) | the vendor: "Task is still running" |
//! | `input-required`, `completedAt` null | [`NeedsInput`](poller_core::Phase::NeedsInput) | not final: polling goes on, as the official SDK does, and the task may still succeed; `response.text` (the question) is the progress step |
//! | `input-required`, `completedAt` set | [`Failed`](poller_core::Phase::Failed) | the task ended without the input; the error message is `response.text` |
//! | `success` | [`Succeeded`](poller_core::Phase::Succeeded) | |
//! | `error` | [`Failed`](poller_core::Phase::Failed) | the error message is `response.text` when present |
//!
//! Any other value is a permanent [`FetchError::UnknownStatus`](poller_core::FetchError::UnknownStatus). The output is `response` (any
//! JSON). `createdAt`, `completedAt`, `usage` (`{"actions", "credits"}`) and `browserWindowId`
//! are kept in [`Status::details`](poller_core::Status::details) under those names when not null.
//!
//! To stop at the first `input-required` instead of polling on, add
//! [`stop_on_input`](poller_core::PollPolicyExt::stop_on_input) to the policy.
//!
//! # Default policy
//!
//! [`default_policy`]: poll at once, then after 5 s, 7.5 s, 10 s and every 10 s after that,
//! for at most 1000 s, never sooner than a `Retry-After`. Narada's polling guide asks for
//! "reasonable polling intervals (5-10 seconds)", "exponential backoff for production
//! applications" and "always set a maximum timeout"; the official SDK's timeout is 1000 s.
//! Growing ×1.5 from 5 s reaches 10 s on the third poll and stays inside the advised range.
//!
//! # The type
//!
//! [`NaradaStatus`] is the documented body with `#[derive(StatusResponse)]`, and nothing else:
//! the derive maps the statuses, `completedAt` (`when_set(needs_input = failed)`), the output,
//! the error message and the question inside the output (`error = "text", when = failed`),
//! the details and the request.

#[path = "narada_submit.rs"]
mod submit;
pub use submit::{CREATE_PATH, ExecutionMode, NaradaRequest};

use crate::common::{self, client_methods};
use poller_core::{
    ApiKey, BoxPolicy, ConfigError, DynSource, Exponential, HttpOptions, HttpSource, JsonSource,
    PollPolicyExt, Provider, SourceConfig, StatusResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The registry name.
pub const NAME: &str = "narada";
/// The production base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.narada.ai";
/// The environment variable the key is read from.
pub const KEY_ENV: &str = "NARADA_API_KEY";
/// The vendor's documentation of the status endpoint.
pub const DOCS_URL: &str = "https://docs.narada.ai/api-reference/get-task-status";
/// The header that carries the key.
pub const KEY_HEADER: &str = "x-api-key";
/// [`default_policy`] in words.
pub const POLICY_SUMMARY: &str = "at once, then 5 s growing x1.5 to 10 s; at most 1000 s (Narada: 5-10 s intervals, backoff, always a timeout; SDK timeout 1000 s)";

/// The vendor's polling advice: poll at once, then after 5 s growing ×1.5 up to 10 s, for at
/// most 1000 s, honouring `Retry-After`. See the [module docs](self#default-policy) for why.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Observation, PollPolicy};
/// let p = poller_providers::narada::default_policy();
/// assert_eq!(p.deadline(), Some(Duration::from_secs(1000)));
/// let d = |n| p.decide(&Observation::new(n, Duration::ZERO)).delay().unwrap();
/// assert_eq!([d(0), d(1), d(2), d(3), d(4)].map(|d| d.as_millis()), [0, 5000, 7500, 10000, 10000]);
/// ```
pub fn default_policy() -> BoxPolicy {
    schedule()
        .with_deadline(DEFAULT_TIMEOUT)
        .honor_retry_after()
        .boxed()
}

/// The overall time limit of [`default_policy`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1000);

/// The schedule of [`default_policy`] without its time limit (what the registry entry holds,
/// so that a caller's own timeout can replace [`DEFAULT_TIMEOUT`]).
///
/// ```
/// use poller_core::PollPolicy;
/// assert_eq!(poller_providers::narada::schedule().deadline(), None);
/// ```
pub fn schedule() -> BoxPolicy {
    Exponential::new(Duration::from_secs(5), 1.5, Duration::from_secs(10)).boxed()
}

/// The body of `GET /fast/v2/remote-dispatch/responses/{requestId}`, as documented, and the
/// request that fetches it (header `x-api-key`): one derived struct, the type to poll with
/// (`HttpSource<NaradaStatus>`).
///
/// The error message of a failed task is `response.text` (else "Narada reported \`error\`
/// without a message"), and the question of an `input-required` task is its progress step.
///
/// ```
/// use poller_core::{Phase, StatusResponse};
/// use poller_providers::narada::NaradaStatus;
/// let body = br#"{"status": "pending", "response": null,
///     "createdAt": "2024-12-19T00:00:00.000000+00:00", "completedAt": null}"#;
/// let s = NaradaStatus::parse(body).unwrap();
/// assert_eq!((s.phase, s.raw_status.as_str()), (Phase::Running, "pending"));
///
/// let s = NaradaStatus::parse(br#"{"status": "error", "response": {"text": "network timeout"},
///     "createdAt": "2024-12-19T00:00:00.000000+00:00", "completedAt": "2024-12-19T00:02:30.000000+00:00"}"#).unwrap();
/// assert_eq!(s.phase, Phase::Failed);
/// assert_eq!(s.error.unwrap().message, "network timeout");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, StatusResponse)]
#[serde(rename_all = "camelCase")]
#[status(
    name = "narada",
    request(
        path = "/fast/v2/remote-dispatch/responses/{task_id}",
        auth = header("x-api-key"),
    ),
    failed_message = "Narada reported `{status}` without a message",
)]
pub struct NaradaStatus {
    /// `pending`, `success`, `error` or `input-required`.
    #[status(
        running = ["pending"],
        needs_input = ["input-required"],
        succeeded = ["success"],
        failed = ["error"],
    )]
    pub status: String,
    /// The task's response data; null while pending. `{"text": ...}` for `error` and
    /// `input-required`.
    #[status(output)]
    #[status(error = "text", when = failed)]
    #[status(step = "text", when = needs_input)]
    pub response: Option<Value>,
    /// When the task was created (ISO 8601).
    #[status(detail)]
    pub created_at: Option<String>,
    /// When the task completed (ISO 8601); null while it can still go on.
    #[status(detail, when_set(needs_input = failed))]
    pub completed_at: Option<String>,
    /// Usage statistics (`{"actions": int, "credits": float}`); null until available.
    #[status(detail)]
    pub usage: Option<Value>,
    /// The browser window the task ran in; null if not applicable.
    #[status(detail)]
    pub browser_window_id: Option<String>,
}

/// The same type under its former name (the body and the type to poll with were once two).
pub type NaradaResponse = NaradaStatus;

impl NaradaStatus {
    /// `response.text`, when it is a non-empty string.
    ///
    /// ```
    /// let r: poller_providers::narada::NaradaStatus =
    ///     serde_json::from_str(r#"{"status": "error", "response": {"text": "timeout"}}"#).unwrap();
    /// assert_eq!(r.text(), Some("timeout"));
    /// ```
    pub fn text(&self) -> Option<&str> {
        self.response
            .as_ref()
            .and_then(|r| r.get("text"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
    }
}

/// A source for the production API with `api_key` and default transport settings.
///
/// ```
/// let source = poller_providers::narada::source("my-key").unwrap();
/// assert_eq!(
///     source.url_for("req_abc123def456").unwrap().as_str(),
///     "https://api.narada.ai/fast/v2/remote-dispatch/responses/req_abc123def456",
/// );
/// ```
pub fn source(api_key: impl Into<ApiKey>) -> Result<HttpSource<NaradaStatus>, ConfigError> {
    Narada::new(api_key).source()
}

/// A Narada client: base URL, key, transport settings and polling schedule, ending in a
/// source, a [`Poller`](poller_core::Poller) or a finished wait.
///
/// # Default
/// Base URL [`DEFAULT_BASE_URL`], [`HttpOptions::default`], [`default_policy`].
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Fixed, PollPolicyExt};
/// use poller_providers::narada::Narada;
/// let narada = Narada::new("my-key")
///     .base_url("http://127.0.0.1:8080")
///     .policy(Fixed::secs(1).with_deadline(Duration::from_secs(30)));
/// assert!(narada.source().is_ok());
/// assert!(!format!("{narada:?}").contains("my-key")); // the key is never printed
/// assert!(Narada::new("k").base_url("http://api.narada.ai").source().is_err()); // key in clear
/// ```
#[derive(Debug, Clone)]
pub struct Narada {
    key: ApiKey,
    base_url: String,
    http: HttpOptions,
    policy: BoxPolicy,
}

impl Narada {
    /// A client for the production API with `api_key`.
    pub fn new(api_key: impl Into<ApiKey>) -> Self {
        Narada {
            key: api_key.into(),
            base_url: DEFAULT_BASE_URL.to_string(),
            http: HttpOptions::default(),
            policy: default_policy(),
        }
    }

    /// A client with the key from `NARADA_API_KEY`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Narada::new(common::key_from_env(KEY_ENV)?))
    }

    /// Sets the base URL (`https://`, or `http://` to loopback).
    ///
    /// # Default
    /// [`DEFAULT_BASE_URL`].
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The typed source.
    pub fn source(&self) -> Result<HttpSource<NaradaStatus>, ConfigError> {
        HttpSource::with_options(&self.base_url, self.key.clone(), self.http.clone())
    }
}

client_methods!(Narada, HttpSource<NaradaStatus>, Value);

fn build(config: SourceConfig) -> Result<DynSource, ConfigError> {
    let parts = common::parts(config, KEY_ENV, Some(DEFAULT_BASE_URL), DEFAULT_BASE_URL)?;
    let source = Narada::new(parts.key)
        .base_url(parts.base_url)
        .http(parts.http)
        .source()?;
    Ok(Arc::new(JsonSource::new(source)))
}

poller_core::inventory::submit! {
    Provider {
        name: NAME,
        summary: "Narada Remote Dispatch: browser automation tasks",
        docs_url: DOCS_URL,
        default_base_url: Some(DEFAULT_BASE_URL),
        base_url_hint: DEFAULT_BASE_URL,
        key_env: KEY_ENV,
        params: &[],
        default_policy: schedule,
        default_timeout: DEFAULT_TIMEOUT,
        policy_summary: POLICY_SUMMARY,
        build,
    }
}
