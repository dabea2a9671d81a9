//! Runware `getResponse`: generations, rendering and `POST /v1`.
//!
//! Every request is a `POST /v1` of a JSON array of task objects; many `getResponse` items may
//! share one request. Auth is `Authorization: Bearer <key>` or an
//! `{"taskType": "authentication", "apiKey": ...}` item.

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

use crate::reply::Reply;
use crate::rng::{hash_str, uuid_from};
use crate::script::Script;
use crate::server::Shared;

/// The `documentation` link Runware puts in error items.
pub const RUNWARE_ERRORS_DOC: &str = "https://runware.ai/docs/platform/errors";

/// One stage of one Runware generation.
///
/// Processing-like stages render in `data` with their status; `success` renders in `data` with
/// `videoUUID`, `videoURL` and `cost` (`imageUUID`/`imageURL` for an image task type,
/// `audioUUID`/`audioURL` for audio); `error` renders in `errors` with `code`, `message`,
/// `documentation` and `taskUUID`.
///
/// JSON form (control API), tagged by `status`: `{"status": "processing", "progress": "rising"}`
/// (`progress`: `"rising"`, the default, a number 0-100, or `null` to omit it),
/// `{"status": "queued"}` (also `pending`, `scheduled`, `waiting`),
/// `{"status": "success", "cost": 0.18, "video_uuid": "...", "video_url": "...", "extra": {}}`,
/// `{"status": "error", "code": "timeoutProvider", "message": "..."}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum RunwareStage {
    /// `processing`, optionally with `progress`.
    Processing {
        /// How `progress` is reported.
        #[serde(default)]
        progress: Progress,
    },
    /// `queued`: a still-running status older SDKs know.
    Queued,
    /// `pending`: a still-running status older SDKs know.
    Pending,
    /// `scheduled`: a still-running status older SDKs know.
    Scheduled,
    /// `waiting`: a still-running status older SDKs know.
    Waiting,
    /// `success`: a finished video.
    Success {
        /// `videoUUID`; derived from the task UUID and generation index when `None`.
        #[serde(default)]
        video_uuid: Option<String>,
        /// `videoURL`; `{base_url}/_sim/videos/{videoUUID}.mp4` when `None` (`images/….jpg`,
        /// `audios/….mp3` for image and audio task types).
        #[serde(default)]
        video_url: Option<String>,
        /// `cost` in USD; omitted when `None`.
        #[serde(default)]
        cost: Option<f64>,
        /// Extra fields merged into the item (e.g. `seed`, `imageURL`).
        #[serde(default)]
        extra: Map<String, Value>,
    },
    /// A failed generation, reported in `errors`.
    Error {
        /// `code`, e.g. `timeoutProvider`, `processingFailed`.
        code: String,
        /// `message`.
        message: String,
    },
}

/// How a `processing` stage reports `progress`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Progress {
    /// No `progress` field.
    Omitted,
    /// Always this value (0-100).
    Fixed(u8),
    /// Rises linearly from 0 at the start of the stage towards 100 at its end (capped at 99
    /// while processing); 0 if the stage holds forever.
    #[default]
    Rising,
}

impl Serialize for Progress {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Progress::Omitted => s.serialize_none(),
            Progress::Fixed(p) => s.serialize_u8(*p),
            Progress::Rising => s.serialize_str("rising"),
        }
    }
}

impl<'de> Deserialize<'de> for Progress {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(Progress::Omitted),
            Some(Value::String(s)) if s == "rising" => Ok(Progress::Rising),
            Some(Value::Number(n)) => n
                .as_u64()
                .filter(|p| *p <= 100)
                .map(|p| Progress::Fixed(p as u8))
                .ok_or_else(|| D::Error::custom("progress must be 0-100")),
            Some(other) => Err(D::Error::custom(format!(
                "progress must be \"rising\", a number or null, not {other}"
            ))),
        }
    }
}

