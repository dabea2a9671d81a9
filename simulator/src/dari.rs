//! Dari job status: stages, rendering and the two status paths.
//!
//! `GET /task/{org_id}/{endpoint_name}/status?job_id=...` and the newer
//! `GET /jobs/{org_id}/{endpoint_name}/status?job_id=...`, header `X-API-Key`.

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::reply::Reply;
use crate::script::Script;
use crate::server::Shared;

/// A Dari job status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DariStatus {
    /// `pending`.
    Pending,
    /// `running`.
    Running,
    /// `paused` (not final: a paused job can be resumed).
    Paused,
    /// `waiting_for_input`: served as such on `/jobs/...`; the older `/task/...` path, which
    /// predates this status, shows `paused` instead.
    WaitingForInput,
    /// `completed` (final).
    Completed,
    /// `failed` (final).
    Failed,
}

impl DariStatus {
    /// The wire string on the newer `/jobs/...` path.
    pub fn as_str(self) -> &'static str {
        match self {
            DariStatus::Pending => "pending",
            DariStatus::Running => "running",
            DariStatus::Paused => "paused",
            DariStatus::WaitingForInput => "waiting_for_input",
            DariStatus::Completed => "completed",
            DariStatus::Failed => "failed",
        }
    }

    fn wire(self, legacy: bool) -> &'static str {
        match self {
            DariStatus::WaitingForInput if legacy => "paused",
            s => s.as_str(),
        }
    }
}

/// One entry of a job's `events`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DariEvent {
    /// `event_type`, e.g. `started`, `step_completed`.
    pub event_type: String,
    /// `message`.
    pub message: String,
    /// `data` (an object; `{}` by default).
    #[serde(default = "empty_object")]
    pub data: Value,
}

impl DariEvent {
    /// An event with empty `data`.
    pub fn new(event_type: impl Into<String>, message: impl Into<String>) -> Self {
        DariEvent {
            event_type: event_type.into(),
            message: message.into(),
            data: json!({}),
        }
    }

    /// Sets `data`.
    #[must_use]
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = data;
        self
    }
}

fn empty_object() -> Value {
    json!({})
}

/// One stage of a Dari job.
///
/// Fields left `None` keep the value of the latest earlier stage that set them (so
/// `current_step`, `result`, cost and links carry forward), except `final_result` and `error`,
/// which belong to the stage that sets them. `total_cost_usd` is 0 until a stage sets it;
/// `browser_url` becomes `https://browser.sim.invalid/view/{job_id}` once the job has left
/// `pending`, unless a stage sets it.
///
/// # Events
///
/// When a stage begins, its `events` are appended (timestamped with the stage's start). A stage
/// with no explicit events gets automatic ones: `started` ("Job started") when the job first
/// leaves `pending`; `step_completed` (message: the previous stage's step, data
/// `{"step": ...}`) when a running stage ends; and `paused`, `waiting_for_input`, `completed`
/// or `failed` on entering those statuses.
///
/// JSON form (control API): `{"status": "running", "current_step": "Filling email field",
/// "events": [...], "result": ..., "final_result": ..., "error": ..., "total_cost_usd": 0.12,
/// "browser_url": ..., "downloads_link": ..., "video_recording_url": ..., "log_url": ...}`,
/// every field but `status` optional.
///
/// ```
/// use poller_sim::{DariStage, DariStatus};
/// let s = DariStage::running("Filling email field").with_cost(0.12);
/// assert_eq!(s.status, DariStatus::Running);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DariStage {
    /// The job status during this stage.
    pub status: DariStatus,
    /// `current_step`.
    #[serde(default)]
    pub current_step: Option<String>,
    /// Events appended when the stage begins (replacing the automatic ones when non-empty).
    #[serde(default)]
    pub events: Vec<DariEvent>,
    /// `result` (intermediate result).
    #[serde(default)]
    pub result: Option<Value>,
    /// `final_result`.
    #[serde(default)]
    pub final_result: Option<Value>,
    /// `error`.
    #[serde(default)]
    pub error: Option<String>,
    /// `total_cost_usd`.
    #[serde(default)]
    pub total_cost_usd: Option<f64>,
    /// `browser_url`.
    #[serde(default)]
    pub browser_url: Option<String>,
    /// `downloads_link`.
    #[serde(default)]
    pub downloads_link: Option<String>,
    /// `video_recording_url`.
    #[serde(default)]
    pub video_recording_url: Option<String>,
    /// `log_url`.
    #[serde(default)]
    pub log_url: Option<String>,
}

impl DariStage {
    /// A stage with this status and nothing else set.
    pub fn new(status: DariStatus) -> Self {
        DariStage {
            status,
            current_step: None,
            events: Vec::new(),
            result: None,
            final_result: None,
            error: None,
            total_cost_usd: None,
            browser_url: None,
            downloads_link: None,
            video_recording_url: None,
            log_url: None,
        }
    }

