//! Creating tasks safely: the error every provider's `submit` returns, the rule for when a
//! create request may be sent again, and the by-name entry point for code that holds JSON.
//!
//! # Never start a task twice, never lose an id
//!
//! A create request is sent again only when it provably never reached the vendor: no
//! connection could be made (refused, DNS, connect timeout; reqwest's `is_connect`), up to
//! [`CONNECT_ATTEMPTS`] times, [`CONNECT_RETRY_DELAY`] apart (doubling). Anything that may have
//! reached the vendor (a timeout, a connection cut after sending, a 5xx, a 2xx answer that
//! cannot be read) is not repeated: it becomes [`SubmitError::MayHaveStarted`], which says so
//! and carries whatever is known. A 4xx answer is [`SubmitError::Rejected`]: nothing started.
//!
//! Runware is the exception the protocol allows: every task carries a client-chosen
//! `taskUUID`, chosen once when the [`RunwareTask`](crate::runware::RunwareTask) is built
//! (before the first send, as smithy-rs sets its idempotency tokens before its retry loop),
//! so a batch is sent again (up to [`RUNWARE_ATTEMPTS`] times) with the same UUIDs, and only
//! for the tasks Runware has not acknowledged or rejected yet.

use crate::{dari, narada, runware, vessl};
use poller_core::http::{Delivery, HttpClient, HttpResponse, check_base_url, join_path};
use poller_core::{ApiKey, Auth, ConfigError, FetchError, HttpOptions, RemoteError, SourceConfig};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::time::Duration;

/// How many times a create request that could not connect is tried in all.
pub const CONNECT_ATTEMPTS: u32 = 3;
/// The pause before the first repeat of a request that could not connect (then doubled).
pub const CONNECT_RETRY_DELAY: Duration = Duration::from_millis(500);
/// How many times a Runware batch is sent in all, each time with the tasks not yet
/// acknowledged (same `taskUUID`s).
pub const RUNWARE_ATTEMPTS: u32 = 3;

/// One task of a Runware batch that Runware refused, with its error item.
///
/// ```
/// use poller_core::RemoteError;
/// use poller_providers::RejectedTask;
/// let r = RejectedTask { task_uuid: "t".into(), error: RemoteError::new("bad").with_code("invalidTaskUUID") };
/// assert_eq!(r.to_string(), "t: invalidTaskUUID: bad");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedTask {
    /// The task's `taskUUID`.
    pub task_uuid: String,
    /// Runware's `code` and `message`.
    pub error: RemoteError,
}

impl std::fmt::Display for RejectedTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.task_uuid, self.error)
    }
}

/// Why a task could not be created, or may not have been.
///
/// Every variant says whether a task may exist ([`may_have_started`](Self::may_have_started))
/// and carries every id known ([`known_ids`](Self::known_ids)), so that nothing started is
/// lost. No variant holds a key: texts from the server pass through
/// [`FetchError::redact`].
///
/// ```
/// use poller_core::FetchError;
/// use poller_providers::SubmitError;
/// let e = SubmitError::MayHaveStarted {
///     provider: "narada",
///     error: FetchError::Timeout(std::time::Duration::from_secs(30)),
///     known_ids: vec![],
/// };
/// assert!(e.may_have_started());
/// assert_eq!(
///     e.to_string(),
///     "narada: the task may have started, but its outcome is unknown: request timed out after 30s"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// The request is wrong, found before anything was sent.
    #[error("invalid request: `{field}` {reason}")]
    Invalid {
        /// The field, named as on the wire (`browserWindowId`), or `body`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The client is misconfigured (base URL, transport); nothing was sent.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No connection could be made, on every attempt: nothing reached the vendor.
    #[error("{provider}: the request never reached the API ({attempts} attempts): {error}")]
    NotSent {
        /// The provider's name.
        provider: &'static str,
        /// How many times it was tried.
        attempts: u32,
        /// The last failure.
        error: FetchError,
    },
    /// The vendor answered with a 4xx error: no task was created.
    #[error("{provider} rejected the request: {error}")]
    Rejected {
        /// The provider's name.
        provider: &'static str,
        /// The answer (status and body excerpt).
        error: FetchError,
    },
    /// The request may have reached the vendor, and no usable answer came back (a timeout, a
    /// cut connection, a 5xx, an unreadable 2xx answer): the task may exist. It was not sent
    /// again.
    #[error(
        "{provider}: the task may have started, but its outcome is unknown: {error}{}",
        ids_note(known_ids)
    )]
    MayHaveStarted {
        /// The provider's name.
        provider: &'static str,
        /// The failure.
        error: FetchError,
        /// Ids known to belong to the task(s) (Runware's `taskUUID`s), to poll or look up.
        known_ids: Vec<String>,
    },
    /// A Runware batch ended with some tasks created and others refused or unacknowledged.
    #[error("{0}")]
    Incomplete(Box<IncompleteBatch>),
}

