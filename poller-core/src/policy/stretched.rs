use super::{Decision, Observation, PollPolicy};
use std::time::Duration;

/// Multiplies every delay of the inner policy by a factor, for waits where something else
/// (a webhook, a message queue) is expected to say when the task changed and polling is only
/// the safety net. Built by [`PollPolicyExt::stretched`](crate::PollPolicyExt::stretched).
///
/// - The first poll (attempt 0) keeps the inner policy's delay: it confirms the task exists.
/// - A stretched delay never passes the inner policy's deadline: the last poll lands on it,
///   so a task whose callback never comes still ends, at the same deadline as without it.
/// - Stops are the inner policy's, unchanged. A factor below 1 (or not finite) counts as 1.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Decision, Fixed, Observation, PollPolicy, PollPolicyExt};
/// let p = Fixed::secs(5).with_deadline(Duration::from_secs(120)).stretched(10.0);
/// let at = |n, s| p.decide(&Observation::new(n, Duration::from_secs(s)));
/// assert_eq!(at(1, 0), Decision::after_secs(50));
/// assert_eq!(at(2, 100), Decision::after_secs(20)); // lands on the deadline
/// assert_eq!(p.deadline(), Some(Duration::from_secs(120)));
/// ```
#[derive(Debug, Clone)]
pub struct Stretched<P> {
    pub(crate) inner: P,
    pub(crate) factor: f64,
}

impl<P: PollPolicy> PollPolicy for Stretched<P> {
    fn decide(&self, obs: &Observation<'_>) -> Decision {
        match self.inner.decide(obs) {
            Decision::PollAfter(d) if obs.attempt > 0 => {
                let factor = if self.factor.is_finite() && self.factor > 1.0 {
                    self.factor
                } else {
                    1.0
                };
                let stretched =
                    Duration::try_from_secs_f64(d.as_secs_f64() * factor).unwrap_or(Duration::MAX);
                let remaining = self
                    .inner
                    .deadline()
                    .map_or(Duration::MAX, |limit| limit.saturating_sub(obs.elapsed));
                Decision::PollAfter(stretched.min(remaining.max(d)))
            }
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
