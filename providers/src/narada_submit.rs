//! Creating Narada tasks: `POST {base_url}/fast/v2/remote-dispatch`, header `x-api-key`;
//! the answer is 202 `{"requestId": "req_…"}`.

use super::Narada;
use crate::common::Parts;
use crate::submit::{
    CreateCall, Fields, SubmitError, deserialize_via_from_json, invalid, merge_extra,
};
use poller_core::{Auth, Report};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// The create endpoint's path.
pub const CREATE_PATH: &str = "/fast/v2/remote-dispatch";

/// Where a Narada task runs (`executionMode`).
///
/// ```
/// use poller_providers::narada::ExecutionMode;
/// assert_eq!(serde_json::to_value(ExecutionMode::CloudBrowser).unwrap(), "cloud_browser");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ExecutionMode {
    /// `client`: in the user's own browser window; needs `browserWindowId`.
    Client,
    /// `cloud`.
    Cloud,
    /// `cloud_browser`.
    CloudBrowser,
}

/// The body of `POST /fast/v2/remote-dispatch`, with the documented fields; unset fields are
/// left out. Fields not modelled here go in [`extra`](Self::extra) and are merged in.
///
/// `Debug` hides `callbackSecret` and the values of `callbackHeaders` (they hold credentials
/// such as `Authorization`).
///
/// ```
/// use poller_providers::narada::{ExecutionMode, NaradaRequest};
/// let request = NaradaRequest::new("/Operator find the cheapest flight to Lisbon")
///     .execution_mode(ExecutionMode::Client)
///     .browser_window_id("win_123")
///     .callback_secret("s3cret");
/// assert_eq!(request.to_json().unwrap(), serde_json::json!({
///     "prompt": "/Operator find the cheapest flight to Lisbon",
///     "executionMode": "client",
///     "browserWindowId": "win_123",
///     "callbackSecret": "s3cret",
/// }));
/// assert!(!format!("{request:?}").contains("s3cret"));
/// // serde reads the vendor's JSON form with the same checks.
/// let parsed: NaradaRequest = serde_json::from_value(request.to_json().unwrap()).unwrap();
/// assert_eq!(parsed, request);
/// // Checked before anything is sent:
/// let err = NaradaRequest::new("hi").execution_mode(ExecutionMode::Client).validate().unwrap_err();
/// assert_eq!(err.to_string(), "invalid request: `browserWindowId` is required when executionMode is client");
/// ```
#[derive(Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct NaradaRequest {
    /// What to do (required); a leading `/Operator` selects the web agent.
    pub prompt: String,
    /// `executionMode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_mode: Option<ExecutionMode>,
    /// `browserWindowId`: required with [`ExecutionMode::Client`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser_window_id: Option<String>,
    /// `clearChat`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clear_chat: Option<bool>,
    /// `previousRequestId`: continue from an earlier task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_request_id: Option<String>,
    /// `generateGif`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generate_gif: Option<bool>,
    /// `responseFormat`: a JSON Schema for the response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<Value>,
    /// `callbackUrl`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// `callbackHeaders` sent with the callback (e.g. `Authorization`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_headers: Option<BTreeMap<String, String>>,
    /// `callbackSecret`, sent back in the callback's payload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_secret: Option<String>,
    /// Fields not modelled above, merged into the body as they are.
    #[serde(skip)]
    pub extra: Map<String, Value>,
}

