//! Starting Dari jobs: `POST {base_url}/jobs/{org_id}/{endpoint_name}/start`, header
//! `X-API-Key`; the answer is `{"job_id": "<uuid>"}`. Errors are `{"detail": …}` with 401 (bad
//! key), 403 (another organization) or 422 (a bad body).

use super::{Dari, PARAMS};
use crate::common::{self, Parts};
use crate::submit::{
    CreateCall, Fields, SubmitError, deserialize_via_from_json, invalid, merge_extra,
};
use poller_core::http::encode_segment;
use poller_core::{Auth, Report};
use serde::Serialize;
use serde_json::{Map, Value};

/// The body of `POST /jobs/{org_id}/{endpoint_name}/start`: `form_data` or
/// `document_bundle_id` (at least one), optional `max_turns` and `timeout_minutes` (Dari's
/// defaults: 200 and 30). Fields not modelled go in [`extra`](Self::extra).
///
/// ```
/// use poller_providers::dari::DariRequest;
/// let r = DariRequest::form(serde_json::json!({"email": "a@b.c"})).max_turns(50);
/// assert_eq!(r.to_json().unwrap(), serde_json::json!({"form_data": {"email": "a@b.c"}, "max_turns": 50}));
/// let err = DariRequest::from_json(serde_json::json!({"max_turns": 5})).unwrap_err();
/// assert_eq!(err.to_string(), "invalid request: `form_data` or `document_bundle_id` is required");
/// let parsed: DariRequest = serde_json::from_str(r#"{"document_bundle_id": "b"}"#).unwrap();
/// assert_eq!(parsed, DariRequest::document_bundle("b"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DariRequest {
    /// `form_data`: the values for the portal's form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form_data: Option<Value>,
    /// `document_bundle_id`: a bundle of documents uploaded before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_bundle_id: Option<String>,
    /// `max_turns` (Dari's default: 200).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_turns: Option<u32>,
    /// `timeout_minutes` (Dari's default: 30).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_minutes: Option<u32>,
    /// Fields not modelled above, merged into the body as they are.
    #[serde(skip)]
    pub extra: Map<String, Value>,
}

impl DariRequest {
    fn empty() -> Self {
        DariRequest {
            form_data: None,
            document_bundle_id: None,
            max_turns: None,
            timeout_minutes: None,
            extra: Map::new(),
        }
    }

    /// A job from form values; anything but a JSON object is refused by
    /// [`validate`](Self::validate).
    ///
    /// ```
    /// let r = poller_providers::dari::DariRequest::form(serde_json::json!({"name": "Ada"}));
    /// assert_eq!(r.form_data.unwrap()["name"], "Ada");
    /// ```
    pub fn form(form_data: Value) -> Self {
        let mut r = Self::empty();
        r.form_data = Some(form_data);
        r
    }

    /// A job on a document bundle.
    ///
    /// ```
    /// let r = poller_providers::dari::DariRequest::document_bundle("bundle_1");
    /// assert_eq!(r.document_bundle_id.as_deref(), Some("bundle_1"));
    /// ```
    pub fn document_bundle(id: impl Into<String>) -> Self {
        let mut r = Self::empty();
        r.document_bundle_id = Some(id.into());
        r
    }

    /// Reads a request from the vendor's JSON form, naming a wrong field.
    ///
    /// ```
    /// use poller_providers::dari::DariRequest;
    /// let err = DariRequest::from_json(serde_json::json!({"form_data": [1]})).unwrap_err();
    /// assert_eq!(err.to_string(), "invalid request: `form_data` must be a JSON object");
    /// ```
    pub fn from_json(body: Value) -> Result<Self, SubmitError> {
        let mut f = Fields::new(body)?;
        let r = DariRequest {
            form_data: f.take("form_data")?,
            document_bundle_id: f.take("document_bundle_id")?,
            max_turns: f.take("max_turns")?,
            timeout_minutes: f.take("timeout_minutes")?,
            extra: Map::new(),
        };
        let r = DariRequest {
            extra: f.rest(),
            ..r
        };
        r.validate()?;
        Ok(r)
    }

    /// Sets `max_turns`.
    ///
    /// ```
    /// assert_eq!(poller_providers::dari::DariRequest::document_bundle("b").max_turns(9).max_turns, Some(9));
    /// ```
    pub fn max_turns(mut self, turns: u32) -> Self {
        self.max_turns = Some(turns);
        self
    }

