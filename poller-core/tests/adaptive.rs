//! The adaptive policy: learns from what it can see (censored finishes), borrows from other
//! keys, follows drift, meets a lag target, switches running tasks over, and saves/restores.

use futures::StreamExt;
use poller_core::testing::TimedSource;
use poller_core::{
    Adaptive, AdaptiveSnapshot, AdaptiveStore, BoxPolicy, Decision, Finish, Fixed, LagTarget,
    Observation, OutcomeKind, Phase, PollPolicy, PollPolicyExt, SnapshotError, SourceOptions,
    StopReason, Tracker, TrackerEvent, recommended_policy,
};
use std::sync::Arc;
use std::time::Duration;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// A small deterministic generator of log-normal durations.
struct Durations(u64);

impl Durations {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        let (u1, u2) = (self.unit().max(1e-12), self.unit());
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        median * (sigma * z).exp()
    }
}

/// One wait on a task of `d` seconds under `policy`, as the poll loop runs it, telling the
/// policy the finish: (requests, lag as a fraction of d), or `None` when the policy stopped.
fn wait(policy: &impl PollPolicy, d: f64) -> Option<(u32, f64)> {
    let (mut attempt, mut t, mut running_at) = (0u32, 0.0f64, None);
    loop {
        match policy.decide(&Observation::new(attempt, secs(t))) {
            Decision::PollAfter(delay) => t += delay.as_secs_f64(),
            Decision::Stop(_) => return None,
        }
        attempt += 1;
        assert!(attempt < 100_000, "unbounded polling");
        if t >= d {
            policy.on_finished(&Finish::new(Phase::Succeeded, running_at, secs(t)));
            return Some((attempt, (t - d) / d));
        }
        running_at = Some(secs(t));
    }
}

/// Mean requests, mean lag and p99 lag of `n` waits on durations drawn by `draw`.
fn waits(policy: &impl PollPolicy, n: usize, mut draw: impl FnMut() -> f64) -> (f64, f64, f64) {
    let mut lags = vec![];
    let mut requests = 0u64;
    for _ in 0..n {
        let (r, lag) = wait(policy, draw()).expect("finished before the deadline");
        requests += u64::from(r);
        lags.push(lag);
    }
    lags.sort_by(f64::total_cmp);
    let mean = lags.iter().sum::<f64>() / n as f64;
    (requests as f64 / n as f64, mean, lags[n * 99 / 100])
}

#[test]
fn follows_the_fallback_until_a_key_has_finished_tasks() {
    let p = Adaptive::new(recommended_policy());
    assert_eq!(
        p.decide(&Observation::new(0, Duration::ZERO)),
        Decision::now()
    );
    // Cancelled tasks say nothing about durations.
    p.on_finished(&Finish::new(Phase::Cancelled, None, secs(30.0)));
    assert_eq!(p.store().samples(""), 0);
    assert_eq!(p.learned(), None);
    assert_eq!(
        p.decide(&Observation::new(3, secs(2.25))),
        recommended_policy().decide(&Observation::new(3, secs(2.25)))
    );
}

#[test]
fn a_learned_schedule_saves_requests_at_no_worse_lag_than_the_fallback() {
    let adaptive = Adaptive::new(recommended_policy());
    let fallback = recommended_policy();
    let mut rng = Durations(1);
    waits(&adaptive, 300, || rng.log_normal(120.0, 0.25)); // learning
    let mut rng = Durations(2);
    let (a_req, a_mean, a_p99) = waits(&adaptive, 500, || rng.log_normal(120.0, 0.25));
    let mut rng = Durations(2);
    let (f_req, f_mean, f_p99) = waits(&fallback, 500, || rng.log_normal(120.0, 0.25));
    assert!(
        a_req * 3.0 <= f_req,
        "adaptive {a_req:.2} vs fallback {f_req:.2} requests"
    );
    assert!(a_mean <= f_mean, "mean lag {a_mean:.3} vs {f_mean:.3}");
    assert!(a_p99 <= 1.25 * f_p99, "p99 lag {a_p99:.3} vs {f_p99:.3}");
}

