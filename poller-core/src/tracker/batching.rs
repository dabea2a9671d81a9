//! How a [`Tracker`] keeps the tasks of a batch source together: polls aligned to the slots of
//! a short window, so tasks falling due within one slot go out in one request, and retries
//! that leave a failed batch request together instead of drifting apart.

use super::Tracker;
use std::time::Duration;
use tokio::time::Instant;

/// The batch window of a [`Tracker`](crate::Tracker)'s batch sources: 100 ms. The polls of a
/// [`BatchStatusSource`](crate::BatchStatusSource)'s tasks are aligned to slots of this width
/// on the tracker's clock, so tasks that fall due within one slot go out in one request. A
/// poll waits at most one window longer than its policy asked, and never past its deadline.
///
/// Why 100 ms: it is a fifth of the shortest gap in the shipped schedules (Runware's SDKs poll
/// every 0.5 s at first) and 2 % of a 5 s task, so it adds little detection lag, yet it spans
/// what separates tasks that belong together: tasks tracked in the same burst, the answers of
/// one round arriving over tens of milliseconds, and the timer's 1 ms ticks. Change it per
/// source with [`SourceOptions::batch_window`](crate::SourceOptions::batch_window); zero sends
/// every task when it falls due.
///
/// ```
/// assert_eq!(poller_core::DEFAULT_BATCH_WINDOW.as_millis(), 100);
/// ```
pub const DEFAULT_BATCH_WINDOW: Duration = Duration::from_millis(100);

/// `delay` from `now`, lengthened so that it ends on a slot boundary (`epoch` + k·`window`).
fn to_slot(delay: Duration, now: Instant, epoch: Instant, window: Duration) -> Duration {
    if window.is_zero() {
        return delay;
    }
    let Some(due) = now.saturating_duration_since(epoch).checked_add(delay) else {
        return delay;
    };
    let window_ns = window.as_nanos();
    let slots = due.as_nanos().div_ceil(window_ns);
    let aligned = slots
        .checked_mul(window_ns)
        .and_then(|ns| u64::try_from(ns).ok())
        .map(Duration::from_nanos);
    match aligned {
        Some(aligned) => delay + (aligned - due),
        None => delay,
    }
}

impl<O: Clone + Send + Sync + 'static> Tracker<O> {
    /// The task's next poll `delay` from now, aligned to its source's batch window but never
    /// past its deadline.
    pub(super) fn align(&self, key: usize, delay: Duration, now: Instant) -> Duration {
        let task = &self.tasks[key];
        let entry = &self.sources[task.source.0 as usize];
        if entry.window.is_zero() {
            return delay;
        }
        let aligned = to_slot(delay, now, self.epoch, entry.window);
        match task.core.time_left(&entry.policy, now) {
            Some(left) => aligned.min(left).max(delay),
            None => aligned,
        }
    }

    /// Schedules the tasks of one batch request that failed with a transient error so that
    /// they retry together: each waits the longest of their retry delays (so none retries
    /// sooner than its policy, error backoff or `Retry-After` allows), except that none sleeps
    /// past its own deadline. Per-task jitter would otherwise scatter them into many small
    /// requests (issue 10: 784 of 1,353 requests carried one id).
    pub(super) fn schedule_together(&mut self, keys: &[usize], now: Instant) {
        let delays: Vec<(usize, Duration)> = keys
            .iter()
            .filter_map(|&key| self.next_delay(key, now).map(|d| (key, d)))
            .collect();
        let Some(latest) = delays.iter().map(|(_, d)| *d).max() else {
            return;
        };
        for (key, own) in delays {
            let task = &self.tasks[key];
            let policy = &self.sources[task.source.0 as usize].policy;
            let delay = match task.core.time_left(policy, now) {
                Some(left) => latest.min(left).max(own),
                None => latest,
            };
            self.enqueue(key, delay, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::to_slot;
    use std::time::Duration;
    use tokio::time::Instant;

    #[test]
    fn delays_end_on_slot_boundaries() {
        let ms = Duration::from_millis;
        let epoch = Instant::now();
        let w = ms(100);
        assert_eq!(to_slot(ms(0), epoch, epoch, w), ms(0));
        assert_eq!(to_slot(ms(1_000), epoch, epoch, w), ms(1_000));
        assert_eq!(to_slot(ms(1_001), epoch, epoch, w), ms(1_100));
        assert_eq!(to_slot(ms(950), epoch + ms(30), epoch, w), ms(970));
        assert_eq!(to_slot(ms(0), epoch + ms(30), epoch, w), ms(70));
        assert_eq!(to_slot(ms(7), epoch, epoch, Duration::ZERO), ms(7));
        // No overflow for absurd delays: left as they are.
        assert_eq!(to_slot(Duration::MAX, epoch, epoch, w), Duration::MAX);
        assert_eq!(
            to_slot(Duration::MAX, epoch + ms(1), epoch, w),
            Duration::MAX
        );
    }
}
