//! The learning policy: fits a schedule to the durations seen, per key, under a lag target.

mod plan;
mod schedule;
mod snapshot;
mod store;
mod target;

pub use snapshot::{AdaptiveSnapshot, KeySnapshot, ObservedDuration, SnapshotError};
pub use store::AdaptiveStore;
pub use target::LagTarget;

use super::{Decision, Finish, Observation, PollPolicy, StopReason, mix64};
use crate::Phase;
use plan::Gaps;
use schedule::Schedule;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use store::{FitConfig, KeyState};

/// Finishes a key needs before its schedule is fitted on its own durations alone.
const DEFAULT_MIN_SAMPLES: u64 = 10;
/// The shortest gap between learned polls is never below this (1 ms).
const FLOOR: Duration = Duration::from_millis(1);

/// A policy that learns how long tasks of each kind take and polls where finishes are likely,
/// spending as few requests as its [`LagTarget`] allows.
///
/// # How it learns
/// - Each finish is known only as an interval: the task was still running at the last poll
///   before (`running_at`, or the start) and finished by the poll that saw it. A task found
///   finished at its first poll tells only "it took at most this long": it is taken to have
///   ended somewhere in the second half of that wait, so when many tasks are already done at
///   the first poll, the fitted first poll moves down (a censored observation, not a
///   duration equal to the first poll).
/// - Each key keeps its last 256 finishes; a finish weighs half as much as one 64 finishes
///   newer, so the schedule follows drift both ways.
/// - From 1 to `min_samples` − 1 own finishes, a key borrows the shape of the other keys'
///   durations (their log-durations around each key's median, widened for the uncertainty of
///   the new key's median) centred on its own median: a new kind is not polled blind. With
///   no own finish yet, or nothing to borrow, the fallback's schedule is followed.
/// - The schedule is the list of poll times, on a fine log-spaced grid, that minimises the
///   expected number of requests on the (smoothed) durations seen while meeting the target;
///   it may leave long gaps where no task ends (between the two modes of a bimodal kind). It
///   is used only if it saves requests over the fallback's own schedule on the same
///   durations; otherwise (spread-out or heavy-tailed durations) the fallback's schedule is
///   kept. Past the last learned poll (longer than any task seen), each gap is the
///   fallback's gap at that point, or, under a stated [`LagTarget`], the accepted lag × the
///   time elapsed when that is longer.
/// - Every decision is a function of the time elapsed, so tasks already running switch to a
///   learned schedule as soon as there is one (a burst of tasks does not wait on the
///   fallback to the end).
///
/// # Guarantees
/// - The fallback's `Stop` decisions (deadline, attempt limit, needs input) pass through, and
///   its deadline is honoured: no learned delay sleeps past it, and at or after it the
///   decision is to stop.
/// - After the first fetch, a learned delay is at least `min_interval` (default 1 s, never
///   below 1 ms), so the policy never answers "now" twice in a row by itself; every delay is
///   at most `max_interval` (default 1 h). A server's `Retry-After` is never undercut.
///
/// # Default
/// `min_samples` 10, target [`LagTarget::NoWorseThanFallback`], `min_interval` 1 s,
/// `max_interval` 1 h.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Adaptive, Decision, Finish, Observation, Phase, PollPolicy, recommended_policy};
///
/// let policy = Adaptive::new(recommended_policy()).for_key("video");
/// assert_eq!(policy.decide(&Observation::new(0, Duration::ZERO)), Decision::now()); // fallback
/// for i in 0..40u64 {
///     let d = Duration::from_secs(100 + i % 20); // 100 to 119 s
///     policy.on_finished(&Finish::new(Phase::Succeeded, Some(d - Duration::from_secs(1)), d));
/// }
/// // Learned: the first poll comes among the durations seen (not at once), where it costs
/// // the fewest requests at no more lag than the fallback's.
/// let first = policy.learned().unwrap();
/// assert!(first > Duration::from_secs(90) && first < Duration::from_secs(120), "{first:?}");
/// assert_eq!(policy.decide(&Observation::new(0, Duration::ZERO)), Decision::PollAfter(first));
/// ```
#[derive(Clone)]
pub struct Adaptive<P> {
    fallback: P,
    fallback_schedule: Arc<Schedule>,
    store: AdaptiveStore,
    key: Arc<str>,
    state: Arc<KeyState>,
    min_samples: u64,
    target: LagTarget,
    min_interval: Duration,
    max_interval: Duration,
}

