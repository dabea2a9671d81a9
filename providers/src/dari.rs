//! Dari job status: `GET {base_url}/task/{org_id}/{endpoint_name}/status?job_id={job_id}` with
//! the organization's key in the `X-API-Key` header.
//!
//! ```no_run
//! # async fn run() -> Result<(), poller_core::ConfigError> {
//! use poller_providers::dari::Dari;
//! let report = Dari::new("dari-key", "my-org", "contact_form")
//!     .wait("550e8400-e29b-41d4-a716-446655440000")
//!     .await?;
//! println!("{}", report.outcome);
//! # Ok(()) }
//! ```
//!
//! `org_id` and `endpoint_name` are single path segments and `job_id` a query value, all
//! percent-encoded, so no value can change the request's path or add a query parameter.
//!
//! # Statuses
//!
//! | `status` | phase |
//! |---|---|
//! | `pending` | [`Queued`](poller_core::Phase::Queued) |
//! | `running` | [`Running`](poller_core::Phase::Running) |
//! | `paused` | [`Paused`](poller_core::Phase::Paused): not final, a paused job can be resumed |
//! | `waiting_for_input` (newer revision) | [`NeedsInput`](poller_core::Phase::NeedsInput): not final, the agent asked a human-in-the-loop question |
//! | `completed` | [`Succeeded`](poller_core::Phase::Succeeded) |
//! | `failed` | [`Failed`](poller_core::Phase::Failed), the message from `error` (when there is none: "Dari reported \`failed\` without an error message", so that a failure always says so) |
//!
//! Any other value is a permanent [`FetchError::UnknownStatus`](poller_core::FetchError::UnknownStatus). `current_step` is the progress
//! step and `events` the progress events. The output is `final_result`, else `result` (the
//! intermediate result, and in the newer revision the structured result). `total_cost_usd`
//! (`session_cost_usd` in the newer revision), `browser_url`, `downloads_link`,
//! `video_recording_url`, `log_url`, `created_at` and `updated_at` are kept in
//! [`Status::details`](poller_core::Status::details) when not null. Errors of the API itself come as `{"detail": "..."}`
//! with HTTP 401 (bad key) or 403 (another organization's endpoint): permanent
//! [`FetchError::Http`](poller_core::FetchError::Http) errors whose excerpt shows the detail.
//!
//! The newer revision of the API serves the same body at `/jobs/{org_id}/{endpoint_name}/status`;
//! [`Dari::jobs_source`] polls that path ([`DariJobsStatus`]). The registry entry takes the
//! optional parameter `revision`: `jobs` (the default: the vendor's current docs create jobs at
//! `/jobs/…/start` and only that path reports `waiting_for_input`, so `--stop-on-input` can fire)
//! or `task` (the older `/task/` path, which shows a job waiting for input as `paused`).
//!
//! # Default policy
//!
//! [`default_policy`]: poll at once, then after 2 s, 3 s, 4.5 s … growing ×1.5 up to every
//! 30 s, for at most 30 minutes, never sooner than a `Retry-After`. Dari documents no polling
//! advice. Its jobs are browser agents filling forms: tens of seconds to a few minutes, with
//! steps worth showing as they happen. Starting at 2 s shows the first steps promptly; growing
//! ×1.5 keeps the number of requests logarithmic in the job's length; the 30 s cap bounds how
//! late a long job's end is noticed; 30 minutes is far beyond a normal job while still ending
//! a wait on a job that is stuck (for example paused and never resumed).
//!
//! # The type
//!
//! [`DariStatus`] is the documented body with `#[derive(StatusResponse)]`, and nothing else:
//! the derive maps the statuses, step, events, error, details, the output (`final_result`,
//! else `result`: `output_fallback`) and the request. The path's first segment is the
//! `revision` parameter, `task` or `jobs`, set by [`Dari::source`] and [`Dari::jobs_source`].

#[path = "dari_submit.rs"]
mod submit;
pub use submit::DariRequest;

