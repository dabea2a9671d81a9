//! End-to-end tests of the `poller` binary against the simulator over loopback. The keys used
//! here are distinctive strings, and no output of any run may contain one.

mod contract;
mod helpers;
mod listen;
mod pty;
mod shell;
mod submit;
