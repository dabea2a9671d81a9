//! Runware `getResponse`: `POST {base_url}` of a JSON array
//! `[{"taskType": "getResponse", "taskUUID": …}, …]` with `Authorization: Bearer <key>`.
//!
//! ```no_run
//! # async fn run() -> Result<(), poller_core::ConfigError> {
//! use poller_providers::runware::Runware;
//! let report = Runware::from_env()?.wait("50836053-a0ee-4cf5-b9d6-ae7c5d140ada").await?;
//! for item in report.outcome.last_status().and_then(|s| s.output.as_ref()).into_iter().flatten() {
//!     println!("{}", item["videoURL"]);
//! }
//! # Ok(()) }
//! ```
//!
//! One answer covers many tasks, and one task has one item per generation: processing and
//! successful generations in `data`, failed ones in `errors`. [`RunwareSource`] is therefore
//! a [`BatchStatusSource`]: one request asks about up to [`MAX_BATCH`] tasks (the
//! [`Tracker`](poller_core::Tracker) uses this when it polls several Runware tasks at once),
//! and the answer is split back per task by `taskUUID`.
//!
//! # A task's status, from all its items
//!
//! | items of the task | phase | raw status |
//! |---|---|---|
//! | any `processing` | [`Running`](poller_core::Phase::Running) | `processing` |
//! | else any `queued`, `pending`, `scheduled` or `waiting` (older SDKs' values) | [`Queued`](poller_core::Phase::Queued) | that value |
//! | else any error item | [`Failed`](poller_core::Phase::Failed), with the first error's `code` and `message` | `error` |
//! | else (every item `success`) | [`Succeeded`](poller_core::Phase::Succeeded) | `success` |
//! | none at all | a permanent [`FetchError`] naming the task | |
//!
//! A task is final only once no generation is still running, so a failed generation does not
//! hide the others' results. Any other item status is a permanent
//! [`FetchError::UnknownStatus`].
//!
//! - Output: the task's `data` items (each generation's JSON as Runware sent it, with its own
//!   `status`), in order, once there is at least one; successful generations appear there as
//!   soon as they finish, before the task ends.
//! - Progress: when any item carries `progress` (0-100), the mean over the task's `data`
//!   items, a finished generation counting 100 and a running one without `progress` 0.
//! - Details: `errors` (every error item of the task) when there is one, `cost` (the sum of
//!   the items' `cost`) when any item has one.
//!
//! Errors of the whole call (HTTP 401 for a bad key, 400, 5xx …) fail every task of the call;
//! 429 (queue full), 503 and 504 are transient, as [`FetchError`] classifies them, and a
//! `Retry-After` is kept.
//!
//! # Default policy
//!
//! [`default_policy`]: the newest official SDKs' schedule: wait 1 s, then poll every 0.5 s
//! growing ×1.5 up to 10 s, for at most 20 minutes, never sooner than a `Retry-After`. It
//! matches the vendor's advice ("start with 1-2 second intervals and gradually increase the
//! delay", "consider adding an initial delay").
//!
//! # Why no derive
//!
//! `#[derive(StatusResponse)]` maps one body to one task through one status field. A Runware
//! answer holds many tasks, each with many items split across two arrays, and the request is
//! a POST whose body lists the tasks, so this module is written by hand on
//! [`HttpClient`]: [`RunwareResponse`] parses the answer and
//! [`status_of`](RunwareResponse::status_of) applies the rules above.

#[path = "runware_submit.rs"]
mod submit;
pub use submit::RunwareTask;

