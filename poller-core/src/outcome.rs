use crate::{FetchError, Status, StopReason};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// How a wait ended.
///
/// Every variant carries the last status seen (when there was one), so nothing learned during
/// the wait is lost.
///
/// ```
/// use poller_core::{Outcome, OutcomeKind, Phase, Status};
/// let o: Outcome = Outcome::Succeeded(Status::new(Phase::Succeeded, "success"));
/// assert_eq!(o.kind(), OutcomeKind::Succeeded);
/// assert_eq!(o.last_status().unwrap().raw_status, "success");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Outcome<O = serde_json::Value> {
    /// The task succeeded; the final status holds its output.
    Succeeded(Status<O>),
    /// The task failed remotely; the final status holds the remote error.
    Failed(Status<O>),
    /// The task was cancelled remotely.
    Cancelled(Status<O>),
    /// The task needs input and the policy stops on that
    /// ([`stop_on_input`](crate::PollPolicyExt::stop_on_input)).
    NeedsInput(Status<O>),
    /// The policy gave up (deadline or attempt limit) before the task ended.
    ///
    /// When the last fetch before giving up failed (a transient error the error policy was
    /// still retrying, such as a refused connection), `last_error` holds it, so that "the
    /// deadline passed while the API was down" reads differently from "the task ran too long".
    GaveUp {
        /// Why the policy stopped.
        reason: StopReason,
        /// The last status seen, if any fetch succeeded.
        last: Option<Status<O>>,
        /// The error of the last fetch, when it failed.
        last_error: Option<FetchError>,
    },
    /// Fetching failed: a permanent error, or transient ones beyond the error policy's limit.
    FetchFailed {
        /// The last error.
        error: FetchError,
        /// How many fetches in a row failed.
        consecutive_errors: u32,
        /// The last status seen, if any fetch succeeded.
        last: Option<Status<O>>,
    },
}

impl<O> Outcome<O> {
    /// The kind of outcome, without its data.
    ///
    /// ```
    /// use poller_core::{Outcome, OutcomeKind, StopReason};
    /// let o: Outcome = Outcome::GaveUp { reason: StopReason::Deadline, last: None, last_error: None };
    /// assert_eq!(o.kind(), OutcomeKind::GaveUp);
    /// ```
    pub fn kind(&self) -> OutcomeKind {
        match self {
            Outcome::Succeeded(_) => OutcomeKind::Succeeded,
            Outcome::Failed(_) => OutcomeKind::Failed,
            Outcome::Cancelled(_) => OutcomeKind::Cancelled,
            Outcome::NeedsInput(_) => OutcomeKind::NeedsInput,
            Outcome::GaveUp { .. } => OutcomeKind::GaveUp,
            Outcome::FetchFailed { .. } => OutcomeKind::FetchError,
        }
    }

    /// The last status seen, if any.
    ///
    /// ```
    /// use poller_core::{FetchError, Outcome};
    /// let o: Outcome = Outcome::FetchFailed { error: FetchError::http(401, b""), consecutive_errors: 1, last: None };
    /// assert!(o.last_status().is_none());
    /// ```
    pub fn last_status(&self) -> Option<&Status<O>> {
        match self {
            Outcome::Succeeded(s)
            | Outcome::Failed(s)
            | Outcome::Cancelled(s)
            | Outcome::NeedsInput(s) => Some(s),
            Outcome::GaveUp { last, .. } | Outcome::FetchFailed { last, .. } => last.as_ref(),
        }
    }

    /// Consumes the outcome, returning the last status seen.
    ///
    /// ```
    /// use poller_core::{Outcome, Phase, Status};
    /// let o: Outcome = Outcome::Failed(Status::new(Phase::Failed, "error"));
    /// assert_eq!(o.into_last_status().unwrap().phase, Phase::Failed);
    /// ```
    pub fn into_last_status(self) -> Option<Status<O>> {
        match self {
            Outcome::Succeeded(s)
            | Outcome::Failed(s)
            | Outcome::Cancelled(s)
            | Outcome::NeedsInput(s) => Some(s),
            Outcome::GaveUp { last, .. } | Outcome::FetchFailed { last, .. } => last,
        }
    }

