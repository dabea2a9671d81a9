use crate::{FetchError, Status};
use serde::de::DeserializeOwned;

/// A provider's response body that knows how to become a [`Status`].
///
/// `#[derive(StatusResponse)]` (feature `derive`) writes this from field attributes; it can also
/// be written by hand.
///
/// ```
/// use poller_core::{FetchError, Phase, Status, StatusResponse};
///
/// #[derive(serde::Deserialize)]
/// struct Job { state: String, result: Option<String> }
///
/// impl StatusResponse for Job {
///     type Output = String;
///     fn into_status(self) -> Result<Status<String>, FetchError> {
///         let phase = match self.state.as_str() {
///             "RUNNING" => Phase::Running,
///             "DONE" => Phase::Succeeded,
///             other => return Err(FetchError::unknown_status(other)),
///         };
///         let mut s = Status::new(phase, self.state);
///         s.output = self.result;
///         Ok(s)
///     }
/// }
///
/// let s = Job::parse(br#"{"state": "DONE", "result": "42"}"#).unwrap();
/// assert_eq!(s.output.as_deref(), Some("42"));
/// assert!(Job::parse(b"<html>oops</html>").is_err());
/// ```
pub trait StatusResponse: Sized {
    /// The typed output.
    type Output: Send + Sync + 'static;

    /// Converts the parsed body into a status; an unmapped status value is an error.
    fn into_status(self) -> Result<Status<Self::Output>, FetchError>;

    /// Parses a JSON body and converts it. Malformed or truncated JSON becomes a
    /// [`FetchError::Decode`] with an excerpt of the body.
    ///
    /// ```
    /// # use poller_core::{FetchError, Phase, Status, StatusResponse};
    /// # #[derive(serde::Deserialize)] struct R { status: String }
    /// # impl StatusResponse for R { type Output = (); fn into_status(self) -> Result<Status<()>, FetchError> { Ok(Status::new(Phase::Running, self.status)) } }
    /// let e = R::parse(br#"{"status": "runn"#).unwrap_err();
    /// assert!(e.is_transient()); // a truncated body is worth asking again
    /// ```
    fn parse(body: &[u8]) -> Result<Status<Self::Output>, FetchError>
    where
        Self: DeserializeOwned,
    {
        serde_json::from_slice::<Self>(body)
            .map_err(|e| FetchError::from_json(&e, body))?
            .into_status()
    }

    /// Parses a body that came with the HTTP status `code`: like [`parse`](Self::parse), but
    /// a type whose phase depends on the code (the derive's `http_status`) is told it first.
    ///
    /// ```
    /// # use poller_core::{FetchError, Phase, Status, StatusResponse};
    /// # #[derive(serde::Deserialize)] struct R { status: String }
    /// # impl StatusResponse for R { type Output = (); fn into_status(self) -> Result<Status<()>, FetchError> { Ok(Status::new(Phase::Running, self.status)) } }
    /// let s = R::parse_http(200, br#"{"status": "running"}"#).unwrap();
    /// assert_eq!(s.raw_status, "running");
    /// ```
    fn parse_http(code: u16, body: &[u8]) -> Result<Status<Self::Output>, FetchError>
    where
        Self: DeserializeOwned,
    {
        let mut parsed =
            serde_json::from_slice::<Self>(body).map_err(|e| FetchError::from_json(&e, body))?;
        parsed.set_http_status(code);
        parsed.into_status()
    }

    /// Receives the HTTP status code of the response this body came with, before
    /// [`into_status`](Self::into_status). Does nothing unless overridden; the derive
    /// overrides it for a field marked `#[status(http_status)]`.
    ///
    /// ```
    /// # use poller_core::{FetchError, Phase, Status, StatusResponse};
    /// struct ByCode(u16);
    /// impl StatusResponse for ByCode {
    ///     type Output = ();
    ///     fn into_status(self) -> Result<Status<()>, FetchError> {
    ///         let phase = if self.0 == 202 { Phase::Running } else { Phase::Succeeded };
    ///         Ok(Status::new(phase, self.0.to_string()))
    ///     }
    ///     fn set_http_status(&mut self, code: u16) { self.0 = code; }
    /// }
    /// let mut r = ByCode(0);
    /// r.set_http_status(202);
    /// assert_eq!(r.into_status().unwrap().phase, Phase::Running);
    /// ```
    fn set_http_status(&mut self, code: u16) {
        let _ = code;
    }

    /// Where the task's result is, when it is not in this body but at a second URL that must
    /// be fetched once the task succeeded (an absolute URL, or a path below the base URL).
    /// `None` unless overridden; the derive overrides it for a field marked
    /// `#[status(result_url)]`.
    ///
    /// ```
    /// # use poller_core::{FetchError, Phase, Status, StatusResponse};
    /// # #[derive(serde::Deserialize)] struct R { status: String }
    /// # impl StatusResponse for R { type Output = (); fn into_status(self) -> Result<Status<()>, FetchError> { Ok(Status::new(Phase::Running, self.status)) } }
    /// let r = R { status: "done".into() };
    /// assert_eq!(r.result_url(), None);
    /// ```
    fn result_url(&self) -> Option<String> {
        None
    }