    /// `pending`.
    pub fn pending() -> Self {
        DariStage::new(DariStatus::Pending)
    }

    /// `running`, doing `step`.
    pub fn running(step: impl Into<String>) -> Self {
        DariStage::new(DariStatus::Running).with_step(step)
    }

    /// `paused` at `step`.
    pub fn paused(step: impl Into<String>) -> Self {
        DariStage::new(DariStatus::Paused).with_step(step)
    }

    /// `waiting_for_input` at `step`.
    pub fn waiting_for_input(step: impl Into<String>) -> Self {
        DariStage::new(DariStatus::WaitingForInput).with_step(step)
    }

    /// `completed` with `final_result`.
    pub fn completed(final_result: Value) -> Self {
        let mut s = DariStage::new(DariStatus::Completed);
        s.final_result = Some(final_result);
        s
    }

    /// `failed` with `error`.
    pub fn failed(error: impl Into<String>) -> Self {
        let mut s = DariStage::new(DariStatus::Failed);
        s.error = Some(error.into());
        s
    }

    /// Sets `current_step`.
    #[must_use]
    pub fn with_step(mut self, step: impl Into<String>) -> Self {
        self.current_step = Some(step.into());
        self
    }

    /// Adds an explicit event (disabling the automatic ones for this stage).
    #[must_use]
    pub fn with_event(mut self, event: DariEvent) -> Self {
        self.events.push(event);
        self
    }

    /// Sets `result`.
    #[must_use]
    pub fn with_result(mut self, result: Value) -> Self {
        self.result = Some(result);
        self
    }

    /// Sets `total_cost_usd`.
    #[must_use]
    pub fn with_cost(mut self, usd: f64) -> Self {
        self.total_cost_usd = Some(usd);
        self
    }

    /// Sets `browser_url`.
    #[must_use]
    pub fn with_browser_url(mut self, url: impl Into<String>) -> Self {
        self.browser_url = Some(url.into());
        self
    }

    /// Sets `downloads_link`, `video_recording_url` and `log_url`.
    #[must_use]
    pub fn with_links(
        mut self,
        downloads: impl Into<String>,
        video: impl Into<String>,
        log: impl Into<String>,
    ) -> Self {
        self.downloads_link = Some(downloads.into());
        self.video_recording_url = Some(video.into());
        self.log_url = Some(log.into());
        self
    }
}

impl Script<DariStage> {
    /// `pending` for `pending`, then one `running` stage per `(step, duration)`, then
    /// `completed` with `final_result`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use poller_sim::{DariStage, Script};
    /// let s = Script::dari_steps_then_complete(
    ///     Duration::from_secs(1),
    ///     &[("Opening page", Duration::from_secs(5)), ("Filling form", Duration::from_secs(5))],
    ///     serde_json::json!({"ok": true}),
    /// );
    /// assert_eq!(s.len(), 4);
    /// ```
    pub fn dari_steps_then_complete(
        pending: Duration,
        steps: &[(&str, Duration)],
        final_result: Value,
    ) -> Self {
        Self::dari_steps(pending, steps, DariStage::completed(final_result))
    }

    /// Like [`Script::dari_steps_then_complete`], ending `failed` with `error`.
    pub fn dari_steps_then_fail(
        pending: Duration,
        steps: &[(&str, Duration)],
        error: impl Into<String>,
    ) -> Self {
        Self::dari_steps(pending, steps, DariStage::failed(error))
    }

    fn dari_steps(pending: Duration, steps: &[(&str, Duration)], last: DariStage) -> Self {
        let mut script = Script::new(DariStage::pending());
        let mut hold = pending;
        for (step, d) in steps {
            script = script.then_after(hold, DariStage::running(*step));
            hold = *d;
        }
        script.then_after(hold, last)
    }
}

/// A Dari job held by the simulator.
#[derive(Clone, Debug)]
pub(crate) struct DariEntry {
    pub(crate) added: Duration,
    pub(crate) script: Script<DariStage>,
}

/// Dari's documented error body.
pub(crate) fn error_body(message: &str) -> Value {
    json!({ "detail": message })
}

/// 401 unless `X-API-Key` holds the Dari key, 403 unless `org` is the key's organisation.
pub(crate) fn access(shared: &Shared, headers: &HeaderMap, org: &str) -> Result<(), Reply> {
    let key_ok = headers
        .get("x-api-key")
        .is_some_and(|v| v.as_bytes() == shared.keys.dari.as_bytes());
    if !key_ok {
        return Err(error(StatusCode::UNAUTHORIZED, "Invalid API key"));
    }
    if org != shared.keys.dari_org {
        return Err(error(
            StatusCode::FORBIDDEN,
            "API key does not have access to this organization",
        ));
    }
    Ok(())
}

