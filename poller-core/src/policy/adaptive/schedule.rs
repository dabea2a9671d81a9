//! A schedule as a list of poll times, measured from the start of a wait.

use crate::{Decision, Observation, PollPolicy};
use std::time::Duration;

/// At most this many poll times are kept of a fallback's schedule.
const MAX_POLLS: usize = 20_000;
/// A fallback's schedule is followed at most this far (30 days).
const HORIZON_SECS: f64 = 30.0 * 24.0 * 3600.0;
/// Two times this close are the same poll (1 µs).
const TOLERANCE_SECS: f64 = 1e-6;
/// Delays shorter than this are taken as this when a schedule is traced (1 ms).
const MIN_STEP_SECS: f64 = 0.001;

/// Poll times in seconds from the start of a wait, increasing; past the last, gaps of
/// `tail_lag` × the time elapsed when set.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Schedule {
    times: Vec<f64>,
    tail_lag: Option<f64>,
}

impl Schedule {
    pub(super) fn new(times: Vec<f64>, tail_lag: Option<f64>) -> Self {
        Schedule { times, tail_lag }
    }

    /// The lag accepted past the last listed time, as a fraction of the time elapsed.
    pub(super) fn tail_lag(&self) -> Option<f64> {
        self.tail_lag
    }

    /// The poll times `policy` makes for a task that never finishes, traced by asking it with
    /// the attempt count and elapsed time it would see (no phase, no error, salt 0).
    pub(super) fn trace<P: PollPolicy + ?Sized>(policy: &P) -> Self {
        let mut times = Vec::new();
        let mut t = 0.0f64;
        for attempt in 0..MAX_POLLS as u32 {
            let obs = Observation::new(attempt, Duration::from_secs_f64(t));
            let Decision::PollAfter(d) = policy.decide(&obs) else {
                break;
            };
            let step = d.as_secs_f64();
            t += if attempt == 0 {
                step
            } else {
                step.max(MIN_STEP_SECS)
            };
            if t > HORIZON_SECS {
                break;
            }
            times.push(t);
        }
        Schedule {
            times,
            tail_lag: None,
        }
    }

    /// The schedule without its poll times after `limit` (keeping at least the first).
    pub(super) fn until(mut self, limit: f64) -> Self {
        let keep = self.times.partition_point(|&t| t <= limit).max(1);
        self.times.truncate(keep);
        self
    }

    pub(super) fn times(&self) -> &[f64] {
        &self.times
    }

    /// The first poll time after `elapsed` (a poll made at `elapsed`, give or take a
    /// microsecond), if the schedule has one. A time closer to `elapsed` than half the gap
    /// that leads to it is skipped: a task whose polls are not aligned with this schedule
    /// (it started under another) is not polled twice in quick succession.
    pub(super) fn next_after(&self, elapsed: f64) -> Option<f64> {
        let mut i = self
            .times
            .partition_point(|&t| t <= elapsed + TOLERANCE_SECS);
        while let Some(&t) = self.times.get(i) {
            if i == 0 || t - elapsed >= 0.5 * (t - self.times[i - 1]) {
                return Some(t);
            }
            i += 1;
        }
        None
    }

    /// The gap between the two poll times around `elapsed` (past the end: the last gap).
    pub(super) fn gap_at(&self, elapsed: f64) -> Option<f64> {
        let n = self.times.len();
        if n < 2 {
            return None;
        }
        let i = self
            .times
            .partition_point(|&t| t <= elapsed + TOLERANCE_SECS)
            .clamp(1, n - 1);
        Some(self.times[i] - self.times[i - 1])
    }

    /// For a task of duration `d`: how many polls the schedule makes until one sees it
    /// finished, and when that poll comes. Past the last listed time, the last gap repeats.
    pub(super) fn cover(&self, d: f64) -> (f64, f64) {
        let i = self.times.partition_point(|&t| t < d);
        if let Some(&t) = self.times.get(i) {
            return ((i + 1) as f64, t);
        }
        let n = self.times.len();
        let last = self.times.last().copied().unwrap_or(0.0);
        let gap = match n {
            0 | 1 => last.max(1.0),
            _ => (last - self.times[n - 2]).max(MIN_STEP_SECS),
        };
        let k = ((d - last) / gap).ceil().max(1.0);
        (n as f64 + k, last + k * gap)
    }

    /// A fingerprint of the poll times, to tell schedules apart.
    pub(super) fn fingerprint(&self) -> u64 {
        self.times.iter().fold(self.times.len() as u64, |h, t| {
            crate::policy::mix64(h ^ t.to_bits())
        })
    }
}
