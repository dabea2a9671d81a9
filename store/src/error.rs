use thiserror::Error;

/// What went wrong in the store.
///
/// Messages name the database (a file path, or a PostgreSQL URL without its password) and
/// what failed; they never hold an API key, since the store never sees one.
///
/// ```
/// let e = poller_store::StoreError::Url("ftp://x".into());
/// assert!(e.to_string().contains("ftp://x"));
/// ```
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store URL is neither a SQLite path nor a `postgres://` URL.
    #[error(
        "unsupported store URL `{0}`: give a SQLite file path (or sqlite://PATH) or postgres://…"
    )]
    Url(String),
    /// The database could not be opened or migrated (a corrupt file, not a database, no
    /// server at the URL, a newer schema).
    #[error("cannot open the store {target}: {source}")]
    Open {
        /// The file or URL (without password).
        target: String,
        /// The cause.
        #[source]
        source: sqlx::Error,
    },
    /// A query failed (a locked SQLite file, a lost PostgreSQL connection …).
    #[error("store {operation} failed: {source}")]
    Query {
        /// What the store was doing.
        operation: &'static str,
        /// The cause.
        #[source]
        source: sqlx::Error,
    },
    /// A stored value could not be read back (written by an incompatible version, or edited).
    #[error("stored {what} is not valid: {message}")]
    Corrupt {
        /// Which value.
        what: String,
        /// Why.
        message: String,
    },
    /// A stored task's source could not be rebuilt (unknown provider, missing key …).
    #[error("cannot rebuild the source `{provider}`: {message}")]
    Source {
        /// The registry name.
        provider: String,
        /// Why.
        message: String,
    },
    /// A worker's store-writing task ended while the worker ran (it panicked; see the log).
    /// The worker stops; what it had not written is redone by the next holder.
    #[error("the worker's store-writing task ended unexpectedly")]
    WriterEnded,
}

/// The store's result type.
///
/// ```
/// fn f() -> poller_store::Result<u32> { Ok(1) }
/// assert_eq!(f().unwrap(), 1);
/// ```
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub(crate) fn query(operation: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { operation, source }
}

pub(crate) fn corrupt(what: impl Into<String>, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what: what.into(),
        message: e.to_string(),
    }
}
