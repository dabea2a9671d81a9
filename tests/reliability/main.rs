//! Reliability and security: the guarantees of issue #6, each proved against real HTTP on
//! loopback (the simulator, or a tiny recording server of our own).
//!
//! One test binary (one link, like reqwest-retry's `tests/all/main.rs`): a helpers module and
//! one module per area.
//!
//! | module | proves |
//! |---|---|
//! | [`faults`] | every simulated fault against every provider: outcome kind, error variant and class, request count and instants |
//! | [`soak`] | thousands of tasks over the four providers with 10 % random faults: one right outcome each, none lost, none twice |
//! | [`secrets`] | the key is in no trace output (reqwest's and hyper's included), no error, no outcome, and not in the CLI's output |
//! | [`redirects`] | same-origin redirects are followed (bounded); cross-origin ones never carry the key |
//! | [`paths`] | task ids and parameters stay one path segment or one query value |
//! | [`transport`] | plain `http://` only to loopback; bodies capped; every request timed out; excerpts bounded |
//!
//! Time-based behaviour runs in tokio's virtual time (`start_paused = true`): the simulator
//! and the recording servers run on the test's own runtime and answer on loopback at once, so
//! the paused clock only jumps when every task waits on a timer. Nothing here sleeps for real
//! and nothing asserts on wall-clock durations.

mod helpers;

mod faults;
mod paths;
mod redirects;
mod secrets;
mod soak;
mod transport;
