//! A tracked task's state as a serializable value, so that a wait can outlive its process.

use crate::Status;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What a [`Tracker`](crate::Tracker) knows about one task, as a value that can be stored and
/// later handed to [`Tracker::track_resumed`](crate::Tracker::track_resumed) (in another
/// process, after a restart).
///
/// Resuming keeps the policy's view of the task: its clock starts `elapsed` in the past, so a
/// deadline counts from the first time the task was tracked, and attempts are not reset. The
/// last fetch error itself is not kept (only the count of consecutive ones). The first poll
/// after a resume comes at the saved next-poll time (`next_poll_at`, at once when it has
/// passed), never sooner than the tracker's minimum gap after the last answer (`fetched_at`);
/// a state without a next-poll time is polled when its policy says, from the resume.
///
/// Durations are serialized as whole milliseconds.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Phase, Status, TaskState};
///
/// let state = TaskState::new("job-1")
///     .with_attempts(3)
///     .with_elapsed(Duration::from_secs(90))
///     .with_last(Status::new(Phase::Running, "running"));
/// let json = serde_json::to_string(&state).unwrap();
/// let back: TaskState = serde_json::from_str(&json).unwrap();
/// assert_eq!(back, state);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TaskState<O = serde_json::Value> {
    /// The task's id.
    pub task_id: String,
    /// Fetches made for the task so far.
    pub attempts: u32,
    /// Fetches that failed in a row, up to the last one.
    #[serde(default)]
    pub consecutive_errors: u32,
    /// Time since the task was first tracked, as of the snapshot.
    #[serde(with = "millis")]
    pub elapsed: Duration,
    /// When the task was last seen not final, counted like `elapsed` (what an
    /// [`Adaptive`](crate::Adaptive) policy learns from).
    #[serde(
        default,
        with = "crate::status::opt_millis",
        skip_serializing_if = "Option::is_none"
    )]
    pub running_at: Option<Duration>,
    /// When the last fetch's answer came, counted like `elapsed`: a resumed task's next fetch
    /// keeps the tracker's minimum gap after it.
    #[serde(
        default,
        with = "crate::status::opt_millis",
        skip_serializing_if = "Option::is_none"
    )]
    pub fetched_at: Option<Duration>,
    /// When the next fetch is due, counted like `elapsed`: a resumed task is first fetched
    /// then (at once when it has passed), not after a fresh delay of its policy. `None`
    /// (a state saved without it) lets the policy decide from the resume.
    #[serde(
        default,
        with = "crate::status::opt_millis",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_poll_at: Option<Duration>,
    /// The last status fetched, if any.
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub last: Option<Status<O>>,
}

fn none<T>() -> Option<T> {
    None
}

impl<O> TaskState<O> {
    /// The state of a task never fetched.
    ///
    /// ```
    /// let s = poller_core::TaskState::<()>::new("t");
    /// assert_eq!((s.attempts, s.elapsed.as_secs()), (0, 0));
    /// ```
    pub fn new(task_id: impl Into<String>) -> Self {
        TaskState {
            task_id: task_id.into(),
            attempts: 0,
            consecutive_errors: 0,
            elapsed: Duration::ZERO,
            running_at: None,
            fetched_at: None,
            next_poll_at: None,
            last: None,
        }
    }

    /// Sets the number of fetches made.
    ///
    /// ```
    /// assert_eq!(poller_core::TaskState::<()>::new("t").with_attempts(4).attempts, 4);
    /// ```
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// Sets the number of fetches that failed in a row.
    ///
    /// ```
    /// assert_eq!(poller_core::TaskState::<()>::new("t").with_consecutive_errors(2).consecutive_errors, 2);
    /// ```
    pub fn with_consecutive_errors(mut self, n: u32) -> Self {
        self.consecutive_errors = n;
        self
    }

    /// Sets the time since the task was first tracked.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let s = poller_core::TaskState::<()>::new("t").with_elapsed(Duration::from_secs(5));
    /// assert_eq!(s.elapsed, Duration::from_secs(5));
    /// ```
    pub fn with_elapsed(mut self, elapsed: Duration) -> Self {
        self.elapsed = elapsed;
        self
    }

    /// Sets when the last fetch's answer came (counted like `elapsed`).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let s = poller_core::TaskState::<()>::new("t").with_fetched_at(Duration::from_secs(4));
    /// assert_eq!(s.fetched_at, Some(Duration::from_secs(4)));
    /// ```
    pub fn with_fetched_at(mut self, at: Duration) -> Self {
        self.fetched_at = Some(at);
        self
    }

    /// Sets when the next fetch is due (counted like `elapsed`).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let s = poller_core::TaskState::<()>::new("t").with_next_poll_at(Duration::from_secs(6));
    /// assert_eq!(s.next_poll_at, Some(Duration::from_secs(6)));
    /// ```
    pub fn with_next_poll_at(mut self, at: Duration) -> Self {
        self.next_poll_at = Some(at);
        self
    }

    /// Sets the last status fetched.
    ///
    /// ```
    /// use poller_core::{Phase, Status, TaskState};
    /// let s = TaskState::<()>::new("t").with_last(Status::new(Phase::Queued, "pending"));
    /// assert_eq!(s.last.unwrap().phase, Phase::Queued);
    /// ```
    pub fn with_last(mut self, status: Status<O>) -> Self {
        self.last = Some(status);
        self
    }
}

mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}
