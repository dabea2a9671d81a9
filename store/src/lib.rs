//! poller-store: a durable watch list for poller (SQLite, PostgreSQL). Work in progress.
#![deny(missing_docs)]
