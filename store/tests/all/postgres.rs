//! The PostgreSQL backend: the scenarios, three workers sharing tasks with one killed, a rate
//! limit held by all workers together, and a server restart mid-run. Each test says it is
//! skipped, by name, without PostgreSQL (see `pg`).

use crate::helpers::*;
use crate::pg;
use crate::scenarios;
use poller_core::RateLimit;
use poller_store::{Store, Worker};
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;
use tokio::sync::mpsc;

/// Runs `f` on a fresh database of the shared cluster, then drops the database.
async fn with_db<F, Fut>(test: &str, f: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(cluster) = pg::shared(test) else {
        return;
    };
    let db = cluster.database().await;
    f(cluster.url(&db)).await;
    cluster.drop_database(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_every_task_ends_once_and_is_delivered() {
    with_db(
        "pg_every_task_ends_once_and_is_delivered",
        |url| async move {
            scenarios::every_task_ends_once_and_is_delivered(Store::open(&url).await.unwrap())
                .await;
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_a_dead_worker_is_resumed_with_its_deadline_and_attempts() {
    with_db(
        "pg_a_dead_worker_is_resumed_with_its_deadline_and_attempts",
        |url| async move {
            let store = Store::open(&url).await.unwrap();
            scenarios::a_dead_worker_is_resumed_with_its_deadline_and_attempts(store).await;
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_a_resumed_task_is_polled_at_its_stored_next_poll_time() {
    with_db(
        "pg_a_resumed_task_is_polled_at_its_stored_next_poll_time",
        |url| async move {
            let store = Store::open(&url).await.unwrap();
            scenarios::a_resumed_task_is_polled_at_its_stored_next_poll_time(store).await;
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_learned_durations_survive_a_restart() {
    with_db("pg_learned_durations_survive_a_restart", |url| async move {
        scenarios::learned_durations_survive_a_restart(Store::open(&url).await.unwrap()).await;
    })
    .await;
}

/// Starts a worker with its own connection pool, as another process would have.
async fn spawn_worker(
    url: &str,
    worker: impl FnOnce(Store) -> Worker,
) -> tokio::task::JoinHandle<poller_store::Result<poller_store::RunSummary>> {
    let store = Store::open(url).await.unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    // The consumer: keeps every delivered outcome's channel open.
    std::mem::forget(rx);
    tokio::spawn(worker(store).run(tx, std::future::pending()))
}

/// Three workers share 300 tasks (the benchmark runs 10,000); one is killed mid-run (its
/// task aborted: no lease given back). None is lost, none has two outcomes, and no task is
/// polled by two workers at once: its polls are never closer than its interval allows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_three_workers_share_tasks_and_survive_one_killed() {
    with_db(
        "pg_three_workers_share_tasks_and_survive_one_killed",
        |url| async move {
            const N: usize = 300;
            let sim = simulator_with(N, ms(2000)).await;
            let store = Store::open(&url).await.unwrap();
            let spec = narada_spec(&sim, ms(300), Duration::from_secs(60));
            let ids: Vec<String> = (0..N).map(|i| format!("t{i}")).collect();
            store.track(&spec, &ids).await.unwrap();

            let opts = || fast().claim_batch(40);
            let mut workers = Vec::new();
            for name in ["w1", "w2", "w3"] {
                let sim_builder = builder(&sim);
                let o = opts();
                workers.push(
                    spawn_worker(&url, move |s| {
                        Worker::new(s, sim_builder).name(name).options(o)
                    })
                    .await,
                );
            }
            wait_until(
                Duration::from_secs(20),
                "every worker holding tasks",
                || async {
                    let held: std::collections::HashSet<String> = store
                        .pending()
                        .await
                        .unwrap()
                        .into_iter()
                        .filter_map(|t| t.worker)
                        .collect();
                    held.len() == 3
                },
            )
            .await;
            let killed = workers.remove(0);
            killed.abort();
            let _ = killed.await;

            for w in workers {
                tokio::time::timeout(Duration::from_secs(60), w)
                    .await
                    .expect("the survivors finish")
                    .unwrap()
                    .unwrap();
            }
            let rows = store.outcomes(false).await.unwrap();
            let rows = by_task(&rows);
            assert_eq!(rows.len(), N, "none lost");
            assert!(rows.values().all(|o| o.kind == "succeeded"));

            let mut times: HashMap<String, Vec<Duration>> = HashMap::new();
            for r in sim.requests() {
                let id = r.path().rsplit('/').next().unwrap().to_string();
                times.entry(id).or_default().push(r.at);
            }
            for (id, mut at) in times {
                at.sort();
                for w in at.windows(2) {
                    let gap = w[1] - w[0];
                    assert!(
                        gap >= ms(200),
                        "{id} polled twice within {gap:?}: two holders at once"
                    );
                }
            }
            sim.shutdown().await;
        },
    )
    .await;
}

/// A limit of 10 requests a second on Narada holds for three workers together: each gets a
/// third. Counted at the simulator, in every whole second after the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_a_rate_limit_holds_for_all_workers_together() {
    with_db(
        "pg_a_rate_limit_holds_for_all_workers_together",
        |url| async move {
            let sim = simulator_with(0, ms(0)).await;
            let ids: Vec<String> = (0..60).map(|i| format!("e{i}")).collect();
            for id in &ids {
                add_endless(&sim, id);
            }
            let store = Store::open(&url).await.unwrap();
            // Every task would be polled every 100 ms (600 requests a second) without the limit.
            store
                .track(&narada_spec(&sim, ms(100), ms(4000)), &ids)
                .await
                .unwrap();
            let limit = RateLimit::per_second(10).burst(1);
            let mut workers = Vec::new();
            for name in ["r1", "r2", "r3"] {
                let b = builder(&sim);
                workers.push(
                    spawn_worker(&url, move |s| {
                        Worker::new(s, b)
                            .name(name)
                            .options(fast().claim_batch(20).rate_limit("narada", limit))
                    })
                    .await,
                );
            }
            for w in workers {
                tokio::time::timeout(Duration::from_secs(60), w)
                    .await
                    .unwrap()
                    .unwrap()
                    .unwrap();
            }
            let at: Vec<Duration> = sim.requests().iter().map(|r| r.at).collect();
            let first = *at.iter().min().unwrap();
            let last = *at.iter().max().unwrap();
            let mut per_window: Vec<usize> = Vec::new();
            let mut start = first + Duration::from_secs(1);
            while start + Duration::from_secs(1) <= last {
                per_window.push(
                    at.iter()
                        .filter(|t| **t >= start && **t < start + Duration::from_secs(1))
                        .count(),
                );
                start += ms(250);
            }
            assert!(!per_window.is_empty());
            // 10 a second; each worker's share is one request every 300 ms, so a window may catch
            // one extra request per worker.
            assert!(
                per_window.iter().all(|n| *n <= 13),
                "requests per 1 s window: {per_window:?}"
            );
            assert!(
                per_window.iter().any(|n| *n >= 8),
                "the limit was reached: {per_window:?}"
            );
            sim.shutdown().await;
        },
    )
    .await;
}

/// The server stops and starts again mid-run: the worker reconnects and carries on; every
/// task ends exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_a_restarted_server_is_reconnected_and_the_work_goes_on() {
    let test = "pg_a_restarted_server_is_reconnected_and_the_work_goes_on";
    if pg::shared(test).is_none() {
        return;
    }
    // A cluster of its own, since it is stopped.
    let cluster = std::sync::Arc::new(pg::new_cluster().unwrap());
    let db = cluster.database().await;
    let url = cluster.url(&db);
    let sim = simulator_with(30, ms(2500)).await;
    let store = Store::open(&url).await.unwrap();
    let ids: Vec<String> = (0..30).map(|i| format!("t{i}")).collect();
    store
        .track(&narada_spec(&sim, ms(200), Duration::from_secs(60)), &ids)
        .await
        .unwrap();
    let b = builder(&sim);
    let w = spawn_worker(&url, move |s| Worker::new(s, b).name("w").options(fast())).await;
    wait_until(Duration::from_secs(10), "saved progress", || async {
        store
            .pending()
            .await
            .unwrap()
            .iter()
            .any(|t| t.attempts >= 2)
    })
    .await;
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || {
        c.stop();
        c.start();
    })
    .await
    .unwrap();
    tokio::time::timeout(Duration::from_secs(60), w)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let rows = store.outcomes(false).await.unwrap();
    let rows = by_task(&rows);
    assert_eq!(rows.len(), 30, "none lost");
    assert!(
        rows.values()
            .all(|o| o.kind == "succeeded" && o.acked_ms.is_some())
    );
    sim.shutdown().await;
}
