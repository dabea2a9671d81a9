//! Creating Runware tasks: `POST {base_url}` of a JSON array of task objects, each with a
//! client-generated UUID v4 `taskUUID`, its `taskType` and `"deliveryMethod": "async"`; the
//! immediate answer acknowledges each task with its `taskType` and `taskUUID` in `data`, or
//! refuses it with an error item in `errors`.

use super::Runware;
use crate::common::Parts;
use crate::submit::{
    CONNECT_RETRY_DELAY, CreateCall, Fields, IncompleteBatch, RUNWARE_ATTEMPTS, RejectedTask,
    SubmitError, deserialize_via_from_json, invalid, merge_extra,
};
use futures::StreamExt;
use poller_core::http::Delivery;
use poller_core::{Auth, FetchError, RemoteError, Report, Tracker, TrackerEvent};
use serde_json::{Map, Value, json};
use std::fmt;
use uuid::Uuid;

/// One async Runware task: its `taskType`, its `taskUUID` (a UUID v4 chosen when the task is
/// built, before anything is sent, so every resend carries the same one), an optional
/// `webhookURL`, and the task type's own parameters (`positivePrompt`, `model`, `width` …)
/// in [`fields`](Self::fields).
///
/// `Debug` hides the query of `webhookURL` (Runware's webhooks are authenticated by a token
/// there).
///
/// ```
/// use poller_providers::runware::RunwareTask;
/// let task = RunwareTask::new("imageInference")
///     .field("positivePrompt", "a lighthouse at dawn")
///     .field("model", "runware:101@1")
///     .webhook_url("https://me.example/hook?token=s3cret");
/// let body = task.to_json().unwrap();
/// assert_eq!(body["taskType"], "imageInference");
/// assert_eq!(body["deliveryMethod"], "async");
/// assert_eq!(body["taskUUID"], task.task_uuid.as_str());
/// assert_eq!(uuid::Uuid::parse_str(&task.task_uuid).unwrap().get_version_num(), 4);
/// assert!(!format!("{task:?}").contains("s3cret"));
/// let back: RunwareTask = serde_json::from_value(serde_json::to_value(&task).unwrap()).unwrap();
/// assert_eq!(back, task);
/// ```
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct RunwareTask {
    /// `taskType`, e.g. `imageInference`, `videoInference`.
    pub task_type: String,
    /// `taskUUID`: a UUID v4.
    pub task_uuid: String,
    /// `webhookURL`: where Runware posts the result.
    pub webhook_url: Option<String>,
    /// The task type's own parameters, merged into the task object as they are.
    pub fields: Map<String, Value>,
}

/// The keys this type writes itself.
const OWN_KEYS: [&str; 4] = ["taskType", "taskUUID", "deliveryMethod", "webhookURL"];

impl fmt::Debug for RunwareTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let webhook = self
            .webhook_url
            .as_deref()
            .map(|u| match u.split_once('?') {
                Some((head, _)) => format!("{head}?[redacted]"),
                None => u.to_string(),
            });
        f.debug_struct("RunwareTask")
            .field("task_type", &self.task_type)
            .field("task_uuid", &self.task_uuid)
            .field("webhook_url", &webhook)
            .field("fields", &self.fields)
            .finish()
    }
}

impl RunwareTask {
    /// A task of `task_type` with a new UUID v4.
    ///
    /// ```
    /// let a = poller_providers::runware::RunwareTask::new("videoInference");
    /// let b = poller_providers::runware::RunwareTask::new("videoInference");
    /// assert_ne!(a.task_uuid, b.task_uuid);
    /// ```
    pub fn new(task_type: impl Into<String>) -> Self {
        RunwareTask {
            task_type: task_type.into(),
            task_uuid: Uuid::new_v4().to_string(),
            webhook_url: None,
            fields: Map::new(),
        }
    }

    /// Uses this `taskUUID` instead of the generated one: to resubmit a task whose UUID was
    /// stored before an earlier attempt. It must be a UUID v4 ([`validate`](Self::validate)).
    ///
    /// ```
    /// let t = poller_providers::runware::RunwareTask::new("imageInference")
    ///     .task_uuid("50836053-a0ee-4cf5-b9d6-ae7c5d140ada");
    /// assert_eq!(t.task_uuid, "50836053-a0ee-4cf5-b9d6-ae7c5d140ada");
    /// ```
    pub fn task_uuid(mut self, uuid: impl Into<String>) -> Self {
        self.task_uuid = uuid.into();
        self
    }