pub(crate) fn error(status: StatusCode, message: &str) -> Reply {
    Reply::json(status, error_body(message))
}

fn auto_events(prev: Option<&DariStage>, cur: &DariStage, first_active: bool) -> Vec<DariEvent> {
    let mut out = Vec::new();
    let finished_step = prev
        .filter(|p| p.status == DariStatus::Running)
        .and_then(|p| p.current_step.as_ref());
    if let Some(step) = finished_step {
        out.push(DariEvent::new("step_completed", step.clone()).with_data(json!({"step": step})));
    }
    if first_active {
        out.push(DariEvent::new("started", "Job started"));
    }
    let step = cur.current_step.clone();
    match cur.status {
        DariStatus::Paused => out.push(DariEvent::new(
            "paused",
            step.unwrap_or_else(|| "Job paused".into()),
        )),
        DariStatus::WaitingForInput => out.push(DariEvent::new(
            "waiting_for_input",
            step.unwrap_or_else(|| "Waiting for input".into()),
        )),
        DariStatus::Completed => out.push(DariEvent::new("completed", "Job completed")),
        DariStatus::Failed => out.push(DariEvent::new(
            "failed",
            cur.error.clone().unwrap_or_else(|| "Job failed".into()),
        )),
        DariStatus::Pending | DariStatus::Running => {}
    }
    out
}

pub(crate) fn render(
    shared: &Shared,
    org: &str,
    endpoint: &str,
    job_id: &str,
    entry: &DariEntry,
    now: Duration,
    legacy: bool,
) -> Value {
    let at = entry.script.stage_at(now.saturating_sub(entry.added));
    let clock = &shared.clock;
    let mut events = Vec::new();
    let mut active = false;
    let mut prev: Option<&DariStage> = None;
    let mut step = None;
    let mut result = None;
    let mut cost = None;
    let mut browser = None;
    let mut downloads = None;
    let mut video = None;
    let mut log = None;
    for (start, stage) in entry.script.stages().take(at.index + 1) {
        let first_active = !active && stage.status != DariStatus::Pending;
        active |= first_active;
        let new_events = if stage.events.is_empty() {
            auto_events(prev, stage, first_active)
        } else {
            stage.events.clone()
        };
        let ts = clock.seconds_z(entry.added + start);
        for e in new_events {
            events.push(json!({
                "event_type": e.event_type,
                "message": e.message,
                "data": e.data,
                "timestamp": ts,
            }));
        }
        step = stage.current_step.clone().or(step);
        result = stage.result.clone().or(result);
        cost = stage.total_cost_usd.or(cost);
        browser = stage.browser_url.clone().or(browser);
        downloads = stage.downloads_link.clone().or(downloads);
        video = stage.video_recording_url.clone().or(video);
        log = stage.log_url.clone().or(log);
        prev = Some(stage);
    }
    if browser.is_none() && active {
        browser = Some(format!("https://browser.sim.invalid/view/{job_id}"));
    }
    let stage = at.stage;
    json!({
        "job_id": job_id,
        "portal_id": format!("{org}/{endpoint}"),
        "status": stage.status.wire(legacy),
        "browser_url": browser,
        "current_step": step,
        "events": events,
        "result": result,
        "final_result": stage.final_result,
        "error": stage.error,
        "downloads_link": downloads,
        "video_recording_url": video,
        "log_url": log,
        "total_cost_usd": cost.unwrap_or(0.0),
        "created_at": clock.seconds_z(entry.added),
        "updated_at": clock.seconds_z(entry.added + at.started),
    })
}

/// `GET /task/{org}/{endpoint}/status` (`legacy`) and `GET /jobs/{org}/{endpoint}/status`.
///
/// 401 for a wrong or missing key, 403 when `org` is not the key's organisation, 422 when
/// `job_id` is missing, 404 for an unknown job; all `{"detail": "..."}`.
pub(crate) fn get_status(
    shared: &Shared,
    headers: &HeaderMap,
    legacy: bool,
    org: &str,
    endpoint: &str,
    job_id: Option<&str>,
) -> Reply {
    if let Err(denied) = access(shared, headers, org) {
        return denied;
    }
    let Some(job_id) = job_id.filter(|j| !j.is_empty()) else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "job_id query parameter is required",
        );
    };
    let now = shared.clock.elapsed();
    let state = shared.lock();
    let key = (org.to_owned(), endpoint.to_owned(), job_id.to_owned());
    match state.dari.get(&key) {
        Some(entry) => Reply::json(
            StatusCode::OK,
            render(shared, org, endpoint, job_id, entry, now, legacy),
        ),
        None => error(StatusCode::NOT_FOUND, "Job not found"),
    }
}