#[test]
fn tasks_done_at_the_first_poll_move_it_down_and_drift_is_followed_both_ways() {
    let p = Adaptive::new(recommended_policy());
    let mut rng = Durations(3);
    waits(&p, 300, || rng.log_normal(100.0, 0.25));
    let before = p.learned().expect("learned");
    assert!(before > secs(40.0), "{before:?}");

    // The backend gets three times faster: most tasks are done at the first poll, which
    // only says "at most this long". The first poll must come down to the new durations.
    let (_, _, _) = waits(&p, 400, || rng.log_normal(33.0, 0.25));
    let after = p.learned().expect("learned");
    assert!(
        after < secs(30.0),
        "first poll stayed at {after:?} (was {before:?})"
    );
    let (req, mean, p99) = waits(&p, 300, || rng.log_normal(33.0, 0.25));
    assert!(
        mean < 0.15 && p99 < 0.5,
        "after drift down: mean {mean:.3}, p99 {p99:.3}"
    );
    assert!(req < 6.0, "{req:.2} requests per task");

    // And three times slower again: the first poll moves up, requests stay few.
    waits(&p, 400, || rng.log_normal(100.0, 0.25));
    let up = p.learned().expect("learned");
    assert!(up > secs(45.0), "first poll stayed at {up:?}");
    let (req, mean, _) = waits(&p, 300, || rng.log_normal(100.0, 0.25));
    assert!(
        req < 6.0 && mean < 0.15,
        "after drift up: {req:.2} requests, mean {mean:.3}"
    );
}

#[test]
fn a_new_key_borrows_the_shape_of_the_others() {
    let store = AdaptiveStore::new();
    let base = Adaptive::with_store(recommended_policy(), &store, "");
    let mut rng = Durations(4);
    waits(&base.for_key("short"), 200, || rng.log_normal(10.0, 0.25));
    waits(&base.for_key("long"), 200, || rng.log_normal(1000.0, 0.25));

    let new = base.for_key("new");
    assert_eq!(new.learned(), None, "nothing known of the new key yet");
    // One finish around 200 s: the new key borrows the others' spread around its median.
    new.on_finished(&Finish::new(
        Phase::Succeeded,
        Some(secs(195.0)),
        secs(200.0),
    ));
    let first = new
        .learned()
        .expect("a schedule from one finish and the prior");
    assert!(
        first > secs(50.0) && first < secs(195.0),
        "first poll {first:?}"
    );
    // The fallback would make 20 requests for a 230 s task.
    let (req, lag) = wait(&new, 230.0).unwrap();
    assert!(req <= 10 && lag <= 0.3, "{req} requests, lag {lag:.3}");

    // Without other keys to borrow from, one finish is not enough.
    let alone = Adaptive::new(recommended_policy());
    alone.on_finished(&Finish::new(
        Phase::Succeeded,
        Some(secs(195.0)),
        secs(200.0),
    ));
    assert_eq!(alone.learned(), None);
}

#[test]
fn a_stated_lag_target_is_met_and_a_looser_one_costs_fewer_requests() {
    let run = |target: LagTarget| {
        let p = Adaptive::new(Fixed::secs(5)).lag_target(target);
        let mut rng = Durations(5);
        waits(&p, 300, || rng.log_normal(600.0, 0.5));
        let mut rng = Durations(6);
        waits(&p, 1000, || rng.log_normal(600.0, 0.5))
    };
    let (tight_req, _, tight_p99) = run(LagTarget::quantile(0.99, 0.1));
    let (loose_req, _, loose_p99) = run(LagTarget::quantile(0.99, 0.4));
    assert!(tight_p99 <= 0.12, "p99 {tight_p99:.3} for a 10 % target");
    assert!(loose_p99 <= 0.45, "p99 {loose_p99:.3} for a 40 % target");
    assert!(
        loose_req < 0.7 * tight_req,
        "{loose_req:.2} vs {tight_req:.2} requests"
    );
    // Fixed 5 s would need about 120 requests per task.
    assert!(tight_req < 40.0, "{tight_req:.2}");
}