impl<P> fmt::Debug for Adaptive<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Adaptive")
            .field("key", &self.key)
            .field("min_samples", &self.min_samples)
            .field("target", &self.target)
            .field("min_interval", &self.min_interval)
            .field("max_interval", &self.max_interval)
            .finish_non_exhaustive()
    }
}

impl<P: PollPolicy> Adaptive<P> {
    /// An adaptive policy with its own store and the key `""`, following `fallback` until it
    /// has learned.
    ///
    /// ```
    /// let _p = poller_core::Adaptive::new(poller_core::Fixed::secs(5));
    /// ```
    pub fn new(fallback: P) -> Self {
        Self::with_store(fallback, &AdaptiveStore::new(), "")
    }

    /// An adaptive policy learning into `store` under `key`.
    ///
    /// ```
    /// use poller_core::{Adaptive, AdaptiveStore, Fixed};
    /// let store = AdaptiveStore::new();
    /// let _a = Adaptive::with_store(Fixed::secs(5), &store, "kind-a");
    /// ```
    pub fn with_store(fallback: P, store: &AdaptiveStore, key: &str) -> Self {
        Adaptive {
            fallback_schedule: Arc::new(Schedule::trace(&fallback)),
            fallback,
            store: store.clone(),
            key: Arc::from(key),
            state: store.key(key),
            min_samples: DEFAULT_MIN_SAMPLES,
            target: LagTarget::default(),
            min_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(3600),
        }
    }

    /// The same policy (same store and settings) for another key.
    ///
    /// ```
    /// use poller_core::{Adaptive, Fixed};
    /// let base = Adaptive::new(Fixed::secs(5));
    /// let (_a, _b) = (base.for_key("thumbnails"), base.for_key("videos"));
    /// ```
    pub fn for_key(&self, key: &str) -> Self
    where
        P: Clone,
    {
        Adaptive {
            key: Arc::from(key),
            state: self.store.key(key),
            ..self.clone()
        }
    }

    /// Sets how many own finishes a key needs before its schedule is fitted on them alone
    /// (at least 1); below that it borrows from the other keys.
    ///
    /// ```
    /// let _p = poller_core::Adaptive::new(poller_core::Fixed::secs(5)).min_samples(20);
    /// ```
    pub fn min_samples(mut self, n: u64) -> Self {
        self.min_samples = n.max(1);
        self
    }

    /// Sets the lag the policy accepts.
    ///
    /// ```
    /// use poller_core::{Adaptive, Fixed, LagTarget};
    /// // p99 detection lag at most 25 % of the duration, as few requests as that allows.
    /// let _p = Adaptive::new(Fixed::secs(5)).lag_target(LagTarget::quantile(0.99, 0.25));
    /// ```
    pub fn lag_target(mut self, target: LagTarget) -> Self {
        self.target = target;
        self
    }

    /// Sets the shortest and longest gaps between learned polls (the shortest at least 1 ms).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let _p = poller_core::Adaptive::new(poller_core::Fixed::secs(5))
    ///     .intervals(Duration::from_millis(500), Duration::from_secs(300));
    /// ```
    pub fn intervals(mut self, min: Duration, max: Duration) -> Self {
        self.min_interval = min.max(FLOOR);
        self.max_interval = max.max(self.min_interval);
        self
    }

