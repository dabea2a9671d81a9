use super::parse_retry_after;
use crate::{ApiKey, Auth, ConfigError, FetchError, HttpOptions};
use bytes::{Bytes, BytesMut};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::redirect;
use std::time::{Duration, SystemTime};

/// A reqwest client set up for polling: per-request timeout, capped bodies, same-origin
/// redirects only (so credentials never follow a redirect to another host or port), a
/// `poller/<version>` user agent, and the built-in web roots plus any
/// [`HttpOptions::root_certificates`] trusted for TLS.
///
/// Cloning is cheap and shares the connection pool.
///
/// ```
/// use poller_core::{HttpOptions, http::HttpClient};
/// let client = HttpClient::new(HttpOptions::default()).unwrap();
/// assert_eq!(client.options().max_redirects, 5);
/// ```
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    options: HttpOptions,
}

/// How far a request got before it failed.
///
/// ```
/// use poller_core::http::Delivery;
/// assert!(Delivery::NotSent.is_safe_to_repeat());
/// assert!(!Delivery::MaybeSent.is_safe_to_repeat());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// No connection was made (refused, DNS, connect timeout): the server never saw it.
    NotSent,
    /// The request may have reached the server, which may have acted on it, but no complete
    /// answer came back (a timeout, a connection cut after sending or while reading).
    MaybeSent,
    /// The server answered in full (a non-2xx status, or a body over the cap).
    Answered,
}

impl Delivery {
    /// Whether sending the same request again cannot make the server act on it twice.
    ///
    /// ```
    /// assert!(!poller_core::http::Delivery::Answered.is_safe_to_repeat());
    /// ```
    pub fn is_safe_to_repeat(self) -> bool {
        self == Delivery::NotSent
    }
}

/// A successful (2xx) response with its body read in full (within the cap).
///
/// ```
/// # use poller_core::http::HttpResponse;
/// fn body_len(r: &HttpResponse) -> usize { r.body.len() }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpResponse {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// The parsed `Retry-After`, if present.
    pub retry_after: Option<Duration>,
}

impl HttpClient {
    /// A client with these options.
    ///
    /// ```
    /// # use std::time::Duration;
    /// use poller_core::{HttpOptions, http::HttpClient};
    /// let c = HttpClient::new(HttpOptions::default().with_timeout(Duration::from_secs(3))).unwrap();
    /// assert_eq!(c.options().timeout, Duration::from_secs(3));
    /// ```
    pub fn new(options: HttpOptions) -> Result<Self, ConfigError> {
        let max = options.max_redirects;
        let policy = redirect::Policy::custom(move |attempt| {
            let origin = |u: &url::Url| {
                (
                    u.scheme().to_owned(),
                    u.host_str().map(str::to_owned),
                    u.port_or_known_default(),
                )
            };
            let first = attempt.previous().first().map(origin);
            if attempt.previous().len() > max {
                attempt.error(format!("more than {max} redirects"))
            } else if first.is_some_and(|o| o != origin(attempt.url())) {
                // Another origin: do not follow, so the key is never sent there. The 3xx is
                // returned to the caller and reported as an HTTP error.
                attempt.stop()
            } else {
                attempt.follow()
            }
        });
        let mut builder = reqwest::Client::builder();
        for ca in &options.root_certificates {
            for cert in reqwest::Certificate::from_pem_bundle(ca.pem().as_bytes())
                .map_err(|e| invalid_certificate(&e))?
            {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder
            .timeout(options.timeout)
            .connect_timeout(options.timeout.min(Duration::from_secs(10)))
            .redirect(policy)
            .user_agent(concat!("poller/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                if options.root_certificates.is_empty() {
                    ConfigError::Other(format!(
                        "could not build the HTTP client: {}",
                        e.without_url()
                    ))
                } else {
                    // The root store is filled at build time: a certificate that is not valid
                    // X.509 fails here.
                    invalid_certificate(&e)
                }
            })?;
        Ok(HttpClient { client, options })
    }

    /// The options in use.
    ///
    /// ```
    /// # use poller_core::{HttpOptions, http::HttpClient};
    /// assert!(!HttpClient::new(HttpOptions::default()).unwrap().options().allow_insecure_http);
    /// ```
    pub fn options(&self) -> &HttpOptions {
        &self.options
    }

    /// The underlying reqwest client, for building requests.
    ///
    /// ```
    /// # use poller_core::{HttpOptions, http::HttpClient};
    /// let c = HttpClient::new(HttpOptions::default()).unwrap();
    /// let _req = c.reqwest().get("https://example.com");
    /// ```
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.client
    }

