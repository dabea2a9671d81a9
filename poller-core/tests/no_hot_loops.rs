//! The loop's own guarantees, whatever the policy answers: the deadline is enforced (the last
//! poll lands on it, then the wait gives up) and two fetches of one task are at least the
//! minimum gap apart. For `Poller` and `Tracker`, in virtual time.

use futures::StreamExt;
use poller_core::testing::ScriptedSource;
use poller_core::{
    Adaptive, BoxPolicy, Decision, ErrorPolicy, Exponential, FetchError, Finish, Observation,
    Outcome, OutcomeKind, Phase, PollPolicy, Poller, Report, SourceOptions, Status, StopReason,
    Tracker, TrackerEvent, recommended_policy,
};
use std::sync::Arc;
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn running() -> Status<()> {
    Status::new(Phase::Running, "running")
}

/// A policy that always answers "poll now" and never stops on its own; it only declares a
/// deadline (a user's type, or a learned policy gone wrong, can do exactly this).
struct Eager {
    deadline: Option<Duration>,
}

impl PollPolicy for Eager {
    fn decide(&self, _: &Observation<'_>) -> Decision {
        Decision::now()
    }

    fn deadline(&self) -> Option<Duration> {
        self.deadline
    }
}

/// The two loops: one wait, and a tracker with one task.
const DRIVERS: [Driver; 2] = [Driver::Poller, Driver::Tracker];

#[derive(Debug, Clone, Copy)]
enum Driver {
    Poller,
    Tracker,
}

impl Driver {
    /// Waits on one task of `src` under `policy` (with `min_gap` when given), returning its
    /// report.
    async fn run<P: PollPolicy + 'static>(
        self,
        src: &Arc<ScriptedSource<()>>,
        policy: P,
        min_gap: Option<Duration>,
    ) -> Report<()> {
        src.start_clock();
        match self {
            Driver::Poller => {
                let mut poller = Poller::from_arcs(src.clone(), Arc::new(policy));
                if let Some(gap) = min_gap {
                    poller = poller.with_min_gap(gap);
                }
                poller.wait("t").await
            }
            Driver::Tracker => {
                let mut tracker = Tracker::new();
                if let Some(gap) = min_gap {
                    tracker = tracker.min_gap(gap);
                }
                let id = tracker.add_source_with(
                    src.clone(),
                    BoxPolicy::new(policy),
                    SourceOptions::default(),
                );
                tracker.track(id, "t");
                loop {
                    match tracker.next().await {
                        Some(TrackerEvent::Finished { report, .. }) => return report,
                        Some(_) => {}
                        None => panic!("the tracker ended without a report"),
                    }
                }
            }
        }
    }
}

/// `n` fetch instants `gap` apart, from 0.
fn spaced(n: u64, gap: Duration) -> Vec<Duration> {
    (0..n).map(|k| gap * k as u32).collect()
}

fn assert_gave_up_at_deadline(report: &Report<()>, src: &ScriptedSource<()>, deadline: Duration) {
    assert!(
        matches!(
            report.outcome,
            Outcome::GaveUp {
                reason: StopReason::Deadline,
                ..
            }
        ),
        "{:?}",
        report.outcome
    );
    assert_eq!(report.elapsed, deadline);
    assert_eq!(
        src.fetch_times().last(),
        Some(&deadline),
        "the last poll is on the deadline"
    );
}

#[tokio::test(start_paused = true)]
async fn a_policy_always_answering_now_stops_at_its_deadline() {
    for driver in DRIVERS {
        let src = Arc::new(ScriptedSource::new("s").then_status(running()));
        let policy = Eager {
            deadline: Some(Duration::from_secs(10)),
        };
        let report = driver.run(&src, policy, None).await;
        assert_gave_up_at_deadline(&report, &src, Duration::from_secs(10));
        // One fetch at once, then one every 100 ms (the default gap) up to 10 s: 101 in all.
        assert_eq!(src.fetch_times(), spaced(101, ms(100)), "{driver:?}");
        assert_eq!(report.attempts, 101);
    }
}

