use super::HttpClient;
use super::url_safety::{check_base_url, join_path, render_template, substitute};
use crate::{
    ApiKey, ConfigError, FetchError, HttpEndpoint, HttpMethod, HttpOptions, Status, StatusResponse,
    StatusSource,
};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use url::Url;

/// A [`StatusSource`] for any [`HttpEndpoint`] type (usually written by
/// `#[derive(StatusResponse)]` with a `request(...)` attribute): renders the request from the
/// type's [`RequestSpec`](crate::RequestSpec), sends it with the key, parses the body.
///
/// Every placeholder is percent-encoded as a single path segment (query values are
/// form-encoded), so no task id or parameter can change the request's path or query.
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
    _response: PhantomData<fn() -> R>,
}

impl<R> fmt::Debug for HttpSource<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpSource")
            .field("base", &self.base.as_str())
            .field("key", &self.key)
            .field("params", &self.params)
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
                pairs.append_pair(
                    name,
                    &substitute(template, task_id, &self.params, |v| Ok(v.to_owned()))?,
                );
            }
        }
        Ok(url)
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
        let url = self
            .url_for(task_id)
            .map_err(|e| FetchError::Config(e.to_string()))?;
        let request = match R::REQUEST.method {
            HttpMethod::Get => self.client.reqwest().get(url),
            HttpMethod::Post => self.client.reqwest().post(url),
        };
        let redact = |e: FetchError| e.redact(self.key.expose());
        let request = self
            .client
            .authorize(request, R::REQUEST.auth, &self.key)
            .map_err(redact)?;
        let response = self.client.send(request).await.map_err(redact)?;
        let mut status = R::parse(&response.body).map_err(redact)?;
        if status.retry_after.is_none() {
            status.retry_after = response.retry_after;
        }
        Ok(status)
    }
}