    /// Sets `timeout_minutes`.
    ///
    /// ```
    /// assert_eq!(poller_providers::dari::DariRequest::document_bundle("b").timeout_minutes(5).timeout_minutes, Some(5));
    /// ```
    pub fn timeout_minutes(mut self, minutes: u32) -> Self {
        self.timeout_minutes = Some(minutes);
        self
    }

    /// Checks what Dari checks: `form_data` (an object) or a non-empty `document_bundle_id`,
    /// and positive limits.
    ///
    /// ```
    /// let err = poller_providers::dari::DariRequest::form(serde_json::json!(3)).validate().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid request: `form_data` must be a JSON object");
    /// ```
    pub fn validate(&self) -> Result<(), SubmitError> {
        if self.form_data.as_ref().is_some_and(|m| !m.is_object()) {
            return Err(invalid("form_data", "must be a JSON object"));
        }
        let bundle = self
            .document_bundle_id
            .as_deref()
            .is_some_and(|b| !b.is_empty());
        if self.form_data.is_none() && !bundle {
            return Err(invalid("form_data", "or `document_bundle_id` is required"));
        }
        for (name, value) in [
            ("max_turns", self.max_turns),
            ("timeout_minutes", self.timeout_minutes),
        ] {
            if value == Some(0) {
                return Err(invalid(name, "must be at least 1"));
            }
        }
        Ok(())
    }

    /// The JSON body, checked and with the extra fields merged.
    ///
    /// ```
    /// let body = poller_providers::dari::DariRequest::document_bundle("b").to_json().unwrap();
    /// assert_eq!(body, serde_json::json!({"document_bundle_id": "b"}));
    /// ```
    pub fn to_json(&self) -> Result<Value, SubmitError> {
        self.validate()?;
        let base = serde_json::to_value(self).map_err(|e| invalid("body", e.to_string()))?;
        merge_extra(base, &self.extra)
    }
}

impl Dari {
    /// A client from a registry configuration taken apart (needs `org_id` and
    /// `endpoint_name`).
    pub(crate) fn from_config(parts: Parts) -> Result<Self, SubmitError> {
        let org = common::param(&parts.params, PARAMS[0].name, PARAMS[0].doc)?;
        let endpoint = common::param(&parts.params, PARAMS[1].name, PARAMS[1].doc)?;
        Ok(Dari::new(parts.key.clone(), org, endpoint)
            .base_url(parts.base_url.clone())
            .http(parts.http.clone()))
    }

    /// Starts a job on this client's organization and endpoint and returns its `job_id`.
    ///
    /// Sent again only if no connection could be made; see [`SubmitError`] for the rest.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), poller_providers::SubmitError> {
    /// use poller_providers::dari::{Dari, DariRequest};
    /// let dari = Dari::new("dari-key", "my-org", "contact_form");
    /// let job = dari.submit(&DariRequest::form(serde_json::json!({"email": "a@b.c"}))).await?;
    /// # Ok(()) }
    /// ```
    pub async fn submit(&self, request: &DariRequest) -> Result<String, SubmitError> {
        let body = request.to_json()?;
        for (p, value) in PARAMS.iter().zip([&self.org_id, &self.endpoint_name]) {
            if value.is_empty() || value == "." || value == ".." {
                return Err(invalid(p.name, "must be a non-empty path segment"));
            }
        }
        let path = format!(
            "/jobs/{}/{}/start",
            encode_segment(&self.org_id),
            encode_segment(&self.endpoint_name)
        );
        let call = CreateCall::new(
            super::NAME,
            &self.base_url,
            &self.http,
            &path,
            Auth::Header(super::KEY_HEADER),
            &self.key,
        )?;
        call.create_one(
            &body,
            |v| v.get("job_id")?.as_str().map(str::to_owned),
            "job_id",
        )
        .await
    }

    /// Starts a job, then waits on it with this client's policy.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), poller_providers::SubmitError> {
    /// use poller_providers::dari::{Dari, DariRequest};
    /// let report = Dari::new("k", "my-org", "contact_form")
    ///     .submit_and_wait(&DariRequest::document_bundle("bundle_1"))
    ///     .await?;
    /// println!("{}", report.outcome);
    /// # Ok(()) }
    /// ```
    pub async fn submit_and_wait(
        &self,
        request: &DariRequest,
    ) -> Result<Report<Value>, SubmitError> {
        let id = self.submit(request).await?;
        Ok(self.wait(id).await?)
    }
}

deserialize_via_from_json!(DariRequest);
