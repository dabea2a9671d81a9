//! poller-store against real SQLite files, a real PostgreSQL server (when installed) and the
//! simulator over loopback HTTP. One test binary; helpers in `helpers`, scenarios both
//! backends run in `scenarios`, the PostgreSQL cluster in `pg`.
//!
//! These tests run in real time (a database and HTTP cannot run under tokio's paused clock);
//! they wait for conditions with bounded deadlines, never for fixed sleeps.

mod helpers;
mod pg;
mod postgres;
mod scenarios;
mod sqlite;
