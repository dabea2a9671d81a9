use crate::{FetchError, Phase};
use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

/// What a [`PollPolicy`](crate::PollPolicy) sees when it decides.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Observation, Phase};
///
/// let o = Observation::new(3, Duration::from_secs(12)).with_phase(Phase::Running);
/// assert_eq!(o.attempt, 3);
/// assert_eq!(o.phase, Some(Phase::Running));
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Observation<'a> {
    /// Fetches made so far: 0 before the first.
    pub attempt: u32,
    /// Time since the wait started.
    pub elapsed: Duration,
    /// The phase seen by the last successful fetch, if any.
    pub phase: Option<Phase>,
    /// The error of the last fetch, when it failed.
    pub error: Option<&'a FetchError>,
    /// How many fetches in a row have failed (0 after a success).
    pub consecutive_errors: u32,
    /// The server's last hint for when to ask again (`Retry-After`), from a status or an error.
    pub retry_after: Option<Duration>,
    /// A per-task value that decorrelates jitter between tasks; derived from the task id, so
    /// runs are reproducible.
    pub salt: u64,
}

impl<'a> Observation<'a> {
    /// An observation with only the attempt count and the elapsed time.
    ///
    /// ```
    /// let o = poller_core::Observation::new(0, std::time::Duration::ZERO);
    /// assert!(o.phase.is_none() && o.error.is_none());
    /// ```
    pub fn new(attempt: u32, elapsed: Duration) -> Self {
        Observation {
            attempt,
            elapsed,
            phase: None,
            error: None,
            consecutive_errors: 0,
            retry_after: None,
            salt: 0,
        }
    }

    /// Sets the last phase.
    ///
    /// ```
    /// # use poller_core::{Observation, Phase};
    /// let o = Observation::new(1, Default::default()).with_phase(Phase::Paused);
    /// assert_eq!(o.phase, Some(Phase::Paused));
    /// ```
    pub fn with_phase(mut self, phase: Phase) -> Self {
        self.phase = Some(phase);
        self
    }

    /// Sets the last error and the count of consecutive errors.
    ///
    /// ```
    /// # use poller_core::{FetchError, Observation};
    /// let e = FetchError::http(503, b"");
    /// let o = Observation::new(2, Default::default()).with_error(&e, 2);
    /// assert_eq!(o.consecutive_errors, 2);
    /// ```
    pub fn with_error(mut self, error: &'a FetchError, consecutive: u32) -> Self {
        self.error = Some(error);
        self.consecutive_errors = consecutive;
        self
    }

    /// Sets the server's hint.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use poller_core::Observation;
    /// let o = Observation::new(1, Duration::ZERO).with_retry_after(Duration::from_secs(4));
    /// assert_eq!(o.retry_after, Some(Duration::from_secs(4)));
    /// ```
    pub fn with_retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = Some(retry_after);
        self
    }

    /// Sets the jitter salt.
    ///
    /// ```
    /// let o = poller_core::Observation::new(1, Default::default()).with_salt(7);
    /// assert_eq!(o.salt, 7);
    /// ```
    pub fn with_salt(mut self, salt: u64) -> Self {
        self.salt = salt;
        self
    }
}

/// A policy's answer.
///
/// ```
/// use std::time::Duration;
/// use poller_core::Decision;
/// assert_eq!(Decision::after_secs(2), Decision::PollAfter(Duration::from_secs(2)));
/// assert_eq!(Decision::now().delay(), Some(Duration::ZERO));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Fetch again after this long.
    PollAfter(Duration),
    /// Do not fetch again.
    Stop(StopReason),
}

impl Decision {
    /// Poll at once.
    ///
    /// ```
    /// assert_eq!(poller_core::Decision::now().delay(), Some(std::time::Duration::ZERO));
    /// ```
    pub const fn now() -> Self {
        Decision::PollAfter(Duration::ZERO)
    }

    /// Poll after `secs` seconds.
    ///
    /// ```
    /// assert_eq!(poller_core::Decision::after_secs(1).delay(), Some(std::time::Duration::from_secs(1)));
    /// ```
    pub const fn after_secs(secs: u64) -> Self {
        Decision::PollAfter(Duration::from_secs(secs))
    }

    /// The delay, if this decision is to poll again.
    ///
    /// ```
    /// use poller_core::{Decision, StopReason};
    /// assert_eq!(Decision::Stop(StopReason::Deadline).delay(), None);
    /// ```
    pub fn delay(&self) -> Option<Duration> {
        match self {
            Decision::PollAfter(d) => Some(*d),
            Decision::Stop(_) => None,
        }
    }
}

/// Why a policy stopped.
///
/// ```
/// use poller_core::StopReason;
/// assert_eq!(StopReason::Deadline.to_string(), "deadline reached");
/// assert_eq!(StopReason::custom("quota").to_string(), "quota");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StopReason {
    /// The overall time limit was reached.
    Deadline,
    /// The attempt limit was reached.
    Attempts,
    /// The task needs input and the policy stops on that.
    NeedsInput,
    /// A reason of the policy's own.
    Custom(Cow<'static, str>),
}

impl StopReason {
    /// A custom reason.
    ///
    /// ```
    /// assert!(matches!(poller_core::StopReason::custom("x"), poller_core::StopReason::Custom(_)));
    /// ```
    pub fn custom(reason: impl Into<Cow<'static, str>>) -> Self {
        StopReason::Custom(reason.into())
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Deadline => f.write_str("deadline reached"),
            StopReason::Attempts => f.write_str("attempt limit reached"),
            StopReason::NeedsInput => f.write_str("task needs input"),
            StopReason::Custom(r) => f.write_str(r),
        }
    }
}

/// What is known of a finished task's duration, given to
/// [`PollPolicy::on_finished`](crate::PollPolicy::on_finished): it was still running at the
/// last poll before (`running_at`, if any) and final at `final_at`, both measured from the
/// start of the wait.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Finish, Phase};
/// let f = Finish::new(Phase::Succeeded, Some(Duration::from_secs(8)), Duration::from_secs(10));
/// assert_eq!(f.estimate(), Duration::from_secs(9));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finish {
    /// The final phase.
    pub phase: Phase,
    /// When the task was last seen not final, if it ever was.
    pub running_at: Option<Duration>,
    /// When the task was first seen final.
    pub final_at: Duration,
}

impl Finish {
    /// A finish.
    ///
    /// ```
    /// # use poller_core::{Finish, Phase};
    /// let f = Finish::new(Phase::Failed, None, std::time::Duration::from_secs(3));
    /// assert_eq!(f.final_at.as_secs(), 3);
    /// ```
    pub fn new(phase: Phase, running_at: Option<Duration>, final_at: Duration) -> Self {
        Finish {
            phase,
            running_at,
            final_at,
        }
    }

    /// The best single guess of the duration: the middle of the interval in which the task
    /// ended (or `final_at` when it was never seen running).
    ///
    /// ```
    /// # use poller_core::{Finish, Phase};
    /// assert_eq!(Finish::new(Phase::Succeeded, None, std::time::Duration::from_secs(3)).estimate().as_secs(), 3);
    /// ```
    pub fn estimate(&self) -> Duration {
        match self.running_at {
            Some(r) if r <= self.final_at => r + (self.final_at - r) / 2,
            _ => self.final_at,
        }
    }
}