use crate::common::{self, client_methods};
use poller_core::{
    ApiKey, BoxPolicy, ConfigError, DynSource, Exponential, HttpOptions, HttpSource, JsonSource,
    Param, PollPolicyExt, Provider, SourceConfig, StatusResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The registry name.
pub const NAME: &str = "dari";
/// The production base URL.
pub const DEFAULT_BASE_URL: &str = "https://agent.usedari.com";
/// The environment variable the key is read from.
pub const KEY_ENV: &str = "DARI_API_KEY";
/// The vendor's documentation of the status endpoint.
pub const DOCS_URL: &str = "https://docs.usedari.com/api-reference/endpoint/get-job-status";
/// The header that carries the key.
pub const KEY_HEADER: &str = "X-API-Key";
/// The parameters, with the vendor's descriptions.
pub const PARAMS: &[Param] = &[
    Param {
        name: "org_id",
        doc: "Organization ID",
        default: None,
    },
    Param {
        name: "endpoint_name",
        doc: "Portal endpoint name",
        default: None,
    },
    Param::optional(
        "revision",
        "API revision: jobs (/jobs/…, the current docs) or task (the older /task/…)",
        "jobs",
    ),
];
/// [`default_policy`] in words.
pub const POLICY_SUMMARY: &str = "at once, then 2 s growing x1.5 to 30 s; at most 30 min (Dari documents no advice: browser-agent jobs of seconds to minutes)";

/// Poll at once, then after 2 s growing ×1.5 up to 30 s, for at most 30 minutes, honouring
/// `Retry-After`. See the [module docs](self#default-policy) for why.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Observation, PollPolicy};
/// let p = poller_providers::dari::default_policy();
/// assert_eq!(p.deadline(), Some(Duration::from_secs(30 * 60)));
/// let d = |n| p.decide(&Observation::new(n, Duration::ZERO)).delay().unwrap().as_millis();
/// assert_eq!([d(0), d(1), d(2), d(3), d(10)], [0, 2000, 3000, 4500, 30000]);
/// ```
pub fn default_policy() -> BoxPolicy {
    schedule()
        .with_deadline(DEFAULT_TIMEOUT)
        .honor_retry_after()
        .boxed()
}

/// The overall time limit of [`default_policy`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The schedule of [`default_policy`] without its time limit (what the registry entry holds,
/// so that a caller's own timeout can replace [`DEFAULT_TIMEOUT`]).
///
/// ```
/// use poller_core::PollPolicy;
/// assert_eq!(poller_providers::dari::schedule().deadline(), None);
/// ```
pub fn schedule() -> BoxPolicy {
    Exponential::new(Duration::from_secs(2), 1.5, Duration::from_secs(30)).boxed()
}

/// The body of the job status endpoint, as documented, and the request that fetches it
/// (`GET /{revision}/{org_id}/{endpoint_name}/status?job_id={task_id}`, header `X-API-Key`,
/// where `revision` is `task`, the documented path, or `jobs`, the newer revision's): one
/// derived struct, the type to poll with.
///
/// The output is `final_result`, else `result`; a `failed` job without `error` says so.
///
/// ```
/// use poller_core::{Phase, StatusResponse};
/// use poller_providers::dari::DariStatus;
/// let s = DariStatus::parse(br#"{"status": "running", "current_step": "Filling email field"}"#).unwrap();
/// assert_eq!(s.phase, Phase::Running);
/// assert_eq!(s.progress.unwrap().step.as_deref(), Some("Filling email field"));
///
/// let s = DariStatus::parse(br#"{"status": "paused", "result": {"page": 2}}"#).unwrap();
/// assert_eq!(s.phase, Phase::Paused);
/// assert_eq!(s.output.unwrap()["page"], 2);
///
/// let s = DariStatus::parse(br#"{"status": "failed"}"#).unwrap();
/// assert_eq!(s.error.unwrap().message, "Dari reported `failed` without an error message");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, StatusResponse)]
#[status(
    name = "dari",
    request(
        path = "/{revision}/{org_id}/{endpoint_name}/status",
        query(job_id = "{task_id}"),
        auth = header("X-API-Key"),
    ),
    failed_message = "Dari reported `{status}` without an error message",
)]
pub struct DariStatus {
    /// UUID of the job.
    pub job_id: Option<String>,
    /// Portal identifier (`org_id/endpoint_name`).
    pub portal_id: Option<String>,
    /// `pending`, `running`, `paused`, `completed`, `failed`, or (newer revision)
    /// `waiting_for_input`.
    #[status(
        queued = ["pending"],
        running = ["running"],
        paused = ["paused"],
        needs_input = ["waiting_for_input"],
        succeeded = ["completed"],
        failed = ["failed"],
    )]
    pub status: String,
    /// Live browser URL.
    #[status(detail)]
    pub browser_url: Option<String>,
    /// What the agent is doing now.
    #[status(step)]
    pub current_step: Option<String>,
    /// The job's events, oldest first (`event_type`, `message`, `data`, `timestamp`).
    #[status(events)]
    pub events: Option<Vec<Value>>,
    /// Intermediate result data (in the newer revision: the structured result).
    #[status(output_fallback)]
    pub result: Option<Value>,
    /// The final structured result, matching the portal's `output_schema`.
    #[status(output)]
    pub final_result: Option<Value>,
    /// The error message, if the job failed.
    #[status(error)]
    pub error: Option<String>,
    /// URL to download files generated during the job.
    #[status(detail)]
    pub downloads_link: Option<String>,
    /// URL of the browser session's video recording.
    #[status(detail)]
    pub video_recording_url: Option<String>,
    /// URL of the full agent log.
    #[status(detail)]
    pub log_url: Option<String>,
    /// Total cost of the job in USD.
    #[status(detail)]
    pub total_cost_usd: Option<f64>,
    /// The session's cost in USD (newer revision, in place of `total_cost_usd`).
    #[status(detail)]
    pub session_cost_usd: Option<f64>,
    /// Creation time (ISO 8601).
    #[status(detail)]
    pub created_at: Option<String>,
    /// Time of the last update (ISO 8601).
    #[status(detail)]
    pub updated_at: Option<String>,
}

