//! What every backend must do, as functions of a fresh store.

use crate::helpers::*;
use poller_core::AdaptiveStore;
use poller_store::{RunSummary, Store, StoredOutcome};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;

async fn run_to_idle(worker: poller_store::Worker) -> (RunSummary, Vec<StoredOutcome>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let summary = tokio::time::timeout(
        Duration::from_secs(60),
        worker.run(tx, std::future::pending()),
    )
    .await
    .expect("the worker ends once the store is idle")
    .expect("the worker runs");
    let mut got = Vec::new();
    while let Ok(o) = rx.try_recv() {
        got.push(o);
    }
    (summary, got)
}

/// Every task ends exactly once, is written, delivered and acknowledged.
pub async fn every_task_ends_once_and_is_delivered(store: Store) {
    let sim = simulator_with(20, ms(300)).await;
    let spec = narada_spec(&sim, ms(200), Duration::from_secs(30));
    let ids: Vec<String> = (0..20).map(|i| format!("t{i}")).collect();
    assert_eq!(store.track(&spec, &ids).await.unwrap(), 20);
    let (summary, delivered) = run_to_idle(worker(&store, &sim, "w1")).await;
    assert_eq!(summary.outcomes, 20);
    assert_eq!(summary.delivered, 20);
    let rows = store.outcomes(false).await.unwrap();
    let rows = by_task(&rows);
    assert_eq!(rows.len(), 20);
    for id in &ids {
        let o = rows[id];
        assert_eq!(o.kind, "succeeded", "{o:?}");
        assert!(o.acked_ms.is_some(), "{id} acknowledged");
    }
    let delivered = by_task(&delivered);
    assert_eq!(delivered.len(), 20, "each outcome delivered once");
    assert!(store.pending().await.unwrap().is_empty());
    sim.shutdown().await;
}

/// A worker that dies without a word (its task aborted: no lease given back, no last flush)
/// is taken over once its lease passes; the task keeps its deadline and attempts.
pub async fn a_dead_worker_is_resumed_with_its_deadline_and_attempts(store: Store) {
    let sim = simulator_with(5, ms(2500)).await;
    add_endless(&sim, "endless");
    let spec = narada_spec(&sim, ms(200), ms(3000));
    store
        .track(&spec, ["endless", "t0", "t1", "t2", "t3", "t4"])
        .await
        .unwrap();
    let first_seen = store.pending().await.unwrap()[0].first_seen_ms;

    let (tx, _rx) = mpsc::unbounded_channel();
    let a = tokio::spawn(worker(&store, &sim, "a").run(tx, std::future::pending()));
    wait_until(Duration::from_secs(10), "saved progress", || async {
        store
            .pending()
            .await
            .unwrap()
            .iter()
            .any(|t| t.task_id == "endless" && t.attempts >= 4)
    })
    .await;
    a.abort();
    let _ = a.await;
    let saved = store.pending().await.unwrap();
    let saved_attempts = saved
        .iter()
        .find(|t| t.task_id == "endless")
        .unwrap()
        .attempts;
    assert!(
        saved.iter().all(|t| t.worker.as_deref() == Some("a")),
        "a still holds its leases"
    );

    let (summary, _) = run_to_idle(worker(&store, &sim, "b")).await;
    assert_eq!(summary.claimed, 6, "b took every task over");
    let rows = store.outcomes(false).await.unwrap();
    let rows = by_task(&rows);
    assert_eq!(rows.len(), 6, "none lost");
    for i in 0..5 {
        assert_eq!(rows[format!("t{i}").as_str()].kind, "succeeded");
    }
    let endless = rows["endless"];
    assert_eq!(endless.kind, "gave_up");
    let elapsed = endless.report["elapsed_ms"].as_i64().unwrap();
    let since_added = endless.finished_ms - first_seen;
    assert!(
        (3000..3500).contains(&elapsed) && since_added < 3700,
        "the deadline counts from the first tracking: elapsed {elapsed} ms, {since_added} ms after it was added"
    );
    let attempts = endless.report["attempts"].as_i64().unwrap();
    let requests = requests_per_task(&sim)["endless"] as i64;
    assert!(
        attempts > saved_attempts,
        "attempts go on from {saved_attempts}: {attempts}"
    );
    assert!(
        attempts + 2 >= requests,
        "at most a tick of progress is lost: {attempts} attempts counted, {requests} made"
    );
    sim.shutdown().await;
}

/// Durations learned by one worker come back in the next.
pub async fn learned_durations_survive_a_restart(store: Store) {
    let sim = simulator_with(10, ms(300)).await;
    let spec = narada_spec(&sim, ms(100), Duration::from_secs(30));
    let ids: Vec<String> = (0..10).map(|i| format!("t{i}")).collect();
    store.track(&spec, &ids).await.unwrap();
    let first = AdaptiveStore::new();
    run_to_idle(worker(&store, &sim, "w1").learn_into(first.clone())).await;

    let second = AdaptiveStore::new();
    assert_eq!(second.samples("narada"), 0);
    run_to_idle(worker(&store, &sim, "w2").learn_into(second.clone())).await;
    assert_eq!(second.samples("narada"), 10, "restored from the store");
    let median = second.quantile("narada", 0.5).unwrap();
    assert!(median >= ms(200) && median <= ms(1500), "{median:?}");
    sim.shutdown().await;
}

/// A task handed from one worker to the next (a clean stop, then a start) is first polled by
/// the second at the next-poll time the first stored: not early (the interval after the
/// first's answer holds), and not a whole interval after the claim.
pub async fn a_resumed_task_is_polled_at_its_stored_next_poll_time(store: Store) {
    let sim = simulator_with(0, ms(0)).await;
    let ids = ["e0", "e1", "e2"];
    for id in ids {
        add_endless(&sim, id);
    }
    let interval = ms(3000);
    store
        .track(&narada_spec(&sim, interval, Duration::from_secs(60)), ids)
        .await
        .unwrap();
    let (tx, _rx) = mpsc::unbounded_channel();
    // The first worker polls each task once, at once, then stops cleanly after 1.5 s (its
    // progress written, its leases given back).
    worker(&store, &sim, "first")
        .run(tx.clone(), tokio::time::sleep(ms(1500)))
        .await
        .unwrap();
    worker(&store, &sim, "second")
        .run(tx, tokio::time::sleep(ms(4500)))
        .await
        .unwrap();
    let mut at: HashMap<String, Vec<Duration>> = HashMap::new();
    for r in sim.requests() {
        let id = r.path().rsplit('/').next().unwrap_or_default().to_string();
        at.entry(id).or_default().push(r.at);
    }
    for id in ids {
        let polls = &at[id];
        assert!(polls.len() >= 2, "{id} polled by both workers: {polls:?}");
        let gap = polls[1] - polls[0];
        assert!(
            gap >= ms(2950),
            "{id} polled {gap:?} after its last poll: sooner than its interval"
        );
        // Resumed from the claim (about 1.6 s in) it would have waited until 4.6 s or later.
        assert!(
            gap < ms(3900),
            "{id} polled {gap:?} after its last poll: not at its stored next-poll time"
        );
    }
    sim.shutdown().await;
}
