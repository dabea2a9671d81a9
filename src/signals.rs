//! Ctrl-C (SIGINT) and SIGTERM as one stream the wait selects on. Installing the handlers can
//! fail (no signal driver); then the wait simply runs to its end.

use crate::report::code;

/// Which signal asked the command to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Interrupt,
    Terminate,
}

impl Stop {
    /// The exit code: 130 for Ctrl-C, 143 for SIGTERM (128 + the signal's number).
    pub fn exit_code(self) -> u8 {
        match self {
            Stop::Interrupt => code::INTERRUPTED,
            Stop::Terminate => code::TERMINATED,
        }
    }

    /// How the summary names it.
    pub fn name(self) -> &'static str {
        match self {
            Stop::Interrupt => "interrupted",
            Stop::Terminate => "terminated",
        }
    }
}

/// The installed handlers.
pub struct Signals {
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    /// Installs handlers for SIGINT and SIGTERM (from now on they no longer kill the process).
    pub fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Signals {
                int: signal(SignalKind::interrupt()).ok(),
                term: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// The next signal; pending forever when none can arrive.
    pub async fn next(&mut self) -> Stop {
        #[cfg(unix)]
        {
            let Signals { int, term } = self;
            let int = async {
                if let Some(s) = int {
                    if s.recv().await.is_some() {
                        return Stop::Interrupt;
                    }
                }
                std::future::pending().await
            };
            let term = async {
                if let Some(s) = term {
                    if s.recv().await.is_some() {
                        return Stop::Terminate;
                    }
                }
                std::future::pending().await
            };
            tokio::select! {
                s = int => s,
                s = term => s,
            }
        }
        #[cfg(not(unix))]
        {
            match tokio::signal::ctrl_c().await {
                Ok(()) => Stop::Interrupt,
                Err(_) => std::future::pending().await,
            }
        }
    }
}
