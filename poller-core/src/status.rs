use crate::Phase;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// What a [`StatusSource`](crate::StatusSource) learned about a task in one fetch.
///
/// `O` is the provider's typed output; sources erased for the registry use
/// [`serde_json::Value`].
///
/// ```
/// use poller_core::{Phase, Status};
///
/// let s: Status = Status::new(Phase::Running, "in_progress").with_percent(40.0);
/// assert_eq!(s.raw_status, "in_progress");
/// assert_eq!(s.progress.unwrap().percent, Some(40.0));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Status<O = serde_json::Value> {
    /// The normalised phase.
    pub phase: Phase,
    /// The provider's own status string, exactly as received (for example `"input-required"`).
    pub raw_status: String,
    /// The task's output, when the provider returned one (possibly partial while running).
    pub output: Option<O>,
    /// The remote error, when the provider reported one.
    pub error: Option<RemoteError>,
    /// Progress information, when the provider reports any.
    pub progress: Option<Progress>,
    /// How long the server asked us to wait before asking again (`Retry-After`), if it did.
    #[serde(with = "opt_millis", default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<Duration>,
    /// Provider-specific facts kept beside the output (Narada's `usage`, Dari's
    /// `total_cost_usd`, VESSL's `status_code` …), by the provider's field name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, serde_json::Value>,
}

impl<O> Status<O> {
    /// A status with only a phase and the raw provider string.
    ///
    /// ```
    /// let s: poller_core::Status = poller_core::Status::new(poller_core::Phase::Queued, "pending");
    /// assert!(s.output.is_none() && s.error.is_none());
    /// ```
    pub fn new(phase: Phase, raw_status: impl Into<String>) -> Self {
        Status {
            phase,
            raw_status: raw_status.into(),
            output: None,
            error: None,
            progress: None,
            retry_after: None,
            details: BTreeMap::new(),
        }
    }

    /// Sets the output.
    ///
    /// ```
    /// use poller_core::{Phase, Status};
    /// let s = Status::new(Phase::Succeeded, "done").with_output(7);
    /// assert_eq!(s.output, Some(7));
    /// ```
    pub fn with_output(mut self, output: O) -> Self {
        self.output = Some(output);
        self
    }

    /// Sets the remote error.
    ///
    /// ```
    /// use poller_core::{Phase, RemoteError, Status};
    /// let s: Status = Status::new(Phase::Failed, "error").with_error(RemoteError::new("boom"));
    /// assert_eq!(s.error.unwrap().message, "boom");
    /// ```
    pub fn with_error(mut self, error: RemoteError) -> Self {
        self.error = Some(error);
        self
    }

    /// Sets the progress.
    ///
    /// ```
    /// use poller_core::{Phase, Progress, Status};
    /// let s: Status = Status::new(Phase::Running, "running")
    ///     .with_progress(Progress::default().with_step("Filling email field"));
    /// assert_eq!(s.progress.unwrap().step.as_deref(), Some("Filling email field"));
    /// ```
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Sets the progress percentage (0-100), keeping any other progress fields.
    ///
    /// ```
    /// use poller_core::{Phase, Status};
    /// let s: Status = Status::new(Phase::Running, "processing").with_percent(12.5);
    /// assert_eq!(s.progress.unwrap().percent, Some(12.5));
    /// ```
    pub fn with_percent(mut self, percent: f64) -> Self {
        self.progress.get_or_insert_with(Progress::default).percent = Some(percent);
        self
    }

    /// Sets the server's hint for when to ask again.
    ///
    /// ```
    /// use std::time::Duration;
    /// use poller_core::{Phase, Status};
    /// let s: Status = Status::new(Phase::Running, "running").with_retry_after(Duration::from_secs(3));
    /// assert_eq!(s.retry_after, Some(Duration::from_secs(3)));
    /// ```
    pub fn with_retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = Some(retry_after);
        self
    }

    /// Keeps a provider-specific fact under `name`.
    ///
    /// ```
    /// use poller_core::{Phase, Status};
    /// let s: Status = Status::new(Phase::Succeeded, "completed").with_detail("total_cost_usd", 0.12);
    /// assert_eq!(s.details["total_cost_usd"], 0.12);
    /// ```
    pub fn with_detail(
        mut self,
        name: impl Into<String>,
        value: impl Into<serde_json::Value>,
    ) -> Self {
        self.details.insert(name.into(), value.into());
        self
    }

    /// `true` when the phase is final.
    ///
    /// ```
    /// use poller_core::{Phase, Status};
    /// assert!(Status::<()>::new(Phase::Cancelled, "cancelled").is_final());
    /// ```
    pub fn is_final(&self) -> bool {
        self.phase.is_final()
    }

    /// Converts the output, keeping everything else.
    ///
    /// ```
    /// use poller_core::{Phase, Status};
    /// let s = Status::new(Phase::Succeeded, "done").with_output(2).map_output(|n| n * 10);
    /// assert_eq!(s.output, Some(20));
    /// ```
    pub fn map_output<P>(self, f: impl FnOnce(O) -> P) -> Status<P> {
        Status {
            phase: self.phase,
            raw_status: self.raw_status,
            output: self.output.map(f),
            error: self.error,
            progress: self.progress,
            retry_after: self.retry_after,
            details: self.details,
        }
    }

    /// `true` when `other` differs in what a watcher cares about: phase, raw status or progress.
    ///
    /// ```
    /// use poller_core::{Phase, Status};
    /// let a: Status = Status::new(Phase::Running, "running");
    /// assert!(!a.changed_from(&a.clone()));
    /// assert!(a.changed_from(&a.clone().with_percent(50.0)));
    /// ```
    pub fn changed_from(&self, other: &Status<O>) -> bool {
        self.phase != other.phase
            || self.raw_status != other.raw_status
            || self.progress != other.progress
    }
}

