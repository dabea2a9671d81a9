//! Webhook-assisted waits (feature `webhooks`): a verified callback only says "look now"; the
//! poll that follows is the source of truth.
//!
//! A [`Receiver`] is an axum [`Router`](axum::Router) with one route per vendor, to mount in a
//! server of your own ([`Receiver::router`]) or to run alone ([`Receiver::bind`]). Each
//! callback is verified as its vendor documents it, answered at once, and the task it names is
//! handed to its [`Tracker`](poller_core::Tracker) through
//! [`TrackerHandle::poll_now`](poller_core::TrackerHandle::poll_now), which polls it subject to
//! the source's rate limit and the per-task minimum gap: a flood of callbacks cannot become a
//! flood of requests, and a forged, replayed or lost callback can never produce a wrong
//! outcome, only cost at most one extra poll.
//!
//! | vendor | route | verification | task id |
//! |---|---|---|---|
//! | Narada | `POST {public_url}/narada` (set as `callbackUrl`) | the per-task `callbackSecret` given at creation, sent back in the JSON body, compared in constant time | `requestId` |
//! | Runware | `POST {public_url}/runware?token=…` (set as `webhookURL`) | the receiver's random token in the query, compared in constant time | every `taskUUID` of the body |
//! | Dari | `POST {public_url}/dari` (set on Dari's portal) | `X-Webhook-Signature`: hex HMAC-SHA256 of the raw body with the portal's secret ([`Receiver::dari_secret`]), checked before parsing | `job_id` |
//! | VESSL | none | VESSL documents no callbacks: wait by polling alone | |
//!
//! # Answers
//!
//! Nothing but a verified callback for an expected task brings a poll forward; no answer
//! changes any outcome.
//!
//! | callback | answer | poll |
//! |---|---|---|
//! | verified, expected task, first delivery | 200 | one, brought forward |
//! | the same body again (a vendor retry, a replay) | 200 | none |
//! | wrong secret, token or signature | 401 | none |
//! | not JSON, no task id, bad signature header | 400 (401 for a missing Dari signature) | none |
//! | body over the limit ([`Receiver::body_limit`]) | 413 | none |
//! | Narada or Dari task not expected ([`Receiver::expect`]) | 404 | none |
//! | Runware task not expected | 200 (Runware resends any other answer) | none |
//!
//! Secrets (Dari's portal secret, the Runware token, Narada's per-task secrets) appear in no
//! `Debug` output, log line or error: answers and logs name the vendor and the task only.
//!
//! # Waiting with callbacks
//!
//! Callbacks relax the schedule to a slow safety net ([`callbacks_policy`]: the provider's
//! schedule stretched [`CALLBACK_STRETCH`] times, same deadline), so a lost callback costs
//! detection time, never the result. The clients' `submit_and_wait_with_callbacks` (Narada,
//! Runware) set the callback fields, register the tasks and wait. To drive a
//! [`Tracker`](poller_core::Tracker) of your own (as `poller submit --wait --listen` does),
//! create by provider name with [`CallbackSubmission`] and register each [`CallbackTask`]
//! with [`Receiver::expect_task`]; for tasks created elsewhere, build the receiver with the
//! secrets they were created with ([`Receiver::runware_token`], [`Receiver::dari_secret`],
//! [`CallbackTask::narada`]).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use poller_providers::narada::{Narada, NaradaRequest};
//! use poller_providers::webhook::Receiver;
//!
//! // Reachable by Narada at https://hooks.example.com (a tunnel or a public host).
//! let running = Receiver::new()
//!     .public_url("https://hooks.example.com")
//!     .bind("0.0.0.0:8080".parse()?)
//!     .await?;
//! let report = Narada::from_env()?
//!     .submit_and_wait_with_callbacks(&NaradaRequest::new("Book a table"), running.receiver())
//!     .await?;
//! println!("{}", report.outcome);
//! # Ok(()) }
//! ```

mod receiver;
mod routes;
mod serve;
mod submit;
mod verify;
mod wait;

pub use receiver::{Receiver, Vendor};
pub use serve::RunningReceiver;
pub use submit::{CallbackSubmission, CallbackTask};
pub use wait::{CALLBACK_STRETCH, callbacks_policy};