    /// Reads the body of the second request of a two-step result into the output. The
    /// default refuses every body: only types with a result step override it (the derive does,
    /// for `#[status(result_url)]` and `request(result = "...")`).
    ///
    /// ```
    /// # use poller_core::{FetchError, Phase, Status, StatusResponse};
    /// # #[derive(serde::Deserialize)] struct R { status: String }
    /// # impl StatusResponse for R { type Output = (); fn into_status(self) -> Result<Status<()>, FetchError> { Ok(Status::new(Phase::Running, self.status)) } }
    /// assert!(R::parse_result(b"{}").unwrap_err().is_permanent());
    /// ```
    fn parse_result(body: &[u8]) -> Result<Self::Output, FetchError> {
        Err(FetchError::decode(
            "this response type has no result step",
            body,
        ))
    }
}

/// How a [`StatusResponse`] is fetched over HTTP: written by the derive's
/// `#[status(request(...))]` container attribute, or by hand.
///
/// ```
/// use poller_core::{Auth, HttpMethod, RequestSpec};
/// const SPEC: RequestSpec = RequestSpec {
///     method: HttpMethod::Get,
///     path: "/task/{org_id}/{endpoint_name}/status",
///     query: &[("job_id", "{task_id}")],
///     auth: Auth::Header("X-API-Key"),
///     params: &["org_id", "endpoint_name"],
///     ..RequestSpec::GET
/// };
/// assert_eq!(SPEC.params.len(), 2);
/// assert!(SPEC.headers.is_empty() && SPEC.body.is_empty() && SPEC.result.is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestSpec {
    /// The HTTP method.
    pub method: HttpMethod,
    /// The path template, appended to the base URL. `{task_id}` and `{name}` placeholders are
    /// replaced by percent-encoded single path segments.
    pub path: &'static str,
    /// Query parameters: name and value template (placeholders as in `path`).
    pub query: &'static [(&'static str, &'static str)],
    /// How the API key is sent.
    pub auth: Auth,
    /// The named parameters the templates use (besides `task_id`), all required.
    pub params: &'static [&'static str],
    /// Fixed request headers: name and value template (`("Accept", "application/json")`).
    pub headers: &'static [(&'static str, &'static str)],
    /// A JSON object sent as the request body: key and value template
    /// (`("executionArn", "{task_id}")`), each value a JSON string. Empty: no body.
    pub body: &'static [(&'static str, &'static str)],
    /// Where the result is, when it must be fetched with a second `GET` once the task
    /// succeeded: a path template below the base URL (`/requests/{task_id}/result`).
    pub result: Option<&'static str>,
}

impl RequestSpec {
    /// `GET /` with a bearer token and nothing else: the base to write a spec from with
    /// `..RequestSpec::GET`.
    ///
    /// ```
    /// use poller_core::{HttpMethod, RequestSpec};
    /// const SPEC: RequestSpec = RequestSpec { path: "/v1/jobs/{task_id}", ..RequestSpec::GET };
    /// assert_eq!(SPEC.method, HttpMethod::Get);
    /// ```
    pub const GET: RequestSpec = RequestSpec {
        method: HttpMethod::Get,
        path: "/",
        query: &[],
        auth: Auth::Bearer,
        params: &[],
        headers: &[],
        body: &[],
        result: None,
    };
}

/// An HTTP method for status requests.
///
/// ```
/// assert_eq!(poller_core::HttpMethod::Get.as_str(), "GET");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpMethod {
    /// `GET`.
    Get,
    /// `POST`, with [`RequestSpec::body`] as a JSON body (no body when it is empty).
    Post,
}

impl HttpMethod {
    /// The method's name.
    ///
    /// ```
    /// assert_eq!(poller_core::HttpMethod::Post.as_str(), "POST");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }
}

/// How an API key travels.
///
/// ```
/// use poller_core::Auth;
/// assert_ne!(Auth::Bearer, Auth::Header("x-api-key"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// No authentication.
    None,
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// The key as the value of the named header (`x-api-key`).
    Header(&'static str),
    /// `Authorization: <scheme> <key>`, for schemes other than Bearer (`Key`, `Token`).
    Scheme(&'static str),
    /// The key as the value of the named query parameter (`?key=...`).
    Query(&'static str),
}

/// A [`StatusResponse`] that also knows its HTTP request, so that
/// [`HttpSource`](crate::HttpSource) (feature `http`) can fetch it.
///
/// ```
/// use poller_core::{Auth, FetchError, HttpEndpoint, HttpMethod, Phase, RequestSpec, Status, StatusResponse};
/// #[derive(serde::Deserialize)] struct R { status: String }
/// impl StatusResponse for R {
///     type Output = ();
///     fn into_status(self) -> Result<Status<()>, FetchError> { Ok(Status::new(Phase::Running, self.status)) }
/// }
/// impl HttpEndpoint for R {
///     const NAME: &'static str = "example";
///     const REQUEST: RequestSpec = RequestSpec {
///         method: HttpMethod::Get, path: "/v1/jobs/{task_id}", query: &[], auth: Auth::Bearer, params: &[],
///         headers: &[], body: &[], result: None,
///     };
/// }
/// assert_eq!(R::REQUEST.path, "/v1/jobs/{task_id}");
/// ```
pub trait HttpEndpoint: StatusResponse + DeserializeOwned {
    /// A short name for logs (the struct's name in snake case, unless set).
    const NAME: &'static str;
    /// The request.
    const REQUEST: RequestSpec;
}