#[tokio::test(start_paused = true)]
async fn a_policy_always_answering_now_is_paced_by_the_min_gap() {
    let finishing_after = |n| {
        Arc::new(
            ScriptedSource::new("s")
                .then_status_times(running(), n)
                .then_status(Status::new(Phase::Succeeded, "done")),
        )
    };
    for driver in DRIVERS {
        let src = finishing_after(30);
        let report = driver.run(&src, Eager { deadline: None }, None).await;
        assert_eq!(report.outcome.kind(), OutcomeKind::Succeeded);
        let expected = spaced(31, poller_core::DEFAULT_MIN_GAP);
        assert_eq!(src.fetch_times(), expected, "{driver:?}");

        // A gap of one's own.
        let src = finishing_after(5);
        let gap = Some(Duration::from_secs(2));
        let report = driver.run(&src, Eager { deadline: None }, gap).await;
        assert_eq!(report.outcome.kind(), OutcomeKind::Succeeded);
        let expected = spaced(6, Duration::from_secs(2));
        assert_eq!(src.fetch_times(), expected, "{driver:?}");
    }
}

/// `Adaptive` over `recommended_policy()` (6 h deadline), taught by 20 tasks of 1 to 20 minutes.
fn learned_adaptive() -> Adaptive<BoxPolicy> {
    let policy = Adaptive::new(recommended_policy());
    for m in 1..=20 {
        policy.on_finished(&Finish::new(
            Phase::Succeeded,
            None,
            Duration::from_secs(60 * m),
        ));
    }
    assert!(policy.learned().is_some());
    policy
}

const SIX_HOURS: Duration = Duration::from_secs(6 * 3600);

/// The reproduction from issue 10: once learned, a task still running at 6 h got delay 0 again
/// and again (200,000 fetches without the clock moving). Now it ends at 6 h.
#[tokio::test(start_paused = true)]
async fn a_learned_adaptive_policy_ends_at_the_deadline_with_a_bounded_fetch_count() {
    for driver in DRIVERS {
        let src = Arc::new(ScriptedSource::new("s").then_status(running()));
        let report = driver.run(&src, learned_adaptive(), None).await;
        assert_gave_up_at_deadline(&report, &src, SIX_HOURS);
        // From the learned first poll (about a minute) growing ×1.2: a few dozen fetches.
        assert!(
            report.attempts < 60,
            "{driver:?}: {} fetches",
            report.attempts
        );
    }
}

/// A deadline reached while every fetch fails says why: the outcome carries the last error.
#[tokio::test(start_paused = true)]
async fn giving_up_at_the_deadline_carries_the_last_fetch_error() {
    let src = Arc::new(
        ScriptedSource::<()>::new("s")
            .then_error(FetchError::Connection("connection refused".into())),
    );
    src.start_clock();
    let errors = ErrorPolicy::new(
        1_000,
        Exponential::new(ms(500), 2.0, Duration::from_secs(4)),
    );
    let report = Poller::from_arcs(
        src.clone(),
        Arc::new(Eager {
            deadline: Some(Duration::from_secs(30)),
        }),
    )
    .with_error_policy(errors)
    .wait("t")
    .await;
    match &report.outcome {
        Outcome::GaveUp {
            reason: StopReason::Deadline,
            last: None,
            last_error: Some(FetchError::Connection(message)),
        } => assert_eq!(message, "connection refused"),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        report.outcome.to_string(),
        "gave up: deadline reached (no status seen); last fetch failed: connection failed: connection refused"
    );
    assert_eq!(report.elapsed, Duration::from_secs(30));

    // A success after the errors clears it.
    let src = Arc::new(
        ScriptedSource::<()>::new("s")
            .then_error(FetchError::http(503, b"busy"))
            .then_status(running()),
    );
    let report = Poller::from_arcs(
        src,
        Arc::new(Eager {
            deadline: Some(Duration::from_secs(1)),
        }),
    )
    .wait("t")
    .await;
    assert!(
        matches!(
            &report.outcome,
            Outcome::GaveUp {
                last: Some(_),
                last_error: None,
                ..
            }
        ),
        "{:?}",
        report.outcome
    );
}
