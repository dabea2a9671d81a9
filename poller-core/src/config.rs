use crate::{ApiKey, RootCertificate};
use std::collections::BTreeMap;
use std::time::Duration;

/// Transport settings for HTTP sources.
///
/// # Default
/// Request timeout 30 s, body cap 4 MiB, up to 5 same-origin redirects, plain `http://` only to
/// loopback hosts, only the built-in web root certificates trusted.
///
/// ```
/// use std::time::Duration;
/// let o = poller_core::HttpOptions::default().with_timeout(Duration::from_secs(5));
/// assert_eq!(o.timeout, Duration::from_secs(5));
/// assert_eq!(o.max_body_bytes, 4 * 1024 * 1024);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpOptions {
    /// The longest one request may take, connection to last byte.
    pub timeout: Duration,
    /// The largest response body accepted, in bytes; larger ones are a
    /// [`FetchError::BodyTooLarge`](crate::FetchError::BodyTooLarge).
    pub max_body_bytes: usize,
    /// How many same-origin redirects are followed (redirects to another origin never are).
    pub max_redirects: usize,
    /// Allow plain `http://` to hosts other than loopback (the key would travel in clear).
    pub allow_insecure_http: bool,
    /// Certificate authorities trusted besides the built-in web roots (Mozilla's, bundled),
    /// for servers with a certificate from a private CA.
    pub root_certificates: Vec<RootCertificate>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(30),
            max_body_bytes: 4 * 1024 * 1024,
            max_redirects: 5,
            allow_insecure_http: false,
            root_certificates: Vec::new(),
        }
    }
}

impl HttpOptions {
    /// Sets the request timeout.
    ///
    /// ```
    /// # use std::time::Duration;
    /// assert_eq!(poller_core::HttpOptions::default().with_timeout(Duration::from_secs(1)).timeout.as_secs(), 1);
    /// ```
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the body cap.
    ///
    /// ```
    /// assert_eq!(poller_core::HttpOptions::default().with_max_body_bytes(10).max_body_bytes, 10);
    /// ```
    pub fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Sets the redirect limit.
    ///
    /// ```
    /// assert_eq!(poller_core::HttpOptions::default().with_max_redirects(0).max_redirects, 0);
    /// ```
    pub fn with_max_redirects(mut self, n: usize) -> Self {
        self.max_redirects = n;
        self
    }

    /// Allows plain `http://` to non-loopback hosts.
    ///
    /// ```
    /// assert!(poller_core::HttpOptions::default().allow_insecure_http(true).allow_insecure_http);
    /// ```
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Also trusts `ca` (besides the built-in web roots) when checking a server's certificate:
    /// for a server behind a private CA. May be called several times.
    ///
    /// A server whose certificate no trusted root signed is refused during the TLS handshake:
    /// the fetch fails with [`FetchError::Connection`](crate::FetchError::Connection) naming
    /// the certificate problem (for example `invalid peer certificate: UnknownIssuer`).
    ///
    /// ```
    /// use poller_core::{HttpOptions, RootCertificate, SourceConfig};
    /// # let ca_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    /// // `ca_pem`: the text of the CA's `.pem` file, e.g. std::fs::read_to_string("ca.pem")?
    /// let http = HttpOptions::default().add_root_certificate(RootCertificate::from_pem(ca_pem)?);
    /// assert_eq!(http.root_certificates.len(), 1);
    /// // For the registry: the same options in a source configuration.
    /// let config = SourceConfig::new().base_url("https://staging.example.com").http(http);
    /// # let _ = config;
    /// # Ok::<(), poller_core::ConfigError>(())
    /// ```
    pub fn add_root_certificate(mut self, ca: RootCertificate) -> Self {
        self.root_certificates.push(ca);
        self
    }
}

