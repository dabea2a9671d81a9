use super::{Decision, Jitter, Observation, PollPolicy, grow};
use std::time::Duration;

/// Polls at once, then after `initial`, `initial × factor`, `initial × factor²` … up to `max`,
/// each delay randomised by a [`Jitter`].
///
/// # Default
/// `initial` 1 s, `factor` 2, `max` 60 s, no jitter (Google's LRO poller schedule).
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Decision, Exponential, Observation, PollPolicy};
///
/// let p = Exponential::new(Duration::from_millis(500), 1.5, Duration::from_secs(10));
/// let delays: Vec<_> = (1..=4)
///     .map(|n| p.decide(&Observation::new(n, Duration::ZERO)).delay().unwrap().as_millis())
///     .collect();
/// assert_eq!(delays, [500, 750, 1125, 1687]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exponential {
    initial: Duration,
    factor: f64,
    max: Duration,
    jitter: Jitter,
    pub(crate) seed: u64,
}

impl Exponential {
    /// Delays `initial × factor^(n-1)` for the n-th poll after the first, capped at `max`.
    /// A `factor` below 1 (or not finite) is treated as 1.
    ///
    /// ```
    /// use std::time::Duration;
    /// let p = poller_core::Exponential::new(Duration::from_secs(1), 3.0, Duration::from_secs(20));
    /// assert_eq!(p.delay_for(3), Duration::from_secs(9));
    /// assert_eq!(p.delay_for(10), Duration::from_secs(20));
    /// ```
    pub fn new(initial: Duration, factor: f64, max: Duration) -> Self {
        let factor = if factor.is_finite() && factor >= 1.0 {
            factor
        } else {
            1.0
        };
        Exponential {
            initial,
            factor,
            max: max.max(initial),
            jitter: Jitter::None,
            seed: 0,
        }
    }

    /// Sets the jitter.
    ///
    /// ```
    /// use poller_core::{Exponential, Jitter};
    /// let p = Exponential::default().jitter(Jitter::Full);
    /// assert_eq!(p.jitter_kind(), Jitter::Full);
    /// ```
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// Sets the seed of the jitter's random draws (default 0). Draws depend only on the seed,
    /// the task's salt and the attempt, so a run can be replayed exactly.
    ///
    /// ```
    /// use std::time::Duration;
    /// use poller_core::{Exponential, Jitter, Observation, PollPolicy};
    /// let p = Exponential::default().jitter(Jitter::Full).seed(42);
    /// let o = Observation::new(3, Duration::ZERO).with_salt(9);
    /// assert_eq!(p.decide(&o), p.decide(&o));
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The jitter in use.
    ///
    /// ```
    /// assert_eq!(poller_core::Exponential::default().jitter_kind(), poller_core::Jitter::None);
    /// ```
    pub fn jitter_kind(&self) -> Jitter {
        self.jitter
    }

    /// The delay before the n-th poll after the first (n ≥ 1), before jitter.
    ///
    /// ```
    /// use std::time::Duration;
    /// let p = poller_core::Exponential::default();
    /// assert_eq!(p.delay_for(1), Duration::from_secs(1));
    /// assert_eq!(p.delay_for(2), Duration::from_secs(2));
    /// ```
    pub fn delay_for(&self, n: u32) -> Duration {
        grow(self.initial, self.factor, n.saturating_sub(1), self.max)
    }

    /// The cap.
    ///
    /// ```
    /// assert_eq!(poller_core::Exponential::default().max().as_secs(), 60);
    /// ```
    pub fn max(&self) -> Duration {
        self.max
    }
}

impl Default for Exponential {
    fn default() -> Self {
        Exponential::new(Duration::from_secs(1), 2.0, Duration::from_secs(60))
    }
}

impl PollPolicy for Exponential {
    fn decide(&self, obs: &Observation<'_>) -> Decision {
        if obs.attempt == 0 {
            return Decision::now();
        }
        let d = self.delay_for(obs.attempt);
        Decision::PollAfter(self.jitter.draw(d, self.seed, obs.salt, obs.attempt))
    }
}
