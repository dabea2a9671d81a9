//! Turning policy options into a policy, refusing what cannot work.

use crate::cli::PolicyArgs;
use crate::error::CliError;
use poller_core::{BoxPolicy, DEFAULT_MIN_GAP, Exponential, PollPolicyExt, Provider};
use poller_providers::webhook::callbacks_policy;
use std::time::Duration;

fn ms(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// Refuses delays below the poll loop's floor and a longest delay shorter than the first.
pub fn check(args: &PolicyArgs) -> Result<(), CliError> {
    for (flag, value) in [
        ("--interval", args.interval),
        ("--max-interval", args.max_interval),
    ] {
        if let Some(d) = value.filter(|d| *d < DEFAULT_MIN_GAP) {
            return Err(CliError::Usage(format!(
                "{flag} {} is below the minimum gap between polls ({}): it would flood the API",
                ms(d),
                ms(DEFAULT_MIN_GAP)
            )));
        }
    }
    if let (Some(first), Some(max)) = (args.interval, args.max_interval) {
        if max < first {
            return Err(CliError::Usage(format!(
                "--max-interval {} is shorter than --interval {}: the longest delay must be at least the first",
                ms(max),
                ms(first)
            )));
        }
    }
    Ok(())
}

/// The provider's default policy, with the options applied on top:
/// `--interval`/`--max-interval`/`--backoff` replace its schedule, `--timeout` its deadline.
/// With `callbacks` (`--listen`), the provider's schedule is the slow safety net of
/// [`callbacks_policy`]; a schedule given by flags is used as given.
pub fn build_policy(
    provider: &Provider,
    args: &PolicyArgs,
    callbacks: bool,
) -> Result<BoxPolicy, CliError> {
    check(args)?;
    let schedule =
        if args.interval.is_some() || args.max_interval.is_some() || args.backoff.is_some() {
            let interval = args
                .interval
                .unwrap_or(Duration::from_secs(1))
                .min(args.max_interval.unwrap_or(Duration::MAX));
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
        } else if callbacks {
            callbacks_policy((provider.default_policy)())
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
    Ok(policy.honor_retry_after().boxed())
}
