//! Ready [`poller_core`] status sources for four real APIs: Narada, Runware, Dari and VESSL.
//!
//! Each module holds the API's typed response, its documented defaults (base URL, key
//! variable, parameters, polling schedule, always with a deadline), typed constructors for
//! library users and one registry entry ([`poller_core::Provider`]) for the command-line tool
//! and for code that picks a provider by name.
//!
//! | module | status request | key | default policy |
//! |---|---|---|---|
//! | [`narada`] | `GET /fast/v2/remote-dispatch/responses/{requestId}` | `x-api-key` (`NARADA_API_KEY`) | 5 s ×1.5 → 10 s, 1000 s |
//! | [`runware`] | `POST /v1` `[{"taskType": "getResponse", "taskUUID": …}, …]`, many tasks per call | `Authorization: Bearer` (`RUNWARE_API_KEY`) | wait 1 s, 0.5 s ×1.5 → 10 s, 20 min |
//! | [`dari`] | `GET /task/{org_id}/{endpoint_name}/status?job_id=…` | `X-API-Key` (`DARI_API_KEY`) | 2 s ×1.5 → 30 s, 30 min |
//! | [`vessl`] | `GET {base_url}/async/{request_id}/output` (no default base URL) | `Authorization: Bearer` (`VESSL_API_TOKEN`) | 1 s ×1.5 → 15 s, 1 h |
//!
//! Every default policy also honours a `Retry-After`, which none of the four documents but any
//! of them may send with a 429 or 503.
//!
//! # Waiting on a task in one line
//!
//! ```no_run
//! # async fn run() -> Result<(), poller_core::ConfigError> {
//! use poller_providers::{dari::Dari, narada::Narada, runware::Runware, vessl::Vessl};
//!
//! let report = Narada::new("narada-key").wait("req_abc123def456").await?;
//! let report = Runware::new("runware-key").wait("50836053-a0ee-4cf5-b9d6-ae7c5d140ada").await?;
//! let report = Dari::new("dari-key", "my-org", "contact_form").wait("550e8400-e29b-41d4-a716-446655440000").await?;
//! let report = Vessl::new("https://serve-api.dev2.vssl.ai/api/v1/services/my-svc", "token")
//!     .wait("98nlux8b0eu6")
//!     .await?;
//! println!("{}", report.outcome);
//! # Ok(()) }
//! ```
//!
//! Each client type also gives the bare source (`Narada::new(key).source()`, or
//! [`narada::source`]) to use with a [`Poller`](poller_core::Poller) or a
//! [`Tracker`](poller_core::Tracker) and a policy of your own.
//!
//! # Creating tasks
//!
//! Each client also starts tasks: `submit` sends a typed request and returns the new id,
//! `submit_and_wait` then waits on it with the client's policy.
//!
//! | provider | request type | create request | answer |
//! |---|---|---|---|
//! | [`narada`] | [`NaradaRequest`](narada::NaradaRequest) (`prompt`, `executionMode`, `browserWindowId`, callbacks …) | `POST /fast/v2/remote-dispatch` | 202 `{"requestId"}` |
//! | [`runware`] | [`RunwareTask`](runware::RunwareTask), many per request (`taskType`, `taskUUID`, `webhookURL`, the task's own fields) | `POST /v1`, `"deliveryMethod": "async"` | a `{"taskType", "taskUUID"}` per task |
//! | [`dari`] | [`DariRequest`](dari::DariRequest) (`form_data` or `document_bundle_id`, `max_turns`, `timeout_minutes`) | `POST /jobs/{org_id}/{endpoint_name}/start` | `{"job_id"}` |
//! | [`vessl`] | [`VesslRequest`](vessl::VesslRequest) (`data`, `method`, `path`) | `POST {base_url}/async` | 201 `{"id"}` |
//!
//! Every request type has the documented fields, builder methods, an escape hatch for fields
//! not modelled yet (`extra_field`, or Runware's `field`), `from_json` for the vendor's JSON
//! form, and a `validate` that names a wrong field before anything is sent.
//!
//! ```no_run
//! # async fn run() -> Result<(), poller_providers::SubmitError> {
//! use poller_providers::dari::{Dari, DariRequest};
//! use poller_providers::narada::{ExecutionMode, Narada, NaradaRequest};
//! use poller_providers::runware::{Runware, RunwareTask};
//! use poller_providers::vessl::{Vessl, VesslRequest};
//!
//! let request = NaradaRequest::new("/Operator find the cheapest flight to Lisbon")
//!     .execution_mode(ExecutionMode::Cloud);
//! let report = Narada::from_env()?.submit_and_wait(&request).await?;
//!
//! // Runware: the taskUUIDs are chosen here, before anything is sent; store them first if
//! // the process may die, they are the tasks' ids.
//! let tasks = [RunwareTask::new("imageInference").field("positivePrompt", "a fox").field("model", "runware:101@1")];
//! let reports = Runware::from_env()?.submit_and_wait(&tasks).await?;
//!
//! let job = Dari::from_env("my-org", "contact_form")?
//!     .submit(&DariRequest::form(serde_json::json!({"email": "a@b.c"})))
//!     .await?;
//! let id = Vessl::from_env("https://serve-api.dev2.vssl.ai/api/v1/services/my-svc")?
//!     .submit(&VesslRequest::new(serde_json::json!({"prompt": "a cat"})))
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! [`submit`] does the same by provider name from JSON (for the command-line tool).
//!
//! ## Never a task started twice, never an id lost
//!
//! A create request is sent again only when it provably never reached the vendor: no
//! connection could be made (refused, DNS), at most [`CONNECT_ATTEMPTS`] times. A timeout, a
//! connection cut after sending, a 5xx or an unreadable 2xx answer is
//! [`SubmitError::MayHaveStarted`]: not resent, and saying so. A 4xx is
//! [`SubmitError::Rejected`]: nothing started. Runware's protocol makes its creates
//! idempotent (the client chooses each `taskUUID`), so a batch is resent, up to
//! [`RUNWARE_ATTEMPTS`] requests, with the same UUIDs and only for the tasks not yet
//! acknowledged or refused; what is still unknown at the end is listed in
//! [`SubmitError::Incomplete`]. [`SubmitError::may_have_started`] and
//! [`SubmitError::known_ids`] say what to look for. No error holds a key.
//!
//! # Webhooks (feature `webhooks`)
//!
//! Narada, Runware and Dari can call back when a task ends; VESSL documents no callbacks and is
//! waited on by polling alone. `webhook::Receiver` (an axum router) verifies each callback as
//! its vendor documents it and only brings the task's next poll forward: the poll stays the
//! source of truth, and a slow safety-net schedule (`webhook::callbacks_policy`) still ends
//! every task whose callback never comes. See the `webhook` module.
//!
//! # By name, through the registry
//!
//! ```
//! use poller_core::{PollPolicy, Poller, SourceConfig};
//!
//! let names: Vec<_> = poller_providers::all().iter().map(|p| p.name).collect();
//! assert_eq!(names, ["dari", "narada", "runware", "vessl"]);
//!
//! let provider = poller_providers::get("dari").unwrap();
//! let source = provider
//!     .build_source(
//!         SourceConfig::new()
//!             .api_key("dari-key")
//!             .param("org_id", "my-org")
//!             .param("endpoint_name", "contact_form"),
//!     )
//!     .unwrap();
//! let poller = Poller::new(source, provider.policy());
//! assert!(poller.policy().deadline().is_some());
//! ```
//!
//! # The linking trap
//!
//! Providers register themselves with [`inventory`](poller_core::inventory) at link time, and
//! a crate that nothing names is not linked at all: a binary, example or test that lists
//! providers only through [`poller_core::providers`] finds none of these four unless it names
//! this crate. Call anything in it ([`all`], [`get`], [`build`]), or write
//!
//! ```
//! use poller_providers as _;
//! # assert_eq!(poller_core::providers().len(), 4);
//! ```
//!
//! `inventory` does not work on every target (some wasm setups, the cranelift backend,
//! `dlopen`ed libraries); there, use the typed constructors, which need no registry.
#![deny(missing_docs)]

