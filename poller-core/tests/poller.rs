//! The poll loop in virtual time against the scripted source: exact fetch counts and instants.

use futures::StreamExt;
use poller_core::{
    ErrorPolicy, Exponential, FetchError, Fixed, Outcome, OutcomeKind, Phase, PollPolicyExt,
    Poller, Progress, RemoteError, Status, StatusSource, StopReason, WatchEvent,
    testing::ScriptedSource,
};
use std::sync::Arc;
use std::time::Duration;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn running() -> Status<String> {
    Status::new(Phase::Running, "running")
}

fn done(out: &str) -> Status<String> {
    Status::new(Phase::Succeeded, "success").with_output(out.to_string())
}

#[tokio::test(start_paused = true)]
async fn fetches_happen_exactly_when_the_policy_says() {
    let src = Arc::new(
        ScriptedSource::new("s")
            .then_status_times(running(), 4)
            .then_status(done("ok")),
    );
    src.start_clock();
    let poller = Poller::from_arcs(
        src.clone(),
        Arc::new(Exponential::default().with_initial_delay(secs(3))),
    );
    let report = poller.wait("t").await;
    assert!(matches!(&report.outcome, Outcome::Succeeded(s) if s.output.as_deref() == Some("ok")));
    // initial 3 s, then 1, 2, 4, 8 s.
    assert_eq!(
        src.fetch_times(),
        [secs(3), secs(4), secs(6), secs(10), secs(18)]
    );
    assert_eq!(report.attempts, 5);
    assert_eq!(report.elapsed, secs(18));
}

#[tokio::test(start_paused = true)]
async fn transient_errors_are_retried_then_the_task_succeeds() {
    let src = Arc::new(
        ScriptedSource::new("s")
            .then_status(running())
            .then_error(FetchError::http(503, b"busy"))
            .then_error(FetchError::Timeout(secs(30)))
            .then_status(done("ok")),
    );
    src.start_clock();
    let errors = ErrorPolicy::new(5, Exponential::new(secs(10), 2.0, secs(60)));
    let poller = Poller::from_arcs(src.clone(), Arc::new(Fixed::secs(1))).with_error_policy(errors);
    let report = poller.wait("t").await;
    assert_eq!(report.outcome.kind(), OutcomeKind::Succeeded);
    // 0; +1 s (503); the error backoff (10 s) is longer than the policy's 1 s: +10 s (timeout);
    // second consecutive error: +20 s.
    assert_eq!(src.fetch_times(), [secs(0), secs(1), secs(11), secs(31)]);
}

