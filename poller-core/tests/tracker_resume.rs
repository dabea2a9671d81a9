//! The hooks a durable store needs, in virtual time: resuming a task from its saved state,
//! per-poll state events, untracking, and changing a source's rate limit.

use async_trait::async_trait;
use futures::StreamExt;
use poller_core::testing::ScriptedSource;
use poller_core::{
    FetchError, Fixed, OutcomeKind, Phase, PollPolicyExt, RateLimit, Status, StatusSource,
    TaskState, Tracker, TrackerEvent,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::time::Instant;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn running() -> Status<()> {
    Status::new(Phase::Running, "running")
}

#[tokio::test(start_paused = true)]
async fn a_resumed_task_keeps_its_deadline_and_attempts() {
    let src = Arc::new(ScriptedSource::new("s").then_status(running()));
    let mut tracker = Tracker::new();
    let id = tracker.add_source_with(
        src.clone(),
        poller_core::BoxPolicy::new(Fixed::secs(10).with_deadline(secs(100))),
        Default::default(),
    );
    let start = Instant::now();
    tracker.track_resumed(
        id,
        TaskState::new("old")
            .with_attempts(7)
            .with_elapsed(secs(95))
            .with_last(running()),
    );
    let Some(TrackerEvent::Finished { report, .. }) = tracker.next().await else {
        panic!("expected the task to finish");
    };
    // Only 5 s of the deadline were left: one poll on the deadline, then give up.
    assert_eq!(report.outcome.kind(), OutcomeKind::GaveUp);
    assert_eq!(report.attempts, 8, "attempts go on from the saved count");
    assert_eq!(
        report.elapsed,
        secs(100),
        "elapsed counts from the first tracking"
    );
    assert_eq!(src.fetch_count(), 1);
    assert_eq!(Instant::now() - start, secs(5));
}

#[tokio::test(start_paused = true)]
async fn polled_events_carry_a_state_that_resumes_where_it_was() {
    let script = || {
        ScriptedSource::new("s")
            .then_status(Status::new(Phase::Queued, "queued"))
            .then_status(running())
            .then_status(running())
            .then_status(Status::new(Phase::Succeeded, "done"))
    };
    let mut tracker = Tracker::new().emit_polled(true);
    let id = tracker.add_source(script(), Fixed::secs(3));
    tracker.track(id, "t");
    let mut polled = Vec::new();
    while let Some(event) = tracker.next().await {
        match event {
            TrackerEvent::Polled { state, next_in, .. } => polled.push((state, next_in)),
            TrackerEvent::Finished { report, .. } => {
                assert_eq!(report.attempts, 4);
                break;
            }
            _ => {}
        }
    }
    assert_eq!(polled.len(), 3, "one event per poll that goes on");
    let (state, next_in) = polled[1].clone();
    assert_eq!(next_in, secs(3));
    assert_eq!(state.attempts, 2);
    assert_eq!(state.elapsed, secs(3));
    assert_eq!(state.last.as_ref().map(|s| s.phase), Some(Phase::Running));

    // Stored as JSON and resumed in a "new process": the same task ends after 2 more polls.
    let json = serde_json::to_string(&state).unwrap();
    let state: TaskState<()> = serde_json::from_str(&json).unwrap();
    let src = Arc::new(
        ScriptedSource::new("s")
            .then_status(running())
            .then_status(Status::new(Phase::Succeeded, "done")),
    );
    let mut resumed = Tracker::new();
    let id = resumed.add_source_with(
        src.clone(),
        poller_core::BoxPolicy::new(Fixed::secs(3)),
        Default::default(),
    );
    resumed.track_resumed(id, state);
    let Some(TrackerEvent::Finished { report, .. }) = resumed.next().await else {
        panic!("expected the task to finish");
    };
    assert_eq!(report.outcome.kind(), OutcomeKind::Succeeded);
    assert_eq!(report.attempts, 4);
    assert_eq!(report.elapsed, secs(9));
}

#[tokio::test(start_paused = true)]
async fn an_untracked_waiting_task_is_never_polled_again() {
    let src = Arc::new(ScriptedSource::new("s").then_status(running()));
    let mut tracker = Tracker::new().emit_polled(true);
    let id = tracker.add_source_with(
        src.clone(),
        poller_core::BoxPolicy::new(Fixed::secs(10)),
        Default::default(),
    );
    tracker.track(id, "a");
    tracker.track(id, "b");
    // The first poll of both.
    for _ in 0..2 {
        assert!(matches!(
            tracker.next().await,
            Some(TrackerEvent::Polled { .. })
        ));
    }
    assert!(tracker.untrack(id, "a"));
    assert_eq!(tracker.len(), 1);
    tokio::time::timeout(secs(35), async { while tracker.next().await.is_some() {} })
        .await
        .unwrap_err();
    let ids = src.fetched_ids();
    assert_eq!(ids.iter().filter(|i| *i == "a").count(), 1, "{ids:?}");
    assert_eq!(ids.iter().filter(|i| *i == "b").count(), 4, "{ids:?}");
}

/// Answers after five seconds, with the task still running.
struct Slow(AtomicUsize);

#[async_trait]
impl StatusSource for Slow {
    type Output = ();
    fn name(&self) -> &str {
        "slow"
    }
    async fn fetch(&self, _: &str) -> Result<Status<()>, FetchError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(secs(5)).await;
        Ok(running())
    }
}

