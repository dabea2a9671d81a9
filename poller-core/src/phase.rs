use serde::{Deserialize, Serialize};
use std::fmt;

/// The normalised lifecycle every provider's status maps onto.
///
/// Three phases are final ([`Succeeded`](Phase::Succeeded), [`Failed`](Phase::Failed),
/// [`Cancelled`](Phase::Cancelled)); the poller stops at the first of them. The provider's own
/// status string is always kept beside the phase in [`Status::raw_status`](crate::Status).
///
/// Serialised in `snake_case` (`"needs_input"`).
///
/// ```
/// use poller_core::Phase;
///
/// assert!(Phase::Succeeded.is_final());
/// assert!(!Phase::NeedsInput.is_final());
/// assert_eq!(Phase::NeedsInput.as_str(), "needs_input");
/// assert_eq!(serde_json::to_string(&Phase::Running).unwrap(), "\"running\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Phase {
    /// Accepted but not started (waiting in a queue).
    Queued,
    /// Being worked on.
    Running,
    /// Stopped until a human or the caller provides input. Not final: the task may go on.
    NeedsInput,
    /// Suspended; can be resumed. Not final.
    Paused,
    /// Finished successfully. Final.
    Succeeded,
    /// Finished with an error. Final.
    Failed,
    /// Cancelled on the remote side. Final.
    Cancelled,
}

impl Phase {
    /// Every phase, in lifecycle order.
    ///
    /// ```
    /// assert_eq!(poller_core::Phase::ALL.len(), 7);
    /// ```
    pub const ALL: [Phase; 7] = [
        Phase::Queued,
        Phase::Running,
        Phase::NeedsInput,
        Phase::Paused,
        Phase::Succeeded,
        Phase::Failed,
        Phase::Cancelled,
    ];

    /// `true` for succeeded, failed and cancelled: the task will not change any more.
    ///
    /// ```
    /// use poller_core::Phase;
    /// let finals: Vec<_> = Phase::ALL.into_iter().filter(|p| p.is_final()).collect();
    /// assert_eq!(finals, [Phase::Succeeded, Phase::Failed, Phase::Cancelled]);
    /// ```
    pub const fn is_final(self) -> bool {
        matches!(self, Phase::Succeeded | Phase::Failed | Phase::Cancelled)
    }

    /// The `snake_case` name, as serialised.
    ///
    /// ```
    /// assert_eq!(poller_core::Phase::Paused.as_str(), "paused");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Phase::Queued => "queued",
            Phase::Running => "running",
            Phase::NeedsInput => "needs_input",
            Phase::Paused => "paused",
            Phase::Succeeded => "succeeded",
            Phase::Failed => "failed",
            Phase::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
