//! A durable watch list for poller: tasks that survive restarts and are shared by several
//! workers, in SQLite (one file, the default) or PostgreSQL (several workers on several
//! machines).
//!
//! - [`Store`] holds the tasks (source name, task id, the [`SourceSpec`] to rebuild the
//!   source, the last saved [`TaskState`](poller_core::TaskState), next poll time, lease) and
//!   their outcomes. [`Store::track`] is durable when it returns and idempotent per source and
//!   task id.
//! - [`Worker`] claims tasks, polls them through an in-memory [`Tracker`](poller_core::Tracker)
//!   resumed from their saved state, writes progress in batches, writes each outcome before
//!   handing it to an [`OutcomeSink`], and delivers outcomes at least once (acknowledged in
//!   the store; exactly one outcome row per task).
//!
//! **Secrets are not stored.** A stored task names its source by the provider's registry
//! name and keeps only what rebuilds it without a key (base URL, parameters, options); the
//! worker's [`SourceBuilder`] takes the key from its own environment or configuration
//! ([`registry_builder`] reads `POLLER_API_KEY` or the provider's variable).
//!
//! # Guarantees
//! - A worker killed at any moment loses nothing: its tasks are claimed again once its lease
//!   passes and resume from their saved state; the deadline counts from the first time the
//!   task was added, attempts go on from the saved count (progress of the last tick may be
//!   lost, see [`Worker`]).
//! - One holder per task at a time, fenced writes, a dead worker's tasks taken over within
//!   `lease + tick`; a source's rate limit split between the live workers.
//! - `Adaptive`'s learned durations saved and restored ([`Worker::learn_into`]).
//!
//! # Backends
//! Two implementations of one internal trait, each with its own migrations
//! (`migrations/sqlite`, `migrations/postgres`) and queries, checked at run time (no database
//! is needed to build). Times in the tables are Unix milliseconds of the workers' clocks, so
//! the workers of one PostgreSQL store need clocks that agree to well within a lease (NTP).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> poller_store::Result<()> {
//! # let dir = tempfile::tempdir().unwrap();
//! use poller_store::{SourceSpec, Store};
//! let store = Store::open(dir.path().join("watch.db").to_str().unwrap()).await?;
//! store.track(&SourceSpec::new("narada"), ["req_1", "req_2"]).await?;
//! assert_eq!(store.pending().await?.len(), 2);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod backend;
mod error;
mod learned;
mod postgres;
mod records;
mod rows;
mod sink;
mod spec;
mod sqlite;
mod store;
mod worker;
mod writer;

pub use error::{Result, StoreError};
pub use records::{PendingTask, StoredOutcome};
pub use sink::OutcomeSink;
pub use spec::SourceSpec;
pub use store::{SQLITE_BUSY_TIMEOUT, Store, default_sqlite_path};
pub use worker::{
    Renderer, RunSummary, SourceBuilder, Worker, WorkerOptions, default_outcome_json,
    registry_builder,
};
