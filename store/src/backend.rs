//! The one interface both databases implement, each with its own migrations and queries.

use crate::{PendingTask, Result, StoredOutcome};
use async_trait::async_trait;

/// A task to add.
pub(crate) struct NewTask<'a> {
    pub source: &'a str,
    pub spec: &'a str,
    pub task_id: &'a str,
    pub state: String,
    pub now_ms: i64,
}

/// A task a worker has just claimed.
#[derive(Debug)]
pub(crate) struct Claimed {
    pub id: i64,
    pub source: String,
    pub task_id: String,
    pub spec: String,
    pub state: String,
    pub first_seen_ms: i64,
    pub epoch: i64,
}

/// Progress of one held task, written in batches.
#[derive(Debug, Clone)]
pub(crate) struct Save {
    pub id: i64,
    pub epoch: i64,
    pub state: String,
    pub attempts: i64,
    pub next_poll_ms: i64,
}

/// The outcome of one held task.
pub(crate) struct Finish<'a> {
    pub id: i64,
    pub epoch: i64,
    pub source: &'a str,
    pub task_id: &'a str,
    pub kind: &'a str,
    pub report: &'a str,
    pub now_ms: i64,
    pub deliver_until_ms: i64,
}

/// What writing an outcome led to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Finished {
    /// Written: the outcome row's id.
    Written(i64),
    /// The lease was lost (another worker holds the task): nothing written.
    LeaseLost,
}

/// A learned duration.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
    pub key: String,
    pub phase: String,
    pub running_ms: Option<i64>,
    pub final_ms: i64,
}

#[async_trait]
pub(crate) trait Backend: Send + Sync + 'static {
    /// Inserts the tasks that are not there yet (per source and task id); returns how many.
    async fn add(&self, tasks: &[NewTask<'_>]) -> Result<u64>;
    /// Claims up to `limit` tasks that are free or whose lease ended before `now_ms`.
    async fn claim(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<Claimed>>;
    /// Writes progress, fenced by each task's claim epoch; returns the ids whose lease was lost.
    async fn save(&self, worker: &str, saves: &[Save]) -> Result<Vec<i64>>;
    /// Extends every lease `worker` still holds; returns the (id, epoch) of each.
    async fn renew(&self, worker: &str, now_ms: i64, lease_ms: i64) -> Result<Vec<(i64, i64)>>;
    /// Marks each task done and writes its one outcome row, all in one transaction, fenced.
    async fn finish(&self, worker: &str, finishes: &[Finish<'_>]) -> Result<Vec<Finished>>;
    /// Gives back the leases of these (id, epoch) tasks, so that other workers can claim them.
    async fn give_back(&self, worker: &str, tasks: &[(i64, i64)]) -> Result<()>;
    /// Gives up every lease `worker` holds (a clean shutdown) and its heartbeat.
    async fn release(&self, worker: &str) -> Result<()>;
    /// Records `worker` as alive; returns how many workers beat within `live_ms`.
    async fn heartbeat(&self, worker: &str, now_ms: i64, live_ms: i64) -> Result<i64>;
    /// How many tasks have not ended, and how many outcomes are not acknowledged.
    async fn remaining(&self) -> Result<(i64, i64)>;
    /// Tasks not ended, oldest first.
    async fn pending(&self, now_ms: i64) -> Result<Vec<PendingTask>>;
    /// Outcomes, oldest first; only the unacknowledged ones when `unacked`.
    async fn outcomes(&self, unacked: bool) -> Result<Vec<StoredOutcome>>;
    /// Claims up to `limit` unacknowledged outcomes whose delivery lease ended (a worker died
    /// between writing and delivering).
    async fn claim_outcomes(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<StoredOutcome>>;
    /// Acknowledges an outcome; `false` if it was acknowledged already or is unknown.
    async fn ack(&self, id: i64, now_ms: i64) -> Result<bool>;
    /// Appends learned durations, keeping the last `keep` per key.
    async fn learn(&self, samples: &[Sample], keep: i64) -> Result<()>;
    /// Every learned duration, oldest first.
    async fn learned(&self) -> Result<Vec<Sample>>;
}
