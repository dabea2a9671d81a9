use super::{Exponential, Jitter, Observation};
use crate::FetchError;
use std::time::Duration;

/// How failed fetches are retried: transient errors with backoff, up to a number of
/// consecutive failures; permanent errors never.
///
/// The delay after the n-th consecutive transient failure is the backoff's `delay_for(n)`
/// (jittered); the poller waits the longer of that and the main policy's delay, and never past
/// the main policy's deadline.
///
/// # Default
/// Up to 5 consecutive transient failures; backoff 1 s, ×2, capped at 30 s, equal jitter.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{ErrorPolicy, FetchError, Observation};
///
/// let p = ErrorPolicy::default();
/// let e = FetchError::http(503, b"busy");
/// let d = p.retry_delay(&Observation::new(1, Duration::ZERO).with_error(&e, 1)).unwrap();
/// assert!(d >= Duration::from_millis(500) && d <= Duration::from_secs(1));
///
/// let fatal = FetchError::http(401, b"bad key");
/// assert_eq!(p.retry_delay(&Observation::new(1, Duration::ZERO).with_error(&fatal, 1)), None);
/// assert_eq!(p.retry_delay(&Observation::new(6, Duration::ZERO).with_error(&e, 6)), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErrorPolicy {
    max_consecutive: u32,
    backoff: Exponential,
}

impl ErrorPolicy {
    /// Retries up to `max_consecutive` transient failures in a row, waiting per `backoff`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use poller_core::{ErrorPolicy, Exponential};
    /// let p = ErrorPolicy::new(3, Exponential::new(Duration::from_millis(100), 2.0, Duration::from_secs(1)));
    /// assert_eq!(p.max_consecutive(), 3);
    /// ```
    pub fn new(max_consecutive: u32, backoff: Exponential) -> Self {
        ErrorPolicy {
            max_consecutive,
            backoff,
        }
    }

    /// Never retries: the first failed fetch ends the wait.
    ///
    /// ```
    /// assert_eq!(poller_core::ErrorPolicy::never().max_consecutive(), 0);
    /// ```
    pub fn never() -> Self {
        ErrorPolicy {
            max_consecutive: 0,
            ..Self::default()
        }
    }

    /// Sets the number of consecutive transient failures tolerated.
    ///
    /// ```
    /// assert_eq!(poller_core::ErrorPolicy::default().with_max_consecutive(9).max_consecutive(), 9);
    /// ```
    pub fn with_max_consecutive(mut self, max: u32) -> Self {
        self.max_consecutive = max;
        self
    }

    /// The number of consecutive transient failures tolerated.
    ///
    /// ```
    /// assert_eq!(poller_core::ErrorPolicy::default().max_consecutive(), 5);
    /// ```
    pub fn max_consecutive(&self) -> u32 {
        self.max_consecutive
    }

    /// The wait before retrying after the observation's error, or `None` when the error is
    /// permanent or too many failed in a row.
    ///
    /// ```
    /// use std::time::Duration;
    /// use poller_core::{ErrorPolicy, Observation};
    /// assert_eq!(ErrorPolicy::default().retry_delay(&Observation::new(1, Duration::ZERO)), None);
    /// ```
    pub fn retry_delay(&self, obs: &Observation<'_>) -> Option<Duration> {
        let error: &FetchError = obs.error?;
        if error.is_permanent() || obs.consecutive_errors > self.max_consecutive {
            return None;
        }
        let n = obs.consecutive_errors.max(1);
        let d = self.backoff.delay_for(n);
        Some(
            self.backoff
                .jitter_kind()
                .draw(d, self.backoff.seed, obs.salt, n),
        )
    }
}

impl Default for ErrorPolicy {
    fn default() -> Self {
        ErrorPolicy {
            max_consecutive: 5,
            backoff: Exponential::new(Duration::from_secs(1), 2.0, Duration::from_secs(30))
                .jitter(Jitter::Equal),
        }
    }
}
