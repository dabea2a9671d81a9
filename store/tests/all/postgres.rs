//! The PostgreSQL backend (skipped, by name, without PostgreSQL).
