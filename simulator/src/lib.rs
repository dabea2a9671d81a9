//! `poller-sim`: a local HTTP server that behaves like the Narada, Runware, Dari and VESSL
//! status APIs, for testing pollers without the network.
//!
//! One listener serves all four APIs, written from the vendors' documents alone (this crate
//! shares no types with `poller-core` or `poller-providers`, so tests against it check the
//! providers against the documents, not against themselves):
//!
//! | API | request | auth |
//! |---|---|---|
//! | Narada | `GET /fast/v2/remote-dispatch/responses/{requestId}`, `POST /fast/v2/remote-dispatch` | `x-api-key` |
//! | Runware | `POST /v1`, a JSON array of `getResponse` items and of tasks to create | `Authorization: Bearer`, or an `authentication` item |
//! | Dari | `GET /task/{org}/{endpoint}/status?job_id=…`, `GET /jobs/{org}/{endpoint}/status?job_id=…`, `POST /jobs/{org}/{endpoint}/start` | `X-API-Key` (403 for another organisation) |
//! | VESSL | `GET /api/v1/services/{slug}/async/{id}/output`, `POST /api/v1/services/{slug}/async` | `Authorization: Bearer` |
//!
//! Each task follows a [`Script`]: stages that hold for a while in tokio's clock, the last one
//! forever, so tests run in virtual time with `tokio::time::pause` and `advance`.
//! [`Fault`]s can be injected per task, per API or globally ([`FaultPlan`]), or at random with
//! a seed ([`RandomFaults`]). Every request is recorded ([`RecordedRequest`]) with its raw path
//! and query, headers and body.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use poller_sim::{Fault, FaultPlan, Script, Simulator, TaskKey};
//!
//! let sim = Simulator::start().await?;
//! sim.add_narada_task(
//!     "req_1",
//!     Script::narada_success_after(Duration::from_secs(5), serde_json::json!({"text": "hi"})),
//! );
//! // The first poll gets a 503.
//! sim.inject_fault(TaskKey::narada("req_1"), FaultPlan::next(1, Fault::status(503)));
//! let url = format!("{}/fast/v2/remote-dispatch/responses/req_1", sim.narada_base_url());
//! # let _ = url;
//! // ... poll `url` with header `x-api-key: sim-narada-key` ...
//! assert_eq!(sim.requests().len(), 0);
//! sim.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Choices where the documents are silent
//!
//! - Error bodies: Narada and Dari `{"detail": "..."}` (Dari's is documented); VESSL
//!   `{"message": "..."}`; Runware `{"data": [], "errors": [{"code", "status": "error",
//!   "message", "documentation"}]}` with codes `invalidApiKey` (401), `invalidPayload` (400),
//!   and for injected faults `rateLimitExceeded` (429), `noAvailableServer` (503),
//!   `gatewayTimeout` (504), `internalServerError` (other).
//! - Runware: an unknown `taskUUID` gives an error item `taskFailedOrNotFound` (HTTP 200); a
//!   `getResponse` without `taskUUID` gives `missingTaskUUID`; other task types
//!   `unsupportedTaskType`. An `authentication` item adds `{"taskType": "authentication",
//!   "connectionSessionUUID": ...}` to `data`. A wrong `Authorization` header is 401 even if an
//!   `authentication` item is right.
//! - Dari: a missing `job_id` is 422 `{"detail": ...}`; `waiting_for_input` shows as `paused`
//!   on the older `/task/...` path.
//! - Narada: `browserWindowId` is null while `pending`, a stable id otherwise; `usage` is null
//!   until a final stage.
//! - Timestamps: the simulator's start maps to [`SimulatorBuilder::epoch`] (default: the wall
//!   clock at start), and move with tokio's clock.
//! - Unknown paths: 404 `{"detail": "Not Found"}`; a known path with the wrong method: 405 in
//!   the API's style.
//!
//! # Creating tasks
//!
//! The creation endpoints validate what the vendors document (details on each below) and
//! answer in the vendor's error shape; created tasks follow a [`CreatedScript`] queued with
//! [`Simulator::script_next_created`] (or `POST /_sim/created-scripts`), else the API's
//! default ([`Simulator::set_created_default`]). Faults apply to creation requests like any
//! other; [`Fault::LateAnswer`] and [`Fault::ResetMidBody`] let the task be created and then
//! keep the answer from the client, [`Fault::LoseAcknowledgement`] drops one Runware
//! acknowledgement.
//!
//! | API | invalid request | error |
//! |---|---|---|
//! | Narada | body not JSON or not an object (400 `{"detail": "…"}`); `prompt` missing, empty or not a string; `executionMode` not `client`/`cloud`/`cloud_browser`; `browserWindowId` missing with `client`; a documented field of the wrong type | 422 `{"detail": [{"loc": ["body", field], "msg", "type"}]}` (401 `{"detail"}` for the key) |
//! | Runware | per item: `taskUUID` missing or not a UUID v4, `deliveryMethod` not `async`, bad `webhookURL` or `numberResults`, a `taskUUID` reused for another `taskType` | an error item (`missingTaskUUID`, `invalidTaskUUID`, `unsupportedDeliveryMethod`, `invalidWebhookURL`, `invalidNumberResults`, `duplicateTaskUUID`); 400 when no task of the request was accepted |
//! | Dari | another organisation; body not an object; `form_data` and `document_bundle_id` both missing; wrong types; limits below 1 | 403 `{"detail"}`; 422 `{"detail": [...]}` |
//! | VESSL | body not an object; `data` missing; `method` not an upper-case method; `path` not starting with `/` | 400 `{"message"}` |
//!
//! A Runware `taskUUID` already created with the same `taskType` is acknowledged again
//! without creating anything: the UUID is the client's idempotency key.
//!
//! # Control API
//!
//! The binary (`poller-sim --port 8080`, `--port 0` for any free port) prints its URLs and
//! keys, adds the vendors' example tasks ([`Simulator::seed_examples`]) and is driven over
//! HTTP under `/_sim` (no auth; errors are `{"error": "..."}` with 400 or 404; these requests
//! are not recorded in the log):
//!
//! | route | body / query | answer |
//! |---|---|---|
//! | `GET /_sim/info` | | base URLs, keys, elapsed time |
//! | `POST /_sim/tasks` | a task spec or an array of them | 201 `[{"task": <task key>, "url": <status URL>}]` |
//! | `DELETE /_sim/tasks` | a task key | 204, or 404 |
//! | `POST /_sim/created-scripts` | a [`CreatedScript`], optional `"default": true` | 204: queued for the next task its API creates (or made the default) |
//! | `GET /_sim/requests` | `?api=narada&id=...` (both optional) | the log, oldest first |
//! | `DELETE /_sim/requests` | | 204 |
//! | `POST /_sim/faults` | `{"target": ..., "fault": ..., "next": n}` or `"requests": [k, m]`, or neither (always) | 201 `{"id": n}` |
//! | `DELETE /_sim/faults` | | 204, every plan removed |
//! | `DELETE /_sim/faults/{id}` | | 204, or 404 |
//! | `POST /_sim/random-faults` | [`RandomFaults`]: `{"rate": 0.1, "seed": 42}`, optional `"kinds": [fault, ...]` | 204 |
//! | `DELETE /_sim/random-faults` | | 204 |
//!
//! Task specs, tagged by `api` (scripts in the JSON form described on [`Script`], stages as on
//! [`NaradaStage`], [`RunwareStage`], [`DariStage`], [`VesslStage`]):
//!
//! ```text
//! {"api": "narada",  "id": "req_1", "script": [...]}
//! {"api": "runware", "id": "<uuid>", "task_type": "videoInference", "generations": [[...], [...]]}
//! {"api": "dari",    "org": "my-org", "endpoint": "contact_form", "id": "<job>", "script": [...]}
//! {"api": "vessl",   "slug": "my-service", "id": "abc123", "script": [...]}
//! ```
//!
//! (`org` defaults to the key's organisation, `task_type` to `videoInference`.) A fault
//! `target` is absent or `"global"`, `{"api": "narada"}` for one API, or a [`TaskKey`] such as
//! `{"api": "narada", "id": "req_1"}` or `{"api": "dari", "org": ..., "endpoint": ..., "id": ...}`.
//! Faults use the JSON form on [`Fault`]. For example:
//!
//! ```text
//! curl -X POST localhost:8080/_sim/tasks -d '{"api": "narada", "id": "req_1",
//!   "script": [{"status": "pending", "for": "10s"}, {"status": "success", "response": {"ok": true}}]}'
//! curl -X POST localhost:8080/_sim/faults -d '{"target": {"api": "narada", "id": "req_1"},
//!   "fault": {"kind": "status", "code": 503}, "next": 2}'
//! curl localhost:8080/fast/v2/remote-dispatch/responses/req_1 -H 'x-api-key: sim-narada-key'
//! ```
//!
//! # TLS
//!
//! [`SimulatorBuilder::tls`] (the binary's `--tls`) serves the same routes over rustls with a
//! certificate for `127.0.0.1`, `localhost` and `::1` signed by a test CA generated at start:
//! the base URL is `https://127.0.0.1:PORT` and [`Simulator::tls_ca_pem`] gives the CA
//! certificate for the client to trust (the binary prints it, or writes it to `--ca-out PATH`).
//! The vendors' APIs are HTTPS-only, so this is how a client pays for handshakes as in
//! production.
//!
//! # Faults
//!
//! | kind | [`Fault`] | what the client sees |
//! |---|---|---|
//! | `status` | `Status { code, retry_after }` | that status, error body in the API's style, optional `Retry-After` |
//! | `too_many_requests` | `TooManyRequests { retry_after }` | 429, `Retry-After` in seconds, as an HTTP date, raw, or none |
//! | `slow` | `Slow { delay }` | the normal answer after `delay` (simulator clock); a client that gives up first never reaches the handler |
//! | `late_answer` | `LateAnswer { delay }` | processed at once (a creation creates its task), answered after `delay` |
//! | `lose_acknowledgement` | `LoseAcknowledgement { index }` | Runware: processed, but `data[index]` left out of the answer |
//! | `malformed_json` | `MalformedJson` | 200, JSON content type, not JSON |
//! | `truncated_json` | `TruncatedJson` | a valid prefix of the normal body, complete on the wire |
//! | `html` | `Html { code }` | an nginx-style HTML error page with that status (200, 502, ...) |
//! | `empty_body` | `EmptyBody { code }` | no body |
//! | `reset_mid_body` | `ResetMidBody` | headers and half the body, then the connection drops |
//! | `unknown_status` | `UnknownStatus { value }` | `status` replaced (on each item for Runware) |
//! | `missing_field` | `MissingField { field }` | that field removed |
//! | `extra_fields` | `ExtraFields` | undocumented fields added |
//! | `oversized` | `Oversized { min_bytes }` | valid JSON larger than `min_bytes` |
//!
//! A [`FaultPlan`] says when: the next `n` requests to its target, request numbers `k..=m`, or
//! always; [`Simulator::inject_fault`] takes a task, an API or [`FaultTarget::Global`].
//! [`Simulator::set_random_faults`] gives a share of all requests a random transient fault
//! (5xx, 429, a 502 HTML page, a reset), reproducibly from a seed: meant for soak tests, where
//! [`SimulatorBuilder::max_logged_requests`] also keeps the log's memory bounded.
#![deny(missing_docs)]