/// Everything needed to build a source from the [registry](crate::Provider): base URL, key,
/// named parameters and transport settings.
///
/// ```
/// use poller_core::SourceConfig;
/// let c = SourceConfig::new()
///     .base_url("http://127.0.0.1:8080")
///     .api_key("secret")
///     .param("org_id", "my-org");
/// assert_eq!(c.params["org_id"], "my-org");
/// assert!(!format!("{c:?}").contains("secret"));
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SourceConfig {
    /// The base URL; `None` means the provider's default.
    pub base_url: Option<String>,
    /// The API key.
    pub api_key: Option<ApiKey>,
    /// Named parameters (`org_id`, `endpoint_name` …).
    pub params: BTreeMap<String, String>,
    /// Transport settings.
    pub http: HttpOptions,
}

impl SourceConfig {
    /// An empty configuration.
    ///
    /// ```
    /// assert!(poller_core::SourceConfig::new().api_key.is_none());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the base URL.
    ///
    /// ```
    /// let c = poller_core::SourceConfig::new().base_url("https://api.example.com");
    /// assert_eq!(c.base_url.as_deref(), Some("https://api.example.com"));
    /// ```
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Sets the API key.
    ///
    /// ```
    /// assert!(poller_core::SourceConfig::new().api_key("k").api_key.is_some());
    /// ```
    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Sets a named parameter.
    ///
    /// ```
    /// assert_eq!(poller_core::SourceConfig::new().param("a", "b").params.len(), 1);
    /// ```
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.insert(name.into(), value.into());
        self
    }

    /// Sets the transport settings.
    ///
    /// ```
    /// let c = poller_core::SourceConfig::new().http(poller_core::HttpOptions::default());
    /// # let _ = c;
    /// ```
    pub fn http(mut self, http: HttpOptions) -> Self {
        self.http = http;
        self
    }
}

/// Why a source could not be built.
///
/// ```
/// let e = poller_core::ConfigError::MissingParam { name: "org_id".into(), doc: "Organization ID".into() };
/// assert_eq!(e.to_string(), "missing parameter `org_id` (Organization ID)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No provider of that name is registered.
    #[error("unknown provider `{name}`; known providers: {}", known.join(", "))]
    UnknownProvider {
        /// The name asked for.
        name: String,
        /// The registered names, sorted.
        known: Vec<String>,
    },
    /// A required parameter is missing.
    #[error("missing parameter `{name}` ({doc})")]
    MissingParam {
        /// The parameter.
        name: String,
        /// Its documentation.
        doc: String,
    },
    /// A parameter the provider does not take.
    #[error("unknown parameter `{name}`; this provider takes: {}", if known.is_empty() { "none".to_string() } else { known.join(", ") })]
    UnknownParam {
        /// The parameter given.
        name: String,
        /// The parameters the provider takes.
        known: Vec<String>,
    },
    /// No API key was given.
    #[error("no API key; set {}", vars.join(" or "))]
    MissingApiKey {
        /// Where a key may come from (environment variables, flags).
        vars: Vec<String>,
    },
    /// The provider has no default base URL and none was given.
    #[error("no base URL; this provider needs one of the form {hint}")]
    MissingBaseUrl {
        /// The documented form.
        hint: String,
    },
    /// The base URL could not be used.
    #[error("invalid base URL {url:?}: {reason}")]
    InvalidBaseUrl {
        /// The URL, with any credentials removed.
        url: String,
        /// Why.
        reason: String,
    },
    /// Plain `http://` to a host that is not loopback, without permission.
    #[error(
        "refusing plain http:// to non-loopback host {host:?}: the API key would travel in clear (use https://, or allow insecure http explicitly)"
    )]
    InsecureTransport {
        /// The host.
        host: String,
    },
    /// A root certificate given in [`HttpOptions::root_certificates`] could not be used.
    #[error("invalid root certificate: {reason}")]
    InvalidCertificate {
        /// Why.
        reason: String,
    },
    /// Anything else.
    #[error("{0}")]
    Other(String),
}