/// The same type under its former name (the body and the type to poll with were once two).
pub type DariResponse = DariStatus;

/// The same type, for the newer revision's `/jobs/...` path: the path is chosen by the
/// `revision` parameter ([`Dari::jobs_source`] sets it to `jobs`).
///
/// ```
/// use poller_providers::dari::Dari;
/// let s = Dari::new("k", "o", "e").jobs_source().unwrap();
/// assert_eq!(s.url_for("j").unwrap().path(), "/jobs/o/e/status");
/// ```
pub type DariJobsStatus = DariStatus;

/// A source for the production API: `api_key`, the organization and the portal endpoint.
///
/// ```
/// let source = poller_providers::dari::source("k", "my-org", "contact_form").unwrap();
/// assert_eq!(
///     source.url_for("550e8400-e29b-41d4-a716-446655440000").unwrap().as_str(),
///     "https://agent.usedari.com/task/my-org/contact_form/status?job_id=550e8400-e29b-41d4-a716-446655440000",
/// );
/// ```
pub fn source(
    api_key: impl Into<ApiKey>,
    org_id: impl Into<String>,
    endpoint_name: impl Into<String>,
) -> Result<HttpSource<DariStatus>, ConfigError> {
    Dari::new(api_key, org_id, endpoint_name).source()
}

/// A Dari client: base URL, key, organization, portal endpoint, transport settings and
/// polling schedule, ending in a source, a [`Poller`](poller_core::Poller) or a finished wait.
///
/// # Default
/// Base URL [`DEFAULT_BASE_URL`], [`HttpOptions::default`], [`default_policy`].
///
/// ```
/// use poller_providers::dari::Dari;
/// let dari = Dari::new("k", "my org", "contact/form");
/// assert_eq!(
///     dari.source().unwrap().url_for("../x").unwrap().as_str(),
///     "https://agent.usedari.com/task/my%20org/contact%2Fform/status?job_id=..%2Fx",
/// );
/// ```
#[derive(Debug, Clone)]
pub struct Dari {
    key: ApiKey,
    org_id: String,
    endpoint_name: String,
    base_url: String,
    http: HttpOptions,
    policy: BoxPolicy,
}

