//! Turning connection options and the environment into a source.

use crate::cli::ConnectionArgs;
use crate::error::CliError;
use poller_core::{ApiKey, ConfigError, DynSource, HttpOptions, Provider, SourceConfig};

/// The environment variable every provider accepts for its key.
pub const GENERIC_KEY_VAR: &str = "POLLER_API_KEY";
/// The environment variable every provider accepts for its base URL.
pub const GENERIC_BASE_URL_VAR: &str = "POLLER_BASE_URL";

fn from_env(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.is_empty())
}

/// The provider's own base URL variable: `NARADA_BASE_URL`, `RUNWARE_BASE_URL` …
pub fn base_url_var(provider: &Provider) -> String {
    format!("{}_BASE_URL", provider.name.to_ascii_uppercase())
}

/// The key from `--api-key`, else `--api-key-file`, else `POLLER_API_KEY`, else the
/// provider's own variable.
pub fn resolve_key(provider: &Provider, args: &ConnectionArgs) -> Result<ApiKey, CliError> {
    if let Some(key) = args.api_key.as_deref().filter(|k| !k.is_empty()) {
        return Ok(ApiKey::new(key.to_string()));
    }
    if let Some(path) = &args.api_key_file {
        let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let key = text.lines().next().unwrap_or("").trim();
        if key.is_empty() {
            return Err(CliError::Usage(format!(
                "--api-key-file {}: the file's first line is empty",
                path.display()
            )));
        }
        return Ok(ApiKey::new(key.to_string()));
    }
    from_env(GENERIC_KEY_VAR)
        .or_else(|| from_env(provider.key_env))
        .map(ApiKey::new)
        .ok_or_else(|| {
            ConfigError::MissingApiKey {
                vars: vec![
                    "--api-key".to_string(),
                    "--api-key-file".to_string(),
                    GENERIC_KEY_VAR.to_string(),
                    provider.key_env.to_string(),
                ],
            }
            .into()
        })
}

/// The base URL from `--base-url`, else `POLLER_BASE_URL`, else the provider's own variable;
/// `None` leaves the provider's default.
pub fn resolve_base_url(provider: &Provider, args: &ConnectionArgs) -> Option<String> {
    args.base_url
        .clone()
        .filter(|u| !u.is_empty())
        .or_else(|| from_env(GENERIC_BASE_URL_VAR))
        .or_else(|| from_env(&base_url_var(provider)))
}

/// Builds the provider's source from the options.
pub fn build_source(provider: &Provider, args: &ConnectionArgs) -> Result<DynSource, CliError> {
    Ok(provider.build_source(source_config(provider, args)?)?)
}

/// The provider's configuration from the options and the environment: key, base URL,
/// parameters and transport (what both polling and creating tasks take).
pub fn source_config(provider: &Provider, args: &ConnectionArgs) -> Result<SourceConfig, CliError> {
    let mut http = HttpOptions::default().allow_insecure_http(args.allow_insecure_http);
    if let Some(t) = args.request_timeout {
        http = http.with_timeout(t);
    }
    let mut config = SourceConfig::new()
        .api_key(resolve_key(provider, args)?)
        .http(http);
    if let Some(url) = resolve_base_url(provider, args) {
        config = config.base_url(url);
    }
    for (name, value) in &args.params {
        config = config.param(name.clone(), value.clone());
    }
    Ok(config)
}
