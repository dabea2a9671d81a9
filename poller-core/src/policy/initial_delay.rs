use super::{Decision, Observation, PollPolicy};
use std::time::Duration;

/// Waits `delay` before the first poll, then follows the inner policy. Built by
/// [`PollPolicyExt::with_initial_delay`](crate::PollPolicyExt::with_initial_delay).
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Decision, Fixed, Observation, PollPolicy, PollPolicyExt};
/// let p = Fixed::secs(2).with_initial_delay(Duration::from_secs(30));
/// assert_eq!(p.decide(&Observation::new(0, Duration::ZERO)), Decision::after_secs(30));
/// assert_eq!(p.decide(&Observation::new(1, Duration::ZERO)), Decision::after_secs(2));
/// ```
#[derive(Debug, Clone)]
pub struct InitialDelay<P> {
    pub(crate) inner: P,
    pub(crate) delay: Duration,
}

impl<P: PollPolicy> PollPolicy for InitialDelay<P> {
    fn decide(&self, obs: &Observation<'_>) -> Decision {
        match self.inner.decide(obs) {
            Decision::PollAfter(_) if obs.attempt == 0 => Decision::PollAfter(self.delay),
            other => other,
        }
    }

    fn deadline(&self) -> Option<Duration> {
        self.inner.deadline()
    }

    fn on_finished(&self, finish: &super::Finish) {
        self.inner.on_finished(finish)
    }
}