impl fmt::Debug for NaradaRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Option<Vec<&String>> =
            self.callback_headers.as_ref().map(|h| h.keys().collect());
        f.debug_struct("NaradaRequest")
            .field("prompt", &self.prompt)
            .field("execution_mode", &self.execution_mode)
            .field("browser_window_id", &self.browser_window_id)
            .field("clear_chat", &self.clear_chat)
            .field("previous_request_id", &self.previous_request_id)
            .field("generate_gif", &self.generate_gif)
            .field("response_format", &self.response_format)
            .field("callback_url", &self.callback_url)
            .field("callback_headers (names only)", &headers)
            .field(
                "callback_secret",
                &self.callback_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("extra keys", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl NaradaRequest {
    /// A request with this prompt and nothing else set.
    ///
    /// ```
    /// let r = poller_providers::narada::NaradaRequest::new("Summarise my inbox");
    /// assert_eq!(r.prompt, "Summarise my inbox");
    /// ```
    pub fn new(prompt: impl Into<String>) -> Self {
        NaradaRequest {
            prompt: prompt.into(),
            execution_mode: None,
            browser_window_id: None,
            clear_chat: None,
            previous_request_id: None,
            generate_gif: None,
            response_format: None,
            callback_url: None,
            callback_headers: None,
            callback_secret: None,
            extra: Map::new(),
        }
    }

    /// Reads a request from the vendor's JSON form; a field of the wrong type is named in
    /// the error, and fields not modelled go to [`extra`](Self::extra).
    ///
    /// ```
    /// use poller_providers::narada::NaradaRequest;
    /// let r = NaradaRequest::from_json(serde_json::json!({"prompt": "hi", "newFlag": 1})).unwrap();
    /// assert_eq!(r.extra["newFlag"], 1);
    /// let old = serde_json::json!({"prompt": "hi", "executionMode": "client", "sessionId": "win_1"});
    /// assert!(NaradaRequest::from_json(old).is_ok()); // the older name of browserWindowId
    /// let err = NaradaRequest::from_json(serde_json::json!({"prompt": "hi", "executionMode": "moon"})).unwrap_err();
    /// assert!(err.to_string().starts_with("invalid request: `executionMode` is not valid"));
    /// ```
    pub fn from_json(body: Value) -> Result<Self, SubmitError> {
        let mut f = Fields::new(body)?;
        let request = NaradaRequest {
            prompt: f.require("prompt")?,
            execution_mode: f.take("executionMode")?,
            browser_window_id: f.take("browserWindowId")?,
            clear_chat: f.take("clearChat")?,
            previous_request_id: f.take("previousRequestId")?,
            generate_gif: f.take("generateGif")?,
            response_format: f.take("responseFormat")?,
            callback_url: f.take("callbackUrl")?,
            callback_headers: f.take("callbackHeaders")?,
            callback_secret: f.take("callbackSecret")?,
            extra: Map::new(),
        };
        let request = NaradaRequest {
            extra: f.rest(),
            ..request
        };
        request.validate()?;
        Ok(request)
    }

    /// Sets `executionMode`.
    ///
    /// ```
    /// use poller_providers::narada::{ExecutionMode, NaradaRequest};
    /// assert_eq!(NaradaRequest::new("x").execution_mode(ExecutionMode::Cloud).execution_mode, Some(ExecutionMode::Cloud));
    /// ```
    pub fn execution_mode(mut self, mode: ExecutionMode) -> Self {
        self.execution_mode = Some(mode);
        self
    }

    /// Sets `browserWindowId`.
    ///
    /// ```
    /// let r = poller_providers::narada::NaradaRequest::new("x").browser_window_id("w");
    /// assert_eq!(r.browser_window_id.as_deref(), Some("w"));
    /// ```
    pub fn browser_window_id(mut self, id: impl Into<String>) -> Self {
        self.browser_window_id = Some(id.into());
        self
    }

    /// Sets `previousRequestId`.
    ///
    /// ```
    /// let r = poller_providers::narada::NaradaRequest::new("x").previous_request_id("req_1");
    /// assert_eq!(r.previous_request_id.as_deref(), Some("req_1"));
    /// ```
    pub fn previous_request_id(mut self, id: impl Into<String>) -> Self {
        self.previous_request_id = Some(id.into());
        self
    }

    /// Sets `responseFormat`, a JSON Schema.
    ///
    /// ```
    /// let r = poller_providers::narada::NaradaRequest::new("x").response_format(serde_json::json!({"type": "object"}));
    /// assert!(r.response_format.is_some());
    /// ```
    pub fn response_format(mut self, schema: Value) -> Self {
        self.response_format = Some(schema);
        self
    }

    /// Sets `callbackUrl`.
    ///
    /// ```
    /// let r = poller_providers::narada::NaradaRequest::new("x").callback_url("https://me.example/hook");
    /// assert!(r.callback_url.is_some());
    /// ```
    pub fn callback_url(mut self, url: impl Into<String>) -> Self {
        self.callback_url = Some(url.into());
        self
    }

    /// Adds a header to `callbackHeaders`.
    ///
    /// ```
    /// let r = poller_providers::narada::NaradaRequest::new("x").callback_header("Authorization", "Bearer t");
    /// assert!(!format!("{r:?}").contains("Bearer t"));
    /// ```
    pub fn callback_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.callback_headers
            .get_or_insert_with(BTreeMap::new)
            .insert(name.into(), value.into());
        self
    }

    /// Sets `callbackSecret`.
    ///
    /// ```
    /// let r = poller_providers::narada::NaradaRequest::new("x").callback_secret("s");
    /// assert_eq!(r.callback_secret.as_deref(), Some("s"));
    /// ```
    pub fn callback_secret(mut self, secret: impl Into<String>) -> Self {
        self.callback_secret = Some(secret.into());
        self
    }

    /// Adds a field not modelled here (merged into the body as it is).
    ///
    /// ```
    /// let r = poller_providers::narada::NaradaRequest::new("x").extra_field("newFlag", true);
    /// assert_eq!(r.to_json().unwrap()["newFlag"], true);
    /// ```
    pub fn extra_field(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(name.into(), value.into());
        self
    }

    /// Checks what Narada checks: a non-empty `prompt`, and `browserWindowId` with `client`
    /// (or `sessionId`, its name in older documentation, as an extra field).
    ///
    /// ```
    /// let err = poller_providers::narada::NaradaRequest::new("  ").validate().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid request: `prompt` must not be empty");
    /// ```
    pub fn validate(&self) -> Result<(), SubmitError> {
        if self.prompt.trim().is_empty() {
            return Err(invalid("prompt", "must not be empty"));
        }
        // Older documentation called it `sessionId`; given as an extra field, it counts.
        let legacy = self.extra.get("sessionId").and_then(Value::as_str);
        let window = self
            .browser_window_id
            .as_deref()
            .or(legacy)
            .is_some_and(|w| !w.is_empty());
        if self.execution_mode == Some(ExecutionMode::Client) && !window {
            return Err(invalid(
                "browserWindowId",
                "is required when executionMode is client",
            ));
        }
        Ok(())
    }

    /// The JSON body, checked ([`validate`](Self::validate)) and with the extra fields merged.
    ///
    /// ```
    /// let body = poller_providers::narada::NaradaRequest::new("hi").to_json().unwrap();
    /// assert_eq!(body, serde_json::json!({"prompt": "hi"}));
    /// ```
    pub fn to_json(&self) -> Result<Value, SubmitError> {
        self.validate()?;
        let base = serde_json::to_value(self).map_err(|e| invalid("body", e.to_string()))?;
        merge_extra(base, &self.extra)
    }
}

impl Narada {
    /// A client from a registry configuration taken apart.
    pub(crate) fn from_config(parts: Parts) -> Result<Self, SubmitError> {
        Ok(Narada::new(parts.key)
            .base_url(parts.base_url)
            .http(parts.http))
    }

    /// Creates a task and returns its `requestId`.
    ///
    /// The request is checked first ([`NaradaRequest::validate`]). It is sent again only if
    /// no connection could be made; a timeout or a connection cut after sending is
    /// [`SubmitError::MayHaveStarted`], never a second task (see [the crate docs](crate#never-a-task-started-twice-never-an-id-lost)).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), poller_providers::SubmitError> {
    /// use poller_providers::narada::{Narada, NaradaRequest};
    /// let id = Narada::new("narada-key").submit(&NaradaRequest::new("Book a table for two")).await?;
    /// println!("{id}");
    /// # Ok(()) }
    /// ```
    pub async fn submit(&self, request: &NaradaRequest) -> Result<String, SubmitError> {
        let body = request.to_json()?;
        let call = CreateCall::new(
            super::NAME,
            &self.base_url,
            &self.http,
            CREATE_PATH,
            Auth::Header(super::KEY_HEADER),
            &self.key,
        )?;
        call.create_one(
            &body,
            |v| v.get("requestId")?.as_str().map(str::to_owned),
            "requestId",
        )
        .await
    }

    /// Creates a task, then waits on it with this client's policy.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), poller_providers::SubmitError> {
    /// use poller_providers::narada::{Narada, NaradaRequest};
    /// let report = Narada::from_env()?.submit_and_wait(&NaradaRequest::new("Book a table")).await?;
    /// println!("{} {}", report.task_id, report.outcome);
    /// # Ok(()) }
    /// ```
    pub async fn submit_and_wait(
        &self,
        request: &NaradaRequest,
    ) -> Result<Report<Value>, SubmitError> {
        let id = self.submit(request).await?;
        Ok(self.wait(id).await?)
    }
}

deserialize_via_from_json!(NaradaRequest);