    /// `true` for [`Outcome::Succeeded`].
    ///
    /// ```
    /// use poller_core::{Outcome, Phase, Status};
    /// assert!(Outcome::<()>::Succeeded(Status::new(Phase::Succeeded, "ok")).is_success());
    /// ```
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Succeeded(_))
    }
}

impl<O> fmt::Display for Outcome<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Succeeded(s) => write!(f, "succeeded ({})", s.raw_status),
            Outcome::Failed(s) => match &s.error {
                Some(e) => write!(f, "failed ({}): {e}", s.raw_status),
                None => write!(f, "failed ({})", s.raw_status),
            },
            Outcome::Cancelled(s) => write!(f, "cancelled ({})", s.raw_status),
            Outcome::NeedsInput(s) => write!(f, "needs input ({})", s.raw_status),
            Outcome::GaveUp {
                reason,
                last,
                last_error,
            } => {
                match last {
                    Some(s) => write!(f, "gave up: {reason} (last status {})", s.raw_status)?,
                    None => write!(f, "gave up: {reason} (no status seen)")?,
                }
                match last_error {
                    Some(e) => write!(f, "; last fetch failed: {e}"),
                    None => Ok(()),
                }
            }
            Outcome::FetchFailed {
                error,
                consecutive_errors,
                ..
            } => {
                write!(
                    f,
                    "fetch failed after {consecutive_errors} consecutive error(s): {error}"
                )
            }
        }
    }
}

/// The kind of an [`Outcome`]; serialised in `snake_case` (`"gave_up"`, `"fetch_error"`).
///
/// ```
/// assert_eq!(poller_core::OutcomeKind::FetchError.as_str(), "fetch_error");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OutcomeKind {
    /// See [`Outcome::Succeeded`].
    Succeeded,
    /// See [`Outcome::Failed`].
    Failed,
    /// See [`Outcome::Cancelled`].
    Cancelled,
    /// See [`Outcome::NeedsInput`].
    NeedsInput,
    /// See [`Outcome::GaveUp`].
    GaveUp,
    /// See [`Outcome::FetchFailed`].
    FetchError,
}

impl OutcomeKind {
    /// The `snake_case` name.
    ///
    /// ```
    /// assert_eq!(poller_core::OutcomeKind::GaveUp.as_str(), "gave_up");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Succeeded => "succeeded",
            OutcomeKind::Failed => "failed",
            OutcomeKind::Cancelled => "cancelled",
            OutcomeKind::NeedsInput => "needs_input",
            OutcomeKind::GaveUp => "gave_up",
            OutcomeKind::FetchError => "fetch_error",
        }
    }
}

impl fmt::Display for OutcomeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A finished wait: the outcome, plus how many fetches it took and how long.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Outcome, Phase, Report, Status};
/// let r: Report = Report::new("t1", Outcome::Succeeded(Status::new(Phase::Succeeded, "ok")), 3, Duration::from_secs(9));
/// assert_eq!(r.attempts, 3);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Report<O = serde_json::Value> {
    /// The task's id.
    pub task_id: String,
    /// How the wait ended.
    pub outcome: Outcome<O>,
    /// Fetches made, successful or not.
    pub attempts: u32,
    /// Time from the start of the wait to its end.
    pub elapsed: Duration,
}

impl<O> Report<O> {
    /// A report.
    ///
    /// ```
    /// # use poller_core::{Outcome, Report, StopReason};
    /// let r: Report = Report::new("t", Outcome::GaveUp { reason: StopReason::Attempts, last: None, last_error: None }, 0, Default::default());
    /// assert_eq!(r.task_id, "t");
    /// ```
    pub fn new(
        task_id: impl Into<String>,
        outcome: Outcome<O>,
        attempts: u32,
        elapsed: Duration,
    ) -> Self {
        Report {
            task_id: task_id.into(),
            outcome,
            attempts,
            elapsed,
        }
    }
}
