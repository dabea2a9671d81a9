//! Creating VESSL Serve async requests: `POST {base_url}/async`, `Authorization: Bearer`;
//! the answer is 201 `{"id": "…"}` (lowercase alphanumeric, 1-16 characters).

use super::{BASE_URL_HINT, Vessl};
use crate::common::Parts;
use crate::submit::{
    CreateCall, Fields, SubmitError, deserialize_via_from_json, invalid, merge_extra,
};
use poller_core::{Auth, ConfigError, Report};
use serde::Serialize;
use serde_json::{Map, Value};

/// The body of `POST {base_url}/async`: the request to forward to the service (`data`, sent
/// with `method` to `path`). Fields not modelled go in [`extra`](Self::extra).
///
/// # Default
/// `method` `POST`, `path` `/`.
///
/// ```
/// use poller_providers::vessl::VesslRequest;
/// let r = VesslRequest::new(serde_json::json!({"prompt": "a cat"}));
/// assert_eq!(r.to_json().unwrap(), serde_json::json!({"data": {"prompt": "a cat"}, "method": "POST", "path": "/"}));
/// let err = VesslRequest::new(serde_json::json!({})).path("generate").validate().unwrap_err();
/// assert_eq!(err.to_string(), "invalid request: `path` must start with `/`");
/// let parsed: VesslRequest = serde_json::from_str(r#"{"data": 1}"#).unwrap();
/// assert_eq!(parsed, VesslRequest::new(serde_json::json!(1)));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct VesslRequest {
    /// `data`: the body forwarded to the service.
    pub data: Value,
    /// `method`: the HTTP method used to forward it.
    pub method: String,
    /// `path`: the service path it is forwarded to.
    pub path: String,
    /// Fields not modelled above, merged into the body as they are.
    #[serde(skip)]
    pub extra: Map<String, Value>,
}

impl VesslRequest {
    /// A request forwarding `data` with `POST /`.
    ///
    /// ```
    /// let r = poller_providers::vessl::VesslRequest::new(serde_json::json!([1, 2]));
    /// assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/"));
    /// ```
    pub fn new(data: Value) -> Self {
        VesslRequest {
            data,
            method: "POST".into(),
            path: "/".into(),
            extra: Map::new(),
        }
    }

    /// Reads a request from the vendor's JSON form (`data` required), naming a wrong field.
    ///
    /// ```
    /// use poller_providers::vessl::VesslRequest;
    /// let r = VesslRequest::from_json(serde_json::json!({"data": {"x": 1}, "path": "/v1/generate"})).unwrap();
    /// assert_eq!(r.path, "/v1/generate");
    /// assert!(VesslRequest::from_json(serde_json::json!({"path": "/"})).is_err());
    /// ```
    pub fn from_json(body: Value) -> Result<Self, SubmitError> {
        let mut f = Fields::new(body)?;
        let mut r = VesslRequest::new(f.require("data")?);
        if let Some(m) = f.take("method")? {
            r.method = m;
        }
        if let Some(p) = f.take("path")? {
            r.path = p;
        }
        r.extra = f.rest();
        r.validate()?;
        Ok(r)
    }

    /// Sets `method`.
    ///
    /// ```
    /// assert_eq!(poller_providers::vessl::VesslRequest::new(serde_json::json!(1)).method("PUT").method, "PUT");
    /// ```
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = method.into();
        self
    }

    /// Sets `path`.
    ///
    /// ```
    /// assert_eq!(poller_providers::vessl::VesslRequest::new(serde_json::json!(1)).path("/x").path, "/x");
    /// ```
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Checks the forwarded request: an HTTP method token and a path starting with `/`.
    ///
    /// ```
    /// let err = poller_providers::vessl::VesslRequest::new(serde_json::json!(1)).method("GO T").validate().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid request: `method` must be an HTTP method such as POST");
    /// ```
    pub fn validate(&self) -> Result<(), SubmitError> {
        let token = !self.method.is_empty() && self.method.bytes().all(|b| b.is_ascii_alphabetic());
        if !token {
            return Err(invalid("method", "must be an HTTP method such as POST"));
        }
        if !self.path.starts_with('/') {
            return Err(invalid("path", "must start with `/`"));
        }
        Ok(())
    }

    /// The JSON body, checked and with the extra fields merged.
    ///
    /// ```
    /// let body = poller_providers::vessl::VesslRequest::new(serde_json::json!(null)).to_json().unwrap();
    /// assert_eq!(body["method"], "POST");
    /// ```
    pub fn to_json(&self) -> Result<Value, SubmitError> {
        self.validate()?;
        let base = serde_json::to_value(self).map_err(|e| invalid("body", e.to_string()))?;
        merge_extra(base, &self.extra)
    }
}

impl Vessl {
    /// A client from a registry configuration taken apart.
    pub(crate) fn from_config(parts: Parts) -> Result<Self, SubmitError> {
        Ok(Vessl::new(parts.base_url, parts.key).http(parts.http))
    }

    /// Queues an async request on this service and returns its id.
    ///
    /// Sent again only if no connection could be made; see [`SubmitError`] for the rest.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), poller_providers::SubmitError> {
    /// use poller_providers::vessl::{Vessl, VesslRequest};
    /// let vessl = Vessl::new("https://serve-api.dev2.vssl.ai/api/v1/services/my-svc", "token");
    /// let id = vessl.submit(&VesslRequest::new(serde_json::json!({"prompt": "a cat"}))).await?;
    /// # Ok(()) }
    /// ```
    pub async fn submit(&self, request: &VesslRequest) -> Result<String, SubmitError> {
        let body = request.to_json()?;
        if self.base_url.trim().is_empty() {
            return Err(ConfigError::MissingBaseUrl {
                hint: BASE_URL_HINT.to_string(),
            }
            .into());
        }
        let call = CreateCall::new(
            super::NAME,
            &self.base_url,
            &self.http,
            "/async",
            Auth::Bearer,
            &self.key,
        )?;
        call.create_one(&body, |v| v.get("id")?.as_str().map(str::to_owned), "id")
            .await
    }

    /// Queues a request, then waits on it with this client's policy.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), poller_providers::SubmitError> {
    /// use poller_providers::vessl::{Vessl, VesslRequest};
    /// let report = Vessl::new("https://serve-api.dev2.vssl.ai/api/v1/services/my-svc", "token")
    ///     .submit_and_wait(&VesslRequest::new(serde_json::json!({"prompt": "a cat"})))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn submit_and_wait(
        &self,
        request: &VesslRequest,
    ) -> Result<Report<Value>, SubmitError> {
        let id = self.submit(request).await?;
        Ok(self.wait(id).await?)
    }
}

deserialize_via_from_json!(VesslRequest);
