//! Many tasks at once: one scheduler, batching, rate limits.

mod batching;
mod index;
mod poll_now;
mod rate_limit;
mod resume;

pub use batching::DEFAULT_BATCH_WINDOW;
pub use rate_limit::RateLimit;
pub use resume::TaskState;

use crate::poller::log_fetch;
use crate::task::{Recorded, TaskCore};
use crate::{BoxPolicy, ErrorPolicy, FetchError, PollPolicy, Report, Status, StatusSource};
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::{FutureExt, Stream, StreamExt};
use index::TaskIndex;
use rate_limit::Limiter;
use slab::Slab;
use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{Instant, Sleep};
use tokio_util::time::{DelayQueue, delay_queue};

/// Identifies a source added to a [`Tracker`].
///
/// ```
/// use poller_core::{Fixed, Tracker, testing::ScriptedSource};
/// let mut t = Tracker::<()>::new();
/// let a = t.add_source(ScriptedSource::new("a"), Fixed::secs(1));
/// let b = t.add_source(ScriptedSource::new("b"), Fixed::secs(1));
/// assert_ne!(a, b);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(u32);

/// Per-source settings of a [`Tracker`].
///
/// # Default
/// No rate limit; batches as large as the source allows (capped by the tracker's batch size);
/// batch window [`DEFAULT_BATCH_WINDOW`] (100 ms).
///
/// ```
/// use poller_core::{RateLimit, SourceOptions};
/// let o = SourceOptions::default().rate_limit(RateLimit::per_second(5)).batch_size(50);
/// assert_eq!(o.batch_size, Some(50));
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SourceOptions {
    /// The request rate limit for this source.
    pub rate_limit: Option<RateLimit>,
    /// The largest batch for this source (overrides the tracker's batch size).
    pub batch_size: Option<usize>,
    /// How long a partial batch waits for more tasks to fall due (batch sources only).
    pub batch_window: Option<Duration>,
}

impl SourceOptions {
    /// Sets the rate limit.
    ///
    /// ```
    /// let o = poller_core::SourceOptions::default().rate_limit(poller_core::RateLimit::per_second(1));
    /// assert!(o.rate_limit.is_some());
    /// ```
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Sets the batch size (at least 1).
    ///
    /// ```
    /// assert_eq!(poller_core::SourceOptions::default().batch_size(0).batch_size, Some(1));
    /// ```
    pub fn batch_size(mut self, size: usize) -> Self {
        self.batch_size = Some(size.max(1));
        self
    }

    /// Sets the batch window: the polls of a batch source's tasks are aligned to slots of
    /// this width on the tracker's clock (each waits at most this much longer than its policy
    /// asked, and never past its deadline), so tasks falling due within one slot go out in
    /// one request. Zero sends every task when it falls due.
    ///
    /// # Default
    /// [`DEFAULT_BATCH_WINDOW`] (100 ms).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let o = poller_core::SourceOptions::default().batch_window(Duration::from_millis(250));
    /// assert_eq!(o.batch_window, Some(Duration::from_millis(250)));
    /// ```
    pub fn batch_window(mut self, window: Duration) -> Self {
        self.batch_window = Some(window);
        self
    }
}

/// The longest a [`Tracker`] waits before polling a task again: a year. Longer delays (a
/// `Retry-After` of years under a policy without a deadline) are cut to it.
const MAX_DELAY: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// The most expired timers taken in one pass of [`Tracker::poll_next`](Stream::poll_next).
/// Small passes keep the requests in flight (and the memory they touch) few at a time; a batch
/// source's partial batch waits until a pass takes fewer, so passes never split a batch.
const MAX_EXPIRED: usize = 256;

/// What a [`Tracker`] yields.
///
/// ```
/// use poller_core::{Outcome, Phase, Report, Status, TrackerEvent};
/// fn finished(e: &TrackerEvent) -> bool { matches!(e, TrackerEvent::Finished { .. }) }
/// # let _ = finished;
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TrackerEvent<O = serde_json::Value> {
    /// A task's phase, raw status or progress changed (only with
    /// [`emit_changes`](Tracker::emit_changes)).
    Changed {
        /// The task's source.
        source: SourceId,
        /// The task's id.
        task_id: String,
        /// The new status.
        status: Status<O>,
        /// Fetches made for this task so far.
        attempts: u32,
    },
    /// A task was polled and will be polled again (only with
    /// [`emit_polled`](Tracker::emit_polled)): its state after the poll, for a durable store.
    Polled {
        /// The task's source.
        source: SourceId,
        /// The task's state after this poll.
        state: TaskState<O>,
        /// When the next poll is due, from now.
        next_in: Duration,
    },
    /// A task ended; this is the only event for it after which it is no longer tracked.
    Finished {
        /// The task's source.
        source: SourceId,
        /// How it ended.
        report: Report<O>,
    },
    /// A fetch failed and the task will be asked about again (only with
    /// [`emit_retries`](Tracker::emit_retries)): the trouble a user should see while it lasts.
    Retrying {
        /// The task's source.
        source: SourceId,
        /// The task's id.
        task_id: String,
        /// What went wrong.
        error: FetchError,
        /// Fetches made for this task so far, this failed one included.
        attempts: u32,
        /// When the next fetch goes out.
        retry_in: Duration,
    },
}