    /// Sets `webhookURL`.
    ///
    /// ```
    /// let t = poller_providers::runware::RunwareTask::new("imageInference").webhook_url("https://me.example/h");
    /// assert_eq!(t.to_json().unwrap()["webhookURL"], "https://me.example/h");
    /// ```
    pub fn webhook_url(mut self, url: impl Into<String>) -> Self {
        self.webhook_url = Some(url.into());
        self
    }

    /// Sets one of the task type's parameters.
    ///
    /// ```
    /// let t = poller_providers::runware::RunwareTask::new("imageInference").field("width", 512);
    /// assert_eq!(t.fields["width"], 512);
    /// ```
    pub fn field(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.fields.insert(name.into(), value.into());
        self
    }

    /// Reads one task object as Runware documents it; a missing `taskUUID` is generated, a
    /// `deliveryMethod` other than `async` is refused.
    ///
    /// ```
    /// use poller_providers::runware::RunwareTask;
    /// let t = RunwareTask::from_json(serde_json::json!({"taskType": "imageInference", "positivePrompt": "x"})).unwrap();
    /// assert_eq!(t.fields["positivePrompt"], "x");
    /// let err = RunwareTask::from_json(serde_json::json!({"taskType": "imageInference", "taskUUID": "nope"})).unwrap_err();
    /// assert_eq!(err.to_string(), "invalid request: `taskUUID` must be a UUID v4, not \"nope\"");
    /// ```
    pub fn from_json(body: Value) -> Result<Self, SubmitError> {
        let mut f = Fields::new(body)?;
        let mut task = RunwareTask::new(f.require::<String>("taskType")?);
        if let Some(uuid) = f.take::<String>("taskUUID")? {
            task.task_uuid = uuid;
        }
        match f.take::<String>("deliveryMethod")? {
            None => {}
            Some(m) if m == "async" => {}
            Some(m) => {
                return Err(invalid(
                    "deliveryMethod",
                    format!("must be \"async\" to poll for the result, not {m:?}"),
                ));
            }
        }
        task.webhook_url = f.take("webhookURL")?;
        task.fields = f.rest();
        task.validate()?;
        Ok(task)
    }

    /// Reads one task object or an array of them (see [`from_json`](Self::from_json)).
    ///
    /// ```
    /// use poller_providers::runware::RunwareTask;
    /// let tasks = RunwareTask::many_from_json(serde_json::json!([
    ///     {"taskType": "imageInference"}, {"taskType": "videoInference"}
    /// ])).unwrap();
    /// assert_eq!(tasks.len(), 2);
    /// ```
    pub fn many_from_json(body: Value) -> Result<Vec<Self>, SubmitError> {
        match body {
            Value::Array(items) if items.is_empty() => Err(invalid("body", "holds no task")),
            Value::Array(items) => items.into_iter().map(Self::from_json).collect(),
            one => Ok(vec![Self::from_json(one)?]),
        }
    }

    /// Checks the task: a `taskType`, a UUID v4 `taskUUID`, and no parameter that would
    /// replace one of those.
    ///
    /// ```
    /// let err = poller_providers::runware::RunwareTask::new("imageInference")
    ///     .field("deliveryMethod", "sync").validate().unwrap_err();
    /// assert!(err.to_string().starts_with("invalid request: `deliveryMethod` is set by the task itself"));
    /// ```
    pub fn validate(&self) -> Result<(), SubmitError> {
        if self.task_type.trim().is_empty() {
            return Err(invalid("taskType", "must not be empty"));
        }
        if !is_uuid_v4(&self.task_uuid) {
            return Err(invalid(
                "taskUUID",
                format!("must be a UUID v4, not {:?}", self.task_uuid),
            ));
        }
        if let Some(key) = OWN_KEYS.iter().find(|k| self.fields.contains_key(**k)) {
            return Err(invalid(
                key,
                "is set by the task itself (taskType, taskUUID, webhookURL; deliveryMethod is always async), not as a field",
            ));
        }
        Ok(())
    }

