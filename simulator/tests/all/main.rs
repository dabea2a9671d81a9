//! End-to-end tests of the simulator over real HTTP on loopback, in virtual time.
//!
//! One test binary (faster to build); a module per API plus faults, the log and the control
//! API. Every test that depends on time uses `start_paused = true` and `tokio::time::advance`,
//! and the client keeps no idle connections, so that no timer other than the test's own can
//! make tokio auto-advance the clock.

mod helpers;

mod binary;
mod callbacks;
mod control;
mod create;
mod dari;
mod faults;
mod log;
mod narada;
mod runware;
mod server;
mod tls;
mod vessl;