/// A cheap handle for adding tasks to a running [`Tracker`] from anywhere.
///
/// ```
/// use poller_core::{Fixed, Tracker, testing::ScriptedSource};
/// let mut t = Tracker::<()>::new();
/// let s = t.add_source(ScriptedSource::new("s"), Fixed::secs(1));
/// let handle = t.handle();
/// assert!(handle.track(s, "task-1"));
/// ```
pub struct TrackerHandle<O> {
    tx: mpsc::UnboundedSender<Command<O>>,
    _output: std::marker::PhantomData<fn() -> O>,
}

/// What a [`TrackerHandle`] asks of its tracker.
enum Command<O> {
    Track(SourceId, String),
    Resume(SourceId, Box<TaskState<O>>),
    Untrack(SourceId, String),
    PollNow(SourceId, String),
}

impl<O> Clone for TrackerHandle<O> {
    fn clone(&self) -> Self {
        TrackerHandle {
            tx: self.tx.clone(),
            _output: std::marker::PhantomData,
        }
    }
}

impl<O> fmt::Debug for TrackerHandle<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrackerHandle").finish_non_exhaustive()
    }
}

impl<O> TrackerHandle<O> {
    /// Starts tracking `task_id` of `source`. Returns `false` when the tracker is gone.
    ///
    /// ```
    /// # use poller_core::{Fixed, Tracker, testing::ScriptedSource};
    /// let mut t = Tracker::<()>::new();
    /// let s = t.add_source(ScriptedSource::new("s"), Fixed::secs(1));
    /// let h = t.handle();
    /// drop(t);
    /// assert!(!h.track(s, "late"));
    /// ```
    pub fn track(&self, source: SourceId, task_id: impl Into<String>) -> bool {
        self.tx.send(Command::Track(source, task_id.into())).is_ok()
    }

    /// Resumes tracking a task from a saved [`TaskState`] (see
    /// [`Tracker::track_resumed`]). Returns `false` when the tracker is gone.
    ///
    /// ```
    /// # use poller_core::{Fixed, TaskState, Tracker, testing::ScriptedSource};
    /// let mut t = Tracker::<()>::new();
    /// let s = t.add_source(ScriptedSource::new("s"), Fixed::secs(1));
    /// assert!(t.handle().track_resumed(s, TaskState::new("task-1").with_attempts(2)));
    /// ```
    pub fn track_resumed(&self, source: SourceId, state: TaskState<O>) -> bool {
        self.tx
            .send(Command::Resume(source, Box::new(state)))
            .is_ok()
    }

    /// Stops tracking `task_id` of `source` (see [`Tracker::untrack`]). Returns `false` when
    /// the tracker is gone.
    ///
    /// ```
    /// # use poller_core::{Fixed, Tracker, testing::ScriptedSource};
    /// let mut t = Tracker::<()>::new();
    /// let s = t.add_source(ScriptedSource::new("s"), Fixed::secs(1));
    /// assert!(t.handle().untrack(s, "task-1"));
    /// ```
    pub fn untrack(&self, source: SourceId, task_id: impl Into<String>) -> bool {
        self.tx
            .send(Command::Untrack(source, task_id.into()))
            .is_ok()
    }

    /// Asks the tracker to poll `task_id` of `source` now, for example because a webhook said
    /// it changed: see [`Tracker::poll_now`]. A no-op for a task that is not tracked (unknown
    /// or already finished). Returns `false` when the tracker is gone.
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures::StreamExt;
    /// use poller_core::{Fixed, Phase, Status, Tracker, testing::ScriptedSource};
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut t = Tracker::<()>::new();
    /// let s = t.add_source(
    ///     ScriptedSource::new("s")
    ///         .then_status(Status::new(Phase::Running, "running"))
    ///         .then_status(Status::new(Phase::Succeeded, "done")),
    ///     Fixed::secs(3600),
    /// );
    /// t.track(s, "job");
    /// let h = t.handle();
    /// tokio::spawn(async move {
    ///     tokio::time::sleep(Duration::from_secs(5)).await;
    ///     assert!(h.poll_now(s, "job")); // the webhook arrived
    /// });
    /// let start = tokio::time::Instant::now();
    /// let _finished = t.next().await.unwrap();
    /// assert_eq!(start.elapsed(), Duration::from_secs(5)); // not an hour
    /// # }
    /// ```
    pub fn poll_now(&self, source: SourceId, task_id: impl Into<String>) -> bool {
        self.tx
            .send(Command::PollNow(source, task_id.into()))
            .is_ok()
    }
}

