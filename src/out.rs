//! Writing to stdout and stderr without panicking: `println!` panics when the reader has gone
//! (`poller wait … | head -1`), so every stdout line goes through [`Stdout::line`], which says
//! when the pipe is closed, and stderr writes ignore errors.

use std::io::{self, Write};

/// Stdout went away (or cannot be written): the command stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

/// Line-at-a-time stdout, flushed after each line so that a pipe sees each result as it comes.
#[derive(Debug, Default)]
pub struct Stdout {
    closed: bool,
}

impl Stdout {
    /// Writes `text` and a newline. A broken pipe is quiet; any other error is said once.
    pub fn line(&mut self, text: &str) -> Result<(), Closed> {
        if self.closed {
            return Err(Closed);
        }
        let mut out = io::stdout().lock();
        let result = writeln!(out, "{text}").and_then(|()| out.flush());
        if let Err(e) = result {
            self.closed = true;
            if e.kind() != io::ErrorKind::BrokenPipe {
                err_line(&format!("poller: cannot write to stdout: {e}"));
            }
            return Err(Closed);
        }
        Ok(())
    }
}

/// Writes `text` and a newline to stderr, ignoring errors (a closed stderr must not panic).
pub fn err_line(text: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{text}");
}

/// Writes `text` to stderr as is (terminal drawing), ignoring errors.
pub fn err_raw(text: &str) {
    let mut err = io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}
