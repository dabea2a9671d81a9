//! The PostgreSQL backend: several workers on several machines. Claims take free or expired
//! rows with `FOR UPDATE SKIP LOCKED` (underway's dequeue), so two workers never wait on or
//! take the same row; every later write is fenced by the claim's epoch.

use crate::backend::{Backend, Claimed, Finish, Finished, NewTask, Sample, Save};
use crate::error::query;
use crate::rows::{self, OUTCOME_COLUMNS};
use crate::{PendingTask, Result, StoreError, StoredOutcome};
use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

pub(crate) struct Postgres {
    pool: PgPool,
}

impl Postgres {
    pub(crate) async fn open(url: &str) -> Result<Self> {
        let open_err = |source| StoreError::Open {
            target: redact(url),
            source,
        };
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(open_err)?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| open_err(e.into()))?;
        Ok(Postgres { pool })
    }
}

/// `url` without its password.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***{}", &rest[at..])
        }
        None => url.to_string(),
    }
}

#[async_trait]
impl Backend for Postgres {
    async fn add(&self, tasks: &[NewTask<'_>]) -> Result<u64> {
        let mut tx = self.pool.begin().await.map_err(query("adding tasks"))?;
        let mut added = 0;
        for t in tasks {
            added += sqlx::query(
                "INSERT INTO tasks (source, spec, task_id, state, first_seen_ms, next_poll_ms)
                 VALUES ($1, $2, $3, $4, $5, $5)
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
            "WITH due AS (
                 SELECT id FROM tasks
                 WHERE NOT done AND (lease_owner IS NULL OR lease_until_ms < $2)
                 ORDER BY next_poll_ms LIMIT $4
                 FOR UPDATE SKIP LOCKED)
             UPDATE tasks t
             SET lease_owner = $1, lease_until_ms = $2 + $3, lease_epoch = t.lease_epoch + 1
             FROM due WHERE t.id = due.id
             RETURNING t.id, t.source, t.task_id, t.spec, t.state, t.first_seen_ms, t.lease_epoch",
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
        // One statement for the whole batch: a round trip per row made a flush of 10,000
        // tasks take seconds, during which the worker's other writes waited.
        let ids: Vec<i64> = saves.iter().map(|s| s.id).collect();
        let epochs: Vec<i64> = saves.iter().map(|s| s.epoch).collect();
        let states: Vec<&str> = saves.iter().map(|s| s.state.as_str()).collect();
        let attempts: Vec<i64> = saves.iter().map(|s| s.attempts).collect();
        let next: Vec<i64> = saves.iter().map(|s| s.next_poll_ms).collect();
        let saved: Vec<i64> = sqlx::query_scalar(
            "UPDATE tasks t SET state = u.state, attempts = u.attempts, next_poll_ms = u.next_poll_ms
             FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::BIGINT[], $5::BIGINT[])
                  AS u(id, epoch, state, attempts, next_poll_ms)
             WHERE t.id = u.id AND t.lease_owner = $6 AND t.lease_epoch = u.epoch AND NOT t.done
             RETURNING t.id",
        )
        .bind(&ids)
        .bind(&epochs)
        .bind(&states)
        .bind(&attempts)
        .bind(&next)
        .bind(worker)
        .fetch_all(&self.pool)
        .await
        .map_err(query("saving progress"))?;
        let saved: std::collections::HashSet<i64> = saved.into_iter().collect();
        Ok(ids.into_iter().filter(|id| !saved.contains(id)).collect())
    }

    async fn renew(&self, worker: &str, now_ms: i64, lease_ms: i64) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "UPDATE tasks SET lease_until_ms = $2 + $3
             WHERE lease_owner = $1 AND NOT done
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
        // One statement for the whole batch (tasks marked done, fenced by epoch, and an
        // outcome row for each of those): two round trips per outcome kept the writer busy
        // for seconds when thousands of tasks ended together.
        let col = |f: fn(&Finish<'_>) -> i64| finishes.iter().map(f).collect::<Vec<i64>>();
        let text = |f: for<'a> fn(&'a Finish<'_>) -> &'a str| {
            finishes.iter().map(f).collect::<Vec<&str>>()
        };
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "WITH u AS (
                 SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[],
                                      $5::TEXT[], $6::TEXT[], $7::BIGINT[], $8::BIGINT[])
                     AS u(id, epoch, source, task_id, kind, report, now_ms, deliver_until_ms)),
             done AS (
                 UPDATE tasks t SET done = TRUE, lease_owner = NULL, lease_until_ms = NULL
                 FROM u
                 WHERE t.id = u.id AND t.lease_owner = $9 AND t.lease_epoch = u.epoch AND NOT t.done
                 RETURNING t.id)
             INSERT INTO outcomes (source, task_id, kind, report, finished_ms, deliver_owner,
                                   deliver_until_ms)
             SELECT u.source, u.task_id, u.kind, u.report, u.now_ms, $9, u.deliver_until_ms
             FROM u JOIN done ON done.id = u.id
             RETURNING id, source, task_id",
        )
        .bind(col(|f| f.id))
        .bind(col(|f| f.epoch))
        .bind(text(|f| f.source))
        .bind(text(|f| f.task_id))
        .bind(text(|f| f.kind))
        .bind(text(|f| f.report))
        .bind(col(|f| f.now_ms))
        .bind(col(|f| f.deliver_until_ms))
        .bind(worker)
        .fetch_all(&self.pool)
        .await
        .map_err(query("writing an outcome"))?;
        let written: std::collections::HashMap<(String, String), i64> = rows
            .into_iter()
            .map(|(id, source, task_id)| ((source, task_id), id))
            .collect();
        Ok(finishes
            .iter()
            .map(
                |f| match written.get(&(f.source.to_string(), f.task_id.to_string())) {
                    Some(id) => Finished::Written(*id),
                    None => Finished::LeaseLost,
                },
            )
            .collect())
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
                 WHERE id = $1 AND lease_owner = $2 AND lease_epoch = $3",
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
            "UPDATE tasks SET lease_owner = NULL, lease_until_ms = NULL WHERE lease_owner = $1",
        )
        .bind(worker)
        .execute(&self.pool)
        .await
        .map_err(query("releasing leases"))?;
        sqlx::query("UPDATE outcomes SET deliver_owner = NULL, deliver_until_ms = NULL WHERE deliver_owner = $1 AND acked_ms IS NULL")
            .bind(worker)
            .execute(&self.pool)
            .await
            .map_err(query("releasing leases"))?;
        sqlx::query("DELETE FROM workers WHERE name = $1")
            .bind(worker)
            .execute(&self.pool)
            .await
            .map_err(query("releasing leases"))?;
        Ok(())
    }

    async fn heartbeat(&self, worker: &str, now_ms: i64, live_ms: i64) -> Result<i64> {
        sqlx::query(
            "INSERT INTO workers (name, heartbeat_ms) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET heartbeat_ms = excluded.heartbeat_ms",
        )
        .bind(worker)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .map_err(query("heartbeat"))?;
        sqlx::query_scalar("SELECT COUNT(*) FROM workers WHERE heartbeat_ms > $1")
            .bind(now_ms - live_ms)
            .fetch_one(&self.pool)
            .await
            .map_err(query("heartbeat"))
    }

    async fn remaining(&self) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM tasks WHERE NOT done) AS tasks,
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
                    CASE WHEN lease_until_ms >= $1 THEN lease_owner END AS worker
             FROM tasks WHERE NOT done ORDER BY id",
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
        let sql = "WITH due AS (
                 SELECT id FROM outcomes
                 WHERE acked_ms IS NULL AND (deliver_until_ms IS NULL OR deliver_until_ms < $2)
                 ORDER BY id LIMIT $4
                 FOR UPDATE SKIP LOCKED)
             UPDATE outcomes o SET deliver_owner = $1, deliver_until_ms = $2 + $3
             FROM due WHERE o.id = due.id
             RETURNING o.id, o.source, o.task_id, o.kind, o.report, o.finished_ms, o.acked_ms";
        let rows = sqlx::query(sql)
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
            "UPDATE outcomes SET acked_ms = $2, deliver_owner = NULL
             WHERE id = $1 AND acked_ms IS NULL",
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
                "INSERT INTO learned (key, phase, running_ms, final_ms) VALUES ($1, $2, $3, $4)",
            )
            .bind(&s.key)
            .bind(&s.phase)
            .bind(s.running_ms)
            .bind(s.final_ms)
            .execute(&mut *tx)
            .await
            .map_err(query("saving learned durations"))?;
            sqlx::query(
                "DELETE FROM learned WHERE key = $1 AND id NOT IN
                 (SELECT id FROM learned WHERE key = $1 ORDER BY id DESC LIMIT $2)",
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
