//! Pieces every provider module shares: reading keys, re-checking registry configurations, and
//! the builder methods that end in a [`Poller`](poller_core::Poller).

use poller_core::{ApiKey, ConfigError, HttpOptions, SourceConfig};
use std::collections::BTreeMap;

/// Reads an API key from the environment variable `var`; unset or empty is
/// [`ConfigError::MissingApiKey`] naming the variable.
pub(crate) fn key_from_env(var: &str) -> Result<ApiKey, ConfigError> {
    match std::env::var(var) {
        Ok(key) if !key.is_empty() => Ok(ApiKey::new(key)),
        _ => Err(ConfigError::MissingApiKey {
            vars: vec![var.to_string()],
        }),
    }
}

/// A registry configuration taken apart.
pub(crate) struct Parts {
    pub(crate) base_url: String,
    pub(crate) key: ApiKey,
    pub(crate) params: BTreeMap<String, String>,
    pub(crate) http: HttpOptions,
}

/// Takes `config` apart for a provider's `build` function.
///
/// [`Provider::build_source`](poller_core::Provider::build_source) checks all of this before it
/// calls `build`, but `build` is a public `fn` pointer that can be called directly, so it checks
/// again rather than panic.
pub(crate) fn parts(
    config: SourceConfig,
    key_env: &str,
    default_base_url: Option<&str>,
    base_url_hint: &str,
) -> Result<Parts, ConfigError> {
    let key =
        config
            .api_key
            .filter(|k| !k.is_empty())
            .ok_or_else(|| ConfigError::MissingApiKey {
                vars: vec![key_env.to_string()],
            })?;
    let base_url = config
        .base_url
        .or_else(|| default_base_url.map(str::to_string))
        .ok_or_else(|| ConfigError::MissingBaseUrl {
            hint: base_url_hint.to_string(),
        })?;
    Ok(Parts {
        base_url,
        key,
        params: config.params,
        http: config.http,
    })
}

/// The value of a required parameter.
pub(crate) fn param<'a>(
    params: &'a BTreeMap<String, String>,
    name: &str,
    doc: &str,
) -> Result<&'a str, ConfigError> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ConfigError::MissingParam {
            name: name.to_string(),
            doc: doc.to_string(),
        })
}

/// The builder methods every provider's client type shares. The type must have the fields
/// `http: HttpOptions` and `policy: BoxPolicy` and a method
/// `source(&self) -> Result<$source, ConfigError>`.
macro_rules! client_methods {
    ($client:ident, $source:ty, $output:ty) => {
        impl $client {
            /// Sets the transport settings (timeout, body cap, redirects, plain `http://`).
            ///
            /// # Default
            /// [`HttpOptions::default()`](poller_core::HttpOptions): 30 s per request, 4 MiB
            /// bodies, same-origin redirects only, plain `http://` only to loopback.
            pub fn http(mut self, options: poller_core::HttpOptions) -> Self {
                self.http = options;
                self
            }

            /// Replaces the polling schedule used by [`poller`](Self::poller) and
            /// [`wait`](Self::wait).
            ///
            /// # Default
            /// The module's `default_policy()`.
            pub fn policy(mut self, policy: impl poller_core::PollPolicy + 'static) -> Self {
                self.policy = poller_core::BoxPolicy::new(policy);
                self
            }

            /// The polling schedule in use.
            pub fn current_policy(&self) -> &poller_core::BoxPolicy {
                &self.policy
            }

            /// A [`Poller`](poller_core::Poller) over this source with this policy, for
            /// [`wait`](poller_core::Poller::wait) or [`watch`](poller_core::Poller::watch).
            pub fn poller(
                &self,
            ) -> Result<
                poller_core::Poller<$source, poller_core::BoxPolicy>,
                poller_core::ConfigError,
            > {
                Ok(poller_core::Poller::new(
                    self.source()?,
                    self.policy.clone(),
                ))
            }

            /// Polls `task_id` until it ends, the policy gives up or fetching fails for good.
            ///
            /// The error is a configuration mistake found before the first request (a bad
            /// base URL, for instance); everything that happens while polling is in the
            /// [`Report`](poller_core::Report).
            pub async fn wait(
                &self,
                task_id: impl Into<String>,
            ) -> Result<poller_core::Report<$output>, poller_core::ConfigError> {
                Ok(self.poller()?.wait(task_id).await)
            }
        }
    };
}

pub(crate) use client_methods;
