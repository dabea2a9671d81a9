use super::{Decision, Observation, PollPolicy, StopReason};
use std::time::Duration;

/// Never polls sooner than the server asked (`Retry-After`), and never past the policy's
/// deadline: when the server's wait would end after the deadline, it stops. Built by
/// [`PollPolicyExt::honor_retry_after`](crate::PollPolicyExt::honor_retry_after).
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Decision, Fixed, Observation, PollPolicy, PollPolicyExt, StopReason};
/// let p = Fixed::secs(2).with_deadline(Duration::from_secs(60)).honor_retry_after();
/// let o = |r| Observation::new(1, Duration::from_secs(50)).with_retry_after(Duration::from_secs(r));
/// assert_eq!(p.decide(&o(1)), Decision::after_secs(2)); // smaller hint: ours wins
/// assert_eq!(p.decide(&o(8)), Decision::after_secs(8)); // larger hint wins
/// assert_eq!(p.decide(&o(30)), Decision::Stop(StopReason::Deadline)); // would pass the deadline
/// assert_eq!(p.decide(&o(u64::MAX)), Decision::Stop(StopReason::Deadline)); // no overflow
/// ```
#[derive(Debug, Clone)]
pub struct HonorRetryAfter<P> {
    pub(crate) inner: P,
}

impl<P: PollPolicy> PollPolicy for HonorRetryAfter<P> {
    fn decide(&self, obs: &Observation<'_>) -> Decision {
        match (self.inner.decide(obs), obs.retry_after) {
            (Decision::PollAfter(d), Some(r)) if r > d => match self.inner.deadline() {
                Some(limit) if obs.elapsed.saturating_add(r) > limit => {
                    Decision::Stop(StopReason::Deadline)
                }
                _ => Decision::PollAfter(r),
            },
            (decision, _) => decision,
        }
    }

    fn deadline(&self) -> Option<Duration> {
        self.inner.deadline()
    }

    fn on_finished(&self, finish: &super::Finish) {
        self.inner.on_finished(finish)
    }
}
