//! Narada Remote Dispatch: stages, rendering and the two endpoints.
//!
//! `GET /fast/v2/remote-dispatch/responses/{requestId}` with `x-api-key` (creation is in
//! `create/narada.rs`).

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::reply::Reply;
use crate::rng::hash_str;
use crate::script::Script;
use crate::server::Shared;

/// One stage of a Narada task.
///
/// Rendered as the documented body: `status`, `response`, `createdAt`, `completedAt`, `usage`,
/// `browserWindowId`. `completedAt` is set (to the moment the stage began) only by a final
/// stage: `success`, `error`, or an `input-required` marked `completed`.
///
/// JSON form (control API), tagged by `status`:
/// `{"status": "pending"}`, `{"status": "input-required", "text": "...", "completed": false}`,
/// `{"status": "success", "response": {...}, "usage": {"actions": 3, "credits": 0.5}}`,
/// `{"status": "error", "text": "...", "usage": null}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum NaradaStage {
    /// `pending`: `response`, `completedAt` and `usage` are null.
    Pending,
    /// `input-required`: `response` is `{"text": text}`.
    InputRequired {
        /// Shown as `response.text`.
        text: String,
        /// `false` (the default): `completedAt` stays null and the task may go on, as the SDK
        /// expects. `true`: `completedAt` is set and the task has ended waiting for input.
        #[serde(default)]
        completed: bool,
    },
    /// `success`: `response` is the given object, `completedAt` set.
    Success {
        /// The `response` object.
        #[serde(default = "empty_object")]
        response: Value,
        /// The `usage` object (null when `None`).
        #[serde(default = "default_usage")]
        usage: Option<NaradaUsage>,
    },
    /// `error`: `response` is `{"text": text}`, `completedAt` set.
    Error {
        /// Shown as `response.text`.
        text: String,
        /// The `usage` object (null when `None`).
        #[serde(default = "default_usage")]
        usage: Option<NaradaUsage>,
    },
}

fn empty_object() -> Value {
    json!({})
}

fn default_usage() -> Option<NaradaUsage> {
    Some(NaradaUsage::default())
}

/// Narada's `usage` object: `{"actions": int, "credits": float}`.
///
/// # Default
///
/// `{"actions": 3, "credits": 0.5}`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct NaradaUsage {
    /// Number of browser actions taken.
    pub actions: u64,
    /// Credits charged.
    pub credits: f64,
}

impl Default for NaradaUsage {
    fn default() -> Self {
        NaradaUsage {
            actions: 3,
            credits: 0.5,
        }
    }
}

impl NaradaStage {
    /// A non-final `input-required` stage with the given text.
    pub fn input_required(text: impl Into<String>) -> Self {
        NaradaStage::InputRequired {
            text: text.into(),
            completed: false,
        }
    }

    /// A `success` stage with the given response and the default usage.
    pub fn success(response: Value) -> Self {
        NaradaStage::Success {
            response,
            usage: default_usage(),
        }
    }

    /// An `error` stage with the given text and the default usage.
    pub fn error(text: impl Into<String>) -> Self {
        NaradaStage::Error {
            text: text.into(),
            usage: default_usage(),
        }
    }

    /// The wire status string.
    pub fn status(&self) -> &'static str {
        match self {
            NaradaStage::Pending => "pending",
            NaradaStage::InputRequired { .. } => "input-required",
            NaradaStage::Success { .. } => "success",
            NaradaStage::Error { .. } => "error",
        }
    }

    /// Whether this stage sets `completedAt`.
    pub fn is_final(&self) -> bool {
        match self {
            NaradaStage::Pending => false,
            NaradaStage::InputRequired { completed, .. } => *completed,
            NaradaStage::Success { .. } | NaradaStage::Error { .. } => true,
        }
    }
}

impl Script<NaradaStage> {
    /// `pending` for `after`, then `success` with `response`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use poller_sim::{NaradaStage, Script};
    /// let s = Script::narada_success_after(Duration::from_secs(10), serde_json::json!({"text": "hi"}));
    /// assert_eq!(s.stage_at(Duration::from_secs(9)).stage, &NaradaStage::Pending);
    /// assert_eq!(s.stage_at(Duration::from_secs(10)).stage.status(), "success");
    /// ```
    pub fn narada_success_after(after: Duration, response: Value) -> Self {
        Script::new(NaradaStage::Pending).then_after(after, NaradaStage::success(response))
    }

    /// `pending` for `after`, then `error` with `text`.
    pub fn narada_error_after(after: Duration, text: impl Into<String>) -> Self {
        Script::new(NaradaStage::Pending).then_after(after, NaradaStage::error(text))
    }

    /// `pending` for `pending`, `input-required` (not final) for `waiting`, then `success`.
    pub fn narada_input_then_success(
        pending: Duration,
        text: impl Into<String>,
        waiting: Duration,
        response: Value,
    ) -> Self {
        Script::new(NaradaStage::Pending)
            .then_after(pending, NaradaStage::input_required(text))
            .then_after(waiting, NaradaStage::success(response))
    }
}

/// A Narada task held by the simulator.
#[derive(Clone, Debug)]
pub(crate) struct NaradaTask {
    pub(crate) added: Duration,
    pub(crate) script: Script<NaradaStage>,
}

/// Narada's error body. Not documented by the vendor; the simulator uses FastAPI's
/// `{"detail": "..."}`.
pub(crate) fn error_body(message: &str) -> Value {
    json!({ "detail": message })
}

pub(crate) fn error(status: StatusCode, message: &str) -> Reply {
    Reply::json(status, error_body(message))
}

pub(crate) fn authorised(shared: &Shared, headers: &HeaderMap) -> bool {
    headers
        .get("x-api-key")
        .is_some_and(|v| v.as_bytes() == shared.keys.narada.as_bytes())
}

pub(crate) fn render(shared: &Shared, id: &str, task: &NaradaTask, now: Duration) -> Value {
    let at = task.script.stage_at(now.saturating_sub(task.added));
    let stage_time = task.added + at.started;
    let (response, usage) = match at.stage {
        NaradaStage::Pending => (Value::Null, None),
        NaradaStage::InputRequired { text, .. } => (json!({ "text": text }), None),
        NaradaStage::Success { response, usage } => (response.clone(), *usage),
        NaradaStage::Error { text, usage } => (json!({ "text": text }), *usage),
    };
    let completed_at = if at.stage.is_final() {
        json!(shared.clock.micros_offset(stage_time))
    } else {
        Value::Null
    };
    let window = match at.stage {
        NaradaStage::Pending => Value::Null,
        _ => json!(format!("win_{:012x}", hash_str(id) >> 16)),
    };
    json!({
        "status": at.stage.status(),
        "response": response,
        "createdAt": shared.clock.micros_offset(task.added),
        "completedAt": completed_at,
        "usage": usage.map(|u| json!({"actions": u.actions, "credits": u.credits})),
        "browserWindowId": window,
    })
}

/// `GET /fast/v2/remote-dispatch/responses/{requestId}`.
pub(crate) fn get_status(shared: &Shared, headers: &HeaderMap, id: &str) -> Reply {
    if !authorised(shared, headers) {
        return error(StatusCode::UNAUTHORIZED, "Invalid or missing API key");
    }
    let now = shared.clock.elapsed();
    let state = shared.lock();
    match state.narada.get(id) {
        Some(task) => Reply::json(StatusCode::OK, render(shared, id, task, now)),
        None => error(StatusCode::NOT_FOUND, "Request not found"),
    }
}
