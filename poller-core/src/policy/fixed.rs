use super::{Decision, Observation, PollPolicy};
use std::time::Duration;

/// Polls at once, then every `interval`.
///
/// # Default
/// 5 s (Narada's advice: "a reasonable polling interval of 5-10 seconds").
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Decision, Fixed, Observation, PollPolicy};
///
/// let p = Fixed::secs(5);
/// assert_eq!(p.decide(&Observation::new(0, Duration::ZERO)), Decision::now());
/// assert_eq!(p.decide(&Observation::new(7, Duration::ZERO)), Decision::after_secs(5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fixed {
    interval: Duration,
}

impl Fixed {
    /// Every `interval`.
    ///
    /// ```
    /// let p = poller_core::Fixed::new(std::time::Duration::from_millis(250));
    /// assert_eq!(p.interval(), std::time::Duration::from_millis(250));
    /// ```
    pub const fn new(interval: Duration) -> Self {
        Fixed { interval }
    }

    /// Every `secs` seconds.
    ///
    /// ```
    /// assert_eq!(poller_core::Fixed::secs(2).interval().as_secs(), 2);
    /// ```
    pub const fn secs(secs: u64) -> Self {
        Fixed::new(Duration::from_secs(secs))
    }

    /// The interval.
    ///
    /// ```
    /// assert_eq!(poller_core::Fixed::default().interval().as_secs(), 5);
    /// ```
    pub const fn interval(&self) -> Duration {
        self.interval
    }
}

impl Default for Fixed {
    fn default() -> Self {
        Fixed::secs(5)
    }
}

impl PollPolicy for Fixed {
    fn decide(&self, obs: &Observation<'_>) -> Decision {
        if obs.attempt == 0 {
            Decision::now()
        } else {
            Decision::PollAfter(self.interval)
        }
    }
}
