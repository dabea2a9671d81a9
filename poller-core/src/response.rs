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
/// };
/// assert_eq!(SPEC.params.len(), 2);
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
    /// `POST` (the body is provider-specific).
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