use crate::common::{self, client_methods};
use async_trait::async_trait;
use poller_core::http::{HttpClient, check_base_url};
use poller_core::{
    ApiKey, Auth, BatchStatusSource, BoxPolicy, ConfigError, DynSource, ErrorClass, Exponential,
    FetchError, HttpOptions, JsonSource, Phase, PollPolicyExt, Progress, Provider, RemoteError,
    SourceConfig, Status, StatusSource,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The registry name.
pub const NAME: &str = "runware";
/// The production endpoint (every request is a `POST` to it).
pub const DEFAULT_BASE_URL: &str = "https://api.runware.ai/v1";
/// The environment variable the key is read from.
pub const KEY_ENV: &str = "RUNWARE_API_KEY";
/// The vendor's documentation of task polling.
pub const DOCS_URL: &str = "https://runware.ai/docs/platform/task-polling";
/// The most tasks one request asks about, by default.
pub const MAX_BATCH: usize = 100;
/// [`default_policy`] in words.
pub const POLICY_SUMMARY: &str =
    "wait 1 s, then 0.5 s growing x1.5 to 10 s; at most 20 min (the newest official SDKs)";

/// Item statuses older SDKs also treat as still running.
const WAITING: &[&str] = &["queued", "pending", "scheduled", "waiting"];

/// The newest official SDKs' schedule: wait 1 s, then poll every 0.5 s growing ×1.5 up to
/// 10 s, for at most 20 minutes, honouring `Retry-After`.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Observation, PollPolicy};
/// let p = poller_providers::runware::default_policy();
/// assert_eq!(p.deadline(), Some(Duration::from_secs(20 * 60)));
/// let d = |n| p.decide(&Observation::new(n, Duration::ZERO)).delay().unwrap().as_micros();
/// assert_eq!([d(0), d(1), d(2), d(3), d(4), d(20)], [1_000_000, 500_000, 750_000, 1_125_000, 1_687_500, 10_000_000]);
/// ```
pub fn default_policy() -> BoxPolicy {
    schedule()
        .with_deadline(DEFAULT_TIMEOUT)
        .honor_retry_after()
        .boxed()
}

/// The overall time limit of [`default_policy`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// The schedule of [`default_policy`] without its time limit (what the registry entry holds,
/// so that a caller's own timeout can replace [`DEFAULT_TIMEOUT`]).
///
/// ```
/// use poller_core::PollPolicy;
/// assert_eq!(poller_providers::runware::schedule().deadline(), None);
/// ```
pub fn schedule() -> BoxPolicy {
    Exponential::new(Duration::from_millis(500), 1.5, Duration::from_secs(10))
        .with_initial_delay(Duration::from_secs(1))
        .boxed()
}

/// The body of every Runware answer: `data` and `errors`, one item per generation (or per
/// request-level error).
///
/// ```
/// use poller_core::Phase;
/// use poller_providers::runware::RunwareResponse;
/// let answer = RunwareResponse::parse(br#"{"data": [
///     {"taskType": "videoInference", "taskUUID": "t1", "status": "processing", "progress": 40},
///     {"taskType": "videoInference", "taskUUID": "t1", "status": "success", "videoURL": "https://v/1.mp4"}
/// ], "errors": []}"#).unwrap();
/// let s = answer.status_of("t1").unwrap();
/// assert_eq!(s.phase, Phase::Running);
/// assert_eq!(s.progress.unwrap().percent, Some(70.0));
/// assert_eq!(s.output.unwrap()[1]["videoURL"], "https://v/1.mp4");
/// assert!(answer.status_of("t2").is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunwareResponse {
    /// Processing and successful items.
    #[serde(default)]
    pub data: Vec<Value>,
    /// Error items (`code`, `message`, `taskUUID` …).
    #[serde(default)]
    pub errors: Vec<Value>,
}

fn task_uuid(item: &Value) -> Option<&str> {
    item.get("taskUUID").and_then(Value::as_str)
}

fn item_status(item: &Value) -> Option<&str> {
    item.get("status").and_then(Value::as_str)
}