/// What is known of a Runware batch that was not wholly acknowledged.
///
/// ```
/// use poller_providers::IncompleteBatch;
/// let b = IncompleteBatch {
///     provider: "runware",
///     created: vec!["a".into()],
///     rejected: vec![],
///     unknown: vec!["b".into()],
///     error: None,
/// };
/// assert_eq!(b.to_string(), "runware: 1 created, 0 rejected, 1 unacknowledged (may have started: b)");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct IncompleteBatch {
    /// The provider's name.
    pub provider: &'static str,
    /// Acknowledged tasks: these exist.
    pub created: Vec<String>,
    /// Tasks the vendor refused: these do not exist.
    pub rejected: Vec<RejectedTask>,
    /// Tasks sent but never acknowledged, even after resending: they may exist.
    pub unknown: Vec<String>,
    /// The last transport or HTTP failure, if any.
    pub error: Option<FetchError>,
}

impl std::fmt::Display for IncompleteBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} created, {} rejected, {} unacknowledged",
            self.provider,
            self.created.len(),
            self.rejected.len(),
            self.unknown.len()
        )?;
        if !self.unknown.is_empty() {
            write!(f, " (may have started: {})", self.unknown.join(", "))?;
        }
        for r in &self.rejected {
            write!(f, "; rejected {r}")?;
        }
        if let Some(e) = &self.error {
            write!(f, "; last error: {e}")?;
        }
        Ok(())
    }
}

fn ids_note(ids: &[String]) -> String {
    if ids.is_empty() {
        String::new()
    } else {
        format!(" (task ids: {})", ids.join(", "))
    }
}

impl SubmitError {
    /// Whether a task may exist despite the error (and should be looked for, not resubmitted).
    ///
    /// ```
    /// use poller_providers::SubmitError;
    /// let e = SubmitError::Invalid { field: "prompt".into(), reason: "is required".into() };
    /// assert!(!e.may_have_started());
    /// ```
    pub fn may_have_started(&self) -> bool {
        match self {
            SubmitError::MayHaveStarted { .. } => true,
            SubmitError::Incomplete(b) => !b.created.is_empty() || !b.unknown.is_empty(),
            _ => false,
        }
    }

    /// Every id known to belong to a task that exists or may exist.
    ///
    /// ```
    /// use poller_providers::SubmitError;
    /// use poller_providers::IncompleteBatch;
    /// let e = SubmitError::Incomplete(Box::new(IncompleteBatch {
    ///     provider: "runware",
    ///     created: vec!["a".into()],
    ///     rejected: vec![],
    ///     unknown: vec!["b".into()],
    ///     error: None,
    /// }));
    /// assert_eq!(e.known_ids(), ["a", "b"]);
    /// ```
    pub fn known_ids(&self) -> Vec<String> {
        match self {
            SubmitError::MayHaveStarted { known_ids, .. } => known_ids.clone(),
            SubmitError::Incomplete(b) => b.created.iter().chain(&b.unknown).cloned().collect(),
            _ => Vec::new(),
        }
    }

