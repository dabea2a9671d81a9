//! The simulator's clock: tokio time for durations, a wall-clock epoch for timestamps.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// Maps the simulator's monotonic clock (tokio's, so it follows `tokio::time::pause`)
/// onto wall-clock timestamps for response bodies.
#[derive(Clone, Debug)]
pub(crate) struct Clock {
    start: Instant,
    epoch: SystemTime,
}

impl Clock {
    pub(crate) fn new(epoch: SystemTime) -> Self {
        Clock {
            start: Instant::now(),
            epoch,
        }
    }

    /// Time since the simulator started, in its clock.
    pub(crate) fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(self.start)
    }

    /// The wall-clock time of an offset from the start.
    pub(crate) fn wall(&self, offset: Duration) -> SystemTime {
        self.epoch + offset
    }

    /// `2024-12-19T00:00:00.000000+00:00` (Narada's style).
    pub(crate) fn micros_offset(&self, offset: Duration) -> String {
        rfc3339(self.wall(offset), true)
    }

    /// `2025-01-15T10:30:00Z` (Dari's style).
    pub(crate) fn seconds_z(&self, offset: Duration) -> String {
        rfc3339(self.wall(offset), false)
    }
}

/// Formats a time in UTC. `micros` selects Narada's `.ffffff+00:00` form, otherwise `Z` and whole
/// seconds.
pub(crate) fn rfc3339(t: SystemTime, micros: bool) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    if micros {
        format!(
            "{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{:06}+00:00",
            since.subsec_micros()
        )
    } else {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
    }
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        // 2024-12-19T00:00:00Z
        let t = UNIX_EPOCH + Duration::from_secs(1_734_566_400);
        assert_eq!(rfc3339(t, true), "2024-12-19T00:00:00.000000+00:00");
        let t = UNIX_EPOCH + Duration::from_secs(1_736_937_015);
        assert_eq!(rfc3339(t, false), "2025-01-15T10:30:15Z");
        let t = UNIX_EPOCH + Duration::from_micros(951_782_400_000_123);
        assert_eq!(rfc3339(t, true), "2000-02-29T00:00:00.000123+00:00");
        assert_eq!(rfc3339(UNIX_EPOCH, false), "1970-01-01T00:00:00Z");
    }
}