impl RunwareStage {
    /// `processing` with rising progress.
    pub fn processing() -> Self {
        RunwareStage::Processing {
            progress: Progress::Rising,
        }
    }

    /// `success` with the given cost and generated `videoUUID`/`videoURL`.
    pub fn success(cost: f64) -> Self {
        RunwareStage::Success {
            video_uuid: None,
            video_url: None,
            cost: Some(cost),
            extra: Map::new(),
        }
    }

    /// A failed generation.
    pub fn error(code: impl Into<String>, message: impl Into<String>) -> Self {
        RunwareStage::Error {
            code: code.into(),
            message: message.into(),
        }
    }

    /// The wire status string.
    pub fn status(&self) -> &'static str {
        match self {
            RunwareStage::Processing { .. } => "processing",
            RunwareStage::Queued => "queued",
            RunwareStage::Pending => "pending",
            RunwareStage::Scheduled => "scheduled",
            RunwareStage::Waiting => "waiting",
            RunwareStage::Success { .. } => "success",
            RunwareStage::Error { .. } => "error",
        }
    }
}

impl Script<RunwareStage> {
    /// A generation that processes (progress rising) for `after`, then succeeds with `cost`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use poller_sim::{RunwareStage, Script};
    /// let g = Script::runware_success_after(Duration::from_secs(20), 0.18);
    /// assert_eq!(g.stage_at(Duration::from_secs(20)).stage.status(), "success");
    /// ```
    pub fn runware_success_after(after: Duration, cost: f64) -> Self {
        Script::new(RunwareStage::processing()).then_after(after, RunwareStage::success(cost))
    }

    /// A generation that processes for `after`, then fails with `code` and `message`.
    pub fn runware_error_after(
        after: Duration,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Script::new(RunwareStage::processing())
            .then_after(after, RunwareStage::error(code, message))
    }
}

/// A Runware async task: its `taskType` and one script per generation.
///
/// A `getResponse` for the task returns one item per generation, in order (a task with no
/// generations returns no items at all).
///
/// JSON form (control API): `{"task_type": "videoInference", "generations": [[stage, ...], ...]}`,
/// each generation a [`Script`] of [`RunwareStage`]s.
///
/// ```
/// use std::time::Duration;
/// use poller_sim::{RunwareTask, Script};
/// let task = RunwareTask::video()
///     .with_generation(Script::runware_success_after(Duration::from_secs(10), 0.18))
///     .with_generation(Script::runware_error_after(Duration::from_secs(15), "timeoutProvider", "late"));
/// assert_eq!(task.generations.len(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct RunwareTask {
    /// The `taskType` shown on each item.
    ///
    /// # Default
    ///
    /// `videoInference`.
    #[serde(default = "video_inference")]
    pub task_type: String,
    /// One script per generation.
    pub generations: Vec<Script<RunwareStage>>,
}

fn video_inference() -> String {
    "videoInference".into()
}

impl RunwareTask {
    /// A task of the given `taskType` with no generations yet.
    pub fn new(task_type: impl Into<String>) -> Self {
        RunwareTask {
            task_type: task_type.into(),
            generations: Vec::new(),
        }
    }

    /// A `videoInference` task with no generations yet.
    pub fn video() -> Self {
        RunwareTask::new(video_inference())
    }

    /// Adds a generation.
    #[must_use]
    pub fn with_generation(mut self, generation: Script<RunwareStage>) -> Self {
        self.generations.push(generation);
        self
    }
}

impl From<Script<RunwareStage>> for RunwareTask {
    /// A `videoInference` task with this single generation.
    fn from(generation: Script<RunwareStage>) -> Self {
        RunwareTask::video().with_generation(generation)
    }
}

/// A Runware task held by the simulator.
#[derive(Clone, Debug)]
pub(crate) struct RunwareEntry {
    pub(crate) added: Duration,
    pub(crate) task: RunwareTask,
}

