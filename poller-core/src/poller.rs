use crate::task::{Recorded, TaskCore};
use crate::{
    BoxPolicy, ErrorPolicy, FetchError, Outcome, PollPolicy, Report, Status, StatusSource,
};
use futures::Stream;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tracing::{Instrument, Span};

/// Drives a [`StatusSource`] with a [`PollPolicy`] until a task ends.
///
/// `wait` resolves to a [`Report`]; `watch` is a [`Stream`] of status changes ending with the
/// report. Both are plain futures and streams: nothing is spawned, and dropping them stops all
/// further requests. Cloning a poller is cheap (the source and policy are shared).
///
/// # Guarantees
/// Whatever the policy answers, the loop itself:
/// - gives up ([`Outcome::GaveUp`] with [`StopReason::Deadline`](crate::StopReason::Deadline))
///   once the policy's [`deadline`](PollPolicy::deadline) has passed, after a last poll that
///   lands on it (no delay sleeps past the deadline);
/// - leaves at least the minimum gap ([`with_min_gap`](Self::with_min_gap)) between two
///   fetches of the task, so a policy answering "now" again and again cannot flood the API.
///   The first fetch may still be immediate.
///
/// # Default
/// Error policy [`ErrorPolicy::default`] (5 consecutive transient failures, 1 s ×2 up to
/// 30 s); fetch timeout 120 s (a safety net on top of the source's own request timeout);
/// minimum gap between two fetches [`DEFAULT_MIN_GAP`] (100 ms).
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Fixed, Outcome, Phase, Poller, PollPolicyExt, Status, testing::ScriptedSource};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let source = ScriptedSource::new("demo")
///     .then_status(Status::new(Phase::Running, "running"))
///     .then_status(Status::new(Phase::Succeeded, "done").with_output("hello".to_string()));
/// let poller = Poller::new(source, Fixed::secs(2).with_deadline(Duration::from_secs(60)));
///
/// let report = poller.wait("task-1").await;
/// assert!(matches!(&report.outcome, Outcome::Succeeded(s) if s.output.as_deref() == Some("hello")));
/// assert_eq!(report.attempts, 2);
/// assert_eq!(report.elapsed, Duration::from_secs(2));
/// # }
/// ```
pub struct Poller<S, P = BoxPolicy> {
    source: Arc<S>,
    policy: Arc<P>,
    errors: ErrorPolicy,
    fetch_timeout: Option<Duration>,
    min_gap: Duration,
}

impl<S, P> Clone for Poller<S, P> {
    fn clone(&self) -> Self {
        Poller {
            source: self.source.clone(),
            policy: self.policy.clone(),
            errors: self.errors,
            fetch_timeout: self.fetch_timeout,
            min_gap: self.min_gap,
        }
    }
}

impl<S, P> std::fmt::Debug for Poller<S, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller")
            .field("errors", &self.errors)
            .field("fetch_timeout", &self.fetch_timeout)
            .field("min_gap", &self.min_gap)
            .finish_non_exhaustive()
    }
}

/// One item of [`Poller::watch`].
///
/// ```
/// use poller_core::{Phase, Status, WatchEvent};
/// let e: WatchEvent = WatchEvent::Changed(Status::new(Phase::Running, "running"));
/// assert!(matches!(e, WatchEvent::Changed(_)));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WatchEvent<O = serde_json::Value> {
    /// The phase, raw status or progress changed (the first status seen counts as a change).
    /// The final status is not repeated here: it is in the report.
    Changed(Status<O>),
    /// The wait ended; this is the last item.
    Finished(Report<O>),
}

const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(120);

/// The shortest gap the poll loop leaves between two fetches of one task, whatever the policy
/// asks for: 100 ms. A policy that answers "now" again and again is slowed to this pace instead
/// of flooding the API. [`Poller::with_min_gap`] and [`Tracker::min_gap`](crate::Tracker::min_gap)
/// change it.
///
/// ```
/// assert_eq!(poller_core::DEFAULT_MIN_GAP.as_millis(), 100);
/// ```
pub const DEFAULT_MIN_GAP: Duration = Duration::from_millis(100);