#[tokio::test(start_paused = true)]
async fn untracking_during_a_request_drops_its_answer_through_the_handle() {
    let src = Arc::new(Slow(AtomicUsize::new(0)));
    let mut tracker = Tracker::new().emit_polled(true);
    let id = tracker.add_source_with(
        src.clone(),
        poller_core::BoxPolicy::new(Fixed::secs(1)),
        Default::default(),
    );
    let handle = tracker.handle();
    handle.track(id, "a");
    // Let the request go out, then untrack while it is in flight.
    tokio::time::timeout(secs(1), tracker.next())
        .await
        .unwrap_err();
    assert_eq!(src.0.load(Ordering::SeqCst), 1);
    assert!(handle.untrack(id, "a"));
    // Resuming a task through the handle works the same way as on the tracker.
    assert!(handle.track_resumed(id, TaskState::new("b").with_attempts(3)));
    let Some(TrackerEvent::Polled { state, .. }) = tracker.next().await else {
        panic!("expected b's poll");
    };
    assert_eq!(state.task_id, "b");
    assert_eq!(state.attempts, 4);
    drop(handle);
    tokio::time::timeout(secs(20), async {
        while let Some(event) = tracker.next().await {
            if let TrackerEvent::Polled { state, .. } = event {
                assert_ne!(state.task_id, "a", "a was untracked");
            }
        }
    })
    .await
    .unwrap_err();
    assert_eq!(tracker.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_new_rate_limit_applies_to_the_next_requests() {
    let src = Arc::new(ScriptedSource::new("s").then_status(running()));
    let mut tracker = Tracker::new();
    let id = tracker.add_source_with(
        src.clone(),
        poller_core::BoxPolicy::new(Fixed::secs(1)),
        poller_core::SourceOptions::default().rate_limit(RateLimit::per_second(100)),
    );
    for i in 0..10 {
        tracker.track(id, format!("t{i}"));
    }
    tracker.set_rate_limit(id, Some(RateLimit::every(secs(1))));
    tokio::time::timeout(Duration::from_millis(4500), async {
        while tracker.next().await.is_some() {}
    })
    .await
    .unwrap_err();
    // One request a second: at 0, 1, 2, 3 and 4 s.
    assert_eq!(src.fetch_count(), 5);
}

/// The instants (from `start`) of the first `n` polls of a tracker with one resumed task.
async fn first_polls(tracker: &mut Tracker<()>, start: Instant, n: usize) -> Vec<Duration> {
    let mut at = Vec::new();
    while at.len() < n {
        match tracker.next().await {
            Some(TrackerEvent::Polled { .. }) => at.push(Instant::now() - start),
            Some(_) => {}
            None => break,
        }
    }
    at
}

fn resumed_tracker(
    min_gap: Duration,
    state: TaskState<()>,
) -> (Tracker<()>, Arc<ScriptedSource<()>>) {
    let src = Arc::new(ScriptedSource::new("s").then_status(running()));
    let mut tracker = Tracker::new().emit_polled(true).min_gap(min_gap);
    let id = tracker.add_source_with(
        src.clone(),
        poller_core::BoxPolicy::new(Fixed::secs(10)),
        Default::default(),
    );
    tracker.track_resumed(id, state);
    (tracker, src)
}

#[tokio::test(start_paused = true)]
async fn a_resumed_task_is_first_polled_at_its_saved_next_poll_time() {
    // Answered at 10 s, next poll due at 14 s; resumed at 11 s: 3 s left, not a fresh 10 s.
    let state = TaskState::new("t")
        .with_attempts(1)
        .with_elapsed(secs(11))
        .with_fetched_at(secs(10))
        .with_next_poll_at(secs(14))
        .with_last(running());
    let (mut tracker, src) = resumed_tracker(Duration::from_millis(100), state);
    let start = Instant::now();
    assert_eq!(
        first_polls(&mut tracker, start, 2).await,
        vec![secs(3), secs(13)],
        "the saved time, then the policy's interval"
    );
    assert_eq!(src.fetch_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_resumed_task_past_its_next_poll_is_polled_at_once_but_keeps_the_min_gap() {
    // Due long ago, answered long ago: at once.
    let state = TaskState::new("t")
        .with_attempts(1)
        .with_elapsed(secs(60))
        .with_fetched_at(secs(10))
        .with_next_poll_at(secs(20))
        .with_last(running());
    let (mut tracker, _) = resumed_tracker(secs(2), state);
    let start = Instant::now();
    assert_eq!(first_polls(&mut tracker, start, 1).await, vec![secs(0)]);

    // Due already, but answered 500 ms ago with a 2 s minimum gap: 1.5 s from the resume.
    let state = TaskState::new("t")
        .with_attempts(1)
        .with_elapsed(Duration::from_millis(10_500))
        .with_fetched_at(secs(10))
        .with_next_poll_at(Duration::from_millis(10_200))
        .with_last(running());
    let (mut tracker, _) = resumed_tracker(secs(2), state);
    let start = Instant::now();
    assert_eq!(
        first_polls(&mut tracker, start, 1).await,
        vec![Duration::from_millis(1500)]
    );
}

#[tokio::test(start_paused = true)]
async fn a_state_without_a_next_poll_time_waits_its_policy_from_the_resume() {
    let state = TaskState::new("t")
        .with_attempts(1)
        .with_elapsed(secs(60))
        .with_last(running());
    let (mut tracker, _) = resumed_tracker(secs(2), state);
    let start = Instant::now();
    assert_eq!(first_polls(&mut tracker, start, 1).await, vec![secs(10)]);
}

#[tokio::test(start_paused = true)]
async fn polled_states_carry_the_next_poll_and_answer_times() {
    let (mut tracker, _) = resumed_tracker(Duration::from_millis(100), TaskState::new("t"));
    let Some(TrackerEvent::Polled { state, next_in, .. }) = tracker.next().await else {
        panic!("expected a poll");
    };
    assert_eq!(next_in, secs(10));
    assert_eq!(state.fetched_at, Some(state.elapsed));
    assert_eq!(state.next_poll_at, Some(state.elapsed + secs(10)));
}

#[tokio::test(start_paused = true)]
async fn poll_now_after_a_resume_keeps_the_min_gap_from_the_last_answer() {
    // Resumed 100 s into the wait, polled at once, then asked to poll now 1 s later: the
    // 3 s gap after that answer is what delays it, not the 100 s before the resume.
    let state = TaskState::new("t")
        .with_attempts(1)
        .with_elapsed(secs(100))
        .with_next_poll_at(secs(100))
        .with_fetched_at(secs(90))
        .with_last(running());
    let src = Arc::new(ScriptedSource::new("s").then_status(running()));
    let mut tracker = Tracker::new().emit_polled(true).min_gap(secs(3));
    let id = tracker.add_source_with(
        src.clone(),
        poller_core::BoxPolicy::new(Fixed::secs(60)),
        Default::default(),
    );
    tracker.track_resumed(id, state);
    let start = Instant::now();
    assert_eq!(first_polls(&mut tracker, start, 1).await, vec![secs(0)]);
    tokio::time::sleep(secs(1)).await;
    assert!(tracker.poll_now(id, "t"));
    assert_eq!(first_polls(&mut tracker, start, 1).await, vec![secs(3)]);
}
