use crate::{BoxPolicy, ConfigError, DynSource, PollPolicyExt, SourceConfig};
use std::time::Duration;

/// One registered provider: what the command-line tool and users look up by name.
///
/// Providers register themselves with `inventory::submit!` (see [`inventory`]). Every field is
/// `'static` data or a `fn` pointer so that entries are const-constructible. Entries are
/// collected at link time: a crate that is never named by the final binary is not linked and
/// its entries vanish, so name it (`use poller_providers as _;`). `inventory` does not work on
/// every target (some wasm setups, cranelift, `dlopen`ed libraries).
///
/// ```
/// use poller_core::{BoxPolicy, ConfigError, DynSource, Fixed, Param, PollPolicyExt, Provider, SourceConfig};
///
/// fn build(_: SourceConfig) -> Result<DynSource, ConfigError> {
///     Err(ConfigError::Other("not in this example".into()))
/// }
///
/// poller_core::inventory::submit! {
///     Provider {
///         name: "example",
///         summary: "An example provider",
///         docs_url: "https://example.com/docs",
///         default_base_url: Some("https://api.example.com"),
///         base_url_hint: "https://api.example.com",
///         key_env: "EXAMPLE_API_KEY",
///         params: &[Param::required("org_id", "Organization ID")],
///         default_policy: || Fixed::secs(5).boxed(),
///         default_timeout: std::time::Duration::from_secs(600),
///         policy_summary: "every 5 s, up to 10 minutes",
///         build,
///     }
/// }
///
/// let p = poller_core::provider("example").unwrap();
/// assert_eq!(p.key_env, "EXAMPLE_API_KEY");
/// assert!(poller_core::providers().iter().any(|p| p.name == "example"));
/// ```
#[derive(Debug)]
pub struct Provider {
    /// The name users type (`"narada"`).
    pub name: &'static str,
    /// One line saying what the API is.
    pub summary: &'static str,
    /// The vendor's documentation of the status endpoint.
    pub docs_url: &'static str,
    /// The base URL used when none is given; `None` when it differs per account or service.
    pub default_base_url: Option<&'static str>,
    /// The documented form of the base URL, shown when one is missing or wrong.
    pub base_url_hint: &'static str,
    /// The environment variable the vendor's tools read the key from.
    pub key_env: &'static str,
    /// The named parameters the provider takes: required, unless they have a default.
    pub params: &'static [Param],
    /// The vendor's recommended polling schedule, without its overall time limit (that is
    /// `default_timeout`); [`Provider::policy`] combines the two.
    pub default_policy: fn() -> BoxPolicy,
    /// The overall time limit of the default policy.
    pub default_timeout: Duration,
    /// The default policy in words.
    pub policy_summary: &'static str,
    /// Builds a source from a configuration already checked by [`Provider::build_source`].
    pub build: fn(SourceConfig) -> Result<DynSource, ConfigError>,
}

/// A named parameter of a provider.
///
/// ```
/// let p = poller_core::Param { name: "org_id", doc: "Organization ID", default: None };
/// assert_eq!(p.name, "org_id");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// The name, as in the vendor's documentation.
    pub name: &'static str,
    /// What it is.
    pub doc: &'static str,
    /// The value used when none is given; `None` makes the parameter required.
    pub default: Option<&'static str>,
}

impl Param {
    /// A parameter that must be given.
    ///
    /// ```
    /// const P: poller_core::Param = poller_core::Param::required("org_id", "Organization ID");
    /// assert_eq!(P.default, None);
    /// ```
    pub const fn required(name: &'static str, doc: &'static str) -> Self {
        Param {
            name,
            doc,
            default: None,
        }
    }

    /// A parameter that [`Provider::build_source`] sets to `default` when it is not given.
    ///
    /// ```
    /// const P: poller_core::Param = poller_core::Param::optional("revision", "API revision", "v2");
    /// assert_eq!(P.default, Some("v2"));
    /// ```
    pub const fn optional(name: &'static str, doc: &'static str, default: &'static str) -> Self {
        Param {
            name,
            doc,
            default: Some(default),
        }
    }
}

inventory::collect!(Provider);