fn text(item: &Value, key: &str) -> Option<String> {
    match item.get(key)? {
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn remote_error(item: &Value) -> RemoteError {
    let code = text(item, "code");
    let message = text(item, "message")
        .or_else(|| code.clone())
        .unwrap_or_else(|| "the generation failed without a message".to_string());
    match code {
        Some(code) => RemoteError::new(message).with_code(code),
        None => RemoteError::new(message),
    }
}

impl RunwareResponse {
    /// Parses an answer. Malformed JSON is a permanent [`FetchError::Decode`], a truncated
    /// body a transient one.
    ///
    /// ```
    /// use poller_providers::runware::RunwareResponse;
    /// assert!(RunwareResponse::parse(b"<html>502</html>").unwrap_err().is_permanent());
    /// assert!(RunwareResponse::parse(br#"{"data": [{"status": "proc"#).unwrap_err().is_transient());
    /// ```
    pub fn parse(body: &[u8]) -> Result<Self, FetchError> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| FetchError::from_json(&e, body))?;
        if !value.is_object() {
            // serde would read a struct from an array too; Runware always answers an object.
            return Err(FetchError::decode(
                "a Runware answer is a JSON object with `data` and `errors`",
                body,
            ));
        }
        serde_json::from_value(value).map_err(|e| FetchError::decode(e.to_string(), body))
    }

    /// The `data` items and the error items (those in `errors`, or with status `error`) of
    /// one task, in order.
    ///
    /// ```
    /// let a: poller_providers::runware::RunwareResponse = serde_json::from_str(
    ///     r#"{"data": [{"taskUUID": "a", "status": "success"}], "errors": [{"taskUUID": "a", "code": "x"}]}"#).unwrap();
    /// let (data, errors) = a.items_of("a");
    /// assert_eq!((data.len(), errors.len()), (1, 1));
    /// ```
    pub fn items_of(&self, task_uuid: &str) -> (Vec<&Value>, Vec<&Value>) {
        let mine = |item: &&Value| self::task_uuid(item) == Some(task_uuid);
        let (errors_in_data, data): (Vec<&Value>, Vec<&Value>) = self
            .data
            .iter()
            .filter(mine)
            .partition(|item| item_status(item) == Some("error"));
        let mut errors: Vec<&Value> = self.errors.iter().filter(mine).collect();
        errors.extend(errors_in_data);
        (data, errors)
    }

    /// The status of one task, from all its items (see the [module docs](self)); an error
    /// when the answer has no item for it at all, or an item status nobody mapped.
    ///
    /// ```
    /// use poller_core::Phase;
    /// use poller_providers::runware::RunwareResponse;
    /// let a: RunwareResponse = serde_json::from_str(r#"{"data": [
    ///     {"taskUUID": "t", "status": "success", "videoURL": "https://v/1.mp4", "cost": 0.18}
    /// ], "errors": [
    ///     {"taskUUID": "t", "status": "error", "code": "timeoutProvider", "message": "too slow"}
    /// ]}"#).unwrap();
    /// let s = a.status_of("t").unwrap();
    /// assert_eq!(s.phase, Phase::Failed);
    /// assert_eq!(s.error.unwrap().to_string(), "timeoutProvider: too slow");
    /// assert_eq!(s.output.unwrap().len(), 1); // the successful generation is kept
    /// ```
    pub fn status_of(&self, task_uuid: &str) -> Result<Status<Vec<Value>>, FetchError> {
        let (data, errors) = self.items_of(task_uuid);
        if data.is_empty() && errors.is_empty() {
            return Err(self.no_item_error(task_uuid));
        }
        let mut processing = false;
        let mut waiting: Option<&str> = None;
        for item in &data {
            match item_status(item) {
                Some("processing") => processing = true,
                Some(s) if WAITING.contains(&s) => {
                    waiting.get_or_insert(s);
                }
                Some("success") => {}
                Some(other) => return Err(FetchError::unknown_status(other)),
                None => {
                    let body = item.to_string();
                    return Err(FetchError::decode(
                        format!("a Runware item of task {task_uuid:?} has no `status`"),
                        body.as_bytes(),
                    ));
                }
            }
        }
        let mut status = if processing {
            Status::new(Phase::Running, "processing")
        } else if let Some(raw) = waiting {
            Status::new(Phase::Queued, raw)
        } else if let Some(first) = errors.first() {
            Status::new(Phase::Failed, "error").with_error(remote_error(first))
        } else {
            Status::new(Phase::Succeeded, "success")
        };

        if data
            .iter()
            .any(|i| i.get("progress").and_then(Value::as_f64).is_some())
        {
            let sum: f64 = data
                .iter()
                .map(
                    |i| match (item_status(i), i.get("progress").and_then(Value::as_f64)) {
                        (Some("success"), _) => 100.0,
                        (_, Some(p)) if p.is_finite() => p.clamp(0.0, 100.0),
                        _ => 0.0,
                    },
                )
                .sum();
            status.progress = Some(Progress::default().with_percent(sum / data.len() as f64));
        }
        let costs: Vec<f64> = data
            .iter()
            .filter_map(|i| i.get("cost").and_then(Value::as_f64))
            .collect();
        if !costs.is_empty() {
            status = status.with_detail("cost", costs.iter().sum::<f64>());
        }
        if !errors.is_empty() {
            let all: Vec<Value> = errors.iter().map(|e| (*e).clone()).collect();
            status = status.with_detail("errors", all);
        }
        if !data.is_empty() {
            status.output = Some(data.into_iter().cloned().collect());
        }
        Ok(status)
    }

    fn no_item_error(&self, task_uuid: &str) -> FetchError {
        let unattributed: Vec<String> = self
            .errors
            .iter()
            .filter(|e| self::task_uuid(e).is_none())
            .map(|e| remote_error(e).to_string())
            .collect();
        let mut message = format!(
            "Runware's answer has no item for taskUUID {:?}",
            poller_core::excerpt(task_uuid.as_bytes())
        );
        if !unattributed.is_empty() {
            message.push_str("; errors without a taskUUID: ");
            message.push_str(&unattributed.join("; "));
        }
        FetchError::Other {
            message,
            class: ErrorClass::Permanent,
        }
    }
}

