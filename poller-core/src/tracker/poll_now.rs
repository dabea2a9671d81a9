//! "Poll this task now": a tracked task's next poll brought forward, for webhooks and other
//! signals that a task changed.

use super::{SourceId, Tracker};
use tokio::time::Instant;

impl<O: Clone + Send + Sync + 'static> Tracker<O> {
    /// Brings the next poll of `task_id` of `source` forward to now, for example because a
    /// webhook said the task changed. Returns `false` when no such task is tracked (unknown,
    /// or already finished): then nothing happens.
    ///
    /// A flood of calls cannot become a flood of requests: the poll still keeps the minimum gap
    /// after the task's last fetch ([`min_gap`](Tracker::min_gap); a call within it moves the
    /// poll to the end of the gap), waits out a `Retry-After` the last answer carried, and goes
    /// through the source's rate limit and batching like any other. A task whose poll is already due, or in flight, is left as it is. After the
    /// poll, the task's policy decides the next one as usual.
    ///
    /// ```
    /// use std::time::Duration;
    /// use poller_core::{Fixed, Tracker, testing::ScriptedSource};
    /// let mut t = Tracker::<()>::new();
    /// let s = t.add_source(ScriptedSource::new("s"), Fixed::secs(3600));
    /// t.track(s, "job");
    /// assert!(t.poll_now(s, "job"));
    /// assert!(!t.poll_now(s, "someone-else"));
    /// ```
    pub fn poll_now(&mut self, source: SourceId, task_id: &str) -> bool {
        let tasks = &self.tasks;
        let keys = self
            .index
            .find(source, task_id, |k| tasks[k].core.task_id == task_id);
        let now = Instant::now();
        for &key in &keys {
            self.bring_forward(key, now);
        }
        !keys.is_empty()
    }

    /// Moves the task's timer to the earliest instant the minimum gap allows, if that is
    /// sooner; straight to the ready queue when that is now.
    fn bring_forward(&mut self, key: usize, now: Instant) {
        let task = &mut self.tasks[key];
        let Some(timer) = task.timer else {
            // Not yet scheduled, already due, or in flight: its poll is coming anyway.
            return;
        };
        let at = task
            .core
            .next_fetch_allowed(self.min_gap)
            .map_or(now, |allowed| allowed.max(now));
        if self.timers.deadline(&timer) <= at {
            return;
        }
        if at <= now {
            self.timers.remove(&timer);
            task.timer = None;
            let source = task.source.0 as usize;
            self.sources[source].ready.push_back(key);
        } else {
            self.timers.reset_at(&timer, at);
        }
    }
}