mod common;
pub mod dari;
pub mod narada;
pub mod runware;
mod submit;
pub mod vessl;
#[cfg(feature = "webhooks")]
pub mod webhook;

pub use submit::{
    CONNECT_ATTEMPTS, CONNECT_RETRY_DELAY, IncompleteBatch, RUNWARE_ATTEMPTS, RejectedTask,
    SubmitError, submit,
};

use poller_core::{ConfigError, DynSource, Provider, SourceConfig};

/// The provider registered under `name` (this crate's four and any other linked in), or an
/// error listing the known names.
///
/// ```
/// let narada = poller_providers::get("narada").unwrap();
/// assert_eq!(narada.key_env, "NARADA_API_KEY");
/// let err = poller_providers::get("nope").unwrap_err();
/// assert_eq!(err.to_string(), "unknown provider `nope`; known providers: dari, narada, runware, vessl");
/// ```
pub fn get(name: &str) -> Result<&'static Provider, ConfigError> {
    poller_core::provider(name)
}

/// Every registered provider, sorted by name.
///
/// ```
/// assert!(poller_providers::all().windows(2).all(|w| w[0].name < w[1].name));
/// ```
pub fn all() -> Vec<&'static Provider> {
    poller_core::providers()
}

/// Builds the source of the provider named `name` from `config`: every parameter present and
/// none unknown, a key, a base URL (the provider's default when it has one).
///
/// ```
/// use poller_core::{ConfigError, SourceConfig};
/// let source = poller_providers::build("narada", SourceConfig::new().api_key("k")).unwrap();
/// assert_eq!(source.name(), "narada");
/// let err = poller_providers::build("vessl", SourceConfig::new().api_key("k")).map(drop).unwrap_err();
/// assert!(matches!(err, ConfigError::MissingBaseUrl { .. }));
/// ```
pub fn build(name: &str, config: SourceConfig) -> Result<DynSource, ConfigError> {
    get(name)?.build_source(config)
}
