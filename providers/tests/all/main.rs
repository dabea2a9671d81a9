//! The providers against `poller-sim` over real HTTP on loopback, and against the vendors'
//! example payloads.
//!
//! One test binary (faster to build); a module per provider, plus the default policies.
//! Tests that depend on time run in virtual time (`start_paused = true`): scripts move with
//! `tokio::time::advance`, or with the poller's own sleeps, which tokio skips through. The
//! simulator runs on the test's runtime and answers on loopback at once, so no request leaves
//! the runtime idle long enough for the paused clock to jump past it.

mod helpers;

mod dari;
mod narada;
mod policies;
mod runware;
mod submit;
mod tls;
mod vessl;
#[cfg(feature = "webhooks")]
mod webhooks;