impl Dari {
    /// A client for the production API.
    pub fn new(
        api_key: impl Into<ApiKey>,
        org_id: impl Into<String>,
        endpoint_name: impl Into<String>,
    ) -> Self {
        Dari {
            key: api_key.into(),
            org_id: org_id.into(),
            endpoint_name: endpoint_name.into(),
            base_url: DEFAULT_BASE_URL.to_string(),
            http: HttpOptions::default(),
            policy: default_policy(),
        }
    }

    /// A client with the key from `DARI_API_KEY`.
    pub fn from_env(
        org_id: impl Into<String>,
        endpoint_name: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        Ok(Dari::new(
            common::key_from_env(KEY_ENV)?,
            org_id,
            endpoint_name,
        ))
    }

    /// Sets the base URL (`https://`, or `http://` to loopback).
    ///
    /// # Default
    /// [`DEFAULT_BASE_URL`].
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    fn http_source(&self, revision: &str) -> Result<HttpSource<DariStatus>, ConfigError> {
        for (p, value) in PARAMS.iter().zip([&self.org_id, &self.endpoint_name]) {
            if value.is_empty() {
                return Err(ConfigError::MissingParam {
                    name: p.name.into(),
                    doc: p.doc.into(),
                });
            }
        }
        Ok(
            HttpSource::with_options(&self.base_url, self.key.clone(), self.http.clone())?
                .param("revision", revision)
                .param("org_id", self.org_id.clone())
                .param("endpoint_name", self.endpoint_name.clone()),
        )
    }

    /// The typed source, on the documented `/task/...` path.
    pub fn source(&self) -> Result<HttpSource<DariStatus>, ConfigError> {
        self.http_source("task")
    }

    /// The typed source on the newer revision's `/jobs/...` path.
    ///
    /// ```
    /// let s = poller_providers::dari::Dari::new("k", "o", "e").jobs_source().unwrap();
    /// assert_eq!(s.url_for("j").unwrap().path(), "/jobs/o/e/status");
    /// ```
    pub fn jobs_source(&self) -> Result<HttpSource<DariJobsStatus>, ConfigError> {
        self.http_source("jobs")
    }
}

client_methods!(Dari, HttpSource<DariStatus>, Value);

fn build(config: SourceConfig) -> Result<DynSource, ConfigError> {
    let parts = common::parts(config, KEY_ENV, Some(DEFAULT_BASE_URL), DEFAULT_BASE_URL)?;
    let org_id = common::param(&parts.params, PARAMS[0].name, PARAMS[0].doc)?;
    let endpoint_name = common::param(&parts.params, PARAMS[1].name, PARAMS[1].doc)?;
    let dari = Dari::new(parts.key.clone(), org_id, endpoint_name)
        .base_url(parts.base_url.clone())
        .http(parts.http.clone());
    match parts.params.get(PARAMS[2].name).map(String::as_str) {
        Some("jobs") | None => Ok(Arc::new(JsonSource::new(dari.jobs_source()?))),
        Some("task") => Ok(Arc::new(JsonSource::new(dari.source()?))),
        Some(other) => Err(ConfigError::Other(format!(
            "parameter `revision` is {other:?}; use jobs or task"
        ))),
    }
}

poller_core::inventory::submit! {
    Provider {
        name: NAME,
        summary: "Dari: browser-agent jobs on a portal endpoint",
        docs_url: DOCS_URL,
        default_base_url: Some(DEFAULT_BASE_URL),
        base_url_hint: DEFAULT_BASE_URL,
        key_env: KEY_ENV,
        params: PARAMS,
        default_policy: schedule,
        default_timeout: DEFAULT_TIMEOUT,
        policy_summary: POLICY_SUMMARY,
        build,
    }
}
