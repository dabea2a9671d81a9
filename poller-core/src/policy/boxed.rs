use super::{Decision, Observation, PollPolicy};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A type-erased, cheaply cloneable policy (the registry's default policies are these).
///
/// ```
/// use std::time::Duration;
/// use poller_core::{BoxPolicy, Fixed, PollPolicy, PollPolicyExt};
/// let p = BoxPolicy::new(Fixed::secs(5).with_deadline(Duration::from_secs(60)));
/// let q = p.clone();
/// assert_eq!(q.deadline(), Some(Duration::from_secs(60)));
/// ```
#[derive(Clone)]
pub struct BoxPolicy(Arc<dyn PollPolicy>);

impl BoxPolicy {
    /// Erases `policy`.
    ///
    /// ```
    /// let _ = poller_core::BoxPolicy::new(poller_core::Fixed::secs(1));
    /// ```
    pub fn new(policy: impl PollPolicy + 'static) -> Self {
        BoxPolicy(Arc::new(policy))
    }
}

impl fmt::Debug for BoxPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoxPolicy")
            .field("deadline", &self.0.deadline())
            .finish_non_exhaustive()
    }
}

impl PollPolicy for BoxPolicy {
    fn decide(&self, obs: &Observation<'_>) -> Decision {
        self.0.decide(obs)
    }

    fn deadline(&self) -> Option<Duration> {
        self.0.deadline()
    }

    fn on_finished(&self, finish: &super::Finish) {
        self.0.on_finished(finish)
    }
}
