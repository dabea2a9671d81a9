//! Reading rows back, the same for both databases: each backend's row type gets the four
//! typed getters, and one function per record decodes it.

use crate::backend::{Claimed, Sample};
use crate::error::query;
use crate::{PendingTask, Result, StoredOutcome};
use sqlx::Row;

pub(crate) trait StoreRow {
    fn text(&self, column: &str) -> Result<String, sqlx::Error>;
    fn int(&self, column: &str) -> Result<i64, sqlx::Error>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error>;
    fn opt_int(&self, column: &str) -> Result<Option<i64>, sqlx::Error>;
}

macro_rules! store_row {
    ($row:ty) => {
        impl StoreRow for $row {
            fn text(&self, column: &str) -> Result<String, sqlx::Error> {
                self.try_get(column)
            }
            fn int(&self, column: &str) -> Result<i64, sqlx::Error> {
                self.try_get(column)
            }
            fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
                self.try_get(column)
            }
            fn opt_int(&self, column: &str) -> Result<Option<i64>, sqlx::Error> {
                self.try_get(column)
            }
        }
    };
}

store_row!(sqlx::sqlite::SqliteRow);
store_row!(sqlx::postgres::PgRow);

/// Decodes every row with `f`; a failure is a query error of `operation`.
pub(crate) fn all<R: StoreRow, T>(
    rows: &[R],
    operation: &'static str,
    f: fn(&R) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>> {
    rows.iter()
        .map(f)
        .collect::<Result<_, _>>()
        .map_err(query(operation))
}

pub(crate) fn pending(row: &impl StoreRow) -> Result<PendingTask, sqlx::Error> {
    let state = row.text("state")?;
    Ok(PendingTask {
        source: row.text("source")?,
        task_id: row.text("task_id")?,
        attempts: row.int("attempts")?,
        first_seen_ms: row.int("first_seen_ms")?,
        next_poll_ms: row.int("next_poll_ms")?,
        worker: row.opt_text("worker")?,
        last: crate::store::last_of(&state),
    })
}

/// The columns [`outcome`] reads.
pub(crate) const OUTCOME_COLUMNS: &str = "id, source, task_id, kind, report, finished_ms, acked_ms";

pub(crate) fn outcome(row: &impl StoreRow) -> Result<StoredOutcome> {
    let get = || -> Result<_, sqlx::Error> {
        Ok((
            row.int("id")?,
            row.text("source")?,
            row.text("task_id")?,
            row.text("kind")?,
            row.text("report")?,
            row.int("finished_ms")?,
            row.opt_int("acked_ms")?,
        ))
    };
    let (id, source, task_id, kind, report, finished_ms, acked_ms) =
        get().map_err(query("reading an outcome"))?;
    crate::store::outcome(id, source, task_id, kind, &report, finished_ms, acked_ms)
}

pub(crate) fn claimed(row: &impl StoreRow) -> Result<Claimed, sqlx::Error> {
    Ok(Claimed {
        id: row.int("id")?,
        source: row.text("source")?,
        task_id: row.text("task_id")?,
        spec: row.text("spec")?,
        state: row.text("state")?,
        first_seen_ms: row.int("first_seen_ms")?,
        epoch: row.int("lease_epoch")?,
    })
}

pub(crate) fn sample(row: &impl StoreRow) -> Result<Sample, sqlx::Error> {
    Ok(Sample {
        key: row.text("key")?,
        phase: row.text("phase")?,
        running_ms: row.opt_int("running_ms")?,
        final_ms: row.int("final_ms")?,
    })
}

pub(crate) fn id_epoch(row: &impl StoreRow) -> Result<(i64, i64), sqlx::Error> {
    Ok((row.int("id")?, row.int("lease_epoch")?))
}

pub(crate) fn counts(row: &impl StoreRow) -> Result<(i64, i64), sqlx::Error> {
    Ok((row.int("tasks")?, row.int("unacked")?))
}