/// One error item in Runware's style.
pub(crate) fn error_item(code: &str, message: &str, task_uuid: Option<&str>) -> Value {
    let mut item = json!({
        "code": code,
        "status": "error",
        "message": message,
        "documentation": RUNWARE_ERRORS_DOC,
    });
    if let Some(uuid) = task_uuid {
        item["taskUUID"] = json!(uuid);
    }
    item
}

/// A whole-request error body: `{"data": [], "errors": [item]}`.
pub(crate) fn error_body(code: &str, message: &str) -> Value {
    json!({ "data": [], "errors": [error_item(code, message, None)] })
}

pub(crate) fn error(status: StatusCode, code: &str, message: &str) -> Reply {
    Reply::json(status, error_body(code, message))
}

/// Renders every generation of a task into `data` and `errors`.
pub(crate) fn render(
    shared: &Shared,
    uuid: &str,
    entry: &RunwareEntry,
    now: Duration,
    data: &mut Vec<Value>,
    errors: &mut Vec<Value>,
) {
    for i in 0..entry.task.generations.len() {
        match render_item(shared, uuid, entry, i, now) {
            Some(Ok(item)) => data.push(item),
            Some(Err(error)) => errors.push(error),
            None => {}
        }
    }
}

/// Renders generation `i` of a task as `getResponse` shows it at `now`: `Ok` for an item of
/// `data`, `Err` for an item of `errors`; `None` if the task has no such generation.
/// What a finished item of this task type holds, and the file extension of its URL: Runware
/// names the fields after the medium (`imageUUID`/`imageURL` for image tasks, `audioUUID`/
/// `audioURL` for audio, `videoUUID`/`videoURL` as in the `getResponse` page's example).
fn media_of(task_type: &str) -> (&'static str, &'static str) {
    if task_type.starts_with("image") || task_type == "photoMaker" {
        ("image", "jpg")
    } else if task_type.starts_with("audio") {
        ("audio", "mp3")
    } else {
        ("video", "mp4")
    }
}

