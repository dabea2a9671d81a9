//! The adaptive policy: falls back until it has learned, then polls where finishes are likely.

use futures::StreamExt;
use poller_core::testing::TimedSource;
use poller_core::{
    Adaptive, BoxPolicy, Decision, Finish, Fixed, Observation, OutcomeKind, Phase, PollPolicy,
    PollPolicyExt, SourceOptions, Tracker, TrackerEvent,
};
use std::sync::Arc;
use std::time::Duration;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn follows_the_fallback_until_min_samples_then_the_learned_schedule() {
    let p = Adaptive::new(Fixed::secs(5)).min_samples(3);
    let first = |p: &Adaptive<Fixed>| p.decide(&Observation::new(0, Duration::ZERO));
    assert_eq!(first(&p), Decision::now());
    for s in [60, 80] {
        p.on_finished(&Finish::new(Phase::Succeeded, Some(secs(s - 2)), secs(s)));
    }
    assert_eq!(first(&p), Decision::now(), "two samples are not enough");
    // Cancelled tasks say nothing about durations.
    p.on_finished(&Finish::new(Phase::Cancelled, None, secs(1)));
    assert_eq!(p.learned(), None);
    p.on_finished(&Finish::new(Phase::Failed, Some(secs(98)), secs(100)));
    assert_eq!(p.learned(), Some(secs(59)));
    assert_eq!(first(&p), Decision::PollAfter(secs(59)));
}

#[test]
fn learned_gaps_stay_within_the_documented_bounds() {
    let p = Adaptive::new(Fixed::secs(5))
        .min_samples(1)
        .intervals(secs(2), secs(600));
    p.on_finished(&Finish::new(Phase::Succeeded, None, secs(50)));
    for elapsed in (0..20_000).step_by(7) {
        let e = secs(elapsed);
        let gap = p.decide(&Observation::new(1, e)).delay().unwrap();
        if e >= secs(50) {
            let bound = secs(2).max(e.mul_f64(0.2) + Duration::from_nanos(1));
            assert!(gap <= bound && gap <= secs(600), "gap {gap:?} at {e:?}");
            assert!(gap >= secs(2), "gap {gap:?} below the minimum at {e:?}");
        } else {
            assert_eq!(gap, (secs(50) - e).max(secs(2)));
        }
    }
}

#[test]
fn keys_learn_separately_and_combinators_pass_finishes_through() {
    let base = Adaptive::new(Fixed::secs(5)).min_samples(1);
    let short = base.for_key("short").with_deadline(secs(3600));
    let long = base.for_key("long").with_max_attempts(1000);
    short.on_finished(&Finish::new(Phase::Succeeded, None, secs(10)));
    long.on_finished(&Finish::new(Phase::Succeeded, None, secs(1000)));
    assert_eq!(
        short.decide(&Observation::new(0, Duration::ZERO)),
        Decision::after_secs(10)
    );
    assert_eq!(
        long.decide(&Observation::new(0, Duration::ZERO)),
        Decision::after_secs(1000)
    );
}

#[tokio::test(start_paused = true)]
async fn requests_per_task_drop_after_warm_up_and_lag_stays_bounded() {
    let src = Arc::new(TimedSource::new("render"));
    let adaptive = Adaptive::new(Fixed::secs(5)).min_samples(10);
    let mut tracker = Tracker::<()>::new();
    let id = tracker.add_source_with(
        src.clone(),
        BoxPolicy::new(adaptive.clone()),
        SourceOptions::default(),
    );

    // Tasks of about 300 s arrive one every 20 s.
    let n = 100u64;
    let handle = tracker.handle();
    let src2 = src.clone();
    tokio::spawn(async move {
        for i in 0..n {
            let d = secs(280 + (i * 7919) % 40);
            src2.add_task(format!("t{i}"), d);
            handle.track(id, format!("t{i}"));
            tokio::time::sleep(secs(20)).await;
        }
    });
    let mut reports = vec![];
    while let Some(event) = tracker.next().await {
        if let TrackerEvent::Finished { report, .. } = event {
            reports.push(report);
        }
    }
    assert_eq!(reports.len(), n as usize);
    assert!(
        reports
            .iter()
            .all(|r| r.outcome.kind() == OutcomeKind::Succeeded)
    );
    let index = |r: &poller_core::Report<()>| r.task_id[1..].parse::<u64>().unwrap();
    reports.sort_by_key(index);
    // Warm-up tasks poll every 5 s: about 60 requests each.
    assert!(reports[0].attempts >= 57);
    // Tasks started after the first ten finished (t > 300 s + 10 × 20 s) use the learned
    // schedule: a handful of requests, detected within 20 % of their duration.
    for r in &reports[30..] {
        let d = secs(280 + (index(r) * 7919) % 40);
        assert!(r.attempts <= 5, "{}: {} requests", r.task_id, r.attempts);
        assert!(
            r.elapsed >= d && r.elapsed <= d.mul_f64(1.2) + secs(1),
            "{}: {:?} for {d:?}",
            r.task_id,
            r.elapsed
        );
    }
    assert!(adaptive.learned().unwrap() >= secs(275));
}
