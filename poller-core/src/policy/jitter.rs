use super::mix64;
use std::time::Duration;

/// Randomisation applied to a computed delay `d`, so that many tasks started together do not
/// poll in lockstep.
///
/// Draws are deterministic for a given seed, task salt and attempt, so tests can reproduce
/// them; see [`Exponential::seed`](crate::Exponential::seed).
///
/// ```
/// use std::time::Duration;
/// use poller_core::Jitter;
///
/// let d = Duration::from_secs(8);
/// assert_eq!(Jitter::None.apply(d, 1), d);
/// assert!(Jitter::Full.apply(d, 1) <= d);
/// let e = Jitter::Equal.apply(d, 1);
/// assert!(e >= d / 2 && e <= d);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Jitter {
    /// Exactly `d`.
    #[default]
    None,
    /// Uniform in `[0, d]` (AWS "full jitter").
    Full,
    /// Uniform in `[d/2, d]` (AWS "equal jitter").
    Equal,
}

impl Jitter {
    /// Applies the jitter to `d` using the random word `r` (any `u64`).
    ///
    /// ```
    /// let d = std::time::Duration::from_secs(1);
    /// assert_eq!(poller_core::Jitter::Full.apply(d, 0), std::time::Duration::ZERO);
    /// ```
    pub fn apply(self, d: Duration, r: u64) -> Duration {
        // 53 random bits -> a float in [0, 1].
        let unit = (r >> 11) as f64 / ((1u64 << 53) - 1) as f64;
        match self {
            Jitter::None => d,
            Jitter::Full => d.mul_f64(unit),
            Jitter::Equal => d / 2 + (d - d / 2).mul_f64(unit),
        }
    }

    pub(crate) fn draw(self, d: Duration, seed: u64, salt: u64, attempt: u32) -> Duration {
        self.apply(d, mix64(seed ^ mix64(salt ^ mix64(u64::from(attempt)))))
    }
}