struct SourceEntry<O> {
    source: Arc<dyn StatusSource<Output = O>>,
    policy: BoxPolicy,
    limiter: Option<Limiter>,
    batch: usize,
    /// The slot width its polls are aligned to ([`SourceOptions::batch_window`]); zero for
    /// a source that does not batch.
    window: Duration,
    ready: VecDeque<usize>,
}

struct Tracked<O> {
    core: TaskCore<O>,
    source: SourceId,
    /// The task's entry in the timer queue, while it waits there.
    timer: Option<delay_queue::Key>,
    /// Untracked while its request was in flight: dropped, without an event, when it answers.
    untracked: bool,
}

struct Answer<O> {
    source: SourceId,
    keys: Vec<usize>,
    results: Vec<Result<Status<O>, FetchError>>,
}

/// Waits on many tasks at once, of any number of sources: a [`Stream`] of
/// [`TrackerEvent`]s, each task ending exactly once.
///
/// - **One scheduler.** Every task's next poll sits in one timer queue (tokio-util's
///   `DelayQueue`); nothing is spawned per task, and the tracker does its work only while
///   the stream is polled. Dropping the tracker stops every request.
/// - **Same decisions as [`Poller`](crate::Poller).** Each task follows its source's
///   [`PollPolicy`] and the tracker's [`ErrorPolicy`], exactly as a single wait would.
/// - **Batching.** When several tasks of a [`BatchStatusSource`](crate::BatchStatusSource)
///   are due, they go out in one request of up to the batch size. Their polls are aligned to
///   slots of the source's batch window ([`DEFAULT_BATCH_WINDOW`], 100 ms) on the tracker's
///   clock, so tasks falling due within one slot go out together; a poll waits at most one
///   window longer than its policy asked, and never past its deadline. The tasks of a batch
///   request that failed with a transient error retry together, after the longest of their
///   retry delays (never past a task's deadline), so that faults do not scatter a batch into
///   many small requests.
/// - **Limits.** At most `max_in_flight` requests at once over all sources; an optional
///   [`RateLimit`] per source.
/// - **Memory.** A tracked task costs its id, the last status seen (boxed), its slab entry,
///   its timer and its entry in the index [`poll_now`](Tracker::poll_now) uses: 978 heap
///   bytes per task at 100,000 tasks (`benches/tracked_task_cost.rs`, figures in
///   `BENCHMARKS.md`).
/// - **Long waits.** A delay longer than a year (a `Retry-After` of years, under a policy
///   without a deadline) is cut to a year, the most the timer queue holds safely.
///
/// The stream ends when no task is left and no [`TrackerHandle`] is alive.
///
/// - **No hot loops.** As for [`Poller`](crate::Poller): a task gives up once its policy's
///   deadline has passed (after a last poll on it), and two fetches of one task are at least
///   the minimum gap ([`min_gap`](Tracker::min_gap)) apart, whatever the policy answers.
///
/// # Default
/// 64 requests in flight, batches of up to 100, fetch timeout 120 s, [`ErrorPolicy::default`],
/// minimum gap [`DEFAULT_MIN_GAP`](crate::DEFAULT_MIN_GAP) (100 ms), no change, retry or poll events.
///
/// ```
/// use futures::StreamExt;
/// use poller_core::{Fixed, OutcomeKind, Phase, Status, Tracker, TrackerEvent, testing::ScriptedSource};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let mut tracker = Tracker::new();
/// let src = tracker.add_source(
///     ScriptedSource::<()>::new("jobs")
///         .then_status(Status::new(Phase::Running, "running"))
///         .then_status(Status::new(Phase::Succeeded, "done")),
///     Fixed::secs(1),
/// );
/// tracker.track(src, "a");
/// tracker.track(src, "b");
/// let mut finished = 0;
/// while let Some(event) = tracker.next().await {
///     if let TrackerEvent::Finished { report, .. } = event {
///         assert_eq!(report.outcome.kind(), OutcomeKind::Succeeded);
///         finished += 1;
///     }
/// }
/// assert_eq!(finished, 2);
/// # }
/// ```
pub struct Tracker<O = serde_json::Value> {
    sources: Vec<SourceEntry<O>>,
    tasks: Slab<Tracked<O>>,
    index: TaskIndex,
    timers: DelayQueue<usize>,
    in_flight: FuturesUnordered<BoxFuture<'static, Answer<O>>>,
    events: VecDeque<TrackerEvent<O>>,
    commands: mpsc::UnboundedReceiver<Command<O>>,
    weak_tx: mpsc::WeakUnboundedSender<Command<O>>,
    commands_closed: bool,
    wake: Option<Pin<Box<Sleep>>>,
    unscheduled: Vec<usize>,
    cursor: usize,
    max_in_flight: usize,
    batch_size: usize,
    fetch_timeout: Option<Duration>,
    errors: ErrorPolicy,
    emit_changes: bool,
    emit_retries: bool,
    min_gap: Duration,
    /// The origin of the batch windows' slots.
    epoch: Instant,
    /// The last pass over the timer queue stopped at `MAX_EXPIRED`: more may be due.
    more_due: bool,
    emit_polled: bool,
}

