use super::{Decision, Observation, PollPolicy, StopReason};
use std::time::Duration;

/// Stops once `limit` has elapsed; a delay that would sleep past the limit is shortened so the
/// last poll lands exactly on it (as AWS waiters do). Built by
/// [`PollPolicyExt::with_deadline`](crate::PollPolicyExt::with_deadline).
///
/// When the server asked for a longer wait ([`Observation::retry_after`]) and the inner policy
/// honours it, a last poll on the deadline would come sooner than asked: the policy stops
/// instead.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Decision, Fixed, Observation, PollPolicy, PollPolicyExt, StopReason};
/// let p = Fixed::secs(10).with_deadline(Duration::from_secs(25));
/// let at = |s| Observation::new(1, Duration::from_secs(s));
/// assert_eq!(p.decide(&at(10)), Decision::after_secs(10));
/// assert_eq!(p.decide(&at(20)), Decision::after_secs(5)); // lands on 25 s
/// assert_eq!(p.decide(&at(25)), Decision::Stop(StopReason::Deadline));
/// ```
#[derive(Debug, Clone)]
pub struct Deadline<P> {
    pub(crate) inner: P,
    pub(crate) limit: Duration,
}

impl<P: PollPolicy> PollPolicy for Deadline<P> {
    fn decide(&self, obs: &Observation<'_>) -> Decision {
        if obs.elapsed >= self.limit {
            return Decision::Stop(StopReason::Deadline);
        }
        match self.inner.decide(obs) {
            Decision::PollAfter(d) => {
                let remaining = self.limit - obs.elapsed;
                if d <= remaining {
                    Decision::PollAfter(d)
                } else if obs.retry_after.is_some_and(|r| r <= d && r > remaining) {
                    Decision::Stop(StopReason::Deadline)
                } else {
                    Decision::PollAfter(remaining)
                }
            }
            stop => stop,
        }
    }

    fn deadline(&self) -> Option<Duration> {
        Some(
            self.inner
                .deadline()
                .map_or(self.limit, |d| d.min(self.limit)),
        )
    }

    fn on_finished(&self, finish: &super::Finish) {
        self.inner.on_finished(finish)
    }
}