#[tokio::test(start_paused = true)]
async fn a_permanent_error_stops_after_one_fetch() {
    let src =
        Arc::new(ScriptedSource::<String>::new("s").then_error(FetchError::http(401, b"bad key")));
    let report = Poller::from_arcs(src.clone(), Arc::new(Fixed::secs(1)))
        .wait("t")
        .await;
    match report.outcome {
        Outcome::FetchFailed {
            error,
            consecutive_errors,
            last,
        } => {
            assert_eq!(error.http_status(), Some(401));
            assert_eq!(consecutive_errors, 1);
            assert!(last.is_none());
        }
        other => panic!("expected a fetch error, got {other}"),
    }
    assert_eq!(src.fetch_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn transient_errors_beyond_the_limit_end_the_wait_with_the_count_and_last_status() {
    let src = Arc::new(
        ScriptedSource::new("s")
            .then_status(running())
            .then_error(FetchError::http(502, b"<html>")),
    );
    let poller = Poller::from_arcs(src.clone(), Arc::new(Fixed::secs(1)))
        .with_error_policy(ErrorPolicy::new(3, Exponential::new(secs(1), 1.0, secs(1))));
    let report = poller.wait("t").await;
    match &report.outcome {
        Outcome::FetchFailed {
            consecutive_errors,
            last,
            ..
        } => {
            assert_eq!(*consecutive_errors, 4);
            assert_eq!(last.as_ref().unwrap().phase, Phase::Running);
        }
        other => panic!("unexpected {other}"),
    }
    assert_eq!(src.fetch_count(), 5); // one success, 4 failures (3 retries allowed)
}

#[tokio::test(start_paused = true)]
async fn deadline_gives_up_with_the_last_status_after_a_poll_on_the_deadline() {
    let src = Arc::new(ScriptedSource::new("s").then_status(running().with_percent(10.0)));
    src.start_clock();
    let poller = Poller::from_arcs(
        src.clone(),
        Arc::new(Fixed::secs(4).with_deadline(secs(10))),
    );
    let report = poller.wait("t").await;
    match &report.outcome {
        Outcome::GaveUp { reason, last, .. } => {
            assert_eq!(*reason, StopReason::Deadline);
            assert_eq!(
                last.as_ref().unwrap().progress.as_ref().unwrap().percent,
                Some(10.0)
            );
        }
        other => panic!("unexpected {other}"),
    }
    assert_eq!(src.fetch_times(), [secs(0), secs(4), secs(8), secs(10)]);
    assert_eq!(report.elapsed, secs(10));
}

#[tokio::test(start_paused = true)]
async fn error_backoff_never_sleeps_past_the_deadline() {
    let src = Arc::new(ScriptedSource::<String>::new("s").then_error(FetchError::http(503, b"")));
    src.start_clock();
    let poller = Poller::from_arcs(src.clone(), Arc::new(Fixed::secs(1).with_deadline(secs(5))))
        .with_error_policy(ErrorPolicy::new(
            10,
            Exponential::new(secs(4), 2.0, secs(60)),
        ));
    let report = poller.wait("t").await;
    assert_eq!(report.outcome.kind(), OutcomeKind::GaveUp);
    assert_eq!(src.fetch_times(), [secs(0), secs(4), secs(5)]);
}

#[tokio::test(start_paused = true)]
async fn remote_failure_and_cancellation_are_distinct_outcomes() {
    let failed = ScriptedSource::<String>::new("s").then_status(
        Status::new(Phase::Failed, "error").with_error(RemoteError::new("boom").with_code("E1")),
    );
    let report = Poller::new(failed, Fixed::secs(1)).wait("t").await;
    match report.outcome {
        Outcome::Failed(s) => assert_eq!(s.error.unwrap().code.as_deref(), Some("E1")),
        other => panic!("unexpected {other}"),
    }
    let cancelled =
        ScriptedSource::<String>::new("s").then_status(Status::new(Phase::Cancelled, "cancelled"));
    let report = Poller::new(cancelled, Fixed::secs(1)).wait("t").await;
    assert_eq!(report.outcome.kind(), OutcomeKind::Cancelled);
}

#[tokio::test(start_paused = true)]
async fn needs_input_keeps_polling_by_default_and_stops_when_asked() {
    let script = || {
        ScriptedSource::new("s")
            .then_status(Status::new(Phase::NeedsInput, "input-required"))
            .then_status(Status::new(Phase::NeedsInput, "input-required"))
            .then_status(done("after input"))
    };
    let report = Poller::new(script(), Fixed::secs(3)).wait("t").await;
    assert_eq!(report.outcome.kind(), OutcomeKind::Succeeded);
    assert_eq!(report.attempts, 3);

    let report = Poller::new(script(), Fixed::secs(3).stop_on_input())
        .wait("t")
        .await;
    match report.outcome {
        Outcome::NeedsInput(s) => assert_eq!(s.raw_status, "input-required"),
        other => panic!("unexpected {other}"),
    }
    assert_eq!(report.attempts, 1);
}

#[tokio::test(start_paused = true)]
async fn retry_after_from_a_429_is_honoured() {
    let src = Arc::new(
        ScriptedSource::new("s")
            .then_error(FetchError::http(429, b"slow down").with_retry_after(secs(30)))
            .then_status(done("ok")),
    );
    src.start_clock();
    let poller = Poller::from_arcs(src.clone(), Arc::new(Fixed::secs(1).honor_retry_after()));
    let report = poller.wait("t").await;
    assert_eq!(report.outcome.kind(), OutcomeKind::Succeeded);
    assert_eq!(src.fetch_times(), [secs(0), secs(30)]);
}

#[tokio::test(start_paused = true)]
async fn watch_yields_each_change_once_then_the_report() {
    let step = |p: f64| running().with_progress(Progress::default().with_percent(p));
    let src = ScriptedSource::new("s")
        .then_status(Status::new(Phase::Queued, "pending"))
        .then_status(Status::new(Phase::Queued, "pending"))
        .then_status(step(10.0))
        .then_status(step(10.0))
        .then_status(step(60.0))
        .then_status(done("ok"));
    let events: Vec<_> = Poller::new(src, Fixed::secs(1)).watch("t").collect().await;
    let phases: Vec<_> = events
        .iter()
        .map(|e| match e {
            WatchEvent::Changed(s) => format!(
                "{}:{:?}",
                s.raw_status,
                s.progress.as_ref().and_then(|p| p.percent)
            ),
            WatchEvent::Finished(r) => format!("done:{}", r.outcome.kind()),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        phases,
        [
            "pending:None",
            "running:Some(10.0)",
            "running:Some(60.0)",
            "done:succeeded"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn dropping_a_wait_or_a_watch_stops_all_fetches() {
    let src = Arc::new(ScriptedSource::new("s").then_status(running()));
    let poller = Poller::from_arcs(src.clone(), Arc::new(Fixed::secs(1)));

    let wait = poller.wait("t");
    let _ = tokio::time::timeout(Duration::from_millis(2_500), wait).await;
    assert_eq!(src.fetch_count(), 3); // 0, 1, 2 s
    tokio::time::sleep(secs(60)).await;
    assert_eq!(src.fetch_count(), 3);

    let mut watch = Box::pin(poller.watch("t"));
    assert!(matches!(watch.next().await, Some(WatchEvent::Changed(_))));
    let before = src.fetch_count();
    drop(watch);
    tokio::time::sleep(secs(60)).await;
    assert_eq!(src.fetch_count(), before);
}

#[tokio::test(start_paused = true)]
async fn a_hanging_fetch_times_out_instead_of_hanging_the_wait() {
    struct Hang;
    #[async_trait::async_trait]
    impl StatusSource for Hang {
        type Output = ();
        fn name(&self) -> &str {
            "hang"
        }
        async fn fetch(&self, _: &str) -> Result<Status<()>, FetchError> {
            std::future::pending().await
        }
    }
    let poller = Poller::new(Hang, Fixed::secs(1))
        .with_fetch_timeout(Some(secs(5)))
        .with_error_policy(ErrorPolicy::never());
    let report = poller.wait("t").await;
    match report.outcome {
        Outcome::FetchFailed { error, .. } => assert_eq!(error, FetchError::Timeout(secs(5))),
        other => panic!("unexpected {other}"),
    }
    assert_eq!(report.elapsed, secs(5));
}

#[test]
fn status_source_is_object_safe() {
    let sources: Vec<Box<dyn StatusSource<Output = String>>> = vec![
        Box::new(ScriptedSource::new("a")),
        Box::new(ScriptedSource::new("b")),
    ];
    assert_eq!(
        sources.iter().map(|s| s.name()).collect::<Vec<_>>(),
        ["a", "b"]
    );
}

#[tokio::test(start_paused = true)]
async fn zero_delays_poll_at_once_without_waiting_for_a_timer_tick() {
    // With the minimum gap lowered to zero (as the loop-overhead benchmark does).
    let src = Arc::new(ScriptedSource::new("s").then_status(running()));
    src.start_clock();
    let poller = Poller::from_arcs(
        src.clone(),
        Arc::new(Fixed::new(Duration::ZERO).with_max_attempts(50)),
    )
    .with_min_gap(Duration::ZERO);
    let report = poller.wait("t").await;
    assert_eq!(report.outcome.kind(), OutcomeKind::GaveUp);
    assert_eq!(report.attempts, 50);
    // A zero sleep would round up to the timer's 1 ms tick on every poll.
    assert_eq!(report.elapsed, Duration::ZERO);
    assert!(src.fetch_times().iter().all(|t| t.is_zero()));

    // A zero-delay wait that never ends still yields: other tasks on this one-thread runtime
    // run beside it, and aborting it stops the fetches.
    let endless = Poller::from_arcs(src.clone(), Arc::new(Fixed::new(Duration::ZERO)))
        .with_min_gap(Duration::ZERO);
    let before = src.fetch_count();
    let handle = tokio::spawn(endless.wait("u"));
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert!(src.fetch_count() > before, "the wait did not run");
    handle.abort();
    assert!(handle.await.unwrap_err().is_cancelled());
    let after = src.fetch_count();
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert_eq!(src.fetch_count(), after);
}
