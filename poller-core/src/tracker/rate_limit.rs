use governor::clock::{Clock, ReasonablyRealtime};
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

/// A request rate limit for one source: a steady rate with bursts (a GCRA token bucket from
/// `governor`, driven by tokio's clock so it also holds in virtual time).
///
/// A batch request counts as one request.
///
/// ```
/// use std::time::Duration;
/// use poller_core::RateLimit;
/// let r = RateLimit::per_second(10).burst(20);
/// assert_eq!(r.period(), Duration::from_millis(100));
/// assert_eq!(r.burst_size(), 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    period: Duration,
    burst: NonZeroU32,
}

impl RateLimit {
    /// `n` requests per second (at least 1), with a burst of `n`.
    ///
    /// ```
    /// assert_eq!(poller_core::RateLimit::per_second(4).burst_size(), 4);
    /// ```
    pub fn per_second(n: u32) -> Self {
        let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        RateLimit {
            period: Duration::from_secs(1) / n.get(),
            burst: n,
        }
    }

    /// One request every `period` (at least 1 ns), with a burst of 1.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let r = poller_core::RateLimit::every(Duration::from_secs(2));
    /// assert_eq!(r.burst_size(), 1);
    /// ```
    pub fn every(period: Duration) -> Self {
        RateLimit {
            period: period.max(Duration::from_nanos(1)),
            burst: NonZeroU32::MIN,
        }
    }

    /// Sets the burst: how many requests may go at once after a quiet spell (at least 1).
    ///
    /// ```
    /// assert_eq!(poller_core::RateLimit::per_second(1).burst(5).burst_size(), 5);
    /// ```
    pub fn burst(mut self, burst: u32) -> Self {
        self.burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        self
    }

    /// The time one request's token takes to come back.
    ///
    /// ```
    /// assert_eq!(poller_core::RateLimit::per_second(2).period().as_millis(), 500);
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The burst size.
    ///
    /// ```
    /// assert_eq!(poller_core::RateLimit::per_second(3).burst_size(), 3);
    /// ```
    pub fn burst_size(&self) -> u32 {
        self.burst.get()
    }

    pub(crate) fn limiter(&self) -> Limiter {
        let quota = Quota::with_period(self.period)
            .expect("period is at least 1 ns")
            .allow_burst(self.burst);
        RateLimiter::direct_with_clock(quota, TokioClock)
    }
}

pub(crate) type Limiter =
    RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<std::time::Instant>>;

/// governor's clock, read from tokio so that paused (virtual) time applies.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TokioClock;

impl Clock for TokioClock {
    type Instant = std::time::Instant;

    fn now(&self) -> Self::Instant {
        tokio::time::Instant::now().into_std()
    }
}

impl ReasonablyRealtime for TokioClock {}
