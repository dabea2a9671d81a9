//! `Adaptive`'s learned durations, kept in the store so that a restart does not relearn.
//!
//! Today's `AdaptiveStore` can record durations but not list them, so the worker saves each
//! finish it sees (key, phase, when last seen running, when final) and replays the saved ones
//! into a fresh `AdaptiveStore` at start. When `AdaptiveStore` gains a serde form, these two
//! functions are the one place to change.

use crate::backend::Sample;
use poller_core::{AdaptiveStore, Finish, Phase};
use std::time::Duration;

/// How many durations are kept per key (what `Adaptive` remembers).
pub(crate) const KEEP: i64 = 256;

/// The sample to save for a task of `key` that ended in `phase`, if `Adaptive` learns from it.
pub(crate) fn sample(
    key: &str,
    phase: Phase,
    running_at: Option<Duration>,
    final_at: Duration,
) -> Option<Sample> {
    matches!(phase, Phase::Succeeded | Phase::Failed).then(|| Sample {
        key: key.to_string(),
        phase: phase.as_str().to_string(),
        running_ms: running_at.map(crate::store::ms),
        final_ms: crate::store::ms(final_at),
    })
}

/// Replays saved samples, oldest first, into `adaptive`.
pub(crate) fn restore(adaptive: &AdaptiveStore, samples: &[Sample]) -> usize {
    let mut n = 0;
    for s in samples {
        let Ok(phase) = serde_json::from_value::<Phase>(serde_json::Value::String(s.phase.clone()))
        else {
            continue;
        };
        let running = s
            .running_ms
            .map(|ms| Duration::from_millis(ms.max(0) as u64));
        let final_at = Duration::from_millis(s.final_ms.max(0) as u64);
        adaptive.record(&s.key, &Finish::new(phase, running, final_at));
        n += 1;
    }
    n
}
