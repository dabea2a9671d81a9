use super::HttpClient;
use super::hook::{HookDebug, RequestHook};
use super::url_safety::{check_base_url, is_loopback, join_path, render_template, substitute};
use crate::{
    ApiKey, ConfigError, FetchError, HttpEndpoint, HttpMethod, HttpOptions, Phase, RemoteError,
    Status, StatusResponse, StatusSource,
};
use async_trait::async_trait;
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use url::Url;

/// A [`StatusSource`] for any [`HttpEndpoint`] type (usually written by
/// `#[derive(StatusResponse)]` with a `request(...)` attribute): renders the request from the
/// type's [`RequestSpec`](crate::RequestSpec), sends it with the key, parses the body.
///
/// Every placeholder is percent-encoded as a single path segment (query values are
/// form-encoded), so no task id or parameter can change the request's path or query; a
/// `{+task_id}` placeholder keeps the id's `/`s but still encodes each part and refuses empty,
/// `.` and `..` parts.
///
/// One fetch is: the status request (the spec's method, path, query, fixed headers, JSON body
/// and key, then the [`hook`](HttpSource::hook)); a 2xx body parsed with
/// [`StatusResponse::parse_http`]; and, when the task succeeded and the type names a result
/// location ([`StatusResponse::result_url`] or [`RequestSpec::result`](crate::RequestSpec)),
/// a `GET` of that location whose body becomes the output. A result request answered with a
/// permanent HTTP error (404, 410, 403 …) makes the task `Failed` with an error naming the code
/// (`http_404`); a transient one (5xx, 429, a timeout) is the fetch's transient error, so the
/// poller asks again. The key and the hook go only to the base URL's origin: a result URL on
/// another host (a presigned download) is fetched without them.
///
/// ```
/// use poller_core::{Auth, FetchError, HttpEndpoint, HttpMethod, HttpSource, Phase, RequestSpec, Status, StatusResponse};
///
/// #[derive(serde::Deserialize)]
/// struct Job { state: String }
/// impl StatusResponse for Job {
///     type Output = ();
///     fn into_status(self) -> Result<Status<()>, FetchError> {
///         Ok(Status::new(if self.state == "DONE" { Phase::Succeeded } else { Phase::Running }, self.state))
///     }
/// }
/// impl HttpEndpoint for Job {
///     const NAME: &'static str = "jobs";
///     const REQUEST: RequestSpec = RequestSpec {
///         method: HttpMethod::Get, path: "/v1/jobs/{task_id}", query: &[], auth: Auth::Bearer, params: &[],
///         headers: &[], body: &[], result: None,
///     };
/// }
///
/// let source = HttpSource::<Job>::new("https://api.example.com", "my-key").unwrap();
/// assert_eq!(source.url_for("a/b").unwrap().as_str(), "https://api.example.com/v1/jobs/a%2Fb");
/// assert!(!format!("{source:?}").contains("my-key"));
/// assert!(HttpSource::<Job>::new("http://api.example.com", "k").is_err()); // key in clear
/// ```
pub struct HttpSource<R> {
    client: HttpClient,
    base: Url,
    key: ApiKey,
    params: BTreeMap<String, String>,
    hook: Option<Arc<dyn RequestHook>>,
    _response: PhantomData<fn() -> R>,
}

impl<R> fmt::Debug for HttpSource<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpSource")
            .field("base", &self.base.as_str())
            .field("key", &self.key)
            .field("params", &self.params)
            .field("hook", &HookDebug(&self.hook))
            .finish()
    }
}

impl<R> Clone for HttpSource<R> {
    fn clone(&self) -> Self {
        HttpSource {
            client: self.client.clone(),
            base: self.base.clone(),
            key: self.key.clone(),
            params: self.params.clone(),
            hook: self.hook.clone(),
            _response: PhantomData,
        }
    }
}

impl<R: HttpEndpoint> HttpSource<R> {
    /// A source for `base_url` with `key` and default [`HttpOptions`].
    ///
    /// ```
    /// # use poller_core::{HttpSource, testing::ExampleEndpoint};
    /// assert!(HttpSource::<ExampleEndpoint>::new("https://h", "k").is_ok());
    /// ```
    pub fn new(base_url: &str, key: impl Into<ApiKey>) -> Result<Self, ConfigError> {
        Self::with_options(base_url, key, HttpOptions::default())
    }

    /// A source with explicit transport options.
    ///
    /// ```
    /// # use poller_core::{HttpOptions, HttpSource, testing::ExampleEndpoint};
    /// let s = HttpSource::<ExampleEndpoint>::with_options("http://api.example.com", "k", HttpOptions::default().allow_insecure_http(true));
    /// assert!(s.is_ok());
    /// ```
    pub fn with_options(
        base_url: &str,
        key: impl Into<ApiKey>,
        options: HttpOptions,
    ) -> Result<Self, ConfigError> {
        let base = check_base_url(base_url, options.allow_insecure_http)?;
        Ok(HttpSource {
            client: HttpClient::new(options)?,
            base,
            key: key.into(),
            params: BTreeMap::new(),
            hook: None,
            _response: PhantomData,
        })
    }

