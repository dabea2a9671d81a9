//! The SQLite backend: the scenarios, durability across reopening, and bad files.

use crate::scenarios;
use poller_store::{SourceSpec, Store, StoreError};
use sqlx::Connection;
use std::time::Duration;

async fn fresh() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("watch.db").to_str().unwrap())
        .await
        .unwrap();
    (dir, store)
}

/// A connection of its own to the file at `path`, as another process would have.
async fn raw(path: &std::path::Path) -> sqlx::SqliteConnection {
    sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_every_task_ends_once_and_is_delivered() {
    let (_dir, store) = fresh().await;
    scenarios::every_task_ends_once_and_is_delivered(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_dead_worker_is_resumed_with_its_deadline_and_attempts() {
    let (_dir, store) = fresh().await;
    scenarios::a_dead_worker_is_resumed_with_its_deadline_and_attempts(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_learned_durations_survive_a_restart() {
    let (_dir, store) = fresh().await;
    scenarios::learned_durations_survive_a_restart(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_resumed_task_is_polled_at_its_stored_next_poll_time() {
    let (_dir, store) = fresh().await;
    scenarios::a_resumed_task_is_polled_at_its_stored_next_poll_time(store).await;
}

#[tokio::test]
async fn tracked_tasks_survive_reopening_and_adding_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/dir/watch.db");
    let url = format!("sqlite://{}", path.display());
    let spec = SourceSpec::new("dari")
        .param("org_id", "o")
        .param("endpoint_name", "e");
    {
        let store = Store::open(&url).await.unwrap();
        assert_eq!(store.track(&spec, ["a", "b"]).await.unwrap(), 2);
    }
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.track(&spec, ["b", "c"]).await.unwrap(), 1);
    let ids: Vec<String> = store
        .pending()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.task_id)
        .collect();
    assert_eq!(ids, ["a", "b", "c"]);
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_a_clear_error_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("watch.db");
    let garbage =
        b"this is not a SQLite database, just some bytes that someone wrote here".repeat(100);
    std::fs::write(&path, &garbage).unwrap();
    let err = Store::open(path.to_str().unwrap()).await.unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("watch.db") && text.contains("not a database"),
        "{text}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        garbage,
        "the file is not overwritten"
    );
}

#[tokio::test]
async fn a_locked_file_is_a_clear_error_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("watch.db");
    let store = Store::open_with(path.to_str().unwrap(), Duration::from_millis(200))
        .await
        .unwrap();
    let spec = SourceSpec::new("narada");
    store.track(&spec, ["before"]).await.unwrap();

    // Another process holds the write lock.
    let mut other = raw(&path).await;
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut other)
        .await
        .unwrap();
    let err = store.track(&spec, ["during"]).await.unwrap_err();
    assert!(matches!(err, StoreError::Query { .. }), "{err:?}");
    assert!(err.to_string().contains("locked"), "{err}");
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();

    // Once the lock is gone, the same call works and both tasks are there.
    store.track(&spec, ["during"]).await.unwrap();
    let ids: Vec<String> = store
        .pending()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.task_id)
        .collect();
    assert_eq!(ids, ["before", "during"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_whose_stored_state_is_unreadable_ends_with_a_clear_outcome() {
    use crate::helpers::*;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("watch.db");
    let store = Store::open(path.to_str().unwrap()).await.unwrap();
    let sim = simulator_with(1, ms(200)).await;
    store
        .track(
            &narada_spec(&sim, ms(100), Duration::from_secs(30)),
            ["t0", "broken"],
        )
        .await
        .unwrap();
    let mut conn = raw(&path).await;
    sqlx::query("UPDATE tasks SET state = '{not json' WHERE task_id = 'broken'")
        .execute(&mut conn)
        .await
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let summary = tokio::time::timeout(
        Duration::from_secs(30),
        worker(&store, &sim, "w").run(tx, std::future::pending()),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(summary.outcomes, 2);
    let rows = store.outcomes(false).await.unwrap();
    let rows = by_task(&rows);
    assert_eq!(rows["t0"].kind, "succeeded");
    let broken = rows["broken"];
    assert_eq!(broken.kind, "fetch_error");
    let message = broken.report["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("state of task") && message.contains("not valid"),
        "{message}"
    );
    let mut delivered = Vec::new();
    while let Ok(o) = rx.try_recv() {
        delivered.push(o.task_id);
    }
    delivered.sort();
    assert_eq!(delivered, ["broken", "t0"]);
    sim.shutdown().await;
}

/// Log lines, shared with a `tracing` subscriber.
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// While another process holds the file's write lock, the worker's writes fail (and say
/// so in the log), yet its tracker keeps polling on time; an outcome reached meanwhile is
/// not delivered before it is written, and is written and delivered once the lock is gone.
#[tokio::test]
async fn a_write_failure_is_reported_while_polling_goes_on_and_the_outcome_waits_for_it() {
    use crate::helpers::*;
    use poller_store::Worker;
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // One thread: the worker's tasks log on this thread, to this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("watch.db");
    // A busy timeout of 2 s: a write waits that long for the lock before it fails.
    let store = Store::open_with(path.to_str().unwrap(), Duration::from_secs(2))
        .await
        .unwrap();
    let sim = simulator_with(1, ms(1500)).await;
    add_endless(&sim, "endless");
    store
        .track(
            &narada_spec(&sim, ms(200), Duration::from_secs(60)),
            ["t0", "endless"],
        )
        .await
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let options = fast().lease(Duration::from_secs(30));
    let run = tokio::spawn(
        Worker::new(store.clone(), builder(&sim))
            .name("w")
            .options(options)
            .run(tx, async {
                stopped.await.ok();
            }),
    );
    wait_until(Duration::from_secs(10), "the first polls", || async {
        requests_per_task(&sim).len() == 2
    })
    .await;

    let mut other = raw(&path).await;
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut other)
        .await
        .unwrap();
    let locked_at = sim.requests().last().unwrap().at;
    // t0 ends 1.5 s after it was added; the lock lasts 6 s, so every write tried meanwhile
    // (each waiting 2 s for the lock) fails, its outcome's included.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let unlocked_at = sim.requests().last().unwrap().at;
    assert!(
        rx.try_recv().is_err(),
        "an outcome was delivered while it could not be written"
    );
    let endless: Vec<Duration> = sim
        .requests()
        .iter()
        .filter(|r| r.path().ends_with("/endless") && r.at >= locked_at && r.at <= unlocked_at)
        .map(|r| r.at)
        .collect();
    let widest = endless
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or_default();
    assert!(
        endless.len() >= 10 && widest < ms(1000),
        "polling went on during the lock every 200 ms: {} polls, widest gap {widest:?}",
        endless.len()
    );
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    drop(other);

    let outcome = tokio::time::timeout(Duration::from_secs(15), rx.recv())
        .await
        .expect("the outcome is written and delivered once the lock is gone")
        .unwrap();
    assert_eq!(
        (outcome.task_id.as_str(), outcome.kind.as_str()),
        ("t0", "succeeded")
    );
    let rows = store.outcomes(false).await.unwrap();
    assert_eq!(by_task(&rows).len(), 1, "one outcome row");
    stop.send(()).unwrap();
    run.await.unwrap().unwrap();
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("could not write outcomes; retrying") && logs.contains("locked"),
        "the failed write is reported: {logs}"
    );
    sim.shutdown().await;
}