    /// The task object, checked.
    ///
    /// ```
    /// let t = poller_providers::runware::RunwareTask::new("imageInference");
    /// assert_eq!(t.to_json().unwrap().as_object().unwrap().len(), 3);
    /// ```
    pub fn to_json(&self) -> Result<Value, SubmitError> {
        self.validate()?;
        let mut base = json!({
            "taskType": self.task_type,
            "taskUUID": self.task_uuid,
            "deliveryMethod": "async",
        });
        if let Some(url) = &self.webhook_url {
            base["webhookURL"] = json!(url);
        }
        merge_extra(base, &self.fields)
    }
}

fn is_uuid_v4(s: &str) -> bool {
    Uuid::try_parse(s).is_ok_and(|u| u.get_version_num() == 4)
}

/// What one answer said about the tasks it was asked to create.
fn read_acks(body: &[u8]) -> Result<(Vec<String>, Vec<RejectedTask>), FetchError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| FetchError::from_json(&e, body))?;
    if !v.is_object() {
        return Err(FetchError::decode(
            "a Runware answer is a JSON object with `data` and `errors`",
            body,
        ));
    }
    let uuid = |item: &Value| {
        item.get("taskUUID")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let items = |key: &str| {
        v.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let acked = items("data").iter().filter_map(uuid).collect();
    let text = |item: &Value, key: &str| item.get(key).and_then(Value::as_str).map(str::to_owned);
    let rejected = items("errors")
        .iter()
        .filter_map(|item| {
            let message =
                text(item, "message").unwrap_or_else(|| "refused without a message".into());
            let mut error = RemoteError::new(message);
            if let Some(code) = text(item, "code") {
                error = error.with_code(code);
            }
            Some(RejectedTask {
                task_uuid: uuid(item)?,
                error,
            })
        })
        .collect();
    Ok((acked, rejected))
}

impl Runware {
    /// A client from a registry configuration taken apart.
    pub(crate) fn from_config(parts: Parts) -> Result<Self, SubmitError> {
        Ok(Runware::new(parts.key)
            .base_url(parts.base_url)
            .http(parts.http))
    }

    /// Creates these tasks in one request and returns their `taskUUID`s, in order.
    ///
    /// Tasks not acknowledged (a timeout, a cut connection, a 5xx or 429, an answer without
    /// their item) are sent again with the same `taskUUID`, without the tasks already
    /// acknowledged or refused, up to [`RUNWARE_ATTEMPTS`] requests.
    /// Anything short of every task acknowledged is an error listing which tasks exist, which
    /// were refused and which may exist ([`SubmitError::Incomplete`]).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), poller_providers::SubmitError> {
    /// use poller_providers::runware::{Runware, RunwareTask};
    /// let tasks = [
    ///     RunwareTask::new("videoInference").field("positivePrompt", "waves").field("model", "klingai:5@3"),
    ///     RunwareTask::new("videoInference").field("positivePrompt", "dunes").field("model", "klingai:5@3"),
    /// ];
    /// // Store the UUIDs first if the process may die: they are the tasks' ids from now on.
    /// let ids = Runware::from_env()?.submit(&tasks).await?;
    /// assert_eq!(ids[0], tasks[0].task_uuid);
    /// # Ok(()) }
    /// ```
    pub async fn submit(&self, tasks: &[RunwareTask]) -> Result<Vec<String>, SubmitError> {
        if tasks.is_empty() {
            return Err(invalid("body", "holds no task"));
        }
        let mut bodies = Vec::with_capacity(tasks.len());
        for (i, task) in tasks.iter().enumerate() {
            if tasks[..i].iter().any(|t| t.task_uuid == task.task_uuid) {
                return Err(invalid(
                    "taskUUID",
                    format!("{:?} appears twice in the batch", task.task_uuid),
                ));
            }
            bodies.push(task.to_json()?);
        }
        let call = CreateCall::new(
            super::NAME,
            &self.base_url,
            &self.http,
            "",
            Auth::Bearer,
            &self.key,
        )?;
        let mut pending: Vec<usize> = (0..tasks.len()).collect();
        let mut created: Vec<usize> = Vec::new();
        let mut rejected: Vec<RejectedTask> = Vec::new();
        let mut last_error: Option<FetchError> = None;
        let mut maybe_sent = false;
        let mut delay = CONNECT_RETRY_DELAY;
        for attempt in 1..=RUNWARE_ATTEMPTS {
            let body = Value::Array(pending.iter().map(|i| bodies[*i].clone()).collect());
            match call.post(&body).await {
                Ok(response) => {
                    maybe_sent = true;
                    match read_acks(&response.body) {
                        Ok((acked, refused)) => {
                            pending.retain(|i| {
                                let uuid = &tasks[*i].task_uuid;
                                if acked.contains(uuid) {
                                    created.push(*i);
                                    false
                                } else if let Some(r) =
                                    refused.iter().find(|r| &r.task_uuid == uuid)
                                {
                                    rejected.push(r.clone());
                                    false
                                } else {
                                    true
                                }
                            });
                            if !pending.is_empty() {
                                last_error = Some(FetchError::Other {
                                    message: format!(
                                        "HTTP {}: the answer acknowledged {} of the {} tasks sent",
                                        response.status,
                                        body.as_array().map_or(0, Vec::len) - pending.len(),
                                        body.as_array().map_or(0, Vec::len),
                                    ),
                                    class: poller_core::ErrorClass::Transient,
                                });
                            }
                        }
                        Err(e) => last_error = Some(e),
                    }
                }
                Err((e, Delivery::NotSent)) => {
                    last_error = Some(e);
                    break;
                }
                Err((e, Delivery::Answered))
                    if e.is_permanent() && e.http_status().is_some_and(|s| s < 500) =>
                {
                    if !maybe_sent {
                        return Err(call.failure(e, Delivery::Answered, Vec::new()));
                    }
                    last_error = Some(e);
                    break;
                }
                Err((e, _)) => {
                    maybe_sent = true;
                    last_error = Some(e);
                }
            }
            if pending.is_empty() {
                break;
            }
            tracing::debug!(
                attempt,
                left = pending.len(),
                "Runware tasks not acknowledged; sending them again"
            );
            if attempt < RUNWARE_ATTEMPTS {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
        if pending.is_empty() && rejected.is_empty() {
            created.sort_unstable();
            return Ok(created
                .into_iter()
                .map(|i| tasks[i].task_uuid.clone())
                .collect());
        }
        let nothing_known = created.is_empty() && rejected.is_empty();
        match last_error {
            Some(e) if nothing_known && !maybe_sent => {
                Err(call.failure(e, Delivery::NotSent, Vec::new()))
            }
            error => {
                created.sort_unstable();
                Err(SubmitError::Incomplete(Box::new(IncompleteBatch {
                    provider: super::NAME,
                    created: created
                        .into_iter()
                        .map(|i| tasks[i].task_uuid.clone())
                        .collect(),
                    rejected,
                    unknown: pending
                        .into_iter()
                        .map(|i| tasks[i].task_uuid.clone())
                        .collect(),
                    error: error.map(|e| call.redact(e)),
                })))
            }
        }
    }

    /// Creates these tasks, then waits on all of them with this client's policy, through one
    /// [`Tracker`] so that tasks due together are asked about in one `getResponse` request;
    /// the reports come in the tasks' order.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), poller_providers::SubmitError> {
    /// use poller_providers::runware::{Runware, RunwareTask};
    /// let reports = Runware::from_env()?
    ///     .submit_and_wait(&[RunwareTask::new("imageInference").field("positivePrompt", "a fox")])
    ///     .await?;
    /// println!("{}", reports[0].outcome);
    /// # Ok(()) }
    /// ```
    pub async fn submit_and_wait(
        &self,
        tasks: &[RunwareTask],
    ) -> Result<Vec<Report<Vec<Value>>>, SubmitError> {
        let ids = self.submit(tasks).await?;
        let mut tracker = Tracker::new();
        let source = tracker.add_source(self.source()?, self.current_policy().clone());
        for id in &ids {
            tracker.track(source, id.clone());
        }
        let mut reports: Vec<Option<Report<Vec<Value>>>> = ids.iter().map(|_| None).collect();
        while let Some(event) = tracker.next().await {
            if let TrackerEvent::Finished { report, .. } = event {
                // Ids are distinct (checked by `submit`), so each report has one place.
                if let Some(i) = ids.iter().position(|id| *id == report.task_id) {
                    reports[i] = Some(report);
                }
            }
        }
        Ok(reports.into_iter().flatten().collect())
    }
}

deserialize_via_from_json!(RunwareTask);

impl serde::Serialize for RunwareTask {
    /// The task object of [`to_json`](RunwareTask::to_json); a task that does not validate is
    /// a serialization error.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json()
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }
}