impl<S, P> Poller<S, P>
where
    S: StatusSource + 'static,
    P: PollPolicy + 'static,
{
    /// A poller asking `source` on the schedule of `policy`.
    ///
    /// ```
    /// use poller_core::{Exponential, Poller, testing::ScriptedSource};
    /// let _p = Poller::new(ScriptedSource::<()>::new("s"), Exponential::default());
    /// ```
    pub fn new(source: S, policy: P) -> Self {
        Poller::from_arcs(Arc::new(source), Arc::new(policy))
    }

    /// Like [`new`](Self::new), sharing a source and policy that are already in `Arc`s.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use poller_core::{Fixed, Poller, testing::ScriptedSource};
    /// let _p = Poller::from_arcs(Arc::new(ScriptedSource::<()>::new("s")), Arc::new(Fixed::secs(1)));
    /// ```
    pub fn from_arcs(source: Arc<S>, policy: Arc<P>) -> Self {
        Poller {
            source,
            policy,
            errors: ErrorPolicy::default(),
            fetch_timeout: Some(DEFAULT_FETCH_TIMEOUT),
            min_gap: DEFAULT_MIN_GAP,
        }
    }

    /// Sets the shortest gap between two fetches of a task, whatever the policy asks for
    /// (the first fetch may still be immediate). `Duration::ZERO` lets a policy poll
    /// back-to-back, for benchmarks of the loop itself; a policy with a deadline still stops
    /// at it.
    ///
    /// # Default
    /// [`DEFAULT_MIN_GAP`] (100 ms).
    ///
    /// ```
    /// use std::time::Duration;
    /// use poller_core::{Decision, Observation, Poller, testing::ScriptedSource};
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// // A policy that always answers "now", for 3 fetches.
    /// let eager = |o: &Observation<'_>| {
    ///     if o.attempt >= 3 { Decision::Stop(poller_core::StopReason::Attempts) } else { Decision::now() }
    /// };
    /// let report = Poller::new(ScriptedSource::<()>::new("s").then_status(
    ///     poller_core::Status::new(poller_core::Phase::Running, "running")), eager)
    ///     .with_min_gap(Duration::from_secs(1))
    ///     .wait("t")
    ///     .await;
    /// assert_eq!(report.attempts, 3);
    /// assert_eq!(report.elapsed, Duration::from_secs(2)); // fetches at 0, 1 and 2 s
    /// # }
    /// ```
    pub fn with_min_gap(mut self, gap: Duration) -> Self {
        self.min_gap = gap;
        self
    }

    /// Sets how failed fetches are retried.
    ///
    /// ```
    /// use poller_core::{ErrorPolicy, Fixed, Poller, testing::ScriptedSource};
    /// let _p = Poller::new(ScriptedSource::<()>::new("s"), Fixed::secs(1))
    ///     .with_error_policy(ErrorPolicy::default().with_max_consecutive(10));
    /// ```
    pub fn with_error_policy(mut self, errors: ErrorPolicy) -> Self {
        self.errors = errors;
        self
    }

    /// Sets the longest one fetch may take before it counts as a (transient) timeout;
    /// `None` trusts the source entirely.
    ///
    /// ```
    /// use std::time::Duration;
    /// use poller_core::{Fixed, Poller, testing::ScriptedSource};
    /// let _p = Poller::new(ScriptedSource::<()>::new("s"), Fixed::secs(1))
    ///     .with_fetch_timeout(Some(Duration::from_secs(10)));
    /// ```
    pub fn with_fetch_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// The source.
    ///
    /// ```
    /// use poller_core::{Fixed, Poller, StatusSource, testing::ScriptedSource};
    /// let p = Poller::new(ScriptedSource::<()>::new("mine"), Fixed::secs(1));
    /// assert_eq!(p.source().name(), "mine");
    /// ```
    pub fn source(&self) -> &S {
        &self.source
    }

    /// The policy.
    ///
    /// ```
    /// use poller_core::{Fixed, Poller, testing::ScriptedSource};
    /// let p = Poller::new(ScriptedSource::<()>::new("s"), Fixed::secs(3));
    /// assert_eq!(p.policy().interval().as_secs(), 3);
    /// ```
    pub fn policy(&self) -> &P {
        &self.policy
    }

    /// Polls `task_id` until it ends, the policy gives up, or fetching fails for good.
    ///
    /// ```
    /// use poller_core::{Fixed, OutcomeKind, Phase, Poller, Status, testing::ScriptedSource};
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let src = ScriptedSource::<()>::new("s").then_status(Status::new(Phase::Failed, "error"));
    /// let report = Poller::new(src, Fixed::secs(1)).wait("t").await;
    /// assert_eq!(report.outcome.kind(), OutcomeKind::Failed);
    /// # }
    /// ```
    pub fn wait(
        &self,
        task_id: impl Into<String>,
    ) -> impl Future<Output = Report<S::Output>> + Send + 'static {
        let mut run = Run::new(self.clone(), task_id.into());
        async move {
            loop {
                if let Step::Done(report) = run.step().await {
                    return report;
                }
            }
        }
    }

    /// Polls `task_id` like [`wait`](Self::wait), yielding each change of phase, raw status or
    /// progress, then the report.
    ///
    /// ```
    /// use futures::StreamExt;
    /// use poller_core::{Fixed, Phase, Poller, Status, WatchEvent, testing::ScriptedSource};
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let src = ScriptedSource::<()>::new("s")
    ///     .then_status(Status::new(Phase::Running, "running").with_percent(10.0))
    ///     .then_status(Status::new(Phase::Running, "running").with_percent(10.0))
    ///     .then_status(Status::new(Phase::Running, "running").with_percent(80.0))
    ///     .then_status(Status::new(Phase::Succeeded, "done"));
    /// let events: Vec<_> = Poller::new(src, Fixed::secs(1)).watch("t").collect().await;
    /// assert_eq!(events.len(), 3); // 10 %, 80 %, then the report
    /// assert!(matches!(events.last(), Some(WatchEvent::Finished(_))));
    /// # }
    /// ```
    pub fn watch(
        &self,
        task_id: impl Into<String>,
    ) -> impl Stream<Item = WatchEvent<S::Output>> + Send + 'static
    where
        S::Output: Clone,
    {
        let run = Run::new(self.clone(), task_id.into());
        futures::stream::unfold(Some(run), |state| async move {
            let mut run = state?;
            match run.step().await {
                Step::Changed => {
                    let status = run.last().cloned().expect("a change always has a status");
                    Some((WatchEvent::Changed(status), Some(run)))
                }
                Step::Done(report) => Some((WatchEvent::Finished(report), None)),
            }
        })
    }
}