/// A [`StatusSource`] and [`BatchStatusSource`] for Runware's `getResponse`, with output the
/// task's generation items.
///
/// ```
/// use poller_core::{BatchStatusSource, StatusSource};
/// use poller_providers::runware::RunwareSource;
/// let source = RunwareSource::new("my-key").unwrap();
/// assert_eq!(source.url(), "https://api.runware.ai/v1");
/// assert_eq!(source.as_batch().unwrap().max_batch(), 100);
/// assert!(!format!("{source:?}").contains("my-key"));
/// ```
#[derive(Debug, Clone)]
pub struct RunwareSource {
    client: HttpClient,
    url: String,
    key: ApiKey,
    max_batch: usize,
}

impl RunwareSource {
    /// A source for the production endpoint with `api_key` and default transport settings.
    pub fn new(api_key: impl Into<ApiKey>) -> Result<Self, ConfigError> {
        Self::with_options(DEFAULT_BASE_URL, api_key, HttpOptions::default())
    }

    /// A source for the endpoint `base_url` (`https://`, or `http://` to loopback).
    pub fn with_options(
        base_url: &str,
        api_key: impl Into<ApiKey>,
        options: HttpOptions,
    ) -> Result<Self, ConfigError> {
        let url = check_base_url(base_url, options.allow_insecure_http)?;
        Ok(RunwareSource {
            client: HttpClient::new(options)?,
            url: url.to_string(),
            key: api_key.into(),
            max_batch: MAX_BATCH,
        })
    }

    /// Sets the most tasks one request asks about (at least 1).
    ///
    /// # Default
    /// [`MAX_BATCH`] (100).
    pub fn with_max_batch(mut self, max: usize) -> Self {
        self.max_batch = max.max(1);
        self
    }

    /// The endpoint every request is posted to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The request body for these tasks: one `getResponse` item per distinct id.
    ///
    /// ```
    /// let body = poller_providers::runware::RunwareSource::request_body(&["a", "b", "a"]);
    /// assert_eq!(body, serde_json::json!([
    ///     {"taskType": "getResponse", "taskUUID": "a"},
    ///     {"taskType": "getResponse", "taskUUID": "b"},
    /// ]));
    /// ```
    pub fn request_body(task_ids: &[&str]) -> Value {
        let mut seen: Vec<&str> = Vec::with_capacity(task_ids.len());
        for id in task_ids {
            if !seen.contains(id) {
                seen.push(id);
            }
        }
        Value::Array(
            seen.into_iter()
                .map(|id| json!({"taskType": "getResponse", "taskUUID": id}))
                .collect(),
        )
    }

    /// One request for at most `max_batch` ids.
    async fn call(
        &self,
        task_ids: &[&str],
    ) -> Result<Vec<Result<Status<Vec<Value>>, FetchError>>, FetchError> {
        let body = Self::request_body(task_ids).to_string();
        let request = self
            .client
            .reqwest()
            .post(self.url.as_str())
            .header("content-type", "application/json")
            .body(body);
        // A server that echoes the key back must not put it into an error message.
        let redact = |e: FetchError| e.redact(self.key.expose());
        let request = self
            .client
            .authorize(request, Auth::Bearer, &self.key)
            .map_err(redact)?;
        let response = self.client.send(request).await.map_err(redact)?;
        let answer = RunwareResponse::parse(&response.body).map_err(redact)?;
        Ok(task_ids
            .iter()
            .map(|id| {
                answer
                    .status_of(id)
                    .map(|mut s| {
                        if s.retry_after.is_none() {
                            s.retry_after = response.retry_after;
                        }
                        s
                    })
                    .map_err(redact)
            })
            .collect())
    }
}