impl<O> fmt::Debug for Tracker<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracker")
            .field("sources", &self.sources.len())
            .field("tasks", &self.tasks.len())
            .field("in_flight", &self.in_flight.len())
            .field("max_in_flight", &self.max_in_flight)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

impl<O: Clone + Send + Sync + 'static> Default for Tracker<O> {
    fn default() -> Self {
        Self::new()
    }
}

impl<O: Clone + Send + Sync + 'static> Tracker<O> {
    /// An empty tracker with default settings.
    ///
    /// ```
    /// assert!(poller_core::Tracker::<()>::new().is_empty());
    /// ```
    pub fn new() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Tracker {
            sources: Vec::new(),
            tasks: Slab::new(),
            index: TaskIndex::default(),
            timers: DelayQueue::new(),
            in_flight: FuturesUnordered::new(),
            events: VecDeque::new(),
            commands: rx,
            weak_tx: tx.downgrade(),
            commands_closed: false,
            wake: None,
            unscheduled: Vec::new(),
            cursor: 0,
            max_in_flight: 64,
            batch_size: 100,
            fetch_timeout: Some(Duration::from_secs(120)),
            errors: ErrorPolicy::default(),
            emit_changes: false,
            emit_retries: false,
            min_gap: crate::DEFAULT_MIN_GAP,
            epoch: Instant::now(),
            more_due: false,
            emit_polled: false,
        }
    }

    /// Sets the most requests in flight at once, over all sources (at least 1).
    ///
    /// ```
    /// let _t = poller_core::Tracker::<()>::new().max_in_flight(8);
    /// ```
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }

    /// Sets the default largest batch for batch sources (at least 1).
    ///
    /// ```
    /// let _t = poller_core::Tracker::<()>::new().batch_size(20);
    /// ```
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n.max(1);
        self
    }

    /// Sets how failed fetches are retried.
    ///
    /// ```
    /// let _t = poller_core::Tracker::<()>::new().error_policy(poller_core::ErrorPolicy::never());
    /// ```
    pub fn error_policy(mut self, errors: ErrorPolicy) -> Self {
        self.errors = errors;
        self
    }

    /// Sets the longest one request may take before it counts as a (transient) timeout.
    ///
    /// ```
    /// let _t = poller_core::Tracker::<()>::new().fetch_timeout(None);
    /// ```
    pub fn fetch_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// Sets the shortest gap between two fetches of one task, whatever its policy asks for
    /// (the first fetch may still be immediate), as [`Poller::with_min_gap`](crate::Poller::with_min_gap)
    /// does for one wait.
    ///
    /// # Default
    /// [`DEFAULT_MIN_GAP`](crate::DEFAULT_MIN_GAP) (100 ms).
    ///
    /// ```
    /// let _t = poller_core::Tracker::<()>::new().min_gap(std::time::Duration::from_secs(1));
    /// ```
    pub fn min_gap(mut self, gap: Duration) -> Self {
        self.min_gap = gap;
        self
    }

    /// Also yields [`TrackerEvent::Changed`] for every change of phase, raw status or progress.
    ///
    /// ```
    /// let _t = poller_core::Tracker::<()>::new().emit_changes(true);
    /// ```
    pub fn emit_changes(mut self, yes: bool) -> Self {
        self.emit_changes = yes;
        self
    }

    /// Also yields [`TrackerEvent::Retrying`] for every failed fetch that will be retried.
    ///
    /// ```
    /// let _t = poller_core::Tracker::<()>::new().emit_retries(true);
    /// ```
    pub fn emit_retries(mut self, yes: bool) -> Self {
        self.emit_retries = yes;
        self
    }

    /// Also yields [`TrackerEvent::Polled`] after every poll of a task that goes on, with the
    /// task's [`TaskState`] and its next poll time: what a durable store saves.
    ///
    /// ```
    /// let _t = poller_core::Tracker::<()>::new().emit_polled(true);
    /// ```
    pub fn emit_polled(mut self, yes: bool) -> Self {
        self.emit_polled = yes;
        self
    }

    /// Replaces the rate limit of `source` (`None`: no limit), for instance when a limit
    /// shared by several processes is split anew. Requests already in flight are not affected.
    ///
    /// # Panics
    /// If `source` was not returned by this tracker's `add_source`.
    ///
    /// ```
    /// # use poller_core::{Fixed, RateLimit, Tracker, testing::ScriptedSource};
    /// let mut t = Tracker::<()>::new();
    /// let s = t.add_source(ScriptedSource::new("s"), Fixed::secs(1));
    /// t.set_rate_limit(s, Some(RateLimit::per_second(2)));
    /// ```
    pub fn set_rate_limit(&mut self, source: SourceId, limit: Option<RateLimit>) {
        self.sources[source.0 as usize].limiter = limit.map(|r| r.limiter());
    }

    /// Adds a source polled on the schedule of `policy`.
    ///
    /// ```
    /// # use poller_core::{Exponential, Tracker, testing::ScriptedSource};
    /// let mut t = Tracker::<()>::new();
    /// let _id = t.add_source(ScriptedSource::new("s"), Exponential::default());
    /// ```
    pub fn add_source(
        &mut self,
        source: impl StatusSource<Output = O> + 'static,
        policy: impl PollPolicy + 'static,
    ) -> SourceId {
        self.add_source_with(
            Arc::new(source),
            BoxPolicy::new(policy),
            SourceOptions::default(),
        )
    }

    /// Adds a shared source with explicit options.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use poller_core::{BoxPolicy, Fixed, RateLimit, SourceOptions, Tracker, testing::ScriptedSource};
    /// let mut t = Tracker::<()>::new();
    /// let _id = t.add_source_with(
    ///     Arc::new(ScriptedSource::new("s")),
    ///     BoxPolicy::new(Fixed::secs(1)),
    ///     SourceOptions::default().rate_limit(RateLimit::per_second(10)),
    /// );
    /// ```
    pub fn add_source_with(
        &mut self,
        source: Arc<dyn StatusSource<Output = O>>,
        policy: BoxPolicy,
        options: SourceOptions,
    ) -> SourceId {
        let max = source.as_batch().map_or(1, |b| b.max_batch().max(1));
        let batch = options.batch_size.unwrap_or(self.batch_size).min(max);
        self.sources.push(SourceEntry {
            source,
            policy,
            limiter: options.rate_limit.map(|r| r.limiter()),
            batch,
            window: if batch > 1 {
                options.batch_window.unwrap_or(DEFAULT_BATCH_WINDOW)
            } else {
                Duration::ZERO
            },
            ready: VecDeque::new(),
        });
        SourceId(u32::try_from(self.sources.len() - 1).expect("fewer than 2^32 sources"))
    }

    /// Starts tracking `task_id` of `source`; its first poll follows the source's policy.
    ///
    /// # Panics
    /// If `source` was not returned by this tracker's `add_source`.
    ///
    /// ```
    /// # use poller_core::{Fixed, Tracker, testing::ScriptedSource};
    /// let mut t = Tracker::<()>::new();
    /// let s = t.add_source(ScriptedSource::new("s"), Fixed::secs(1));
    /// t.track(s, "task-1");
    /// assert_eq!(t.len(), 1);
    /// ```
    pub fn track(&mut self, source: SourceId, task_id: impl Into<String>) {
        assert!(
            (source.0 as usize) < self.sources.len(),
            "unknown source {source:?}"
        );
        let core = TaskCore::new(task_id.into(), Instant::now());
        self.insert(source, core);
    }

    /// Resumes tracking a task from a saved [`TaskState`]: the task's clock starts
    /// `state.elapsed` in the past, so the policy's deadline counts from the first time the
    /// task was tracked, and attempts go on from `state.attempts`. Its next poll comes at
    /// `state.next_poll_at` (at once when that has passed), no sooner than the
    /// [`min_gap`](Self::min_gap) after `state.fetched_at`; a state without a next-poll time
    /// is polled when its policy says, from now.
    ///
    /// # Panics
    /// If `source` was not returned by this tracker's `add_source`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures::StreamExt;
    /// use poller_core::{Fixed, OutcomeKind, Phase, PollPolicyExt, Status, TaskState, Tracker,
    ///     TrackerEvent, testing::ScriptedSource};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut t = Tracker::<()>::new();
    /// let src = ScriptedSource::new("s").then_status(Status::new(Phase::Running, "running"));
    /// let s = t.add_source(src, Fixed::secs(1).with_deadline(Duration::from_secs(60)));
    /// // Tracked for 59 s already, by another process: one second of the deadline is left.
    /// t.track_resumed(s, TaskState::new("old").with_attempts(59).with_elapsed(Duration::from_secs(59)));
    /// let Some(TrackerEvent::Finished { report, .. }) = t.next().await else { unreachable!() };
    /// assert_eq!(report.outcome.kind(), OutcomeKind::GaveUp);
    /// assert_eq!(report.elapsed, Duration::from_secs(60));
    /// # }
    /// ```
    pub fn track_resumed(&mut self, source: SourceId, state: TaskState<O>) {
        assert!(
            (source.0 as usize) < self.sources.len(),
            "unknown source {source:?}"
        );
        let core = TaskCore::resumed(state, Instant::now());
        self.insert(source, core);
    }

    /// Stops tracking `task_id` of `source`, without an event; returns `false` when no such
    /// task is tracked. A request in flight for it is let finish and its answer dropped.
    ///
    /// This looks through every tracked task: it is meant for rare events (a lease lost), not
    /// for every task.
    ///
    /// ```
    /// # use poller_core::{Fixed, Tracker, testing::ScriptedSource};
    /// let mut t = Tracker::<()>::new();
    /// let s = t.add_source(ScriptedSource::new("s"), Fixed::secs(1));
    /// t.track(s, "a");
    /// assert!(t.untrack(s, "a"));
    /// assert!(!t.untrack(s, "a"));
    /// assert!(t.is_empty());
    /// ```
    pub fn untrack(&mut self, source: SourceId, task_id: &str) -> bool {
        let Some(key) = self
            .tasks
            .iter()
            .find(|(_, t)| !t.untracked && t.source == source && t.core.task_id == task_id)
            .map(|(k, _)| k)
        else {
            return false;
        };
        let task = &mut self.tasks[key];
        if let Some(timer) = task.timer.take() {
            self.timers.remove(&timer);
        } else if let Some(i) = self.unscheduled.iter().position(|k| *k == key) {
            self.unscheduled.swap_remove(i);
        } else {
            let ready = &mut self.sources[source.0 as usize].ready;
            match ready.iter().position(|k| *k == key) {
                Some(i) => {
                    ready.remove(i);
                }
                None => {
                    // In flight: its answer removes it.
                    task.untracked = true;
                    return true;
                }
            }
        }
        self.remove_task(key);
        true
    }

    fn insert(&mut self, source: SourceId, core: TaskCore<O>) {
        let key = self.tasks.insert(Tracked {
            core,
            source,
            timer: None,
            untracked: false,
        });
        let tasks = &self.tasks;
        self.index
            .insert(key, source, &tasks[key].core.task_id, |k| {
                (tasks[k].source, tasks[k].core.task_id.as_str())
            });
        // Scheduled on the next poll, so that tracking works outside a runtime too.
        self.unscheduled.push(key);
    }

    /// A handle for adding tasks while the tracker runs.
    ///
    /// ```
    /// # use poller_core::Tracker;
    /// let mut t = Tracker::<()>::new();
    /// let _h = t.handle();
    /// ```
    pub fn handle(&mut self) -> TrackerHandle<O> {
        let tx = match self.weak_tx.upgrade() {
            Some(tx) => tx,
            None => {
                // Every earlier handle is gone (or there never was one): open a new channel.
                let (tx, rx) = mpsc::unbounded_channel();
                self.commands = rx;
                self.weak_tx = tx.downgrade();
                self.commands_closed = false;
                tx
            }
        };
        TrackerHandle {
            tx,
            _output: std::marker::PhantomData,
        }
    }

    /// The number of tasks being tracked.
    ///
    /// ```
    /// assert_eq!(poller_core::Tracker::<()>::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// `true` when no task is tracked.
    ///
    /// ```
    /// assert!(poller_core::Tracker::<()>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// The number of requests in flight.
    ///
    /// ```
    /// assert_eq!(poller_core::Tracker::<()>::new().in_flight(), 0);
    /// ```
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Decides the task's next poll: into the timer queue (returning the delay), or finished.
    fn schedule(&mut self, key: usize, now: Instant) -> Option<Duration> {
        let delay = self.next_delay(key, now)?;
        Some(self.enqueue(key, delay, now))
    }

    /// The delay before the task's next poll; `None` when it finished (its event is queued
    /// and it is no longer tracked).
    fn next_delay(&mut self, key: usize, now: Instant) -> Option<Duration> {
        let task = &mut self.tasks[key];
        let policy = &self.sources[task.source.0 as usize].policy;
        match task
            .core
            .next_delay(policy, &self.errors, self.min_gap, now)
        {
            Ok(delay) => Some(delay),
            Err(outcome) => {
                let mut task = self.remove_task(key);
                let report = task.core.report(outcome, now);
                tracing::debug!(task_id = %report.task_id, outcome = %report.outcome.kind(), attempts = report.attempts, "task finished");
                self.events.push_back(TrackerEvent::Finished {
                    source: task.source,
                    report,
                });
                None
            }
        }
    }

    /// Puts the task's next poll `delay` from now (aligned to its source's batch window),
    /// returning the delay it got.
    fn enqueue(&mut self, key: usize, delay: Duration, now: Instant) -> Duration {
        let delay = self.align(key, delay, now).min(MAX_DELAY);
        if delay.is_zero() {
            // Due now: straight to the ready queue (a zero-delay timer would wait for the
            // timer wheel's next 1 ms tick).
            let source = self.tasks[key].source.0 as usize;
            self.sources[source].ready.push_back(key);
        } else {
            // The timer queue holds about two years and panics beyond; a `Retry-After` of
            // centuries, under a policy without a deadline, must not take the tracker down.
            let timer = self.timers.insert(key, delay);
            self.tasks[key].timer = Some(timer);
        }
        delay
    }

    /// Stops tracking the task at `key`, returning it.
    fn remove_task(&mut self, key: usize) -> Tracked<O> {
        let task = self.tasks.remove(key);
        self.index.remove(key, task.source, &task.core.task_id);
        task
    }

    /// The events of a poll after which the task goes on, `next_in` from now: a retry event for
    /// a failed fetch (with [`emit_retries`](Self::emit_retries)), the task's state (with
    /// [`emit_polled`](Self::emit_polled)).
    fn after_poll(
        &mut self,
        source: SourceId,
        key: usize,
        retry: Option<(FetchError, String, u32)>,
        next_in: Duration,
        now: Instant,
    ) {
        if let Some((error, task_id, attempts)) = retry {
            self.events.push_back(TrackerEvent::Retrying {
                source,
                task_id,
                error,
                attempts,
                retry_in: next_in,
            });
        }
        if self.emit_polled {
            self.events.push_back(TrackerEvent::Polled {
                source,
                state: self.tasks[key].core.snapshot(now, next_in),
                next_in,
            });
        }
    }

    fn on_answer(&mut self, answer: Answer<O>) {
        let now = Instant::now();
        let batched = answer.keys.len() > 1;
        // The tasks of this batch request that failed with a transient error: they retry
        // together.
        let mut retrying = Vec::new();
        for (key, result) in answer.keys.into_iter().zip(answer.results) {
            let transient = batched && result.as_ref().is_err_and(FetchError::is_transient);
            let task = &mut self.tasks[key];
            if task.untracked {
                self.remove_task(key);
                continue;
            }
            task.core.attempt += 1;
            log_fetch(task.core.attempt, &result);
            let error = match &result {
                Err(e) if self.emit_retries => Some(e.clone()),
                _ => None,
            };
            let policy = &self.sources[answer.source.0 as usize].policy;
            match task.core.record(result, policy, now) {
                Recorded::Final(outcome) => {
                    let mut task = self.remove_task(key);
                    let report = task.core.report(outcome, now);
                    self.events.push_back(TrackerEvent::Finished {
                        source: answer.source,
                        report,
                    });
                }
                recorded => {
                    if self.emit_changes && matches!(recorded, Recorded::Changed) {
                        let task = &self.tasks[key];
                        self.events.push_back(TrackerEvent::Changed {
                            source: answer.source,
                            task_id: task.core.task_id.clone(),
                            status: task
                                .core
                                .last
                                .as_deref()
                                .cloned()
                                .expect("changed has a status"),
                            attempts: task.core.attempt,
                        });
                    }
                    let core = &self.tasks[key].core;
                    let retry = error.map(|e| (e, core.task_id.clone(), core.attempt));
                    if transient {
                        retrying.push((key, retry));
                    } else if let Some(next_in) = self.schedule(key, now) {
                        self.after_poll(answer.source, key, retry, next_in, now);
                    }
                }
            }
        }
        if !retrying.is_empty() {
            let keys: Vec<usize> = retrying.iter().map(|(key, _)| *key).collect();
            let delays = self.schedule_together(&keys, now);
            for (key, retry) in retrying {
                // Tasks that ended (deadline, error limit) have no delay: no event.
                if let Some(&(_, next_in)) = delays.iter().find(|(k, _)| *k == key) {
                    self.after_poll(answer.source, key, retry, next_in, now);
                }
            }
        }
    }

    /// Sends requests for due tasks while limits allow. Returns `true` if any was sent.
    fn dispatch(&mut self) -> bool {
        let n = self.sources.len();
        let mut sent = false;
        let mut earliest_wake: Option<Instant> = None;
        loop {
            let mut any = false;
            for i in 0..n {
                if self.in_flight.len() >= self.max_in_flight {
                    break;
                }
                let s = (self.cursor + i) % n;
                let entry = &mut self.sources[s];
                if entry.ready.is_empty() {
                    continue;
                }
                if self.more_due && entry.batch > 1 && entry.ready.len() < entry.batch {
                    // More timers may be due: the next pass may fill this batch.
                    continue;
                }
                if let Some(limiter) = &entry.limiter {
                    if let Err(not_until) = limiter.check() {
                        let at = Instant::from_std(not_until.earliest_possible());
                        earliest_wake = Some(earliest_wake.map_or(at, |e| e.min(at)));
                        continue;
                    }
                }
                let take = entry.batch.min(entry.ready.len());
                let keys: Vec<usize> = entry.ready.drain(..take).collect();
                let ids: Vec<String> = keys
                    .iter()
                    .map(|k| self.tasks[*k].core.task_id.clone())
                    .collect();
                let fut = request(
                    SourceId(s as u32),
                    entry.source.clone(),
                    keys,
                    ids,
                    self.fetch_timeout,
                );
                self.in_flight.push(fut);
                any = true;
                sent = true;
            }
            self.cursor = (self.cursor + 1) % n.max(1);
            if !any || self.in_flight.len() >= self.max_in_flight {
                break;
            }
        }
        if let Some(at) = earliest_wake {
            match &mut self.wake {
                Some(sleep) if sleep.deadline() <= at => {}
                Some(sleep) => sleep.as_mut().reset(at),
                None => self.wake = Some(Box::pin(tokio::time::sleep_until(at))),
            }
        }
        sent
    }

    fn finished(&self) -> bool {
        self.tasks.is_empty() && self.in_flight.is_empty() && self.commands_closed
    }
}

