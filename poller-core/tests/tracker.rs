//! The many-task tracker in virtual time: exactly-once outcomes, batching, limits.

use futures::StreamExt;
use poller_core::testing::{ScriptedSource, TimedSource};
use poller_core::{
    BoxPolicy, Fixed, OutcomeKind, Phase, PollPolicyExt, RateLimit, SourceOptions, Status, Tracker,
    TrackerEvent,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Drains the tracker, returning how many times each task finished and with what.
async fn drain(tracker: &mut Tracker<()>) -> HashMap<String, Vec<(OutcomeKind, Duration)>> {
    let mut finished: HashMap<String, Vec<(OutcomeKind, Duration)>> = HashMap::new();
    while let Some(event) = tracker.next().await {
        if let TrackerEvent::Finished { report, .. } = event {
            finished
                .entry(report.task_id.clone())
                .or_default()
                .push((report.outcome.kind(), report.elapsed));
        }
    }
    finished
}

#[tokio::test(start_paused = true)]
async fn every_task_ends_exactly_once_with_the_right_outcome() {
    let src = Arc::new(TimedSource::new("timed"));
    let mut tracker = Tracker::new().max_in_flight(16);
    let id = tracker.add_source_with(
        src.clone(),
        BoxPolicy::new(Fixed::secs(2)),
        SourceOptions::default(),
    );
    for i in 0..1_000u64 {
        let task = format!("t{i}");
        src.add_task(&task, Duration::from_millis(500 + i * 37));
        tracker.track(id, task);
    }
    // A task nobody knows: a permanent 404.
    tracker.track(id, "ghost");
    let finished = drain(&mut tracker).await;
    assert_eq!(finished.len(), 1_001);
    assert!(
        finished.values().all(|v| v.len() == 1),
        "a task finished twice"
    );
    assert_eq!(finished["ghost"][0].0, OutcomeKind::FetchError);
    for i in 0..1_000u64 {
        let (kind, elapsed) = finished[&format!("t{i}")][0];
        assert_eq!(kind, OutcomeKind::Succeeded);
        let duration = Duration::from_millis(500 + i * 37);
        // Detected at the first 2 s poll at or after the end.
        assert!(
            elapsed >= duration && elapsed < duration + secs(2),
            "t{i}: {elapsed:?} for {duration:?}"
        );
    }
    assert!(tracker.is_empty());
}

#[tokio::test(start_paused = true)]
async fn batch_sources_get_one_request_per_batch_of_due_tasks() {
    let src = Arc::new(TimedSource::new("batch").with_batch(25));
    let mut tracker = Tracker::new().batch_size(10);
    let id = tracker.add_source_with(
        src.clone(),
        BoxPolicy::new(Fixed::secs(5)),
        SourceOptions::default(),
    );
    for i in 0..95 {
        let task = format!("t{i}");
        src.add_task(&task, secs(12));
        tracker.track(id, task);
    }
    let finished = drain(&mut tracker).await;
    assert_eq!(finished.len(), 95);
    let calls = src.calls();
    assert!(
        calls.iter().all(|(_, n)| *n <= 10),
        "batch larger than 10: {calls:?}"
    );
    // Polls at 0, 5, 10 and 15 s: each round is 10 batches (9 of 10, 1 of 5).
    assert_eq!(calls.len(), 4 * 10);
    assert_eq!(calls.iter().map(|c| c.1).sum::<usize>(), 4 * 95);
}

#[tokio::test(start_paused = true)]
async fn the_rate_limit_is_never_exceeded() {
    let src = Arc::new(TimedSource::new("limited"));
    let mut tracker = Tracker::new().max_in_flight(1_000);
    let id = tracker.add_source_with(
        src.clone(),
        BoxPolicy::new(Fixed::secs(1)),
        SourceOptions::default().rate_limit(RateLimit::per_second(10).burst(5)),
    );
    for i in 0..200 {
        let task = format!("t{i}");
        src.add_task(&task, secs(3));
        tracker.track(id, task);
    }
    let start = Instant::now();
    let finished = drain(&mut tracker).await;
    assert_eq!(finished.len(), 200);
    let times: Vec<Duration> = src
        .calls()
        .iter()
        .map(|(t, _)| t.duration_since(start))
        .collect();
    // GCRA with 10/s and burst 5: any window of length w holds at most 5 + 10·w requests.
    for (i, t) in times.iter().enumerate() {
        let in_window = times[i..].iter().take_while(|u| **u < *t + secs(1)).count();
        assert!(
            in_window <= 15,
            "{in_window} requests in the second after {t:?}"
        );
    }
    // And the limiter does not starve: after the burst of 5, one request every 100 ms.
    let n = times.len() as u64;
    assert!(n >= 200, "every task polled at least once: {n}");
    let last = *times.last().unwrap();
    let paced = Duration::from_millis((n - 5) * 100);
    assert!(
        last + Duration::from_millis(1) >= paced && last <= paced + secs(1),
        "last of {n} requests at {last:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn in_flight_requests_are_bounded() {
    // A source that takes 1 s to answer; with 300 due tasks and max 8 in flight.
    struct Slow(
        std::sync::atomic::AtomicUsize,
        std::sync::atomic::AtomicUsize,
    );
    #[async_trait::async_trait]
    impl poller_core::StatusSource for Slow {
        type Output = ();
        fn name(&self) -> &str {
            "slow"
        }
        async fn fetch(&self, _: &str) -> Result<Status<()>, poller_core::FetchError> {
            use std::sync::atomic::Ordering::SeqCst;
            let now = self.0.fetch_add(1, SeqCst) + 1;
            self.1.fetch_max(now, SeqCst);
            tokio::time::sleep(secs(1)).await;
            self.0.fetch_sub(1, SeqCst);
            Ok(Status::new(Phase::Succeeded, "done"))
        }
    }
    let slow = Arc::new(Slow(Default::default(), Default::default()));
    let mut tracker = Tracker::new().max_in_flight(8);
    let id = tracker.add_source_with(
        slow.clone(),
        BoxPolicy::new(Fixed::secs(1)),
        SourceOptions::default(),
    );
    for i in 0..300 {
        tracker.track(id, format!("t{i}"));
    }
    let start = Instant::now();
    let finished = drain(&mut tracker).await;
    assert_eq!(finished.len(), 300);
    assert_eq!(slow.1.load(std::sync::atomic::Ordering::SeqCst), 8);
    assert_eq!(start.elapsed(), secs(300 / 8 + 1)); // 38 rounds of 1 s
}

#[tokio::test(start_paused = true)]
async fn a_task_added_mid_run_through_a_handle_is_polled() {
    let src = Arc::new(TimedSource::new("timed"));
    let mut tracker = Tracker::new();
    let id = tracker.add_source_with(
        src.clone(),
        BoxPolicy::new(Fixed::secs(1)),
        SourceOptions::default(),
    );
    src.add_task("first", secs(3));
    tracker.track(id, "first");
    let handle = tracker.handle();
    let src2 = src.clone();
    let adder = tokio::spawn(async move {
        tokio::time::sleep(secs(10)).await;
        src2.add_task("late", secs(2));
        assert!(handle.track(id, "late"));
        // the handle drops here, letting the tracker end once both tasks are done
    });
    let start = Instant::now();
    let mut order = vec![];
    while let Some(event) = tracker.next().await {
        if let TrackerEvent::Finished { report, .. } = event {
            order.push((report.task_id, start.elapsed()));
        }
    }
    adder.await.unwrap();
    assert_eq!(
        order,
        [
            ("first".to_string(), secs(3)),
            ("late".to_string(), secs(12))
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn tasks_follow_their_own_sources_policy_and_change_events_are_emitted() {
    let mut tracker = Tracker::<()>::new().emit_changes(true);
    let slow = tracker.add_source(
        ScriptedSource::new("a")
            .then_status(Status::new(Phase::Running, "running").with_percent(5.0))
            .then_status(Status::new(Phase::Running, "running").with_percent(50.0))
            .then_status(Status::new(Phase::Succeeded, "ok")),
        Fixed::secs(10),
    );
    let limited = tracker.add_source(
        ScriptedSource::new("b").then_status(Status::new(Phase::Running, "running")),
        Fixed::secs(1).with_max_attempts(3),
    );
    tracker.track(slow, "a1");
    tracker.track(limited, "b1");
    let start = Instant::now();
    let mut log = vec![];
    while let Some(event) = tracker.next().await {
        match event {
            TrackerEvent::Changed {
                task_id, status, ..
            } => log.push(format!(
                "{task_id} {:?} @{:?}",
                status.progress.and_then(|p| p.percent),
                start.elapsed()
            )),
            TrackerEvent::Finished { report, .. } => log.push(format!(
                "{} {} @{:?}",
                report.task_id,
                report.outcome.kind(),
                start.elapsed()
            )),
            _ => unreachable!(),
        }
    }
    assert_eq!(
        log,
        [
            "a1 Some(5.0) @0ns",
            "b1 None @0ns",
            "b1 gave_up @2s",
            "a1 Some(50.0) @10s",
            "a1 succeeded @20s",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn zero_delays_are_dispatched_at_once_and_the_stream_still_yields() {
    // With the minimum gap lowered to zero (as the loop-overhead benchmark does).
    let src = Arc::new(TimedSource::new("timed"));
    let mut tracker = Tracker::<()>::new().min_gap(Duration::ZERO);
    let id = tracker.add_source_with(
        src.clone(),
        BoxPolicy::new(Fixed::new(Duration::ZERO).with_max_attempts(20)),
        SourceOptions::default(),
    );
    for i in 0..10 {
        src.add_task(format!("t{i}"), secs(3600));
        tracker.track(id, format!("t{i}"));
    }
    let finished = drain(&mut tracker).await;
    assert_eq!(finished.len(), 10);
    for runs in finished.values() {
        // 20 polls each, all at once: no 1 ms timer tick between them.
        assert_eq!(runs[0], (OutcomeKind::GaveUp, Duration::ZERO));
    }
    assert_eq!(src.calls().len(), 200);

    // A tracker whose task never ends, polled with zero delays, still returns to the runtime:
    // other tasks on this one-thread runtime run beside it.
    let mut endless = Tracker::<()>::new().min_gap(Duration::ZERO);
    let id = endless.add_source_with(
        src.clone(),
        BoxPolicy::new(Fixed::new(Duration::ZERO)),
        SourceOptions::default(),
    );
    endless.track(id, "t0");
    let before = src.calls().len();
    let handle = tokio::spawn(async move { endless.next().await.is_some() });
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert!(src.calls().len() > before + 100, "the tracker did not run");
    handle.abort();
    assert!(handle.await.unwrap_err().is_cancelled());
}