    /// Sets a named parameter of the request template (`org_id`).
    ///
    /// ```
    /// # use poller_core::{HttpSource, testing::ExampleEndpoint};
    /// let s = HttpSource::<ExampleEndpoint>::new("https://h", "k").unwrap().param("org_id", "o");
    /// # let _ = s;
    /// ```
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.insert(name.into(), value.into());
        self
    }

    /// Sets all named parameters at once.
    ///
    /// ```
    /// # use std::collections::BTreeMap;
    /// # use poller_core::{HttpSource, testing::ExampleEndpoint};
    /// let s = HttpSource::<ExampleEndpoint>::new("https://h", "k").unwrap().params(BTreeMap::new());
    /// # let _ = s;
    /// ```
    pub fn params(mut self, params: BTreeMap<String, String>) -> Self {
        self.params = params;
        self
    }

    /// The URL that fetching `task_id` requests.
    ///
    /// ```
    /// # use poller_core::{HttpSource, testing::ExampleEndpoint};
    /// let s = HttpSource::<ExampleEndpoint>::new("https://h/api", "k").unwrap();
    /// assert_eq!(s.url_for("x y").unwrap().as_str(), "https://h/api/v1/jobs/x%20y");
    /// ```
    pub fn url_for(&self, task_id: &str) -> Result<Url, ConfigError> {
        let spec = R::REQUEST;
        let path = render_template(spec.path, task_id, &self.params)?;
        let mut url = join_path(&self.base, &path);
        if !spec.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (name, template) in spec.query {
                pairs.append_pair(name, &self.fill(template, task_id)?);
            }
        }
        Ok(url)
    }

    /// Calls `hook` with every request to the base URL's origin, just before it is sent: the
    /// place for request signing and computed headers. See [`RequestHook`].
    ///
    /// ```
    /// # use poller_core::{FetchError, HttpSource, testing::ExampleEndpoint};
    /// let s = HttpSource::<ExampleEndpoint>::new("https://h", "k").unwrap()
    ///     .hook(|r: &mut reqwest::Request| { r.headers_mut().insert("x-n", "1".parse().unwrap()); Ok(()) });
    /// assert!(format!("{s:?}").contains("hook: true"));
    /// ```
    pub fn hook(mut self, hook: impl RequestHook) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// The status request for `task_id`, as it will be sent (key, headers and body included;
    /// before the hook).
    ///
    /// ```
    /// # use poller_core::{HttpSource, testing::ExampleEndpoint};
    /// let s = HttpSource::<ExampleEndpoint>::new("https://h", "k").unwrap();
    /// let r = s.request_for("j1").unwrap();
    /// assert_eq!((r.method().as_str(), r.url().path()), ("GET", "/v1/jobs/j1"));
    /// assert_eq!(r.headers()["authorization"], "Bearer k");
    /// ```
    pub fn request_for(&self, task_id: &str) -> Result<reqwest::Request, FetchError> {
        let spec = R::REQUEST;
        let url = self
            .url_for(task_id)
            .map_err(|e| FetchError::Config(e.to_string()))?;
        let mut request = match spec.method {
            HttpMethod::Get => self.client.reqwest().get(url),
            HttpMethod::Post => self.client.reqwest().post(url),
        };
        request = self.add_headers(request, task_id)?;
        if !spec.body.is_empty() {
            let mut body = serde_json::Map::new();
            for (key, template) in spec.body {
                let value = self
                    .fill(template, task_id)
                    .map_err(|e| FetchError::Config(e.to_string()))?;
                body.insert((*key).to_owned(), serde_json::Value::String(value));
            }
            let has_type = spec
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
            if !has_type {
                request = request.header(CONTENT_TYPE, "application/json");
            }
            request = request.body(serde_json::Value::Object(body).to_string());
        }
        let request = self.client.authorize(request, spec.auth, &self.key)?;
        request
            .build()
            .map_err(|e| FetchError::Config(format!("invalid request: {}", e.without_url())))
    }

    fn fill(&self, template: &str, task_id: &str) -> Result<String, ConfigError> {
        substitute(template, task_id, &self.params, |v, _| Ok(v.to_owned()))
    }

    fn add_headers(
        &self,
        mut request: reqwest::RequestBuilder,
        task_id: &str,
    ) -> Result<reqwest::RequestBuilder, FetchError> {
        for (name, template) in R::REQUEST.headers {
            let value = self
                .fill(template, task_id)
                .map_err(|e| FetchError::Config(e.to_string()))?;
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| FetchError::Config(format!("invalid header name {name:?}")))?;
            let value = HeaderValue::from_str(&value).map_err(|_| {
                FetchError::Config(format!(
                    "the value of header `{name}` is not allowed in HTTP"
                ))
            })?;
            request = request.header(name, value);
        }
        Ok(request)
    }

    async fn send(&self, mut request: reqwest::Request) -> Result<super::HttpResponse, FetchError> {
        if let Some(hook) = &self.hook {
            hook.prepare(&mut request).await?;
        }
        let builder = reqwest::RequestBuilder::from_parts(self.client.reqwest().clone(), request);
        self.client.send(builder).await
    }

    /// Where a result named by the body or the spec is, checked like a base URL.
    fn result_location(
        &self,
        from_body: Option<String>,
        task_id: &str,
    ) -> Result<Option<Url>, FetchError> {
        let config = |e: ConfigError| FetchError::Config(e.to_string());
        if let Some(value) = from_body {
            let url = if value.starts_with('/') {
                let base = self.base.as_str().trim_end_matches('/');
                Url::parse(&format!("{base}{value}"))
            } else {
                Url::parse(&value)
            }
            .map_err(|e| {
                FetchError::decode(
                    format!("the result URL is not a URL: {e}"),
                    value.as_bytes(),
                )
            })?;
            let insecure = url.scheme() == "http"
                && !self.client.options().allow_insecure_http
                && !url.host_str().is_some_and(is_loopback);
            if !matches!(url.scheme(), "https" | "http") || insecure {
                return Err(FetchError::decode(
                    "the result URL must be https (or http to loopback)",
                    value.as_bytes(),
                ));
            }
            return Ok(Some(url));
        }
        match R::REQUEST.result {
            Some(template) => {
                let path = render_template(template, task_id, &self.params).map_err(config)?;
                Ok(Some(join_path(&self.base, &path)))
            }
            None => Ok(None),
        }
    }

    /// Fetches the result at `url` into `status`: its output, or the task's failure.
    async fn fetch_result(
        &self,
        url: Url,
        task_id: &str,
        status: &mut Status<R::Output>,
    ) -> Result<(), FetchError> {
        let same_origin = url.origin() == self.base.origin();
        let response = if same_origin {
            let request = self.add_headers(self.client.reqwest().get(url), task_id)?;
            let request = self
                .client
                .authorize(request, R::REQUEST.auth, &self.key)?
                .build()
                .map_err(|e| FetchError::Config(format!("invalid request: {}", e.without_url())))?;
            self.send(request).await
        } else {
            self.client.send(self.client.reqwest().get(url)).await
        };
        match response {
            Ok(response) => {
                status.output = Some(R::parse_result(&response.body)?);
                Ok(())
            }
            Err(FetchError::Http {
                status: code,
                excerpt,
                ..
            }) if FetchError::http(code, b"").is_permanent() => {
                status.phase = Phase::Failed;
                status.output = None;
                let detail = if excerpt.is_empty() {
                    String::new()
                } else {
                    format!(": {excerpt}")
                };
                status.error = Some(
                    RemoteError::new(format!(
                        "the task succeeded but its result could not be fetched: HTTP {code}{detail}"
                    ))
                    .with_code(format!("http_{code}")),
                );
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// The HTTP client (for sources that need extra requests).
    ///
    /// ```
    /// # use poller_core::{HttpSource, testing::ExampleEndpoint};
    /// let s = HttpSource::<ExampleEndpoint>::new("https://h", "k").unwrap();
    /// assert_eq!(s.client().options().max_redirects, 5);
    /// ```
    pub fn client(&self) -> &HttpClient {
        &self.client
    }
}

#[async_trait]
impl<R> StatusSource for HttpSource<R>
where
    R: HttpEndpoint + Send + 'static,
{
    type Output = <R as StatusResponse>::Output;

    fn name(&self) -> &str {
        R::NAME
    }

    async fn fetch(&self, task_id: &str) -> Result<Status<Self::Output>, FetchError> {
        let redact = |e: FetchError| e.redact(self.key.expose());
        let request = self.request_for(task_id).map_err(redact)?;
        let response = self.send(request).await.map_err(redact)?;
        let mut body: R = serde_json::from_slice(&response.body)
            .map_err(|e| redact(FetchError::from_json(&e, &response.body)))?;
        body.set_http_status(response.status);
        let result_url = body.result_url();
        let mut status = body.into_status().map_err(redact)?;
        if status.retry_after.is_none() {
            status.retry_after = response.retry_after;
        }
        if status.phase == Phase::Succeeded {
            if let Some(url) = self.result_location(result_url, task_id).map_err(redact)? {
                self.fetch_result(url, task_id, &mut status)
                    .await
                    .map_err(redact)?;
            }
        }
        Ok(status)
    }
}