fn request<O: Clone + Send + Sync + 'static>(
    source_id: SourceId,
    source: Arc<dyn StatusSource<Output = O>>,
    keys: Vec<usize>,
    ids: Vec<String>,
    timeout: Option<Duration>,
) -> BoxFuture<'static, Answer<O>> {
    async move {
        let results = match (ids.len(), source.as_batch()) {
            (1, _) | (_, None) => {
                let mut out = Vec::with_capacity(ids.len());
                for id in &ids {
                    out.push(with_timeout(timeout, source.fetch(id)).await);
                }
                out
            }
            (n, Some(batch)) => {
                let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
                match with_timeout(timeout, batch.fetch_many(&refs)).await {
                    Ok(results) if results.len() == n => results,
                    Ok(results) => {
                        let e = FetchError::Other {
                            message: format!(
                                "batch answer has {} entries for {n} task ids",
                                results.len()
                            ),
                            class: crate::ErrorClass::Permanent,
                        };
                        vec![Err(e); n]
                    }
                    Err(e) => vec![Err(e); n],
                }
            }
        };
        Answer {
            source: source_id,
            keys,
            results,
        }
    }
    .boxed()
}

async fn with_timeout<T>(
    timeout: Option<Duration>,
    fut: impl Future<Output = Result<T, FetchError>>,
) -> Result<T, FetchError> {
    match timeout {
        Some(t) => tokio::time::timeout(t, fut)
            .await
            .unwrap_or(Err(FetchError::Timeout(t))),
        None => fut.await,
    }
}

