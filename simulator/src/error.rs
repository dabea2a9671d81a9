//! The simulator's error type.

use std::io;
use std::net::SocketAddr;

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The bound socket's address could not be read.
    #[error("cannot read the listening address: {0}")]
    LocalAddr(#[source] io::Error),
    /// The test CA, the server certificate or the TLS configuration could not be made.
    #[error("cannot set up TLS: {0}")]
    Tls(String),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
