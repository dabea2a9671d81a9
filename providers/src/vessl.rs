//! VESSL Serve async requests: `GET {base_url}/async/{request_id}/output` with
//! `Authorization: Bearer <token>`.
//!
//! There is no default base URL: each service has its own, shown in the service's Request
//! dialog, of the form [`BASE_URL_HINT`]. A client without one is a
//! [`ConfigError::MissingBaseUrl`] showing that form.
//!
//! ```no_run
//! # async fn run() -> Result<(), poller_core::ConfigError> {
//! use poller_providers::vessl::Vessl;
//! let report = Vessl::from_env("https://serve-api.dev2.vssl.ai/api/v1/services/my-svc")?
//!     .wait("98nlux8b0eu6")
//!     .await?;
//! println!("{}", report.outcome);
//! # Ok(()) }
//! ```
//!
//! # Statuses
//!
//! | `status` | phase |
//! |---|---|
//! | `pending` | [`Queued`](poller_core::Phase::Queued): waiting in the queue |
//! | `in_progress` | [`Running`](poller_core::Phase::Running) |
//! | `completed` | [`Succeeded`](poller_core::Phase::Succeeded): the service answered 200-299 |
//! | `failed` | [`Failed`](poller_core::Phase::Failed): the service answered otherwise, or an internal error occurred |
//!
//! Any other value is a permanent [`FetchError::UnknownStatus`](poller_core::FetchError::UnknownStatus). The output is `output` (the
//! service's body decoded as JSON) when present, else `raw_output` as a JSON string. On
//! `failed`, the error's message is `fail_reason` and its code the service's `status_code`.
//! `status_code` and `raw_output` are kept in [`Status::details`](poller_core::Status::details).
//!
//! # Default policy
//!
//! [`default_policy`]: poll at once, then after 1 s, 1.5 s, 2.25 s … growing ×1.5 up to every
//! 15 s, for at most one hour, never sooner than a `Retry-After`. VESSL documents no polling
//! advice. Async requests are model inferences: a warm service answers in seconds, so the
//! schedule starts at 1 s; but "if the service is currently scaled down to zero, the request
//! will get processed after the service becomes available", and starting a GPU replica (image
//! pull, model load) can take minutes, so the delay grows to a 15 s cap and the deadline is
//! long: one hour covers a cold start plus a queue without waiting forever.
//!
//! # The type
//!
//! [`VesslStatus`] is the documented body with `#[derive(StatusResponse)]`, and nothing else:
//! the derive maps the statuses, `fail_reason`, the error code (`error_code, when = failed`),
//! the details, the output (`output`, else `raw_output` decoded when it holds JSON:
//! `output_fallback, json_string`) and the request.

#[path = "vessl_submit.rs"]
mod submit;
pub use submit::VesslRequest;

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
pub const NAME: &str = "vessl";
/// The documented form of a service's base URL.
pub const BASE_URL_HINT: &str = "https://serve-api.dev2.vssl.ai/api/v1/services/<slug>";
/// The environment variable the token is read from.
pub const KEY_ENV: &str = "VESSL_API_TOKEN";
/// The vendor's documentation of the output endpoint.
pub const DOCS_URL: &str =
    "https://docs.vessl.ai/reference/serverless-api/get-async-request-output";
/// [`default_policy`] in words.
pub const POLICY_SUMMARY: &str = "at once, then 1 s growing x1.5 to 15 s; at most 1 h (VESSL documents no advice: inferences of seconds, cold starts of minutes)";

/// Poll at once, then after 1 s growing ×1.5 up to 15 s, for at most one hour, honouring
/// `Retry-After`. See the [module docs](self#default-policy) for why.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Observation, PollPolicy};
/// let p = poller_providers::vessl::default_policy();
/// assert_eq!(p.deadline(), Some(Duration::from_secs(3600)));
/// let d = |n| p.decide(&Observation::new(n, Duration::ZERO)).delay().unwrap().as_millis();
/// assert_eq!([d(0), d(1), d(2), d(3), d(20)], [0, 1000, 1500, 2250, 15000]);
/// ```
pub fn default_policy() -> BoxPolicy {
    schedule()
        .with_deadline(DEFAULT_TIMEOUT)
        .honor_retry_after()
        .boxed()
}

/// The overall time limit of [`default_policy`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3600);

/// The schedule of [`default_policy`] without its time limit (what the registry entry holds,
/// so that a caller's own timeout can replace [`DEFAULT_TIMEOUT`]).
///
/// ```
/// use poller_core::PollPolicy;
/// assert_eq!(poller_providers::vessl::schedule().deadline(), None);
/// ```
pub fn schedule() -> BoxPolicy {
    Exponential::new(Duration::from_secs(1), 1.5, Duration::from_secs(15)).boxed()
}

