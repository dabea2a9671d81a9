//! Policy decisions are pure functions of an Observation: these tests use no clock.

use poller_core::{
    BoxPolicy, Decision, ErrorPolicy, Exponential, FetchError, Fixed, Jitter, Observation, Phase,
    PollPolicy, PollPolicyExt, StopReason,
};
use std::time::Duration;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn obs(attempt: u32, elapsed: Duration) -> Observation<'static> {
    Observation::new(attempt, elapsed)
}

#[test]
fn policies_are_object_safe() {
    let policies: Vec<Box<dyn PollPolicy>> = vec![
        Box::new(Fixed::secs(1)),
        Box::new(Exponential::default().with_deadline(secs(10))),
        Box::new(|_: &Observation<'_>| Decision::Stop(StopReason::custom("mine"))),
    ];
    let decisions: Vec<_> = policies
        .iter()
        .map(|p| p.decide(&obs(1, Duration::ZERO)))
        .collect();
    assert_eq!(
        decisions,
        [
            Decision::after_secs(1),
            Decision::after_secs(1),
            Decision::Stop(StopReason::custom("mine"))
        ]
    );
}

#[test]
fn full_jitter_stays_in_bounds_over_10000_draws() {
    let p = Exponential::new(secs(1), 2.0, secs(30))
        .jitter(Jitter::Full)
        .seed(7);
    let mut below_half = 0;
    for salt in 0..10_000u64 {
        let attempt = (salt % 12) as u32 + 1;
        let cap = p.delay_for(attempt);
        let d = p
            .decide(&obs(attempt, Duration::ZERO).with_salt(salt))
            .delay()
            .unwrap();
        assert!(d <= cap, "draw {d:?} above {cap:?}");
        if d < cap / 2 {
            below_half += 1;
        }
    }
    // Full jitter is uniform on [0, d]: about half the draws fall in the lower half.
    assert!(
        (4_500..5_500).contains(&below_half),
        "{below_half} of 10000 below half"
    );
}

#[test]
fn equal_jitter_stays_in_upper_half_over_10000_draws() {
    let p = Exponential::new(secs(2), 1.5, secs(60))
        .jitter(Jitter::Equal)
        .seed(99);
    let mut distinct = std::collections::HashSet::new();
    for salt in 0..10_000u64 {
        let attempt = (salt % 9) as u32 + 1;
        let cap = p.delay_for(attempt);
        let d = p
            .decide(&obs(attempt, Duration::ZERO).with_salt(salt))
            .delay()
            .unwrap();
        assert!(
            d >= cap / 2 && d <= cap,
            "draw {d:?} outside [{:?}, {cap:?}]",
            cap / 2
        );
        distinct.insert(d);
    }
    assert!(
        distinct.len() > 9_000,
        "draws are not spread: {} distinct",
        distinct.len()
    );
}

#[test]
fn jitter_is_reproducible_for_a_seed_and_differs_across_seeds() {
    let a = Exponential::default().jitter(Jitter::Full).seed(1);
    let b = Exponential::default().jitter(Jitter::Full).seed(2);
    let draws = |p: &Exponential| -> Vec<Duration> {
        (1..50)
            .map(|n| {
                p.decide(&obs(n, Duration::ZERO).with_salt(5))
                    .delay()
                    .unwrap()
            })
            .collect()
    };
    assert_eq!(draws(&a), draws(&a));
    assert_ne!(draws(&a), draws(&b));
}

#[test]
fn exponential_reaches_and_holds_its_cap() {
    let p = Exponential::new(Duration::from_millis(500), 1.5, secs(10));
    let delays: Vec<_> = (1..=30)
        .map(|n| p.decide(&obs(n, Duration::ZERO)).delay().unwrap())
        .collect();
    assert_eq!(delays[0], Duration::from_millis(500));
    assert!(
        delays.windows(2).all(|w| w[0] <= w[1]),
        "not monotone: {delays:?}"
    );
    let first_cap = delays
        .iter()
        .position(|d| *d == secs(10))
        .expect("cap reached");
    assert_eq!(first_cap, 8); // 0.5 × 1.5^8 = 12.8 s > 10 s, 1.5^7 × 0.5 = 8.5 s
    assert!(delays[first_cap..].iter().all(|d| *d == secs(10)));
    // Huge attempt numbers neither overflow nor panic.
    assert_eq!(
        p.decide(&obs(u32::MAX, Duration::ZERO)).delay(),
        Some(secs(10))
    );
}

#[test]
fn first_decision_polls_at_once_unless_an_initial_delay_is_set() {
    assert_eq!(
        Exponential::default().decide(&obs(0, Duration::ZERO)),
        Decision::now()
    );
    assert_eq!(
        Fixed::secs(5).decide(&obs(0, Duration::ZERO)),
        Decision::now()
    );
    let p = Exponential::default().with_initial_delay(secs(30));
    assert_eq!(p.decide(&obs(0, Duration::ZERO)), Decision::after_secs(30));
    assert_eq!(p.decide(&obs(1, secs(30))), Decision::after_secs(1));
}

#[test]
fn the_last_poll_lands_exactly_on_the_deadline() {
    let p = Fixed::secs(7).with_deadline(secs(30));
    // Simulate the schedule: 0, 7, 14, 21, 28, then 30 exactly, then stop.
    let mut t = Duration::ZERO;
    let mut polls = vec![];
    for attempt in 0.. {
        match p.decide(&obs(attempt, t)) {
            Decision::PollAfter(d) => {
                t += d;
                polls.push(t.as_secs());
            }
            Decision::Stop(reason) => {
                assert_eq!(reason, StopReason::Deadline);
                break;
            }
        }
    }
    assert_eq!(polls, [0, 7, 14, 21, 28, 30]);
}

#[test]
fn retry_after_larger_than_the_delay_wins_smaller_does_not() {
    let p = Exponential::new(secs(4), 2.0, secs(60)).honor_retry_after();
    let o = |r: u64| obs(1, secs(10)).with_retry_after(secs(r));
    assert_eq!(p.decide(&o(9)), Decision::after_secs(9));
    assert_eq!(p.decide(&o(3)), Decision::after_secs(4));
    assert_eq!(p.decide(&obs(1, secs(10))), Decision::after_secs(4));
}

#[test]
fn retry_after_never_pushes_a_poll_past_the_deadline_in_either_order() {
    let inner = Fixed::secs(2);
    let a = inner.with_deadline(secs(60)).honor_retry_after();
    let b = inner.honor_retry_after().with_deadline(secs(60));
    let o = |r: u64| obs(3, secs(50)).with_retry_after(secs(r));
    for p in [a.boxed(), b.boxed()] {
        assert_eq!(p.decide(&o(5)), Decision::after_secs(5));
        assert_eq!(p.decide(&o(10)), Decision::after_secs(10)); // lands on the deadline
        assert_eq!(p.decide(&o(11)), Decision::Stop(StopReason::Deadline));
    }
}

#[test]
fn attempt_limits_count_fetches() {
    let p = Fixed::secs(1).with_max_attempts(3);
    let polls = (0..10)
        .take_while(|n| p.decide(&obs(*n, Duration::ZERO)).delay().is_some())
        .count();
    assert_eq!(polls, 3);
    assert_eq!(
        p.decide(&obs(3, Duration::ZERO)),
        Decision::Stop(StopReason::Attempts)
    );
    let none = Fixed::secs(1).with_max_attempts(0);
    assert_eq!(
        none.decide(&obs(0, Duration::ZERO)),
        Decision::Stop(StopReason::Attempts)
    );
}

#[test]
fn stop_on_input_stops_only_on_needs_input() {
    let p = Fixed::secs(1).stop_on_input();
    for phase in Phase::ALL {
        let d = p.decide(&obs(2, Duration::ZERO).with_phase(phase));
        if phase == Phase::NeedsInput {
            assert_eq!(d, Decision::Stop(StopReason::NeedsInput));
        } else {
            assert_eq!(d, Decision::after_secs(1), "{phase}");
        }
    }
}

#[test]
fn combinators_keep_the_tightest_deadline() {
    let p = Fixed::secs(1)
        .with_deadline(secs(100))
        .with_max_attempts(5)
        .with_deadline(secs(40));
    assert_eq!(p.deadline(), Some(secs(40)));
    let boxed: BoxPolicy = p.boxed();
    assert_eq!(boxed.deadline(), Some(secs(40)));
}

#[test]
fn a_user_type_is_a_policy() {
    struct EveryOtherSecond;
    impl PollPolicy for EveryOtherSecond {
        fn decide(&self, o: &Observation<'_>) -> Decision {
            Decision::PollAfter(secs(u64::from(o.attempt % 2) * 2))
        }
    }
    let p = EveryOtherSecond.with_max_attempts(2);
    assert_eq!(p.decide(&obs(1, Duration::ZERO)), Decision::after_secs(2));
    assert_eq!(
        p.decide(&obs(2, Duration::ZERO)),
        Decision::Stop(StopReason::Attempts)
    );
}

#[test]
fn error_policy_backs_off_then_gives_up_and_never_retries_permanent_errors() {
    let p = ErrorPolicy::new(3, Exponential::new(secs(1), 2.0, secs(30)));
    let transient = FetchError::http(503, b"");
    let delays: Vec<_> = (1..=4)
        .map(|n| p.retry_delay(&obs(n, Duration::ZERO).with_error(&transient, n)))
        .collect();
    assert_eq!(delays, [Some(secs(1)), Some(secs(2)), Some(secs(4)), None]);
    for status in [400, 401, 403, 404, 501] {
        let e = FetchError::http(status, b"");
        assert_eq!(
            p.retry_delay(&obs(1, Duration::ZERO).with_error(&e, 1)),
            None,
            "{status}"
        );
    }
    assert_eq!(
        ErrorPolicy::never().retry_delay(&obs(1, Duration::ZERO).with_error(&transient, 1)),
        None
    );
}