mod api;
mod callbacks;
mod clock;
mod control;
mod create;
mod dari;
mod error;
mod examples;
mod faults;
mod log;
mod narada;
mod reply;
mod rng;
mod route;
mod runware;
mod script;
mod server;
mod tls;
mod vessl;

pub use api::{Api, Keys, TaskKey};
pub use callbacks::CallbackOptions;
pub use create::CreatedScript;
pub use dari::{DariEvent, DariStage, DariStatus};
pub use error::{Error, Result};
pub use examples::{
    DARI_EXAMPLE_ENDPOINT, DARI_EXAMPLE_JOB_ID, DARI_EXAMPLE_ORG, NARADA_ERROR_EXAMPLE_ID,
    NARADA_EXAMPLE_ID, NARADA_INPUT_EXAMPLE_ID, RUNWARE_BATCH_EXAMPLE_UUID, RUNWARE_EXAMPLE_UUID,
    VESSL_EXAMPLE_ID, VESSL_EXAMPLE_SLUG,
};
pub use faults::{Fault, FaultId, FaultPlan, FaultTarget, FaultWhen, RandomFaults, RetryAfter};
pub use log::RecordedRequest;
pub use narada::{NaradaStage, NaradaUsage};
pub use runware::{Progress, RUNWARE_ERRORS_DOC, RunwareStage, RunwareTask};
pub use script::{Script, StageAt};
pub use server::{Simulator, SimulatorBuilder};
pub use vessl::VesslStage;
