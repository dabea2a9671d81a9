use super::{Decision, Observation, PollPolicy, StopReason};
use std::time::Duration;

/// Stops once `max` fetches have been made. Built by
/// [`PollPolicyExt::with_max_attempts`](crate::PollPolicyExt::with_max_attempts).
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Decision, Fixed, Observation, PollPolicy, PollPolicyExt, StopReason};
/// let p = Fixed::secs(1).with_max_attempts(3);
/// assert_eq!(p.decide(&Observation::new(2, Duration::ZERO)), Decision::after_secs(1));
/// assert_eq!(p.decide(&Observation::new(3, Duration::ZERO)), Decision::Stop(StopReason::Attempts));
/// ```
#[derive(Debug, Clone)]
pub struct AttemptLimit<P> {
    pub(crate) inner: P,
    pub(crate) max: u32,
}

impl<P: PollPolicy> PollPolicy for AttemptLimit<P> {
    fn decide(&self, obs: &Observation<'_>) -> Decision {
        if obs.attempt >= self.max {
            Decision::Stop(StopReason::Attempts)
        } else {
            self.inner.decide(obs)
        }
    }

    fn deadline(&self) -> Option<Duration> {
        self.inner.deadline()
    }

    fn on_finished(&self, finish: &super::Finish) {
        self.inner.on_finished(finish)
    }
}