#[allow(clippy::large_enum_variant)] // short-lived, never stored
enum Step<O> {
    Changed,
    Done(Report<O>),
}

struct Run<S: StatusSource, P> {
    poller: Poller<S, P>,
    core: TaskCore<S::Output>,
    span: Span,
}

impl<S, P> Run<S, P>
where
    S: StatusSource + 'static,
    P: PollPolicy + 'static,
{
    fn new(poller: Poller<S, P>, task_id: String) -> Self {
        let span = tracing::info_span!("poll", source = poller.source.name(), task_id = %task_id);
        Run {
            poller,
            core: TaskCore::new(task_id, Instant::now()),
            span,
        }
    }

    fn last(&self) -> Option<&Status<S::Output>> {
        self.core.last.as_deref()
    }

    fn done(&mut self, outcome: Outcome<S::Output>) -> Step<S::Output> {
        let report = self.core.report(outcome, Instant::now());
        self.span.in_scope(|| {
            tracing::debug!(
                outcome = %report.outcome.kind(),
                attempts = report.attempts,
                elapsed = ?report.elapsed,
                "wait finished"
            );
        });
        Step::Done(report)
    }

    async fn step(&mut self) -> Step<S::Output> {
        loop {
            let next = self.core.next_delay(
                &*self.poller.policy,
                &self.poller.errors,
                self.poller.min_gap,
                Instant::now(),
            );
            let delay = match next {
                Ok(d) => d,
                Err(outcome) => return self.done(outcome),
            };
            if delay.is_zero() {
                // A zero sleep would still wait for the timer's next 1 ms tick; yield instead,
                // so that a zero-delay policy neither stalls nor starves the runtime.
                tokio::task::yield_now().await;
            } else {
                tokio::time::sleep(delay).await;
            }
            self.core.attempt += 1;
            let result = self.fetch().instrument(self.span.clone()).await;
            match self
                .core
                .record(result, &*self.poller.policy, Instant::now())
            {
                Recorded::Final(outcome) => return self.done(outcome),
                Recorded::Changed => return Step::Changed,
                Recorded::Unchanged => {}
            }
        }
    }

    async fn fetch(&self) -> Result<Status<S::Output>, FetchError> {
        let fetch = self.poller.source.fetch(&self.core.task_id);
        let result = match self.poller.fetch_timeout {
            Some(t) => tokio::time::timeout(t, fetch)
                .await
                .unwrap_or(Err(FetchError::Timeout(t))),
            None => fetch.await,
        };
        log_fetch(self.core.attempt, &result);
        result
    }
}

/// The debug event every fetch emits (inside the task's span).
pub(crate) fn log_fetch<O>(attempt: u32, result: &Result<Status<O>, FetchError>) {
    match result {
        Ok(s) => tracing::debug!(attempt, phase = %s.phase, status = %s.raw_status, "fetched"),
        Err(e) => {
            tracing::debug!(attempt, error = %e, transient = e.is_transient(), "fetch failed")
        }
    }
}
