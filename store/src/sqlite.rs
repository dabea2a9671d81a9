//! The SQLite backend: one file, one worker at a time (several are safe, but share one disk).
//!
//! PRAGMAs are set on the connect options, so every pooled connection has them: WAL journal,
//! `synchronous = NORMAL` (a committed transaction survives a process crash; a power cut may
//! lose the last ones), a busy timeout, foreign keys. Every write is one statement or a
//! write-first transaction, so no read lock is ever upgraded (which SQLite answers with
//! `SQLITE_BUSY` at once, whatever the busy timeout).

use crate::backend::{Backend, Claimed, Finish, Finished, NewTask, Sample, Save};
use crate::error::query;
use crate::rows::{self, OUTCOME_COLUMNS};
use crate::{PendingTask, Result, StoreError, StoredOutcome};
use async_trait::async_trait;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::time::Duration;

pub(crate) struct Sqlite {
    pool: SqlitePool,
}

impl Sqlite {
    pub(crate) async fn open(path: &Path, busy_timeout: Duration) -> Result<Self> {
        let target = path.display().to_string();
        let open_err = |source| StoreError::Open {
            target: target.clone(),
            source,
        };
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(busy_timeout)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(busy_timeout + Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(open_err)?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| open_err(e.into()))?;
        Ok(Sqlite { pool })
    }
}

