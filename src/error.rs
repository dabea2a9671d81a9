//! What can stop a command before it waits: usage and configuration mistakes (exit 2).

use poller_core::ConfigError;

/// A mistake in the command line, the environment or the input; the message names it.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The provider's configuration (key, base URL, parameters).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A bad flag, id or combination.
    #[error("{0}")]
    Usage(String),
    /// A file (or stdin) could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file, or `stdin`.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}
