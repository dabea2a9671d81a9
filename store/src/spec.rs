use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How to rebuild a stored task's source: the provider's registry name and its non-secret
/// settings. The API key is never stored: the worker that rebuilds the source takes it from
/// its environment or configuration.
///
/// `options` is free-form JSON for the worker's source builder (connection and policy
/// options); the store only keeps it.
///
/// ```
/// use poller_store::SourceSpec;
/// let spec = SourceSpec::new("dari").param("org_id", "my-org").base_url("http://127.0.0.1:8080");
/// assert_eq!(spec.provider, "dari");
/// assert_eq!(spec.params["org_id"], "my-org");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SourceSpec {
    /// The provider's name in the registry (`narada`, `dari` …): the source's name in the
    /// store.
    pub provider: String,
    /// The base URL, when not the provider's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The provider's named parameters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// Settings for the worker's builder (connection and policy options), never a secret.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub options: serde_json::Value,
}

impl SourceSpec {
    /// A spec for `provider` with its defaults.
    ///
    /// ```
    /// assert!(poller_store::SourceSpec::new("narada").base_url.is_none());
    /// ```
    pub fn new(provider: impl Into<String>) -> Self {
        SourceSpec {
            provider: provider.into(),
            base_url: None,
            params: BTreeMap::new(),
            options: serde_json::Value::Null,
        }
    }

    /// Sets the base URL.
    ///
    /// ```
    /// let s = poller_store::SourceSpec::new("vessl").base_url("https://example.com/api/v1/services/x");
    /// assert!(s.base_url.is_some());
    /// ```
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Adds a named parameter.
    ///
    /// ```
    /// let s = poller_store::SourceSpec::new("dari").param("endpoint_name", "contact_form");
    /// assert_eq!(s.params.len(), 1);
    /// ```
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.insert(name.into(), value.into());
        self
    }

    /// Sets the builder options.
    ///
    /// ```
    /// let s = poller_store::SourceSpec::new("narada").options(serde_json::json!({"interval_ms": 500}));
    /// assert_eq!(s.options["interval_ms"], 500);
    /// ```
    pub fn options(mut self, options: serde_json::Value) -> Self {
        self.options = options;
        self
    }
}