#[async_trait]
impl Backend for Sqlite {
    async fn add(&self, tasks: &[NewTask<'_>]) -> Result<u64> {
        let mut tx = self.pool.begin().await.map_err(query("adding tasks"))?;
        let mut added = 0;
        for t in tasks {
            added += sqlx::query(
                "INSERT INTO tasks (source, spec, task_id, state, first_seen_ms, next_poll_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                 ON CONFLICT (source, task_id) DO NOTHING",
            )
            .bind(t.source)
            .bind(t.spec)
            .bind(t.task_id)
            .bind(&t.state)
            .bind(t.now_ms)
            .execute(&mut *tx)
            .await
            .map_err(query("adding tasks"))?
            .rows_affected();
        }
        tx.commit().await.map_err(query("adding tasks"))?;
        Ok(added)
    }

    async fn claim(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<Claimed>> {
        // One UPDATE … RETURNING: no read-then-write transaction for SQLite to refuse.
        let rows = sqlx::query(
            "UPDATE tasks
             SET lease_owner = ?1, lease_until_ms = ?2 + ?3, lease_epoch = lease_epoch + 1
             WHERE id IN (
                 SELECT id FROM tasks
                 WHERE done = 0 AND (lease_owner IS NULL OR lease_until_ms < ?2)
                 ORDER BY next_poll_ms LIMIT ?4)
             RETURNING id, source, task_id, spec, state, first_seen_ms, lease_epoch",
        )
        .bind(worker)
        .bind(now_ms)
        .bind(lease_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(query("claiming tasks"))?;
        rows::all(&rows, "claiming tasks", rows::claimed)
    }

    async fn save(&self, worker: &str, saves: &[Save]) -> Result<Vec<i64>> {
        let mut lost = Vec::new();
        let mut tx = self.pool.begin().await.map_err(query("saving progress"))?;
        for s in saves {
            let n = sqlx::query(
                "UPDATE tasks SET state = ?1, attempts = ?2, next_poll_ms = ?3
                 WHERE id = ?4 AND lease_owner = ?5 AND lease_epoch = ?6 AND done = 0",
            )
            .bind(&s.state)
            .bind(s.attempts)
            .bind(s.next_poll_ms)
            .bind(s.id)
            .bind(worker)
            .bind(s.epoch)
            .execute(&mut *tx)
            .await
            .map_err(query("saving progress"))?
            .rows_affected();
            if n == 0 {
                lost.push(s.id);
            }
        }
        tx.commit().await.map_err(query("saving progress"))?;
        Ok(lost)
    }

    async fn renew(&self, worker: &str, now_ms: i64, lease_ms: i64) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "UPDATE tasks SET lease_until_ms = ?2 + ?3
             WHERE lease_owner = ?1 AND done = 0
             RETURNING id, lease_epoch",
        )
        .bind(worker)
        .bind(now_ms)
        .bind(lease_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(query("renewing leases"))?;
        rows::all(&rows, "renewing leases", rows::id_epoch)
    }

    async fn finish(&self, worker: &str, finishes: &[Finish<'_>]) -> Result<Vec<Finished>> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(query("writing an outcome"))?;
        let mut results = Vec::with_capacity(finishes.len());
        for f in finishes {
            let n = sqlx::query(
                "UPDATE tasks SET done = 1, lease_owner = NULL, lease_until_ms = NULL
             WHERE id = ?1 AND lease_owner = ?2 AND lease_epoch = ?3 AND done = 0",
            )
            .bind(f.id)
            .bind(worker)
            .bind(f.epoch)
            .execute(&mut *tx)
            .await
            .map_err(query("writing an outcome"))?
            .rows_affected();
            if n == 0 {
                results.push(Finished::LeaseLost);
                continue;
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO outcomes (source, task_id, kind, report, finished_ms, deliver_owner,
                                   deliver_until_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             RETURNING id",
            )
            .bind(f.source)
            .bind(f.task_id)
            .bind(f.kind)
            .bind(f.report)
            .bind(f.now_ms)
            .bind(worker)
            .bind(f.deliver_until_ms)
            .fetch_one(&mut *tx)
            .await
            .map_err(query("writing an outcome"))?;
            results.push(Finished::Written(id));
        }
        tx.commit().await.map_err(query("writing an outcome"))?;
        Ok(results)
    }

    async fn give_back(&self, worker: &str, tasks: &[(i64, i64)]) -> Result<()> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(query("giving tasks back"))?;
        for (id, epoch) in tasks {
            sqlx::query(
                "UPDATE tasks SET lease_owner = NULL, lease_until_ms = NULL
                 WHERE id = ?1 AND lease_owner = ?2 AND lease_epoch = ?3",
            )
            .bind(id)
            .bind(worker)
            .bind(epoch)
            .execute(&mut *tx)
            .await
            .map_err(query("giving tasks back"))?;
        }
        tx.commit().await.map_err(query("giving tasks back"))
    }

    async fn release(&self, worker: &str) -> Result<()> {
        sqlx::query(
            "UPDATE tasks SET lease_owner = NULL, lease_until_ms = NULL WHERE lease_owner = ?1",
        )
        .bind(worker)
        .execute(&self.pool)
        .await
        .map_err(query("releasing leases"))?;
        sqlx::query("UPDATE outcomes SET deliver_owner = NULL, deliver_until_ms = NULL WHERE deliver_owner = ?1 AND acked_ms IS NULL")
            .bind(worker)
            .execute(&self.pool)
            .await
            .map_err(query("releasing leases"))?;
        sqlx::query("DELETE FROM workers WHERE name = ?1")
            .bind(worker)
            .execute(&self.pool)
            .await
            .map_err(query("releasing leases"))?;
        Ok(())
    }

    async fn heartbeat(&self, worker: &str, now_ms: i64, live_ms: i64) -> Result<i64> {
        sqlx::query(
            "INSERT INTO workers (name, heartbeat_ms) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET heartbeat_ms = excluded.heartbeat_ms",
        )
        .bind(worker)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .map_err(query("heartbeat"))?;
        sqlx::query_scalar("SELECT COUNT(*) FROM workers WHERE heartbeat_ms > ?1")
            .bind(now_ms - live_ms)
            .fetch_one(&self.pool)
            .await
            .map_err(query("heartbeat"))
    }

    async fn remaining(&self) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM tasks WHERE done = 0) AS tasks,
                    (SELECT COUNT(*) FROM outcomes WHERE acked_ms IS NULL) AS unacked",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(query("counting tasks"))?;
        rows::counts(&row).map_err(query("counting tasks"))
    }

    async fn pending(&self, now_ms: i64) -> Result<Vec<PendingTask>> {
        let rows = sqlx::query(
            "SELECT source, task_id, attempts, first_seen_ms, next_poll_ms, state,
                    CASE WHEN lease_until_ms >= ?1 THEN lease_owner END AS worker
             FROM tasks WHERE done = 0 ORDER BY id",
        )
        .bind(now_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(query("listing tasks"))?;
        rows::all(&rows, "listing tasks", rows::pending)
    }

    async fn outcomes(&self, unacked: bool) -> Result<Vec<StoredOutcome>> {
        let sql = format!(
            "SELECT {OUTCOME_COLUMNS} FROM outcomes {} ORDER BY id",
            if unacked {
                "WHERE acked_ms IS NULL"
            } else {
                ""
            }
        );
        let rows = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(query("listing outcomes"))?;
        rows.iter().map(rows::outcome).collect()
    }

    async fn claim_outcomes(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<StoredOutcome>> {
        let sql = format!(
            "UPDATE outcomes SET deliver_owner = ?1, deliver_until_ms = ?2 + ?3
             WHERE id IN (
                 SELECT id FROM outcomes
                 WHERE acked_ms IS NULL AND (deliver_until_ms IS NULL OR deliver_until_ms < ?2)
                 ORDER BY id LIMIT ?4)
             RETURNING {OUTCOME_COLUMNS}"
        );
        let rows = sqlx::query(&sql)
            .bind(worker)
            .bind(now_ms)
            .bind(lease_ms)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(query("claiming outcomes"))?;
        let mut out: Vec<StoredOutcome> = rows.iter().map(rows::outcome).collect::<Result<_>>()?;
        out.sort_by_key(|o| o.id);
        Ok(out)
    }

    async fn ack(&self, id: i64, now_ms: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE outcomes SET acked_ms = ?2, deliver_owner = NULL
             WHERE id = ?1 AND acked_ms IS NULL",
        )
        .bind(id)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .map_err(query("acknowledging an outcome"))?
        .rows_affected();
        Ok(n == 1)
    }

    async fn learn(&self, samples: &[Sample], keep: i64) -> Result<()> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(query("saving learned durations"))?;
        for s in samples {
            sqlx::query(
                "INSERT INTO learned (key, phase, running_ms, final_ms) VALUES (?1, ?2, ?3, ?4)",
            )
            .bind(&s.key)
            .bind(&s.phase)
            .bind(s.running_ms)
            .bind(s.final_ms)
            .execute(&mut *tx)
            .await
            .map_err(query("saving learned durations"))?;
            sqlx::query(
                "DELETE FROM learned WHERE key = ?1 AND id NOT IN
                 (SELECT id FROM learned WHERE key = ?1 ORDER BY id DESC LIMIT ?2)",
            )
            .bind(&s.key)
            .bind(keep)
            .execute(&mut *tx)
            .await
            .map_err(query("saving learned durations"))?;
        }
        tx.commit().await.map_err(query("saving learned durations"))
    }

    async fn learned(&self) -> Result<Vec<Sample>> {
        let rows = sqlx::query("SELECT key, phase, running_ms, final_ms FROM learned ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(query("reading learned durations"))?;
        rows::all(&rows, "reading learned durations", rows::sample)
    }
}
