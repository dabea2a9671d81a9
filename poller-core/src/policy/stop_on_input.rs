use super::{Decision, Observation, PollPolicy, StopReason};
use crate::Phase;
use std::time::Duration;

/// Stops as soon as the task needs input, instead of polling on until a human provides it.
/// Built by [`PollPolicyExt::stop_on_input`](crate::PollPolicyExt::stop_on_input).
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Decision, Fixed, Observation, Phase, PollPolicy, PollPolicyExt, StopReason};
/// let p = Fixed::secs(3).stop_on_input();
/// let o = Observation::new(2, Duration::ZERO).with_phase(Phase::NeedsInput);
/// assert_eq!(p.decide(&o), Decision::Stop(StopReason::NeedsInput));
/// ```
#[derive(Debug, Clone)]
pub struct StopOnInput<P> {
    pub(crate) inner: P,
}

impl<P: PollPolicy> PollPolicy for StopOnInput<P> {
    fn decide(&self, obs: &Observation<'_>) -> Decision {
        if obs.phase == Some(Phase::NeedsInput) && obs.error.is_none() {
            Decision::Stop(StopReason::NeedsInput)
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