/// The body of `GET {base_url}/async/{request_id}/output`, as documented, and the request
/// that fetches it (bearer token): one derived struct, the type to poll with.
///
/// The output is `output`, else `raw_output` (parsed when it holds JSON); a failure's message
/// is `fail_reason` and its code the service's `status_code`.
///
/// ```
/// use poller_core::{Phase, StatusResponse};
/// use poller_providers::vessl::VesslStatus;
/// let s = VesslStatus::parse(br#"{"status": "in_progress"}"#).unwrap();
/// assert_eq!(s.phase, Phase::Running);
///
/// let s = VesslStatus::parse(br#"{"status": "failed", "status_code": 502,
///     "raw_output": "<html>Bad gateway</html>", "fail_reason": "upstream error"}"#).unwrap();
/// assert_eq!(s.phase, Phase::Failed);
/// assert_eq!(s.error.unwrap().to_string(), "502: upstream error");
/// assert_eq!(s.output.unwrap(), "<html>Bad gateway</html>");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, StatusResponse)]
#[status(
    name = "vessl",
    request(path = "/async/{task_id}/output"),
    failed_message = "the request failed without a reason"
)]
pub struct VesslStatus {
    /// `pending`, `in_progress`, `completed` or `failed`.
    #[status(
        queued = ["pending"],
        running = ["in_progress"],
        succeeded = ["completed"],
        failed = ["failed"],
    )]
    pub status: String,
    /// The service's HTTP status code (only when `completed` or `failed`).
    #[status(detail, error_code, when = failed)]
    pub status_code: Option<u16>,
    /// The service's response body (only when `completed` or `failed`).
    #[status(detail, output_fallback, json_string)]
    pub raw_output: Option<String>,
    /// The response body decoded as JSON; absent when it is not JSON.
    #[status(output)]
    pub output: Option<Value>,
    /// Why the request failed (only when `failed`).
    #[status(error)]
    pub fail_reason: Option<String>,
}

/// The same type under its former name (the body and the type to poll with were once two).
pub type VesslResponse = VesslStatus;

/// A source for the service at `base_url` (of the form [`BASE_URL_HINT`]) with `token`.
///
/// ```
/// let source = poller_providers::vessl::source(
///     "https://serve-api.dev2.vssl.ai/api/v1/services/my-svc", "token").unwrap();
/// assert_eq!(
///     source.url_for("98nlux8b0eu6").unwrap().as_str(),
///     "https://serve-api.dev2.vssl.ai/api/v1/services/my-svc/async/98nlux8b0eu6/output",
/// );
/// ```
pub fn source(
    base_url: impl Into<String>,
    token: impl Into<ApiKey>,
) -> Result<HttpSource<VesslStatus>, ConfigError> {
    Vessl::new(base_url, token).source()
}

/// A VESSL client: the service's base URL, token, transport settings and polling schedule,
/// ending in a source, a [`Poller`](poller_core::Poller) or a finished wait.
///
/// # Default
/// [`HttpOptions::default`], [`default_policy`]; no default base URL.
///
/// ```
/// use poller_core::ConfigError;
/// use poller_providers::vessl::Vessl;
/// let err = Vessl::new("", "token").source().unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "no base URL; this provider needs one of the form https://serve-api.dev2.vssl.ai/api/v1/services/<slug>",
/// );
/// ```
#[derive(Debug, Clone)]
pub struct Vessl {
    key: ApiKey,
    base_url: String,
    http: HttpOptions,
    policy: BoxPolicy,
}

impl Vessl {
    /// A client for the service at `base_url` (of the form [`BASE_URL_HINT`]) with `token`.
    pub fn new(base_url: impl Into<String>, token: impl Into<ApiKey>) -> Self {
        Vessl {
            key: token.into(),
            base_url: base_url.into(),
            http: HttpOptions::default(),
            policy: default_policy(),
        }
    }

    /// A client with the token from `VESSL_API_TOKEN`.
    pub fn from_env(base_url: impl Into<String>) -> Result<Self, ConfigError> {
        Ok(Vessl::new(base_url, common::key_from_env(KEY_ENV)?))
    }

    /// The typed source; an empty base URL is [`ConfigError::MissingBaseUrl`].
    pub fn source(&self) -> Result<HttpSource<VesslStatus>, ConfigError> {
        if self.base_url.trim().is_empty() {
            return Err(ConfigError::MissingBaseUrl {
                hint: BASE_URL_HINT.to_string(),
            });
        }
        HttpSource::with_options(&self.base_url, self.key.clone(), self.http.clone())
    }
}

client_methods!(Vessl, HttpSource<VesslStatus>, Value);

fn build(config: SourceConfig) -> Result<DynSource, ConfigError> {
    let parts = common::parts(config, KEY_ENV, None, BASE_URL_HINT)?;
    let source = Vessl::new(parts.base_url, parts.key)
        .http(parts.http)
        .source()?;
    Ok(Arc::new(JsonSource::new(source)))
}

poller_core::inventory::submit! {
    Provider {
        name: NAME,
        summary: "VESSL Serve: asynchronous inference requests to a service",
        docs_url: DOCS_URL,
        default_base_url: None,
        base_url_hint: BASE_URL_HINT,
        key_env: KEY_ENV,
        params: &[],
        default_policy: schedule,
        default_timeout: DEFAULT_TIMEOUT,
        policy_summary: POLICY_SUMMARY,
        build,
    }
}
