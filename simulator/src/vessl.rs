//! VESSL Serve async requests: stages, rendering, output and creation endpoints.
//!
//! `GET {root}/api/v1/services/{slug}/async/{request_id}/output` and
//! `POST {root}/api/v1/services/{slug}/async`, `Authorization: Bearer <token>`.

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::reply::Reply;
use crate::script::Script;
use crate::server::Shared;

/// One stage of a VESSL async request.
///
/// `status_code`, `raw_output` and `output` appear only in final stages; `output` is
/// `raw_output` decoded as JSON and is omitted when `raw_output` is not JSON; `fail_reason`
/// only when failed.
///
/// JSON form (control API), tagged by `status`: `{"status": "pending"}`,
/// `{"status": "in_progress"}`, `{"status": "completed", "status_code": 200, "raw_output": "..."}`,
/// `{"status": "failed", "status_code": 500, "raw_output": "...", "fail_reason": "..."}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum VesslStage {
    /// `pending`: waiting in the queue.
    Pending,
    /// `in_progress`: being processed.
    InProgress,
    /// `completed`: the service answered 200-299.
    Completed {
        /// `status_code`. Default 200.
        #[serde(default = "ok_code")]
        status_code: u16,
        /// `raw_output`: the service's response body.
        raw_output: String,
    },
    /// `failed`: the service answered outside 200-299, or an internal error occurred.
    Failed {
        /// `status_code`. Default 500.
        #[serde(default = "err_code")]
        status_code: u16,
        /// `raw_output`. Default empty.
        #[serde(default)]
        raw_output: String,
        /// `fail_reason`.
        fail_reason: String,
    },
}

fn ok_code() -> u16 {
    200
}

fn err_code() -> u16 {
    500
}

impl VesslStage {
    /// `completed` with status code 200 and `raw_output` = the JSON text of `output`.
    pub fn completed_json(output: &Value) -> Self {
        VesslStage::Completed {
            status_code: 200,
            raw_output: output.to_string(),
        }
    }

    /// `failed` with the given status code, raw output and reason.
    pub fn failed(
        status_code: u16,
        raw_output: impl Into<String>,
        fail_reason: impl Into<String>,
    ) -> Self {
        VesslStage::Failed {
            status_code,
            raw_output: raw_output.into(),
            fail_reason: fail_reason.into(),
        }
    }

    /// The wire status string.
    pub fn status(&self) -> &'static str {
        match self {
            VesslStage::Pending => "pending",
            VesslStage::InProgress => "in_progress",
            VesslStage::Completed { .. } => "completed",
            VesslStage::Failed { .. } => "failed",
        }
    }
}

impl Script<VesslStage> {
    /// `pending` for `queued`, `in_progress` for `running`, then `completed` (200) with
    /// `output` as JSON.
    ///
    /// ```
    /// use std::time::Duration;
    /// use poller_sim::{Script, VesslStage};
    /// let s = Script::vessl_completed_after(
    ///     Duration::from_secs(1), Duration::from_secs(4), &serde_json::json!({"text": "Hello!"}));
    /// assert_eq!(s.stage_at(Duration::from_secs(2)).stage, &VesslStage::InProgress);
    /// ```
    pub fn vessl_completed_after(queued: Duration, running: Duration, output: &Value) -> Self {
        Script::new(VesslStage::Pending)
            .then_after(queued, VesslStage::InProgress)
            .then_after(running, VesslStage::completed_json(output))
    }

    /// `pending` for `queued`, `in_progress` for `running`, then `failed`.
    pub fn vessl_failed_after(
        queued: Duration,
        running: Duration,
        status_code: u16,
        raw_output: impl Into<String>,
        fail_reason: impl Into<String>,
    ) -> Self {
        Script::new(VesslStage::Pending)
            .then_after(queued, VesslStage::InProgress)
            .then_after(
                running,
                VesslStage::failed(status_code, raw_output, fail_reason),
            )
    }
}

/// A VESSL request held by the simulator.
#[derive(Clone, Debug)]
pub(crate) struct VesslEntry {
    pub(crate) added: Duration,
    pub(crate) script: Script<VesslStage>,
}

/// VESSL's error body. Not documented by the vendor; the simulator uses `{"message": "..."}`.
pub(crate) fn error_body(message: &str) -> Value {
    json!({ "message": message })
}

pub(crate) fn error(status: StatusCode, message: &str) -> Reply {
    Reply::json(status, error_body(message))
}

pub(crate) fn authorised(shared: &Shared, headers: &HeaderMap) -> bool {
    let Some(v) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    match v.split_once(' ') {
        Some((scheme, token)) => {
            scheme.eq_ignore_ascii_case("bearer") && token.trim() == shared.keys.vessl
        }
        None => false,
    }
}

pub(crate) fn render(entry: &VesslEntry, now: Duration) -> Value {
    let at = entry.script.stage_at(now.saturating_sub(entry.added));
    let mut body = json!({ "status": at.stage.status() });
    let (code, raw, reason) = match at.stage {
        VesslStage::Pending | VesslStage::InProgress => return body,
        VesslStage::Completed {
            status_code,
            raw_output,
        } => (status_code, raw_output, None),
        VesslStage::Failed {
            status_code,
            raw_output,
            fail_reason,
        } => (status_code, raw_output, Some(fail_reason)),
    };
    body["status_code"] = json!(code);
    body["raw_output"] = json!(raw);
    if let Ok(output) = serde_json::from_str::<Value>(raw) {
        body["output"] = output;
    }
    if let Some(reason) = reason {
        body["fail_reason"] = json!(reason);
    }
    body
}

/// `GET .../async/{request_id}/output`.
pub(crate) fn get_output(shared: &Shared, headers: &HeaderMap, slug: &str, id: &str) -> Reply {
    if !authorised(shared, headers) {
        return error(StatusCode::UNAUTHORIZED, "Invalid or missing token");
    }
    let now = shared.clock.elapsed();
    let state = shared.lock();
    match state.vessl.get(&(slug.to_owned(), id.to_owned())) {
        Some(entry) => Reply::json(StatusCode::OK, render(entry, now)),
        None => error(StatusCode::NOT_FOUND, "Async request not found"),
    }
}
