use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// An API key or token. Its `Debug` and `Display` print `[redacted]`; the only way to read it is
/// [`expose`](ApiKey::expose), which the HTTP helpers call when they build a request header
/// (marked sensitive, so it is not logged either). The memory is zeroed on drop.
///
/// ```
/// use poller_core::ApiKey;
/// let key = ApiKey::new("sk-live-123");
/// assert_eq!(format!("{key:?}"), "ApiKey([redacted])");
/// assert_eq!(key.to_string(), "[redacted]");
/// assert_eq!(key.expose(), "sk-live-123");
/// ```
#[derive(Clone)]
pub struct ApiKey(SecretString);

impl ApiKey {
    /// Wraps a key.
    ///
    /// ```
    /// assert!(!poller_core::ApiKey::new("k").is_empty());
    /// ```
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(SecretString::from(key.into()))
    }

    /// The key itself. Call it only to put the key on the wire.
    ///
    /// ```
    /// assert_eq!(poller_core::ApiKey::new("k").expose(), "k");
    /// ```
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// `true` for an empty key.
    ///
    /// ```
    /// assert!(poller_core::ApiKey::new("").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        ApiKey::new(key)
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        ApiKey::new(key)
    }
}