impl Provider {
    /// Checks `config` against this provider (every required parameter present, none unknown,
    /// a key, a base URL), fills in the defaults of optional parameters, and builds the source.
    ///
    /// ```
    /// # use poller_core::{ConfigError, DynSource, Fixed, Param, PollPolicyExt, Provider, SourceConfig};
    /// # fn build(_: SourceConfig) -> Result<DynSource, ConfigError> { Err(ConfigError::Other("x".into())) }
    /// static P: Provider = Provider {
    ///     name: "p", summary: "", docs_url: "", default_base_url: None, base_url_hint: "https://<host>",
    ///     key_env: "P_KEY", params: &[Param::required("org_id", "Organization ID")],
    ///     default_policy: || Fixed::secs(1).boxed(), default_timeout: std::time::Duration::from_secs(60),
    ///     policy_summary: "", build,
    /// };
    /// let err = P.build_source(SourceConfig::new().api_key("k")).map(drop).unwrap_err();
    /// assert!(matches!(err, ConfigError::MissingParam { ref name, .. } if name == "org_id"));
    /// let err = P.build_source(SourceConfig::new().api_key("k").param("org_id", "o").param("x", "1")).map(drop).unwrap_err();
    /// assert!(matches!(err, ConfigError::UnknownParam { ref name, .. } if name == "x"));
    /// ```
    pub fn build_source(&self, mut config: SourceConfig) -> Result<DynSource, ConfigError> {
        for name in config.params.keys() {
            if !self.params.iter().any(|p| p.name == name) {
                return Err(ConfigError::UnknownParam {
                    name: name.clone(),
                    known: self.params.iter().map(|p| p.name.to_string()).collect(),
                });
            }
        }
        for p in self.params {
            if config.params.get(p.name).is_none_or(|v| v.is_empty()) {
                match p.default {
                    Some(value) => {
                        config.params.insert(p.name.to_string(), value.to_string());
                    }
                    None => {
                        return Err(ConfigError::MissingParam {
                            name: p.name.into(),
                            doc: p.doc.into(),
                        });
                    }
                }
            }
        }
        if config.api_key.as_ref().is_none_or(|k| k.is_empty()) {
            return Err(ConfigError::MissingApiKey {
                vars: vec![self.key_env.to_string()],
            });
        }
        if config.base_url.is_none() {
            match self.default_base_url {
                Some(url) => config.base_url = Some(url.to_string()),
                None => {
                    return Err(ConfigError::MissingBaseUrl {
                        hint: self.base_url_hint.into(),
                    });
                }
            }
        }
        (self.build)(config)
    }

    /// The default policy: the schedule with its deadline, never sooner than the server's
    /// `Retry-After`.
    ///
    /// ```
    /// # use poller_core::{ConfigError, DynSource, Fixed, PollPolicy, PollPolicyExt, Provider, SourceConfig};
    /// # fn build(_: SourceConfig) -> Result<DynSource, ConfigError> { Err(ConfigError::Other("x".into())) }
    /// static P: Provider = Provider {
    ///     name: "p", summary: "", docs_url: "", default_base_url: None, base_url_hint: "", key_env: "",
    ///     params: &[], policy_summary: "", build,
    ///     default_policy: || Fixed::secs(1).boxed(), default_timeout: std::time::Duration::from_secs(60),
    /// };
    /// assert_eq!(P.policy().deadline(), Some(std::time::Duration::from_secs(60)));
    /// ```
    pub fn policy(&self) -> BoxPolicy {
        (self.default_policy)()
            .with_deadline(self.default_timeout)
            .honor_retry_after()
            .boxed()
    }
}

/// Every registered provider, sorted by name.
///
/// ```
/// let all = poller_core::providers();
/// assert!(all.windows(2).all(|w| w[0].name <= w[1].name));
/// ```
pub fn providers() -> Vec<&'static Provider> {
    let mut all: Vec<_> = inventory::iter::<Provider>.into_iter().collect();
    all.sort_by_key(|p| p.name);
    all
}

/// The provider registered under `name`, or an error listing the known ones.
///
/// ```
/// let err = poller_core::provider("no-such-api").unwrap_err();
/// assert!(err.to_string().starts_with("unknown provider `no-such-api`"));
/// ```
pub fn provider(name: &str) -> Result<&'static Provider, ConfigError> {
    inventory::iter::<Provider>
        .into_iter()
        .find(|p| p.name == name)
        .ok_or_else(|| ConfigError::UnknownProvider {
            name: name.to_string(),
            known: providers().iter().map(|p| p.name.to_string()).collect(),
        })
}