    /// Adds the key to `request` per `auth`, as a sensitive header (never logged).
    ///
    /// ```
    /// # use poller_core::{ApiKey, Auth, HttpOptions, http::HttpClient};
    /// let c = HttpClient::new(HttpOptions::default()).unwrap();
    /// let req = c.authorize(c.reqwest().get("https://example.com"), Auth::Header("x-api-key"), &ApiKey::new("k")).unwrap();
    /// let req = req.build().unwrap();
    /// assert!(req.headers()["x-api-key"].is_sensitive());
    ///
    /// let req = c.authorize(c.reqwest().get("https://example.com"), Auth::Scheme("Key"), &ApiKey::new("k")).unwrap();
    /// assert_eq!(req.build().unwrap().headers()["authorization"], "Key k");
    /// let req = c.authorize(c.reqwest().get("https://example.com/a"), Auth::Query("key"), &ApiKey::new("k")).unwrap();
    /// assert_eq!(req.build().unwrap().url().as_str(), "https://example.com/a?key=k");
    /// ```
    pub fn authorize(
        &self,
        request: reqwest::RequestBuilder,
        auth: Auth,
        key: &ApiKey,
    ) -> Result<reqwest::RequestBuilder, FetchError> {
        let bad_key = || {
            FetchError::Config(
                "the API key contains characters not allowed in an HTTP header".into(),
            )
        };
        Ok(match auth {
            Auth::None => request,
            Auth::Bearer => {
                let mut v = HeaderValue::from_str(&format!("Bearer {}", key.expose()))
                    .map_err(|_| bad_key())?;
                v.set_sensitive(true);
                request.header(AUTHORIZATION, v)
            }
            Auth::Header(name) => {
                let name = HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| FetchError::Config(format!("invalid header name {name:?}")))?;
                let mut v = HeaderValue::from_str(key.expose()).map_err(|_| bad_key())?;
                v.set_sensitive(true);
                request.header(name, v)
            }
            Auth::Scheme(scheme) => {
                let mut v = HeaderValue::from_str(&format!("{scheme} {}", key.expose()))
                    .map_err(|_| bad_key())?;
                v.set_sensitive(true);
                request.header(AUTHORIZATION, v)
            }
            Auth::Query(name) => request.query(&[(name, key.expose())]),
        })
    }

    /// Sends `request` and reads the body within the cap.
    ///
    /// A 2xx answer is returned; anything else becomes a [`FetchError`]: non-2xx as
    /// [`FetchError::Http`] with a body excerpt and any `Retry-After`, timeouts as
    /// [`FetchError::Timeout`], connection failures and bodies cut short as
    /// [`FetchError::Connection`], oversized bodies as [`FetchError::BodyTooLarge`]. A 404
    /// names the URL asked (scheme, host and path), so that a wrong base URL shows. Error
    /// messages never include the URL's query or any header.
    ///
    /// ```no_run
    /// # use poller_core::{HttpOptions, http::HttpClient};
    /// # async fn f() -> Result<(), poller_core::FetchError> {
    /// let c = HttpClient::new(HttpOptions::default()).unwrap();
    /// let resp = c.send(c.reqwest().get("https://example.com/status")).await?;
    /// println!("{} bytes", resp.body.len());
    /// # Ok(()) }
    /// ```
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<HttpResponse, FetchError> {
        self.send_tracked(request).await.map_err(|(e, _)| e)
    }

    /// Like [`send`](Self::send), and on failure also says how far the request got
    /// ([`Delivery`]): for requests that must not be repeated blindly, such as creating a
    /// task, only a [`Delivery::NotSent`] failure is safe to send again.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use poller_core::{HttpOptions, http::{Delivery, HttpClient}};
    /// // Nothing listens on port 1: the connection is refused, so the request was never sent.
    /// let c = HttpClient::new(HttpOptions::default()).unwrap();
    /// let (err, delivery) = c.send_tracked(c.reqwest().post("http://127.0.0.1:1/x")).await.unwrap_err();
    /// assert_eq!(delivery, Delivery::NotSent);
    /// assert!(err.to_string().starts_with("connection failed"));
    /// # }
    /// ```
    pub async fn send_tracked(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<HttpResponse, (FetchError, Delivery)> {
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                // reqwest: `is_connect` means no connection was made, so nothing was written
                // (DNS failures and refused connections included); anything else (a timeout,
                // a connection cut after the request went out) leaves the outcome unknown.
                let delivery = if e.is_connect() || e.is_builder() {
                    Delivery::NotSent
                } else {
                    Delivery::MaybeSent
                };
                return Err((self.map_error(e), delivery));
            }
        };
        let answered = |e: FetchError| (e, Delivery::Answered);
        let cut = |e: FetchError| (e, Delivery::MaybeSent);
        let status = response.status().as_u16();
        // Named on a 404 only: scheme, host and path, never the query or credentials.
        let asked = (status == 404).then(|| {
            let mut url = response.url().clone();
            url.set_query(None);
            url.set_fragment(None);
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        });
        let headers = response.headers().clone();
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let limit = self.options.max_body_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(answered(FetchError::BodyTooLarge { limit }));
        }
        let mut body = BytesMut::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        return Err(answered(FetchError::BodyTooLarge { limit }));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => {
                    return Err(cut(FetchError::Timeout(self.options.timeout)));
                }
                Err(_) => {
                    return Err(cut(FetchError::Connection(format!(
                        "the connection broke while reading the body (HTTP {status}, {} bytes received)",
                        body.len()
                    ))));
                }
            }
        }
        let body = body.freeze();
        if !(200..300).contains(&status) {
            let mut err = FetchError::http(status, &body);
            if let Some(url) = asked {
                err = err.with_url(url);
            }
            if let Some(r) = retry_after {
                err = err.with_retry_after(r);
            }
            return Err(answered(err));
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
            retry_after,
        })
    }

    fn map_error(&self, e: reqwest::Error) -> FetchError {
        if e.is_timeout() {
            FetchError::Timeout(self.options.timeout)
        } else if e.is_redirect() {
            FetchError::Other {
                message: format!("redirect refused: {}", e.without_url()),
                class: crate::ErrorClass::Permanent,
            }
        } else if e.is_builder() {
            FetchError::Config(format!("invalid request: {}", e.without_url()))
        } else {
            let chain = error_chain(e.without_url());
            if chain.contains(UNTRUSTED_CERTIFICATE) {
                // Asking again meets the same certificate: a configuration problem, not a
                // passing one.
                FetchError::Other {
                    message: format!(
                        "TLS: the server's certificate is not trusted (if it comes from a \
                         private CA, add the CA with HttpOptions::add_root_certificate): {chain}"
                    ),
                    class: crate::ErrorClass::Permanent,
                }
            } else {
                FetchError::Connection(chain)
            }
        }
    }
}

/// How rustls describes a peer certificate it refused (`rustls::Error::InvalidCertificate`'s
/// `Display`): unknown issuer, expired, wrong name, not valid for TLS servers, and so on.
const UNTRUSTED_CERTIFICATE: &str = "invalid peer certificate";

/// An error and its causes, `": "`-separated (reqwest's own message alone says little, for
/// example "error sending request" without the refused certificate behind it).
fn error_chain(e: impl std::error::Error) -> String {
    let mut chain = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        source = s.source();
    }
    chain
}

/// The error for a root certificate reqwest or rustls refused.
fn invalid_certificate(e: &reqwest::Error) -> ConfigError {
    ConfigError::InvalidCertificate {
        reason: error_chain(e),
    }
}