/// An error the remote API reported for the task itself (not a failure to fetch its status).
///
/// ```
/// let e = poller_core::RemoteError::new("timed out").with_code("timeoutProvider");
/// assert_eq!(e.to_string(), "timeoutProvider: timed out");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RemoteError {
    /// A machine-readable code, when the API gives one.
    pub code: Option<String>,
    /// The human-readable message.
    pub message: String,
}

impl RemoteError {
    /// An error with a message and no code.
    ///
    /// ```
    /// assert_eq!(poller_core::RemoteError::new("x").code, None);
    /// ```
    pub fn new(message: impl Into<String>) -> Self {
        RemoteError {
            code: None,
            message: message.into(),
        }
    }

    /// Sets the code.
    ///
    /// ```
    /// let e = poller_core::RemoteError::new("x").with_code("E1");
    /// assert_eq!(e.code.as_deref(), Some("E1"));
    /// ```
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }
}

impl std::fmt::Display for RemoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// How far a task has come, in whatever terms the provider reports.
///
/// ```
/// use poller_core::{Progress, ProgressEvent};
/// let p = Progress::default()
///     .with_percent(30.0)
///     .with_event(ProgressEvent::new("step_completed").with_message("Filled first name"));
/// assert_eq!(p.events.len(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Progress {
    /// Percent complete, 0 to 100.
    pub percent: Option<f64>,
    /// What the task is doing now, in the provider's words.
    pub step: Option<String>,
    /// Events the provider reported so far, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<ProgressEvent>,
}

impl Progress {
    /// Sets the percentage.
    ///
    /// ```
    /// assert_eq!(poller_core::Progress::default().with_percent(5.0).percent, Some(5.0));
    /// ```
    pub fn with_percent(mut self, percent: f64) -> Self {
        self.percent = Some(percent);
        self
    }

    /// Sets the current step.
    ///
    /// ```
    /// let p = poller_core::Progress::default().with_step("Uploading");
    /// assert_eq!(p.step.as_deref(), Some("Uploading"));
    /// ```
    pub fn with_step(mut self, step: impl Into<String>) -> Self {
        self.step = Some(step.into());
        self
    }

    /// Appends an event.
    ///
    /// ```
    /// use poller_core::{Progress, ProgressEvent};
    /// let p = Progress::default().with_event(ProgressEvent::new("started"));
    /// assert_eq!(p.events[0].kind, "started");
    /// ```
    pub fn with_event(mut self, event: ProgressEvent) -> Self {
        self.events.push(event);
        self
    }
}

/// One event in a task's history (Dari's `events`, for example).
///
/// ```
/// let e = poller_core::ProgressEvent::new("started").with_message("Job started");
/// assert_eq!(e.message.as_deref(), Some("Job started"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProgressEvent {
    /// The event's type (`"started"`, `"step_completed"` …).
    pub kind: String,
    /// A human-readable message.
    pub message: Option<String>,
    /// When it happened, as the provider wrote it.
    pub timestamp: Option<String>,
    /// Any structured data attached to the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

impl ProgressEvent {
    /// An event of the given kind.
    ///
    /// ```
    /// assert_eq!(poller_core::ProgressEvent::new("x").kind, "x");
    /// ```
    pub fn new(kind: impl Into<String>) -> Self {
        ProgressEvent {
            kind: kind.into(),
            message: None,
            timestamp: None,
            data: None,
        }
    }

    /// Sets the message.
    ///
    /// ```
    /// let e = poller_core::ProgressEvent::new("x").with_message("m");
    /// assert_eq!(e.message.as_deref(), Some("m"));
    /// ```
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Sets the timestamp.
    ///
    /// ```
    /// let e = poller_core::ProgressEvent::new("x").with_timestamp("2025-01-15T10:30:00Z");
    /// assert!(e.timestamp.is_some());
    /// ```
    pub fn with_timestamp(mut self, timestamp: impl Into<String>) -> Self {
        self.timestamp = Some(timestamp.into());
        self
    }

    /// Sets the attached data.
    ///
    /// ```
    /// let e = poller_core::ProgressEvent::new("x").with_data(serde_json::json!({"step": 1}));
    /// assert_eq!(e.data.unwrap()["step"], 1);
    /// ```
    pub fn with_data(mut self, data: serde_json::Value) -> Self {
        self.data = Some(data);
        self
    }
}

pub(crate) mod opt_millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&(d.as_millis() as u64)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}