#[test]
fn heavy_tails_cost_no_more_than_the_fallback_at_the_same_p99() {
    let adaptive = Adaptive::new(recommended_policy());
    let mut rng = Durations(7);
    waits(&adaptive, 400, || rng.log_normal(60.0, 1.0));
    let mut rng = Durations(8);
    let (a_req, a_mean, a_p99) = waits(&adaptive, 2000, || rng.log_normal(60.0, 1.0));
    let mut rng = Durations(8);
    let (f_req, f_mean, f_p99) = waits(&recommended_policy(), 2000, || rng.log_normal(60.0, 1.0));
    assert!(a_req <= f_req, "requests {a_req:.2} vs {f_req:.2}");
    assert!(
        a_mean <= f_mean * 1.05,
        "mean lag {a_mean:.3} vs {f_mean:.3}"
    );
    assert!(a_p99 <= 1.25 * f_p99, "p99 lag {a_p99:.3} vs {f_p99:.3}");
}

#[test]
fn the_fallback_deadline_is_honoured_and_delays_are_never_zero_twice() {
    let deadline = secs(600.0);
    let p = Adaptive::new(Fixed::secs(5).with_deadline(deadline))
        .lag_target(LagTarget::quantile(0.99, 0.25))
        .intervals(Duration::ZERO, Duration::from_secs(3600));
    let mut rng = Durations(9);
    waits(&p, 100, || rng.log_normal(100.0, 0.25));
    assert!(p.learned().is_some());
    // A task that never finishes: the last poll lands on the deadline, then it stops.
    let (mut attempt, mut t) = (0u32, Duration::ZERO);
    let mut zeros = 0;
    let reason = loop {
        match p.decide(&Observation::new(attempt, t)) {
            Decision::PollAfter(d) => {
                if attempt > 0 && d.is_zero() {
                    zeros += 1;
                }
                t += d;
                attempt += 1;
                assert!(t <= deadline, "polled at {t:?}, past the deadline");
                assert!(attempt < 1_000, "unbounded polling");
            }
            Decision::Stop(reason) => break reason,
        }
    };
    assert_eq!(reason, StopReason::Deadline);
    assert_eq!(t, deadline, "the last poll lands on the deadline");
    assert_eq!(zeros, 0, "no zero delay after the first fetch");
    assert!(attempt < 40, "{attempt} polls for a 600 s wait");
}

#[test]
fn a_server_hint_is_never_undercut() {
    let p = Adaptive::new(recommended_policy());
    let mut rng = Durations(10);
    waits(&p, 100, || rng.log_normal(100.0, 0.25));
    let obs = Observation::new(2, secs(80.0)).with_retry_after(secs(90.0));
    assert!(p.decide(&obs).delay().unwrap() >= secs(90.0));
}

#[test]
fn the_learned_state_round_trips_and_restores_the_same_decisions() {
    let store = AdaptiveStore::new();
    let base = Adaptive::with_store(recommended_policy(), &store, "");
    let mut rng = Durations(11);
    waits(&base.for_key("a"), 150, || rng.log_normal(20.0, 0.3));
    waits(&base.for_key("b"), 700, || rng.log_normal(300.0, 0.25));
    waits(&base.for_key("c"), 3, || rng.log_normal(60.0, 0.25)); // borrows the prior

    let json = serde_json::to_string(&store.snapshot()).unwrap();
    let snapshot: AdaptiveSnapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(snapshot, store.snapshot());
    assert_eq!(snapshot.keys["b"].finished, 700);
    assert_eq!(
        snapshot.keys["b"].observations.len(),
        256,
        "the window is kept"
    );
    let restored = AdaptiveStore::restore(&snapshot).unwrap();
    let again = Adaptive::with_store(recommended_policy(), &restored, "");
    for key in ["a", "b", "c"] {
        let (before, after) = (base.for_key(key), again.for_key(key));
        assert!(before.learned().is_some(), "{key} learned");
        assert_eq!(before.learned_schedule(), after.learned_schedule(), "{key}");
        for s in (0..2000).step_by(7) {
            let obs = Observation::new(1 + s / 100, secs(s as f64));
            assert_eq!(before.decide(&obs), after.decide(&obs), "{key} at {s} s");
        }
    }
}

