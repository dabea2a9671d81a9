//! Batches that hold together: tasks falling due within the batch window go out in one
//! request, and the tasks of a failed batch request retry together. In virtual time, through
//! the test-util batch source.

use futures::StreamExt;
use poller_core::testing::TimedSource;
use poller_core::{
    BoxPolicy, Exponential, Fixed, OutcomeKind, PollPolicy, PollPolicyExt, SourceOptions, Tracker,
    TrackerEvent,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runware's SDK schedule (what `poller_providers::runware::default_policy` ships): wait 1 s,
/// then 0.5 s growing ×1.5 up to 10 s.
fn runware_like() -> impl PollPolicy {
    Exponential::new(ms(500), 1.5, Duration::from_secs(10))
        .with_initial_delay(Duration::from_secs(1))
        .with_deadline(Duration::from_secs(20 * 60))
}

/// Drains the tracker; every task must succeed exactly once.
async fn drain_all_succeeded(mut tracker: Tracker<()>, n: usize) {
    let mut finished: HashMap<String, OutcomeKind> = HashMap::new();
    while let Some(event) = tracker.next().await {
        if let TrackerEvent::Finished { report, .. } = event {
            let kind = report.outcome.kind();
            assert!(
                finished.insert(report.task_id.clone(), kind).is_none(),
                "{} finished twice",
                report.task_id
            );
        }
    }
    assert_eq!(finished.len(), n);
    assert!(
        finished.values().all(|k| *k == OutcomeKind::Succeeded),
        "{finished:?}"
    );
}

/// 1,000 tasks ending after 5 s, batches of 100, a share `rate` of calls failing at random.
/// Returns the calls' sizes.
async fn run_faulty(rate: f64, seed: u64) -> (Vec<usize>, usize) {
    let src = Arc::new(
        TimedSource::new("batch")
            .with_batch(100)
            .with_faults(rate, seed),
    );
    let mut tracker = Tracker::new();
    let id = tracker.add_source_with(
        src.clone(),
        BoxPolicy::new(runware_like()),
        SourceOptions::default(),
    );
    for i in 0..1_000 {
        let task = format!("t{i}");
        src.add_task(&task, Duration::from_secs(5));
        tracker.track(id, task);
    }
    drain_all_succeeded(tracker, 1_000).await;
    let sizes = src.calls().iter().map(|c| c.1).collect();
    (sizes, src.failed_calls())
}

#[tokio::test(start_paused = true)]
async fn batches_re_form_after_random_transient_faults() {
    let (clean, none_failed) = run_faulty(0.0, 1).await;
    assert_eq!(none_failed, 0);
    // Polls at 1, 1.5, 2.25, 3.375 and 5.0625 s: five rounds of ten full batches.
    assert_eq!(clean, vec![100; 50]);

    for seed in [1, 2, 3] {
        let (faulty, failed) = run_faulty(0.2, seed).await;
        assert!(failed >= 5, "seed {seed}: only {failed} faults");
        // Each failed call is retried as one call again: the count grows by the failed calls,
        // not by their tasks.
        assert!(
            faulty.len() * 2 <= clean.len() * 3,
            "seed {seed}: {} calls with faults against {} without: {faulty:?}",
            faulty.len(),
            clean.len()
        );
        assert!(
            faulty.iter().all(|n| *n == 100),
            "seed {seed}: a batch fell apart: {faulty:?}"
        );
    }
}

/// Tasks tracked 9 ms apart within one 100 ms slot, polled every second: with the batch
/// window, one request per round; without it, the round's requests split up.
#[tokio::test(start_paused = true)]
async fn tasks_falling_due_within_the_window_go_out_together() {
    async fn rounds(options: SourceOptions) -> Vec<(Duration, usize)> {
        let src = Arc::new(TimedSource::new("batch").with_batch(100));
        let mut tracker = Tracker::new();
        let id = tracker.add_source_with(src.clone(), BoxPolicy::new(Fixed::secs(1)), options);
        let handle = tracker.handle();
        let start = Instant::now();
        let adder = {
            let src = src.clone();
            tokio::spawn(async move {
                tokio::time::sleep(ms(5)).await;
                for i in 0..10 {
                    src.add_task(format!("t{i}"), Duration::from_millis(2_500));
                    assert!(handle.track(id, format!("t{i}")));
                    tokio::time::sleep(ms(9)).await;
                }
            })
        };
        drain_all_succeeded(tracker, 10).await;
        adder.await.unwrap();
        src.calls()
            .iter()
            .map(|(t, n)| (t.duration_since(start), *n))
            .collect()
    }

    // All ten first fall due within the slot ending at 100 ms: one request there, then one per
    // round, 1 s apart.
    let together = rounds(SourceOptions::default()).await;
    assert_eq!(
        together,
        [
            (ms(100), 10),
            (ms(1_100), 10),
            (ms(2_100), 10),
            (ms(3_100), 10)
        ]
    );

    // Without a window each task goes out when it falls due.
    let apart = rounds(SourceOptions::default().batch_window(Duration::ZERO)).await;
    assert!(apart.len() >= 10 * 3, "{apart:?}");
    assert!(apart.iter().all(|(_, n)| *n == 1), "{apart:?}");
}

/// Aligning a poll to the window never moves it past the task's deadline: the last poll
/// still lands on it.
#[tokio::test(start_paused = true)]
async fn alignment_never_passes_the_deadline() {
    let src = Arc::new(TimedSource::new("batch").with_batch(10));
    let mut tracker = Tracker::new();
    let id = tracker.add_source_with(
        src.clone(),
        BoxPolicy::new(Fixed::secs(1).with_deadline(ms(1_050))),
        SourceOptions::default(),
    );
    let start = Instant::now();
    for i in 0..3 {
        src.add_task(format!("t{i}"), Duration::from_secs(60));
        tracker.track(id, format!("t{i}"));
    }
    let mut gave_up = 0;
    while let Some(event) = tracker.next().await {
        if let TrackerEvent::Finished { report, .. } = event {
            assert_eq!(report.outcome.kind(), OutcomeKind::GaveUp);
            assert_eq!(report.elapsed, ms(1_050));
            gave_up += 1;
        }
    }
    assert_eq!(gave_up, 3);
    let calls: Vec<(Duration, usize)> = src
        .calls()
        .iter()
        .map(|(t, n)| (t.duration_since(start), *n))
        .collect();
    assert_eq!(calls, [(ms(0), 3), (ms(1_000), 3), (ms(1_050), 3)]);
}
