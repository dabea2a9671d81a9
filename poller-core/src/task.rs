//! The per-task state machine shared by [`Poller`](crate::Poller) and
//! [`Tracker`](crate::Tracker): what happened so far, the next delay, and the outcome.

use crate::{
    Decision, ErrorPolicy, FetchError, Finish, Observation, Outcome, Phase, PollPolicy, Report,
    Status, StopReason,
};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;
use tokio::time::Instant;

/// What recording a fetch's result led to.
#[allow(clippy::large_enum_variant)] // short-lived, never stored
pub(crate) enum Recorded<O> {
    /// The task reached a final phase.
    Final(Outcome<O>),
    /// The phase, raw status or progress changed (or this is the first status).
    Changed,
    /// Nothing a watcher cares about changed, or the fetch failed.
    Unchanged,
}

pub(crate) struct TaskCore<O> {
    pub(crate) task_id: String,
    start: Instant,
    pub(crate) attempt: u32,
    consecutive_errors: u32,
    pub(crate) last: Option<Box<Status<O>>>,
    last_error: Option<Box<FetchError>>,
    /// When the task was last seen not final (from the start of the wait).
    running_at: Option<Duration>,
    /// When the last fetch's answer came (from the start of the wait).
    fetched_at: Option<Duration>,
    salt: u64,
    /// Time the task had already been tracked before `start` (a resumed task).
    before: Duration,
    /// When a resumed task's next fetch was due (counted like `elapsed`), used once, for the
    /// first fetch after the resume instead of the policy's delay.
    resume_at: Option<Duration>,
}

impl<O> TaskCore<O> {
    pub(crate) fn new(task_id: String, start: Instant) -> Self {
        let mut h = DefaultHasher::new();
        task_id.hash(&mut h);
        TaskCore {
            task_id,
            start,
            attempt: 0,
            consecutive_errors: 0,
            last: None,
            last_error: None,
            running_at: None,
            fetched_at: None,
            salt: h.finish(),
            before: Duration::ZERO,
            resume_at: None,
        }
    }

    pub(crate) fn elapsed(&self, now: Instant) -> Duration {
        self.before + now.saturating_duration_since(self.start)
    }

    /// The delay before the next fetch, or the outcome when there is to be none.
    ///
    /// The loop's own guarantees apply on top of the policy: once the policy's
    /// [`deadline`](PollPolicy::deadline) has passed the wait gives up whatever `decide`
    /// answers, a delay never sleeps past the deadline (so the last poll lands on it), and
    /// after the first fetch no delay is shorter than `min_gap`.
    #[allow(clippy::result_large_err)] // the Err is the final outcome, returned once
    pub(crate) fn next_delay<P: PollPolicy + ?Sized>(
        &mut self,
        policy: &P,
        errors: &ErrorPolicy,
        min_gap: Duration,
        now: Instant,
    ) -> Result<Duration, Outcome<O>> {
        let elapsed = self.elapsed(now);
        let retry_after = self.retry_after();
        let mut obs = Observation::new(self.attempt, elapsed).with_salt(self.salt);
        obs.phase = self.last.as_ref().map(|s| s.phase);
        obs.error = self.last_error.as_deref();
        obs.consecutive_errors = self.consecutive_errors;
        obs.retry_after = retry_after;

        let error_delay = match &self.last_error {
            Some(_) => match errors.retry_delay(&obs) {
                Some(d) => d,
                None => {
                    return Err(Outcome::FetchFailed {
                        error: *self.last_error.take().expect("checked above"),
                        consecutive_errors: self.consecutive_errors,
                        last: self.last.take().map(|b| *b),
                    });
                }
            },
            None => Duration::ZERO,
        };
        let remaining = self.time_left(policy, now);
        // A resumed task keeps the schedule it had where it was polled before.
        let resume_at = self.resume_at.take();
        if remaining.is_some_and(|r| r.is_zero()) {
            return Err(self.give_up(StopReason::Deadline));
        }
        match policy.decide(&obs) {
            Decision::Stop(StopReason::NeedsInput)
                if self
                    .last
                    .as_ref()
                    .is_some_and(|s| s.phase == Phase::NeedsInput) =>
            {
                Err(Outcome::NeedsInput(
                    *self.last.take().expect("checked above"),
                ))
            }
            Decision::Stop(reason) => Err(self.give_up(reason)),
            Decision::PollAfter(d) => {
                let d = match resume_at {
                    Some(at) => at.saturating_sub(elapsed),
                    None => d.max(error_delay),
                };
                let d = d.max(self.gap_left(min_gap, elapsed));
                Ok(remaining.map_or(d, |r| d.min(r)))
            }
        }
    }

