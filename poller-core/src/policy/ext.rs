use super::{
    AttemptLimit, BoxPolicy, Deadline, HonorRetryAfter, InitialDelay, PollPolicy, StopOnInput,
    Stretched,
};
use std::time::Duration;

/// Combinators for every [`PollPolicy`].
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Exponential, PollPolicy, PollPolicyExt};
///
/// let policy = Exponential::default()
///     .with_initial_delay(Duration::from_secs(1))
///     .with_max_attempts(100)
///     .with_deadline(Duration::from_secs(20 * 60))
///     .honor_retry_after();
/// assert_eq!(policy.deadline(), Some(Duration::from_secs(1200)));
/// ```
pub trait PollPolicyExt: PollPolicy + Sized {
    /// Waits `delay` before the first poll. See [`InitialDelay`].
    ///
    /// ```
    /// # use std::time::Duration; use poller_core::{Fixed, Observation, PollPolicy, PollPolicyExt};
    /// let p = Fixed::secs(1).with_initial_delay(Duration::from_secs(9));
    /// assert_eq!(p.decide(&Observation::new(0, Duration::ZERO)).delay(), Some(Duration::from_secs(9)));
    /// ```
    fn with_initial_delay(self, delay: Duration) -> InitialDelay<Self> {
        InitialDelay { inner: self, delay }
    }

    /// Stops after `max` fetches. See [`AttemptLimit`].
    ///
    /// ```
    /// # use std::time::Duration; use poller_core::{Fixed, Observation, PollPolicy, PollPolicyExt};
    /// let p = Fixed::secs(1).with_max_attempts(1);
    /// assert!(p.decide(&Observation::new(1, Duration::ZERO)).delay().is_none());
    /// ```
    fn with_max_attempts(self, max: u32) -> AttemptLimit<Self> {
        AttemptLimit { inner: self, max }
    }

    /// Stops at `limit` after the start, with a last poll on it. See [`Deadline`].
    ///
    /// ```
    /// # use std::time::Duration; use poller_core::{Fixed, PollPolicy, PollPolicyExt};
    /// assert_eq!(Fixed::secs(1).with_deadline(Duration::from_secs(3)).deadline(), Some(Duration::from_secs(3)));
    /// ```
    fn with_deadline(self, limit: Duration) -> Deadline<Self> {
        Deadline { inner: self, limit }
    }

    /// Never polls sooner than the server's `Retry-After`. See [`HonorRetryAfter`].
    ///
    /// ```
    /// # use std::time::Duration; use poller_core::{Fixed, Observation, PollPolicy, PollPolicyExt};
    /// let p = Fixed::secs(1).honor_retry_after();
    /// let o = Observation::new(1, Duration::ZERO).with_retry_after(Duration::from_secs(4));
    /// assert_eq!(p.decide(&o).delay(), Some(Duration::from_secs(4)));
    /// ```
    fn honor_retry_after(self) -> HonorRetryAfter<Self> {
        HonorRetryAfter { inner: self }
    }

    /// Stops when the task needs input. See [`StopOnInput`].
    ///
    /// ```
    /// # use std::time::Duration; use poller_core::{Fixed, Observation, Phase, PollPolicy, PollPolicyExt};
    /// let o = Observation::new(1, Duration::ZERO).with_phase(Phase::NeedsInput);
    /// assert!(Fixed::secs(1).stop_on_input().decide(&o).delay().is_none());
    /// ```
    fn stop_on_input(self) -> StopOnInput<Self> {
        StopOnInput { inner: self }
    }

    /// Multiplies every delay after the first poll by `factor`, never past the deadline: a
    /// slow safety-net schedule for waits where callbacks (webhooks) are expected to bring
    /// each poll forward. See [`Stretched`].
    ///
    /// ```
    /// # use std::time::Duration; use poller_core::{Fixed, Observation, PollPolicy, PollPolicyExt};
    /// let p = Fixed::secs(2).stretched(10.0);
    /// assert_eq!(p.decide(&Observation::new(1, Duration::ZERO)).delay(), Some(Duration::from_secs(20)));
    /// ```
    fn stretched(self, factor: f64) -> Stretched<Self> {
        Stretched {
            inner: self,
            factor,
        }
    }

    /// Erases the type. See [`BoxPolicy`].
    ///
    /// ```
    /// # use poller_core::{Fixed, PollPolicyExt};
    /// let _p: poller_core::BoxPolicy = Fixed::secs(1).boxed();
    /// ```
    fn boxed(self) -> BoxPolicy
    where
        Self: 'static,
    {
        BoxPolicy::new(self)
    }
}

impl<P: PollPolicy> PollPolicyExt for P {}