#[async_trait]
impl StatusSource for RunwareSource {
    type Output = Vec<Value>;

    fn name(&self) -> &str {
        NAME
    }

    async fn fetch(&self, task_id: &str) -> Result<Status<Vec<Value>>, FetchError> {
        self.call(&[task_id])
            .await?
            .pop()
            .expect("one result per id")
    }

    fn as_batch(&self) -> Option<&dyn BatchStatusSource<Output = Vec<Value>>> {
        Some(self)
    }
}

#[async_trait]
impl BatchStatusSource for RunwareSource {
    fn max_batch(&self) -> usize {
        self.max_batch
    }

    /// Asks about every id in one request (in several, one after the other, when there are
    /// more than [`max_batch`](BatchStatusSource::max_batch)).
    async fn fetch_many(
        &self,
        task_ids: &[&str],
    ) -> Result<Vec<Result<Status<Vec<Value>>, FetchError>>, FetchError> {
        let mut out = Vec::with_capacity(task_ids.len());
        for chunk in task_ids.chunks(self.max_batch) {
            out.extend(self.call(chunk).await?);
        }
        Ok(out)
    }
}

/// A source for the production endpoint with `api_key` and default transport settings.
///
/// ```
/// assert!(poller_providers::runware::source("my-key").is_ok());
/// ```
pub fn source(api_key: impl Into<ApiKey>) -> Result<RunwareSource, ConfigError> {
    Runware::new(api_key).source()
}

/// A Runware client: endpoint, key, batch size, transport settings and polling schedule,
/// ending in a source, a [`Poller`](poller_core::Poller) or a finished wait.
///
/// # Default
/// Endpoint [`DEFAULT_BASE_URL`], batches of [`MAX_BATCH`], [`HttpOptions::default`],
/// [`default_policy`].
///
/// ```
/// use poller_providers::runware::Runware;
/// let source = Runware::new("k").base_url("http://127.0.0.1:9000/v1").max_batch(10).source().unwrap();
/// assert_eq!(source.url(), "http://127.0.0.1:9000/v1");
/// ```
#[derive(Debug, Clone)]
pub struct Runware {
    key: ApiKey,
    base_url: String,
    max_batch: usize,
    http: HttpOptions,
    policy: BoxPolicy,
}

impl Runware {
    /// A client for the production endpoint with `api_key`.
    pub fn new(api_key: impl Into<ApiKey>) -> Self {
        Runware {
            key: api_key.into(),
            base_url: DEFAULT_BASE_URL.to_string(),
            max_batch: MAX_BATCH,
            http: HttpOptions::default(),
            policy: default_policy(),
        }
    }

    /// A client with the key from `RUNWARE_API_KEY`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Runware::new(common::key_from_env(KEY_ENV)?))
    }

    /// Sets the endpoint (`https://`, or `http://` to loopback).
    ///
    /// # Default
    /// [`DEFAULT_BASE_URL`].
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Sets the most tasks one request asks about.
    ///
    /// # Default
    /// [`MAX_BATCH`].
    pub fn max_batch(mut self, max: usize) -> Self {
        self.max_batch = max;
        self
    }

    /// The source.
    pub fn source(&self) -> Result<RunwareSource, ConfigError> {
        Ok(
            RunwareSource::with_options(&self.base_url, self.key.clone(), self.http.clone())?
                .with_max_batch(self.max_batch),
        )
    }
}

client_methods!(Runware, RunwareSource, Vec<Value>);

fn build(config: SourceConfig) -> Result<DynSource, ConfigError> {
    let parts = common::parts(config, KEY_ENV, Some(DEFAULT_BASE_URL), DEFAULT_BASE_URL)?;
    let source = Runware::new(parts.key)
        .base_url(parts.base_url)
        .http(parts.http)
        .source()?;
    Ok(Arc::new(JsonSource::new(source)))
}

poller_core::inventory::submit! {
    Provider {
        name: NAME,
        summary: "Runware: image and video generation tasks (async delivery)",
        docs_url: DOCS_URL,
        default_base_url: Some(DEFAULT_BASE_URL),
        base_url_hint: DEFAULT_BASE_URL,
        key_env: KEY_ENV,
        params: &[],
        default_policy: schedule,
        default_timeout: DEFAULT_TIMEOUT,
        policy_summary: POLICY_SUMMARY,
        build,
    }
}