    /// How long the minimum gap after the last answer still lasts at `elapsed`: all of it
    /// right after an answer, less for a resumed task answered a while ago, nothing before
    /// the first fetch. A resumed task whose last answer's time is unknown waits all of it.
    fn gap_left(&self, min_gap: Duration, elapsed: Duration) -> Duration {
        match self.fetched_at {
            Some(at) => at.saturating_add(min_gap).saturating_sub(elapsed),
            None if self.attempt > 0 => min_gap,
            None => Duration::ZERO,
        }
    }

    /// The instant the task's clock read `elapsed` (earlier than `start` for a time before a
    /// resume).
    fn instant_at(&self, elapsed: Duration) -> Option<Instant> {
        match elapsed.checked_sub(self.before) {
            Some(after) => self.start.checked_add(after),
            None => self.start.checked_sub(self.before - elapsed),
        }
    }

    /// The server's last hint (`Retry-After`), from the last error or else the last status.
    fn retry_after(&self) -> Option<Duration> {
        match &self.last_error {
            Some(e) => e.retry_after(),
            None => self.last.as_ref().and_then(|s| s.retry_after),
        }
    }

    /// The earliest instant the next fetch may start, whatever the policy says: `min_gap` after
    /// the last fetch's answer, and not before the `Retry-After` that answer carried; any time
    /// before the first fetch.
    pub(crate) fn next_fetch_allowed(&self, min_gap: Duration) -> Option<Instant> {
        let wait = min_gap.max(self.retry_after().unwrap_or_default());
        self.fetched_at
            .and_then(|at| self.instant_at(at)?.checked_add(wait))
    }

    /// The time left before the policy's deadline, if it has one.
    pub(crate) fn time_left<P: PollPolicy + ?Sized>(
        &self,
        policy: &P,
        now: Instant,
    ) -> Option<Duration> {
        let elapsed = self.elapsed(now);
        policy.deadline().map(|limit| limit.saturating_sub(elapsed))
    }

    fn give_up(&mut self, reason: StopReason) -> Outcome<O> {
        Outcome::GaveUp {
            reason,
            last: self.last.take().map(|b| *b),
            last_error: self.last_error.take().map(|b| *b),
        }
    }

    /// Records the result of fetch number `self.attempt` (the caller increments it first),
    /// telling `policy` when the task turns out to have finished.
    pub(crate) fn record<P: PollPolicy + ?Sized>(
        &mut self,
        result: Result<Status<O>, FetchError>,
        policy: &P,
        now: Instant,
    ) -> Recorded<O> {
        self.fetched_at = Some(self.elapsed(now));
        match result {
            Ok(status) => {
                self.consecutive_errors = 0;
                self.last_error = None;
                let changed = self.last.as_ref().is_none_or(|l| status.changed_from(l));
                if status.phase.is_final() {
                    policy.on_finished(&Finish::new(
                        status.phase,
                        self.running_at,
                        self.elapsed(now),
                    ));
                }
                match status.phase {
                    Phase::Succeeded => return Recorded::Final(Outcome::Succeeded(status)),
                    Phase::Failed => return Recorded::Final(Outcome::Failed(status)),
                    Phase::Cancelled => return Recorded::Final(Outcome::Cancelled(status)),
                    _ => {}
                }
                self.running_at = Some(self.elapsed(now));
                self.last = Some(Box::new(status));
                if changed {
                    Recorded::Changed
                } else {
                    Recorded::Unchanged
                }
            }
            Err(error) => {
                self.consecutive_errors += 1;
                self.last_error = Some(Box::new(error));
                Recorded::Unchanged
            }
        }
    }

    pub(crate) fn report(&mut self, outcome: Outcome<O>, now: Instant) -> Report<O> {
        Report::new(
            std::mem::take(&mut self.task_id),
            outcome,
            self.attempt,
            self.elapsed(now),
        )
    }
}

impl<O: Clone> TaskCore<O> {
    /// A task resumed from `state`: its clock starts `state.elapsed` in the past, and attempts
    /// and consecutive errors go on from where they were.
    pub(crate) fn resumed(state: crate::TaskState<O>, now: Instant) -> Self {
        let mut core = TaskCore::new(state.task_id, now);
        core.before = state.elapsed;
        core.attempt = state.attempts;
        core.consecutive_errors = state.consecutive_errors;
        core.running_at = state.running_at;
        core.last = state.last.map(Box::new);
        core.fetched_at = state.fetched_at;
        core.resume_at = state.next_poll_at;
        core
    }

    /// What is known about the task at `now`, its next fetch due `next_in` from then, as a
    /// serializable value.
    pub(crate) fn snapshot(&self, now: Instant, next_in: Duration) -> crate::TaskState<O> {
        let elapsed = self.elapsed(now);
        crate::TaskState {
            task_id: self.task_id.clone(),
            attempts: self.attempt,
            consecutive_errors: self.consecutive_errors,
            elapsed,
            running_at: self.running_at,
            fetched_at: self.fetched_at,
            next_poll_at: Some(elapsed.saturating_add(next_in)),
            last: self.last.as_deref().cloned(),
        }
    }
}
