//! "Poll this task now" (`TrackerHandle::poll_now`, for webhooks), in virtual time: it brings
//! a far poll forward at once, and a flood of calls stays within the minimum gap.

use futures::StreamExt;
use poller_core::testing::ScriptedSource;
use poller_core::{
    BoxPolicy, FetchError, Fixed, OutcomeKind, Phase, RateLimit, SourceOptions, Status, Tracker,
    TrackerEvent,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

const HOUR: Duration = Duration::from_secs(3600);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A script that runs for `running` fetches, then succeeds.
fn running_then_done(running: usize) -> ScriptedSource<()> {
    ScriptedSource::new("s")
        .then_status_times(Status::new(Phase::Running, "running"), running)
        .then_status(Status::new(Phase::Succeeded, "done"))
}

/// A tracker polling `tasks` of `src` hourly; its clock starts now.
fn tracking(src: &Arc<ScriptedSource<()>>, options: SourceOptions, tasks: &[&str]) -> Tracker<()> {
    src.start_clock();
    let mut tracker = Tracker::new();
    let id = tracker.add_source_with(src.clone(), BoxPolicy::new(Fixed::new(HOUR)), options);
    for task in tasks {
        tracker.track(id, *task);
    }
    tracker
}

/// The task "job", running for `running` fetches, then done, polled hourly.
fn hourly(running: usize, options: SourceOptions) -> (Arc<ScriptedSource<()>>, Tracker<()>) {
    let src = Arc::new(running_then_done(running));
    let tracker = tracking(&src, options, &["job"]);
    (src, tracker)
}

/// Runs the tracker to its end while `calls` runs beside it; returns when the task finished.
async fn run_with(
    mut tracker: Tracker<()>,
    calls: impl FnOnce(poller_core::TrackerHandle<()>) -> tokio::task::JoinHandle<()>,
) -> Duration {
    let start = Instant::now();
    let caller = calls(tracker.handle());
    let mut finished = None;
    while let Some(event) = tracker.next().await {
        if let TrackerEvent::Finished { report, .. } = event {
            assert_eq!(report.outcome.kind(), OutcomeKind::Succeeded);
            finished = Some(start.elapsed());
        }
    }
    caller.await.unwrap();
    finished.expect("the task finished")
}

#[tokio::test(start_paused = true)]
async fn a_task_whose_next_poll_is_an_hour_away_is_polled_at_once() {
    let (src, tracker) = hourly(1, SourceOptions::default());
    let source = first_source();
    let finished = run_with(tracker, move |handle| {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(600)).await;
            assert!(handle.poll_now(source, "job"));
        })
    })
    .await;
    // The first poll at once (running), the second when asked, 10 minutes in (done).
    assert_eq!(
        src.fetch_times(),
        [Duration::ZERO, Duration::from_secs(600)]
    );
    assert_eq!(finished, Duration::from_secs(600));
}

#[tokio::test(start_paused = true)]
async fn a_thousand_calls_in_one_second_make_a_bounded_number_of_fetches() {
    let (src, tracker) = hourly(1_000, SourceOptions::default());
    let source = first_source();
    run_with(tracker, move |handle| {
        tokio::spawn(async move {
            // One call every millisecond, from 0 to 999 ms.
            for _ in 0..1_000 {
                assert!(handle.poll_now(source, "job"));
                tokio::time::sleep(ms(1)).await;
            }
            // Unknown tasks: nothing happens.
            assert!(handle.poll_now(source, "nobody"));
            // Then the task is left to its hourly policy until it ends.
        })
    })
    .await;
    let times = src.fetch_times();
    let in_first_second: Vec<Duration> = times
        .iter()
        .copied()
        .filter(|t| *t <= Duration::from_secs(1))
        .collect();
    // At most one fetch per 100 ms (the default minimum gap): at 0, 0.1 s, ..., 1.0 s.
    assert_eq!(
        in_first_second,
        (0..=10).map(|k| ms(100 * k)).collect::<Vec<_>>()
    );
    // Afterwards, the policy's hour again.
    assert_eq!(times[11], ms(1_000) + HOUR);
}

#[tokio::test(start_paused = true)]
async fn poll_now_goes_through_the_rate_limit() {
    // Two tasks of a source limited to one request every 10 s.
    let src = Arc::new(running_then_done(2));
    let limit = RateLimit::every(Duration::from_secs(10));
    let tracker = tracking(
        &src,
        SourceOptions::default().rate_limit(limit),
        &["a", "b"],
    );
    let id = first_source();
    run_with(tracker, move |handle| {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(30)).await;
            assert!(handle.poll_now(id, "a"));
            assert!(handle.poll_now(id, "b"));
        })
    })
    .await;
    let times = src.fetch_times();
    // First polls at 0 and 10 s (the limit); asked at 30 s: one at 30 s, the other at 40 s.
    assert_eq!(&times[..4], [0, 10, 30, 40].map(Duration::from_secs));
}

#[tokio::test(start_paused = true)]
async fn poll_now_waits_out_the_servers_retry_after() {
    let src = Arc::new(
        ScriptedSource::new("s")
            .then_error(
                FetchError::http(429, b"slow down").with_retry_after(Duration::from_secs(30)),
            )
            .then_status(Status::new(Phase::Succeeded, "done")),
    );
    let tracker = tracking(&src, SourceOptions::default(), &["job"]);
    let id = first_source();
    let finished = run_with(tracker, move |handle| {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            assert!(handle.poll_now(id, "job"));
        })
    })
    .await;
    // Asked at 5 s; the 429 at 0 s asked for 30 s.
    assert_eq!(src.fetch_times(), [0, 30].map(Duration::from_secs));
    assert_eq!(finished, Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn unknown_and_finished_tasks_are_left_alone() {
    let (src, mut tracker) = hourly(0, SourceOptions::default());
    let id = first_source();
    assert!(tracker.poll_now(id, "job"));
    assert!(!tracker.poll_now(id, "nobody"));
    let Some(TrackerEvent::Finished { report, .. }) = tracker.next().await else {
        panic!("the task ends at its first poll");
    };
    assert_eq!(report.outcome.kind(), OutcomeKind::Succeeded);
    assert!(
        !tracker.poll_now(id, "job"),
        "a finished task is not tracked"
    );
    assert_eq!(src.fetch_count(), 1);
}

/// The id of the first source added to a tracker.
fn first_source() -> poller_core::SourceId {
    let mut t = Tracker::<()>::new();
    t.add_source(ScriptedSource::new("x"), Fixed::secs(1))
}
