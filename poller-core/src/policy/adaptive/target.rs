use serde::{Deserialize, Serialize};

/// The detection lag an [`Adaptive`](crate::Adaptive) policy accepts, as a fraction of each
/// task's duration (detection lag is the time from a task's end to the poll that sees it).
/// The policy spends as few requests as the target allows on the durations it has seen.
///
/// # Default
/// [`LagTarget::NoWorseThanFallback`].
///
/// ```
/// use poller_core::LagTarget;
/// assert_eq!(LagTarget::default(), LagTarget::NoWorseThanFallback);
/// // p99 detection lag at most 25 % of the duration:
/// let t = LagTarget::quantile(0.99, 0.25);
/// assert_eq!(t, LagTarget::Quantile { quantile: 0.99, lag: 0.25 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum LagTarget {
    /// On the durations seen, the learned schedule must have a mean lag at most 90 % of the
    /// fallback's, and let at most 0.5 % of tasks exceed the fallback's own 99th-percentile
    /// lag (half the 1 %, as a margin for new durations). When no schedule does that with fewer requests than the fallback, the fallback's
    /// schedule is kept.
    #[default]
    NoWorseThanFallback,
    /// At most `1 − quantile` of tasks may be detected later than `lag` × their duration.
    Quantile {
        /// The share of tasks (0 to 1, e.g. 0.99) that must meet `lag`.
        quantile: f64,
        /// The accepted lag, as a fraction of the duration (e.g. 0.25).
        lag: f64,
    },
    /// The mean lag must be at most this fraction of the duration.
    Mean(f64),
}

impl LagTarget {
    /// At least `quantile` of tasks detected within `lag` × their duration. Values out of
    /// range are clamped (quantile to 0.5..=0.9999, lag to at least 0.001).
    ///
    /// ```
    /// let t = poller_core::LagTarget::quantile(2.0, -1.0);
    /// assert_eq!(t, poller_core::LagTarget::Quantile { quantile: 0.9999, lag: 0.001 });
    /// ```
    pub fn quantile(quantile: f64, lag: f64) -> Self {
        LagTarget::Quantile {
            quantile: finite_or(quantile, 0.99).clamp(0.5, 0.9999),
            lag: finite_or(lag, 0.25).max(0.001),
        }
    }

    /// A mean lag of at most `lag` × the duration (at least 0.001).
    ///
    /// ```
    /// assert_eq!(poller_core::LagTarget::mean(0.1), poller_core::LagTarget::Mean(0.1));
    /// ```
    pub fn mean(lag: f64) -> Self {
        LagTarget::Mean(finite_or(lag, 0.1).max(0.001))
    }
}

fn finite_or(x: f64, default: f64) -> f64 {
    if x.is_finite() { x } else { default }
}