    /// The store this policy learns into.
    ///
    /// ```
    /// let p = poller_core::Adaptive::new(poller_core::Fixed::secs(5));
    /// assert_eq!(p.store().samples(""), 0);
    /// ```
    pub fn store(&self) -> &AdaptiveStore {
        &self.store
    }

    /// The first-poll delay of the learned schedule, if one is in use for this key.
    ///
    /// ```
    /// assert_eq!(poller_core::Adaptive::new(poller_core::Fixed::secs(5)).learned(), None);
    /// ```
    pub fn learned(&self) -> Option<Duration> {
        self.schedule()
            .and_then(|s| s.times().first().map(|&t| Duration::from_secs_f64(t)))
    }

    /// The learned poll times (from the start of a wait) in use for this key, if any; past
    /// the last, gaps grow with the time elapsed (see [`Adaptive`]).
    ///
    /// ```
    /// assert!(poller_core::Adaptive::new(poller_core::Fixed::secs(5)).learned_schedule().is_none());
    /// ```
    pub fn learned_schedule(&self) -> Option<Vec<Duration>> {
        self.schedule().map(|s| {
            s.times()
                .iter()
                .map(|&t| Duration::from_secs_f64(t))
                .collect()
        })
    }

    fn schedule(&self) -> Option<Arc<Schedule>> {
        let fingerprint = [
            self.fallback_schedule.fingerprint(),
            self.min_samples,
            self.min_interval.as_nanos() as u64,
            self.max_interval.as_nanos() as u64,
            target_bits(self.target),
        ]
        .into_iter()
        .fold(0, |h, x| mix64(h ^ x));
        let config = FitConfig {
            fallback: &self.fallback_schedule,
            fingerprint,
            target: self.target,
            gaps: Gaps {
                min: self.min_interval.as_secs_f64(),
                max: self.max_interval.as_secs_f64(),
            },
            min_samples: self.min_samples,
        };
        self.store.plan(&self.state, &config)
    }
}

fn target_bits(t: LagTarget) -> u64 {
    match t {
        LagTarget::NoWorseThanFallback => 1,
        LagTarget::Quantile { quantile, lag } => mix64(quantile.to_bits()) ^ lag.to_bits(),
        LagTarget::Mean(m) => mix64(m.to_bits() ^ 2),
    }
}

impl<P: PollPolicy> PollPolicy for Adaptive<P> {
    fn decide(&self, obs: &Observation<'_>) -> Decision {
        let fallback = self.fallback.decide(obs);
        let Decision::PollAfter(_) = fallback else {
            return fallback;
        };
        let Some(plan) = self.schedule() else {
            return fallback;
        };
        let elapsed = obs.elapsed.as_secs_f64();
        let next = match plan.next_after(elapsed) {
            Some(t) => t,
            None => {
                // Longer than anything seen: the fallback's gap at this point, or a gap of
                // the stated lag if that is longer.
                let gap = self.fallback_schedule.gap_at(elapsed).unwrap_or(0.0);
                elapsed + gap.max(elapsed * plan.tail_lag().unwrap_or(0.0))
            }
        };
        let mut delay = Duration::from_secs_f64((next - elapsed).max(0.0));
        if obs.attempt > 0 {
            delay = delay.max(self.min_interval);
        }
        delay = delay.min(self.max_interval);
        if let Some(hint) = obs.retry_after {
            delay = delay.max(hint);
        }
        match self.fallback.deadline() {
            Some(limit) if obs.elapsed >= limit => Decision::Stop(StopReason::Deadline),
            Some(limit) => Decision::PollAfter(delay.min(limit - obs.elapsed)),
            None => Decision::PollAfter(delay),
        }
    }

    fn deadline(&self) -> Option<Duration> {
        self.fallback.deadline()
    }

    fn on_finished(&self, finish: &Finish) {
        if matches!(finish.phase, Phase::Succeeded | Phase::Failed) {
            self.store
                .record_into(&self.state, finish, self.min_samples);
        }
        self.fallback.on_finished(finish);
    }
}
