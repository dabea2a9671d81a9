//! What the store hands back: pending tasks and outcomes.

use serde::Serialize;

/// A task in the store that has not ended yet.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> poller_store::Result<()> {
/// # let dir = tempfile::tempdir().unwrap();
/// use poller_store::{SourceSpec, Store};
/// let store = Store::open(dir.path().join("watch.db").to_str().unwrap()).await?;
/// store.track(&SourceSpec::new("narada"), ["req_1"]).await?;
/// let pending = store.pending().await?;
/// assert_eq!((pending[0].source.as_str(), pending[0].task_id.as_str()), ("narada", "req_1"));
/// assert_eq!(pending[0].attempts, 0);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PendingTask {
    /// The source's registry name.
    pub source: String,
    /// The task's id.
    pub task_id: String,
    /// Fetches saved so far (a worker may have made a few more since its last save).
    pub attempts: i64,
    /// When the task was first tracked (Unix milliseconds).
    pub first_seen_ms: i64,
    /// When the next poll is due (Unix milliseconds), as last saved.
    pub next_poll_ms: i64,
    /// The worker holding the task, if its lease is live.
    pub worker: Option<String>,
    /// The last status saved (JSON), if any.
    pub last: Option<serde_json::Value>,
}

/// A task's outcome, as written by the worker that saw it end.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> poller_store::Result<()> {
/// # let dir = tempfile::tempdir().unwrap();
/// let store = poller_store::Store::open(dir.path().join("w.db").to_str().unwrap()).await?;
/// assert!(store.outcomes(false).await?.is_empty());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct StoredOutcome {
    /// The outcome's row id: what [`Store::ack`](crate::Store::ack) takes.
    pub id: i64,
    /// The source's registry name.
    pub source: String,
    /// The task's id.
    pub task_id: String,
    /// `succeeded`, `failed`, `cancelled`, `gave_up`, `needs_input` or `fetch_error`.
    pub kind: String,
    /// The outcome as JSON (the worker's renderer decides its shape).
    pub report: serde_json::Value,
    /// When the worker wrote it (Unix milliseconds).
    pub finished_ms: i64,
    /// When the consumer acknowledged it, if it did.
    pub acked_ms: Option<i64>,
}
