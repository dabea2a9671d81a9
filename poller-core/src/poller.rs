use crate::{
    BoxPolicy, Decision, ErrorPolicy, FetchError, Observation, Outcome, Phase, PollPolicy, Report,
    Status, StatusSource, StopReason,
};
use futures::Stream;
use std::hash::{DefaultHasher, Hash, Hasher};
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
/// # Default
/// Error policy [`ErrorPolicy::default`] (5 consecutive transient failures, 1 s ×2 up to
/// 30 s); fetch timeout 120 s (a safety net on top of the source's own request timeout).
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
}

impl<S, P> Clone for Poller<S, P> {
    fn clone(&self) -> Self {
        Poller {
            source: self.source.clone(),
            policy: self.policy.clone(),
            errors: self.errors,
            fetch_timeout: self.fetch_timeout,
        }
    }
}

impl<S, P> std::fmt::Debug for Poller<S, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller")
            .field("errors", &self.errors)
            .field("fetch_timeout", &self.fetch_timeout)
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
        }
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
                    let status = run.last.clone().expect("a change always has a status");
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
    task_id: String,
    start: Instant,
    attempt: u32,
    consecutive_errors: u32,
    last: Option<Status<S::Output>>,
    last_error: Option<FetchError>,
    salt: u64,
    span: Span,
}

impl<S, P> Run<S, P>
where
    S: StatusSource + 'static,
    P: PollPolicy + 'static,
{
    fn new(poller: Poller<S, P>, task_id: String) -> Self {
        let mut h = DefaultHasher::new();
        task_id.hash(&mut h);
        let span = tracing::info_span!("poll", source = poller.source.name(), task_id = %task_id);
        Run {
            poller,
            task_id,
            start: Instant::now(),
            attempt: 0,
            consecutive_errors: 0,
            last: None,
            last_error: None,
            salt: h.finish(),
            span,
        }
    }

    fn done(&mut self, outcome: Outcome<S::Output>) -> Step<S::Output> {
        let elapsed = self.start.elapsed();
        self.span.in_scope(|| {
            tracing::debug!(outcome = %outcome.kind(), attempts = self.attempt, ?elapsed, "wait finished");
        });
        Step::Done(Report::new(
            std::mem::take(&mut self.task_id),
            outcome,
            self.attempt,
            elapsed,
        ))
    }

    /// The delay before the next fetch, or the outcome when there is to be none.
    #[allow(clippy::result_large_err)] // the Err is the final outcome, returned once
    fn next_delay(&mut self) -> Result<Duration, Outcome<S::Output>> {
        let elapsed = self.start.elapsed();
        let retry_after = match &self.last_error {
            Some(e) => e.retry_after(),
            None => self.last.as_ref().and_then(|s| s.retry_after),
        };
        let mut obs = Observation::new(self.attempt, elapsed).with_salt(self.salt);
        obs.phase = self.last.as_ref().map(|s| s.phase);
        obs.error = self.last_error.as_ref();
        obs.consecutive_errors = self.consecutive_errors;
        obs.retry_after = retry_after;

        let error_delay = match &self.last_error {
            Some(_) => match self.poller.errors.retry_delay(&obs) {
                Some(d) => d,
                None => {
                    return Err(Outcome::FetchFailed {
                        error: self.last_error.take().expect("checked above"),
                        consecutive_errors: self.consecutive_errors,
                        last: self.last.take(),
                    });
                }
            },
            None => Duration::ZERO,
        };
        match self.poller.policy.decide(&obs) {
            Decision::Stop(StopReason::NeedsInput)
                if self
                    .last
                    .as_ref()
                    .is_some_and(|s| s.phase == Phase::NeedsInput) =>
            {
                Err(Outcome::NeedsInput(
                    self.last.take().expect("checked above"),
                ))
            }
            Decision::Stop(reason) => Err(Outcome::GaveUp {
                reason,
                last: self.last.take(),
            }),
            Decision::PollAfter(d) => {
                let d = d.max(error_delay);
                Ok(match self.poller.policy.deadline() {
                    Some(limit) => d.min(limit.saturating_sub(elapsed)),
                    None => d,
                })
            }
        }
    }

    async fn step(&mut self) -> Step<S::Output> {
        loop {
            let delay = match self.next_delay() {
                Ok(d) => d,
                Err(outcome) => return self.done(outcome),
            };
            tokio::time::sleep(delay).await;
            self.attempt += 1;
            let result = self.fetch().instrument(self.span.clone()).await;
            match result {
                Ok(status) => {
                    self.consecutive_errors = 0;
                    self.last_error = None;
                    let changed = self.last.as_ref().is_none_or(|l| status.changed_from(l));
                    match status.phase {
                        Phase::Succeeded => return self.done(Outcome::Succeeded(status)),
                        Phase::Failed => return self.done(Outcome::Failed(status)),
                        Phase::Cancelled => return self.done(Outcome::Cancelled(status)),
                        _ => {}
                    }
                    self.last = Some(status);
                    if changed {
                        return Step::Changed;
                    }
                }
                Err(error) => {
                    self.consecutive_errors += 1;
                    self.last_error = Some(error);
                }
            }
        }
    }

    async fn fetch(&self) -> Result<Status<S::Output>, FetchError> {
        let fetch = self.poller.source.fetch(&self.task_id);
        let result = match self.poller.fetch_timeout {
            Some(t) => tokio::time::timeout(t, fetch)
                .await
                .unwrap_or(Err(FetchError::Timeout(t))),
            None => fetch.await,
        };
        match &result {
            Ok(s) => tracing::debug!(
                attempt = self.attempt,
                phase = %s.phase,
                status = %s.raw_status,
                elapsed = ?self.start.elapsed(),
                "fetched"
            ),
            Err(e) => tracing::debug!(
                attempt = self.attempt,
                error = %e,
                transient = e.is_transient(),
                elapsed = ?self.start.elapsed(),
                "fetch failed"
            ),
        }
        result
    }
}
