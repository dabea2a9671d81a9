//! Turning connection options and the environment into a source.

use crate::cli::ConnectionArgs;
use poller_core::{ApiKey, ConfigError, DynSource, HttpOptions, Provider, SourceConfig};

/// The environment variable every provider accepts.
pub const GENERIC_KEY_VAR: &str = "POLLER_API_KEY";

/// The key from the flag, else `POLLER_API_KEY`, else the provider's own variable.
pub fn resolve_key(provider: &Provider, flag: Option<&str>) -> Result<ApiKey, ConfigError> {
    let from_env = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty());
    flag.map(str::to_owned)
        .filter(|k| !k.is_empty())
        .or_else(|| from_env(GENERIC_KEY_VAR))
        .or_else(|| from_env(provider.key_env))
        .map(ApiKey::new)
        .ok_or_else(|| ConfigError::MissingApiKey {
            vars: vec![
                "--api-key".to_string(),
                GENERIC_KEY_VAR.to_string(),
                provider.key_env.to_string(),
            ],
        })
}

/// Builds the provider's source from the options.
pub fn build_source(provider: &Provider, args: &ConnectionArgs) -> Result<DynSource, ConfigError> {
    let mut http = HttpOptions::default().allow_insecure_http(args.allow_insecure_http);
    if let Some(t) = args.request_timeout {
        http = http.with_timeout(t);
    }
    let mut config = SourceConfig::new()
        .api_key(resolve_key(provider, args.api_key.as_deref())?)
        .http(http);
    if let Some(url) = &args.base_url {
        config = config.base_url(url.clone());
    }
    for (name, value) in &args.params {
        config = config.param(name.clone(), value.clone());
    }
    provider.build_source(config)
}
