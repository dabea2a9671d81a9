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
    let mut other = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
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
    let mut raw = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE tasks SET state = '{not json' WHERE task_id = 'broken'")
        .execute(&mut raw)
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
