//! Poll policies: when to ask again, or why to stop.

mod adaptive;
mod attempt_limit;
mod boxed;
mod deadline;
mod error_policy;
mod exponential;
mod ext;
mod fixed;
mod initial_delay;
mod jitter;
mod observation;
mod retry_after;
mod stop_on_input;
mod stretched;

pub use adaptive::{
    Adaptive, AdaptiveSnapshot, AdaptiveStore, KeySnapshot, LagTarget, ObservedDuration,
    SnapshotError,
};
pub use attempt_limit::AttemptLimit;
pub use boxed::BoxPolicy;
pub use deadline::Deadline;
pub use error_policy::ErrorPolicy;
pub use exponential::Exponential;
pub use ext::PollPolicyExt;
pub use fixed::Fixed;
pub use initial_delay::InitialDelay;
pub use jitter::Jitter;
pub use observation::{Decision, Finish, Observation, StopReason};
pub use retry_after::HonorRetryAfter;
pub use stop_on_input::StopOnInput;
pub use stretched::Stretched;

use std::time::Duration;

/// Decides, from what has happened so far, when to ask about a task again, or to stop.
///
/// A policy is a pure function of its [`Observation`]: it reads no clock and keeps no
/// per-task state, so one policy value serves any number of tasks and can be tested without a
/// clock. Attempt 0 is the decision before the first fetch.
///
/// Built-ins: [`Fixed`], [`Exponential`] (with [`Jitter`]); combinators through
/// [`PollPolicyExt`]: [`with_initial_delay`](PollPolicyExt::with_initial_delay),
/// [`with_max_attempts`](PollPolicyExt::with_max_attempts),
/// [`with_deadline`](PollPolicyExt::with_deadline),
/// [`honor_retry_after`](PollPolicyExt::honor_retry_after),
/// [`stop_on_input`](PollPolicyExt::stop_on_input),
/// [`stretched`](PollPolicyExt::stretched). A closure
/// `Fn(&Observation) -> Decision` is a policy, and so is any type of yours that implements
/// this trait.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Decision, Observation, PollPolicy, PollPolicyExt, StopReason};
///
/// // A closure is a policy: poll every 2 s, stop after 3 fetches.
/// let p = |o: &Observation<'_>| {
///     if o.attempt >= 3 { Decision::Stop(StopReason::Attempts) } else { Decision::after_secs(2) }
/// };
/// assert_eq!(p.decide(&Observation::new(1, Duration::ZERO)), Decision::after_secs(2));
///
/// // ... and composes like any other.
/// let p = p.with_deadline(Duration::from_secs(5));
/// assert_eq!(p.decide(&Observation::new(2, Duration::from_secs(4))), Decision::after_secs(1));
/// ```
pub trait PollPolicy: Send + Sync {
    /// The decision for this observation.
    fn decide(&self, obs: &Observation<'_>) -> Decision;

    /// The overall time limit this policy enforces, if any (used to keep other delays, such as
    /// error backoff, from sleeping past it).
    ///
    /// ```
    /// use std::time::Duration;
    /// use poller_core::{Fixed, PollPolicy, PollPolicyExt};
    /// assert_eq!(Fixed::secs(1).deadline(), None);
    /// let p = Fixed::secs(1).with_deadline(Duration::from_secs(9));
    /// assert_eq!(p.deadline(), Some(Duration::from_secs(9)));
    /// ```
    fn deadline(&self) -> Option<Duration> {
        None
    }

    /// Called once when a task polled under this policy reached a final phase, with what is
    /// known of its duration. Policies that learn ([`Adaptive`]) use it; the default does
    /// nothing. Combinators pass it on to the policy they wrap.
    ///
    /// ```
    /// use std::time::Duration;
    /// use poller_core::{Finish, Fixed, Phase, PollPolicy};
    /// Fixed::secs(1).on_finished(&Finish::new(Phase::Succeeded, Some(Duration::from_secs(4)), Duration::from_secs(5)));
    /// ```
    fn on_finished(&self, finish: &Finish) {
        let _ = finish;
    }
}

impl<F> PollPolicy for F
where
    F: Fn(&Observation<'_>) -> Decision + Send + Sync,
{
    fn decide(&self, obs: &Observation<'_>) -> Decision {
        self(obs)
    }
}

/// poller's recommended schedule when a provider documents none: poll at once, then after
/// 1 s, growing ×1.25 per poll up to one poll every 5 minutes, never sooner than the server's
/// `Retry-After`, for at most 6 hours.
///
/// Growth by a constant factor keeps detection lag proportional to a task's duration (within
/// about 25 % of it) for tasks from a second to hours long, at a request count that grows only
/// with the logarithm of the duration; `BENCHMARKS.md` compares it with other libraries'
/// schedules. Add your own [`with_deadline`](PollPolicyExt::with_deadline) for a tighter limit.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{PollPolicy, recommended_policy};
/// assert_eq!(recommended_policy().deadline(), Some(Duration::from_secs(6 * 3600)));
/// ```
pub fn recommended_policy() -> BoxPolicy {
    Exponential::new(Duration::from_secs(1), 1.25, Duration::from_secs(300))
        .with_deadline(Duration::from_secs(6 * 3600))
        .honor_retry_after()
        .boxed()
}

/// A deterministic 64-bit mix (splitmix64), used for seedable jitter.
pub(crate) fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// `base` scaled by `factor^n`, saturating at `cap` (and never overflowing).
pub(crate) fn grow(base: Duration, factor: f64, n: u32, cap: Duration) -> Duration {
    let secs = base.as_secs_f64() * factor.powi(n.min(i32::MAX as u32) as i32);
    if !secs.is_finite() || secs >= cap.as_secs_f64() {
        cap
    } else {
        Duration::from_secs_f64(secs.max(0.0))
    }
}
