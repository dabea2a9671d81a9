//! Wait on long-running remote tasks, correctly.
//!
//! Many APIs answer a request with a task id and leave you to poll a status endpoint until the
//! task succeeds, fails or needs a human. `poller-core` turns that loop into three parts:
//!
//! - a [`StatusSource`] fetches the current [`Status`] of one task (usually one HTTP call);
//!   [`BatchStatusSource`] fetches many in one call;
//! - a [`PollPolicy`] decides when to ask again, or to stop: [`Fixed`], [`Exponential`] with
//!   [`Jitter`], combined through [`PollPolicyExt`] (initial delay, attempt limit, deadline,
//!   `Retry-After`, stop on needs-input), a closure, or your own type; failed fetches follow an
//!   [`ErrorPolicy`];
//! - a [`Poller`] drives the two: [`Poller::wait`] resolves to a [`Report`] holding a typed
//!   [`Outcome`], [`Poller::watch`] streams each change. Dropping either stops all requests.
//!
//! ```
//! use std::time::Duration;
//! use poller_core::{
//!     Exponential, Jitter, Outcome, Phase, PollPolicyExt, Poller, RemoteError, Status,
//!     testing::ScriptedSource,
//! };
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! // Any StatusSource: here a scripted one; in real use an HTTP source or a provider.
//! let source = ScriptedSource::<String>::new("jobs")
//!     .then_status(Status::new(Phase::Queued, "pending"))
//!     .then_status(Status::new(Phase::Running, "running").with_percent(50.0))
//!     .then_status(Status::new(Phase::Failed, "error").with_error(RemoteError::new("disk full")));
//!
//! // Poll at once, then after 1 s, 2 s, 4 s … (up to 30 s, with jitter), for at most 10 minutes,
//! // never sooner than the server's Retry-After.
//! let policy = Exponential::new(Duration::from_secs(1), 2.0, Duration::from_secs(30))
//!     .jitter(Jitter::Equal)
//!     .with_deadline(Duration::from_secs(600))
//!     .honor_retry_after();
//!
//! let report = Poller::new(source, policy).wait("job-42").await;
//! match report.outcome {
//!     Outcome::Succeeded(status) => println!("output: {:?}", status.output),
//!     Outcome::Failed(status) => assert_eq!(status.error.unwrap().message, "disk full"),
//!     Outcome::GaveUp { reason, .. } => println!("gave up: {reason}"),
//!     other => println!("{other}"),
//! }
//! assert_eq!(report.attempts, 3);
//! # }
//! ```
//!
//! # Features
//! - `derive`: `#[derive(StatusResponse)]` (from `poller-derive`): a whole HTTP source from an
//!   annotated response struct.
//! - `http`: [`HttpSource`], [`http::HttpClient`] and the helpers in [`http`] (reqwest with
//!   rustls).
//! - `test-util`: [`testing::ScriptedSource`], for testing policies and code in virtual time.
//!
//! # Time
//! Everything reads tokio's clock, so tests can run in virtual time with
//! `tokio::time::pause()`; policies read no clock at all (time comes in the [`Observation`]).
//!
//! # Registry
//! [`Provider`] entries are collected with [`inventory`]; [`providers`] lists them sorted by
//! name and [`provider`] finds one. `inventory` relies on link-time registration, which some
//! targets do not support (some wasm setups, cranelift, `dlopen`ed libraries).
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod config;
mod error;
mod outcome;
mod phase;
mod policy;
mod poller;
mod private;
mod registry;
mod response;
mod root_certificate;
mod secret;
mod source;
mod status;
mod task;
mod tracker;

#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "test-util")]
pub mod testing;

pub use config::{ConfigError, HttpOptions, SourceConfig};
pub use error::{EXCERPT_LIMIT, ErrorClass, FetchError, excerpt};
#[cfg(feature = "http")]
pub use http::HttpSource;
pub use outcome::{Outcome, OutcomeKind, Report};
pub use phase::Phase;
pub use policy::{
    Adaptive, AdaptiveSnapshot, AdaptiveStore, AttemptLimit, BoxPolicy, Deadline, Decision,
    ErrorPolicy, Exponential, Finish, Fixed, HonorRetryAfter, InitialDelay, Jitter, KeySnapshot,
    LagTarget, Observation, ObservedDuration, PollPolicy, PollPolicyExt, SnapshotError,
    StopOnInput, StopReason, Stretched, recommended_policy,
};
pub use poller::{DEFAULT_MIN_GAP, Poller, WatchEvent};
pub use registry::{Param, Provider, provider, providers};
pub use response::{Auth, HttpEndpoint, HttpMethod, RequestSpec, StatusResponse};
pub use root_certificate::RootCertificate;
pub use secret::ApiKey;
pub use source::{BatchStatusSource, DynSource, JsonSource, StatusSource};
pub use status::{Progress, ProgressEvent, RemoteError, Status};
pub use tracker::{
    DEFAULT_BATCH_WINDOW, RateLimit, SourceId, SourceOptions, TaskState, Tracker, TrackerEvent,
    TrackerHandle,
};

#[cfg(feature = "derive")]
#[doc = include_str!("derive.md")]
pub use poller_derive::StatusResponse;

/// The `inventory` crate, re-exported so providers can `poller_core::inventory::submit!` a
/// [`Provider`] without depending on it themselves.
pub use inventory;

/// Re-exports used by code that `#[derive(StatusResponse)]` generates. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::private::*;
    pub use serde;
    pub use serde_json;
}