    fn redact(self, key: &ApiKey) -> Self {
        let clean = |e: FetchError| e.redact(key.expose());
        match self {
            SubmitError::NotSent {
                provider,
                attempts,
                error,
            } => SubmitError::NotSent {
                provider,
                attempts,
                error: clean(error),
            },
            SubmitError::Rejected { provider, error } => SubmitError::Rejected {
                provider,
                error: clean(error),
            },
            SubmitError::MayHaveStarted {
                provider,
                error,
                known_ids,
            } => SubmitError::MayHaveStarted {
                provider,
                error: clean(error),
                known_ids,
            },
            SubmitError::Incomplete(mut b) => {
                b.error = b.error.map(clean);
                SubmitError::Incomplete(b)
            }
            other => other,
        }
    }
}

/// An [`Invalid`](SubmitError::Invalid) error.
pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> SubmitError {
    SubmitError::Invalid {
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// A request body taken apart field by field, so a wrong field is named in the error.
pub(crate) struct Fields(Map<String, Value>);

impl Fields {
    /// The body, which must be a JSON object.
    pub(crate) fn new(body: Value) -> Result<Self, SubmitError> {
        match body {
            Value::Object(map) => Ok(Fields(map)),
            other => Err(invalid(
                "body",
                format!("must be a JSON object, not {}", kind(&other)),
            )),
        }
    }

    /// Takes `name` out of the body; absent or null is `None`.
    pub(crate) fn take<T: DeserializeOwned>(
        &mut self,
        name: &str,
    ) -> Result<Option<T>, SubmitError> {
        match self.0.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => serde_json::from_value(v)
                .map(Some)
                .map_err(|e| invalid(name, format!("is not valid: {e}"))),
        }
    }

    /// Takes a required field.
    pub(crate) fn require<T: DeserializeOwned>(&mut self, name: &str) -> Result<T, SubmitError> {
        self.take(name)?.ok_or_else(|| invalid(name, "is required"))
    }

    /// The fields not taken: the escape hatch for what is not modelled.
    pub(crate) fn rest(self) -> Map<String, Value> {
        self.0
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Merges `extra` into the serialized request `base`; a key already there is an error (an
/// extra field must not silently replace a modelled one).
pub(crate) fn merge_extra(
    mut base: Value,
    extra: &Map<String, Value>,
) -> Result<Value, SubmitError> {
    if let Some(obj) = base.as_object_mut() {
        for (k, v) in extra {
            if obj.contains_key(k) {
                return Err(invalid(
                    k,
                    "is a modelled field: set it through its own method, not as an extra field",
                ));
            }
            obj.insert(k.clone(), v.clone());
        }
    }
    Ok(base)
}

/// `Deserialize` for a request type through its `from_json`, so that serde reads the
/// vendor's JSON form with the same checks and field names in errors.
macro_rules! deserialize_via_from_json {
    ($ty:ty) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = serde_json::Value::deserialize(d)?;
                <$ty>::from_json(value).map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use deserialize_via_from_json;

/// One create endpoint: where requests go and how they are signed.
pub(crate) struct CreateCall {
    pub(crate) provider: &'static str,
    client: HttpClient,
    url: String,
    auth: Auth,
    key: ApiKey,
}

impl CreateCall {
    /// The endpoint at `path` under `base_url`, checked as status requests are (`https://`,
    /// or `http://` to loopback).
    pub(crate) fn new(
        provider: &'static str,
        base_url: &str,
        http: &HttpOptions,
        path: &str,
        auth: Auth,
        key: &ApiKey,
    ) -> Result<Self, SubmitError> {
        let base = check_base_url(base_url, http.allow_insecure_http)?;
        Ok(CreateCall {
            provider,
            client: HttpClient::new(http.clone())?,
            url: if path.is_empty() {
                base.to_string()
            } else {
                join_path(&base, path).to_string()
            },
            auth,
            key: key.clone(),
        })
    }

    /// Posts `body` once, sending it again only while no connection could be made.
    ///
    /// `Err((error, delivery))` keeps how far the last attempt got; `NotSent` after
    /// [`CONNECT_ATTEMPTS`] attempts.
    pub(crate) async fn post(&self, body: &Value) -> Result<HttpResponse, (FetchError, Delivery)> {
        let text = body.to_string();
        let mut delay = CONNECT_RETRY_DELAY;
        let mut attempt = 1;
        loop {
            let request = self
                .client
                .reqwest()
                .post(self.url.as_str())
                .header("content-type", "application/json")
                .body(text.clone());
            let request = self
                .client
                .authorize(request, self.auth, &self.key)
                .map_err(|e| (e, Delivery::NotSent))?;
            match self.client.send_tracked(request).await {
                // A request reqwest could not build (FetchError::Config) fails the same way
                // every time: not worth repeating.
                Err((e, Delivery::NotSent))
                    if attempt < CONNECT_ATTEMPTS && !matches!(e, FetchError::Config(_)) =>
                {
                    tracing::debug!(
                        provider = self.provider,
                        attempt,
                        error = %e.clone().redact(self.key.expose()),
                        "create request could not connect; trying again"
                    );
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Posts `body` (see [`post`](Self::post)) and reads one id from the 2xx answer with
    /// `id_of`; every failure is classified as in the [module docs](self).
    pub(crate) async fn create_one(
        &self,
        body: &Value,
        id_of: impl FnOnce(&Value) -> Option<String>,
        id_field: &str,
    ) -> Result<String, SubmitError> {
        let result = match self.post(body).await {
            Ok(response) => {
                let parsed: Result<Value, _> = serde_json::from_slice(&response.body);
                match parsed
                    .ok()
                    .as_ref()
                    .and_then(id_of)
                    .filter(|id| !id.is_empty())
                {
                    Some(id) => Ok(id),
                    None => Err(SubmitError::MayHaveStarted {
                        provider: self.provider,
                        error: FetchError::decode(
                            format!("HTTP {}: the answer has no `{id_field}`", response.status),
                            &response.body,
                        ),
                        known_ids: Vec::new(),
                    }),
                }
            }
            Err((error, delivery)) => Err(self.failure(error, delivery, Vec::new())),
        };
        let result = result.map_err(|e| e.redact(&self.key));
        match &result {
            Ok(id) => tracing::debug!(provider = self.provider, id = %id, "task created"),
            Err(e) => tracing::debug!(provider = self.provider, error = %e, "task not created"),
        }
        result
    }

    /// `error` without the key in any of its texts.
    pub(crate) fn redact(&self, error: FetchError) -> FetchError {
        error.redact(self.key.expose())
    }

    /// The error for a failed post.
    pub(crate) fn failure(
        &self,
        error: FetchError,
        delivery: Delivery,
        known_ids: Vec<String>,
    ) -> SubmitError {
        let provider = self.provider;
        let client_error = error.http_status().is_some_and(|s| (400..500).contains(&s));
        let error = error.redact(self.key.expose());
        match delivery {
            Delivery::NotSent => match error {
                FetchError::Config(message) => SubmitError::Config(ConfigError::Other(message)),
                error => SubmitError::NotSent {
                    provider,
                    attempts: CONNECT_ATTEMPTS,
                    error,
                },
            },
            Delivery::Answered if client_error => SubmitError::Rejected { provider, error },
            _ => SubmitError::MayHaveStarted {
                provider,
                error,
                known_ids,
            },
        }
    }
}

/// Creates a task (or, for Runware, a batch) with the provider named `name` from a JSON
/// request, as the vendor documents it, and returns the new ids: the entry point for code
/// that picks providers by name (the command-line tool).
///
/// `config` is what [`Provider::build_source`](poller_core::Provider::build_source) takes:
/// key, base URL (the default when absent), the provider's parameters (Dari's `org_id` and
/// `endpoint_name`) and transport settings. The request is checked before anything is sent
/// (a wrong field is [`SubmitError::Invalid`] naming it):
///
/// | provider | `request` |
/// |---|---|
/// | `narada` | [`NaradaRequest`](crate::narada::NaradaRequest) as JSON: `{"prompt": …, "executionMode": …}` |
/// | `runware` | one task object or an array of them ([`RunwareTask`](crate::runware::RunwareTask)); a missing `taskUUID` is generated |
/// | `dari` | [`DariRequest`](crate::dari::DariRequest) as JSON: `{"form_data": {…}}` or `{"document_bundle_id": …}` |
/// | `vessl` | [`VesslRequest`](crate::vessl::VesslRequest) as JSON: `{"data": …, "method": "POST", "path": "/"}` |
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use poller_core::SourceConfig;
/// use poller_providers::SubmitError;
/// let err = poller_providers::submit("narada", SourceConfig::new().api_key("k"), serde_json::json!({}))
///     .await
///     .unwrap_err();
/// assert_eq!(err, SubmitError::Invalid { field: "prompt".into(), reason: "is required".into() });
/// # }
/// ```
pub async fn submit(
    name: &str,
    config: SourceConfig,
    request: Value,
) -> Result<Vec<String>, SubmitError> {
    let (provider, config) = checked_by_name(name, config)?;
    let request = Request::from_json(provider, request)?;
    request.send(config).await
}

/// A create request of one of this crate's providers, checked, not sent yet.
pub(crate) enum Request {
    Narada(narada::NaradaRequest),
    Runware(Vec<runware::RunwareTask>),
    Dari(dari::DariRequest),
    Vessl(vessl::VesslRequest),
}

impl Request {
    /// Reads `request` as `provider` documents its create body.
    pub(crate) fn from_json(
        provider: &poller_core::Provider,
        request: Value,
    ) -> Result<Self, SubmitError> {
        Ok(match provider.name {
            narada::NAME => Request::Narada(narada::NaradaRequest::from_json(request)?),
            runware::NAME => Request::Runware(runware::RunwareTask::many_from_json(request)?),
            dari::NAME => Request::Dari(dari::DariRequest::from_json(request)?),
            vessl::NAME => Request::Vessl(vessl::VesslRequest::from_json(request)?),
            other => {
                return Err(SubmitError::Config(ConfigError::Other(format!(
                    "provider `{other}` cannot create tasks"
                ))));
            }
        })
    }

    /// Sends it with the client `config` makes; the new ids.
    pub(crate) async fn send(
        &self,
        config: crate::common::Parts,
    ) -> Result<Vec<String>, SubmitError> {
        match self {
            Request::Narada(r) => Ok(vec![narada::Narada::from_config(config)?.submit(r).await?]),
            Request::Runware(tasks) => runware::Runware::from_config(config)?.submit(tasks).await,
            Request::Dari(r) => Ok(vec![dari::Dari::from_config(config)?.submit(r).await?]),
            Request::Vessl(r) => Ok(vec![vessl::Vessl::from_config(config)?.submit(r).await?]),
        }
    }
}

/// The provider named `name` and `config` checked for it.
pub(crate) fn checked_by_name(
    name: &str,
    config: SourceConfig,
) -> Result<(&'static poller_core::Provider, crate::common::Parts), SubmitError> {
    let provider = crate::get(name)?;
    Ok((provider, checked(provider, config)?))
}

/// The checks of [`Provider::build_source`](poller_core::Provider::build_source), without
/// building the source.
fn checked(
    provider: &poller_core::Provider,
    config: SourceConfig,
) -> Result<crate::common::Parts, ConfigError> {
    for name in config.params.keys() {
        if !provider.params.iter().any(|p| p.name == name) {
            return Err(ConfigError::UnknownParam {
                name: name.clone(),
                known: provider.params.iter().map(|p| p.name.to_string()).collect(),
            });
        }
    }
    crate::common::parts(
        config,
        provider.key_env,
        provider.default_base_url,
        provider.base_url_hint,
    )
}
