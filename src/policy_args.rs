//! Turning policy options into a policy.

use crate::cli::PolicyArgs;
use poller_core::{BoxPolicy, Exponential, PollPolicyExt, Provider};
use std::time::Duration;

/// The provider's default policy, with the options applied on top:
/// `--interval`/`--max-interval`/`--backoff` replace its schedule, `--timeout` its deadline.
pub fn build_policy(provider: &Provider, args: &PolicyArgs) -> BoxPolicy {
    let schedule =
        if args.interval.is_some() || args.max_interval.is_some() || args.backoff.is_some() {
            let interval = args.interval.unwrap_or(Duration::from_secs(1));
            let factor = args.backoff.unwrap_or(if args.max_interval.is_some() {
                2.0
            } else {
                1.0
            });
            let max = args.max_interval.unwrap_or(if factor > 1.0 {
                interval * 60
            } else {
                interval
            });
            Exponential::new(interval, factor, max).boxed()
        } else {
            (provider.default_policy)()
        };
    let mut policy = schedule;
    if let Some(delay) = args.initial_delay {
        policy = policy.with_initial_delay(delay).boxed();
    }
    if let Some(n) = args.max_attempts {
        policy = policy.with_max_attempts(n).boxed();
    }
    policy = policy
        .with_deadline(args.timeout.unwrap_or(provider.default_timeout))
        .boxed();
    if args.stop_on_input {
        policy = policy.stop_on_input().boxed();
    }
    policy.honor_retry_after().boxed()
}