pub(crate) fn render_item(
    shared: &Shared,
    uuid: &str,
    entry: &RunwareEntry,
    i: usize,
    now: Duration,
) -> Option<Result<Value, Value>> {
    let generation = entry.task.generations.get(i)?;
    let elapsed = now.saturating_sub(entry.added);
    let at = generation.stage_at(elapsed);
    let mut item = json!({
        "taskType": entry.task.task_type,
        "taskUUID": uuid,
        "status": at.stage.status(),
    });
    match at.stage {
        RunwareStage::Processing { progress } => {
            let p = match (progress, at.ends) {
                (Progress::Omitted, _) => None,
                (Progress::Fixed(p), _) => Some(u64::from(*p)),
                (Progress::Rising, None) => Some(0),
                (Progress::Rising, Some(end)) => {
                    let span = (end - at.started).as_nanos().max(1);
                    let done = (elapsed - at.started).as_nanos();
                    Some(((done * 100 / span) as u64).min(99))
                }
            };
            if let Some(p) = p {
                item["progress"] = json!(p);
            }
        }
        RunwareStage::Success {
            video_uuid,
            video_url,
            cost,
            extra,
        } => {
            let (media, ext) = media_of(&entry.task.task_type);
            let vid = video_uuid
                .clone()
                .unwrap_or_else(|| uuid_from(hash_str(uuid) ^ (i as u64 + 1)));
            let url = video_url
                .clone()
                .unwrap_or_else(|| format!("{}/_sim/{media}s/{vid}.{ext}", shared.base_url));
            item[format!("{media}UUID")] = json!(vid);
            item[format!("{media}URL")] = json!(url);
            if let Some(c) = cost {
                item["cost"] = json!(c);
            }
            if let Some(obj) = item.as_object_mut() {
                for (k, v) in extra {
                    obj.insert(k.clone(), v.clone());
                }
            }
        }
        RunwareStage::Error { code, message } => {
            return Some(Err(error_item(code, message, Some(uuid))));
        }
        _ => {}
    }
    Some(Ok(item))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// The `taskUUID`s of the items of a request body, but `authentication` (for the log and
/// faults): the tasks asked about and the tasks being created.
pub(crate) fn task_uuids(body: &[u8]) -> Vec<String> {
    let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    let uuids = items
        .iter()
        .filter(|item| item["taskType"] != "authentication")
        .filter_map(|item| item["taskUUID"].as_str());
    for uuid in uuids {
        if !out.iter().any(|u| u == uuid) {
            out.push(uuid.to_owned());
        }
    }
    out
}

/// `POST /v1`.
///
/// Authorised when the bearer token is right, or when there is no `Authorization` header and an
/// `authentication` item carries the right `apiKey` (which also adds an `authentication` item
/// with a `connectionSessionUUID` to `data`). A wrong key anywhere gives 401 with an
/// `invalidApiKey` error item. A body that is not a JSON array gives 400 `invalidPayload`.
/// Per item: an unknown `taskUUID` gives an error item `taskFailedOrNotFound`; a missing one
/// `missingTaskUUID`; any other `taskType` `unsupportedTaskType`.
pub(crate) fn post(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Reply {
    let items = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(items)) => items,
        Ok(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalidPayload",
                "The request body must be a JSON array of task objects.",
            );
        }
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalidPayload",
                &format!("The request body is not valid JSON: {e}"),
            );
        }
    };
    let key = &shared.keys.runware;
    let auth_items: Vec<&Value> = items
        .iter()
        .filter(|i| i["taskType"] == "authentication")
        .collect();
    let authorised = match bearer(headers) {
        Some(token) => token == key && auth_items.iter().all(|i| i["apiKey"] == key.as_str()),
        None if headers.contains_key("authorization") => false,
        None => !auth_items.is_empty() && auth_items.iter().all(|i| i["apiKey"] == key.as_str()),
    };
    if !authorised {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalidApiKey",
            "Invalid API key. Get one at https://my.runware.ai",
        );
    }

    let now = shared.clock.elapsed();
    let mut state = shared.lock();
    let mut data = Vec::new();
    let mut errors = Vec::new();
    let mut creating = 0;
    for item in &items {
        let task_type = item["taskType"].as_str();
        match task_type {
            Some("authentication") => {
                let session = uuid_from(hash_str(&shared.base_url) ^ now.as_nanos() as u64);
                data.push(json!({
                    "taskType": "authentication",
                    "connectionSessionUUID": session,
                }));
            }
            Some("getResponse") => match item["taskUUID"].as_str() {
                Some(uuid) => match state.runware.get(uuid) {
                    Some(entry) => render(shared, uuid, entry, now, &mut data, &mut errors),
                    None => errors.push(error_item(
                        "taskFailedOrNotFound",
                        "The task was not found or has failed. Check the taskUUID.",
                        Some(uuid),
                    )),
                },
                None => errors.push(error_item(
                    "missingTaskUUID",
                    "getResponse needs a taskUUID.",
                    None,
                )),
            },
            Some(t) if crate::create::runware::TASK_TYPES.contains(&t) => {
                match crate::create::runware::create(&mut state, item, t, now) {
                    Ok(ack) => data.push(ack),
                    Err(e) => errors.push(e),
                }
                creating += 1;
            }
            _ => {
                let mut e = error_item(
                    "unsupportedTaskType",
                    "The simulator serves getResponse, authentication and the task types in poller_sim's docs.",
                    item["taskUUID"].as_str(),
                );
                if let Some(t) = task_type {
                    e["taskType"] = json!(t);
                }
                errors.push(e);
            }
        }
    }
    // A request that only creates tasks and got none of them accepted is a 400 (Runware
    // refuses a bad request as a whole); otherwise per-item errors sit beside the data.
    let status = if creating > 0 && creating == items.len() && data.is_empty() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Reply::json(status, json!({ "data": data, "errors": errors }))
}