#[test]
fn a_bad_snapshot_is_refused_with_what_is_wrong() {
    let store = AdaptiveStore::new();
    store.record(
        "k",
        &Finish::new(Phase::Succeeded, Some(secs(1.0)), secs(2.0)),
    );
    let good = store.snapshot();

    let mut s = good.clone();
    s.version = 2;
    assert_eq!(
        AdaptiveStore::restore(&s).unwrap_err(),
        SnapshotError::Version(2)
    );

    let mut s = good.clone();
    s.keys.get_mut("k").unwrap().observations[0].running_at_us = 5_000_000;
    let e = AdaptiveStore::restore(&s).unwrap_err();
    assert!(
        matches!(e, SnapshotError::Observation { index: 0, .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("\"k\""), "{e}");

    let mut s = good;
    s.keys.get_mut("k").unwrap().finished = 0;
    assert!(matches!(
        AdaptiveStore::restore(&s).unwrap_err(),
        SnapshotError::Count {
            finished: 0,
            listed: 1,
            ..
        }
    ));
}

#[tokio::test(start_paused = true)]
async fn running_tasks_switch_to_the_learned_schedule_in_a_burst() {
    // 100 tasks of one kind arrive at once, 100 s to 400 s long. The fallback polls every
    // 5 s (about 80 requests for a 400 s task); the user accepts a p99 lag of 25 %.
    let src = Arc::new(TimedSource::new("render"));
    let adaptive = Adaptive::new(Fixed::secs(5)).lag_target(LagTarget::quantile(0.99, 0.25));
    let mut tracker = Tracker::<()>::new();
    let id = tracker.add_source_with(
        src.clone(),
        BoxPolicy::new(adaptive.clone()),
        SourceOptions::default(),
    );
    let duration = |i: u64| secs(100.0 + 3.0 * i as f64);
    for i in 0..100 {
        src.add_task(format!("t{i}"), duration(i));
        tracker.track(id, format!("t{i}"));
    }
    let mut reports = vec![];
    while let Some(event) = tracker.next().await {
        if let TrackerEvent::Finished { report, .. } = event {
            reports.push(report);
        }
    }
    assert_eq!(reports.len(), 100);
    let (mut total, mut fallback_total) = (0, 0);
    for r in &reports {
        assert_eq!(r.outcome.kind(), OutcomeKind::Succeeded);
        let d = duration(r.task_id[1..].parse().unwrap());
        assert!(
            r.elapsed >= d && r.elapsed <= d.mul_f64(1.25) + secs(5.0),
            "{}: seen at {:?} for {d:?}",
            r.task_id,
            r.elapsed
        );
        if d >= secs(300.0) {
            // Switched while running: far fewer than the fallback's 60 to 80 requests.
            assert!(r.attempts <= 40, "{}: {} requests", r.task_id, r.attempts);
        }
        total += r.attempts;
        fallback_total += 1 + d.as_secs().div_ceil(5) as u32;
    }
    // Until ten tasks have finished (about 127 s), all 100 follow the fallback: some 2,600
    // requests that no policy can save without knowing the durations.
    assert!(
        f64::from(total) < 0.7 * f64::from(fallback_total),
        "{total} requests; the fallback alone makes {fallback_total}"
    );
}
