//! Every provider's default policy has a deadline and follows its documented schedule.

use poller_core::{Decision, Observation, PollPolicy, StopReason};
use std::time::Duration;

/// The delays before the first `n` polls, in milliseconds, as the registry entry's policy
/// decides them (no elapsed time, no server hint).
fn first_delays(provider: &str, n: u32) -> Vec<u128> {
    let policy = poller_providers::get(provider).unwrap().policy();
    (0..n)
        .map(|attempt| {
            policy
                .decide(&Observation::new(attempt, Duration::ZERO))
                .delay()
                .unwrap()
                .as_millis()
        })
        .collect()
}

#[test]
fn every_default_has_a_deadline_and_stops_on_it() {
    let expected = [
        ("dari", 30 * 60),
        ("narada", 1000),
        ("runware", 20 * 60),
        ("vessl", 3600),
    ];
    for (name, secs) in expected {
        let provider = poller_providers::get(name).unwrap();
        let policy = provider.policy();
        let deadline = Duration::from_secs(secs);
        assert_eq!(policy.deadline(), Some(deadline), "{name}");
        assert_eq!(
            policy.decide(&Observation::new(50, deadline)),
            Decision::Stop(StopReason::Deadline),
            "{name}"
        );
        assert!(!provider.policy_summary.is_empty());
    }
}

#[test]
fn narada_5s_growing_to_10s() {
    assert_eq!(
        first_delays("narada", 6),
        [0, 5000, 7500, 10_000, 10_000, 10_000]
    );
}

#[test]
fn runware_1s_then_half_a_second_growing_to_10s() {
    assert_eq!(
        first_delays("runware", 6),
        [1000, 500, 750, 1125, 1687, 2531]
    );
    assert_eq!(first_delays("runware", 12)[11], 10_000);
}

#[test]
fn dari_2s_growing_to_30s() {
    assert_eq!(first_delays("dari", 5), [0, 2000, 3000, 4500, 6750]);
    assert_eq!(first_delays("dari", 12)[11], 30_000);
}

#[test]
fn vessl_1s_growing_to_15s() {
    assert_eq!(first_delays("vessl", 5), [0, 1000, 1500, 2250, 3375]);
    assert_eq!(first_delays("vessl", 12)[11], 15_000);
}

#[test]
fn defaults_honour_retry_after() {
    for provider in poller_providers::all() {
        let policy = provider.policy();
        let obs = Observation::new(1, Duration::ZERO).with_retry_after(Duration::from_secs(60));
        assert_eq!(
            policy.decide(&obs).delay(),
            Some(Duration::from_secs(60)),
            "{}",
            provider.name
        );
    }
}