// The tracker never pins its fields (outputs sit in boxes and queues), so it can move freely.
impl<O> Unpin for Tracker<O> {}

impl<O: Clone + Send + Sync + 'static> Stream for Tracker<O> {
    type Item = TrackerEvent<O>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        // Work done in one call is bounded, so that sources answering at once with zero-delay
        // policies cannot keep this call from returning to the runtime.
        let mut budget = 256u32;
        loop {
            if budget == 0 {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            budget -= 1;
            let mut progressed = false;
            if !this.commands_closed {
                loop {
                    match this.commands.poll_recv(cx) {
                        Poll::Ready(Some(command)) => {
                            match command {
                                Command::Track(source, id) => this.track(source, id),
                                Command::Resume(source, state) => {
                                    this.track_resumed(source, *state)
                                }
                                Command::Untrack(source, id) => {
                                    this.untrack(source, &id);
                                }
                                Command::PollNow(source, id) => {
                                    this.poll_now(source, &id);
                                }
                            }
                            progressed = true;
                        }
                        Poll::Ready(None) => {
                            this.commands_closed = true;
                            break;
                        }
                        Poll::Pending => break,
                    }
                }
            }
            if !this.unscheduled.is_empty() {
                let now = Instant::now();
                for key in std::mem::take(&mut this.unscheduled) {
                    this.schedule(key, now);
                }
                progressed = true;
            }
            // The timers due now, outside tokio's cooperative budget (which would stop at 128
            // without saying so), up to `MAX_EXPIRED`; `more_due` tells dispatch that more may
            // be due, so that a batch source's partial batch waits for them.
            let mut expired_now = 0;
            while expired_now < MAX_EXPIRED {
                let expired = {
                    let timers = &mut this.timers;
                    let poll = std::future::poll_fn(|cx| timers.poll_expired(cx));
                    std::pin::pin!(tokio::task::unconstrained(poll)).poll(cx)
                };
                let Poll::Ready(Some(expired)) = expired else {
                    break;
                };
                expired_now += 1;
                let key = expired.into_inner();
                this.tasks[key].timer = None;
                let source = this.tasks[key].source.0 as usize;
                this.sources[source].ready.push_back(key);
                progressed = true;
            }
            this.more_due = expired_now == MAX_EXPIRED;
            if this.dispatch() {
                progressed = true;
            }
            // After dispatch, so that a wake-up it just set (a rate limit, a partial batch
            // waiting out its window) is registered before this call can return `Pending`.
            if let Some(sleep) = &mut this.wake {
                if sleep.as_mut().poll(cx).is_ready() {
                    this.wake = None;
                    progressed = true;
                }
            }
            while let Poll::Ready(Some(answer)) = this.in_flight.poll_next_unpin(cx) {
                this.on_answer(answer);
                progressed = true;
            }
            if let Some(event) = this.events.pop_front() {
                return Poll::Ready(Some(event));
            }
            if this.finished() {
                return Poll::Ready(None);
            }
            if !progressed {
                return Poll::Pending;
            }
        }
    }
}
