use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything an [`AdaptiveStore`](crate::AdaptiveStore) learned, as plain data: save it
/// (with serde, in any format) and give it to
/// [`AdaptiveStore::restore`](crate::AdaptiveStore::restore) to carry on where it stopped.
/// Learned schedules are not stored: they are fitted again from these observations, so a
/// restored store makes the same decisions.
///
/// # Shape (version 1)
/// ```json
/// {"version": 1,
///  "keys": {"render": {"finished": 412,
///                      "observations": [{"running_at_us": 0, "final_at_us": 31500000}]}},
///  "pooled_residuals": [-120000, 80000], "pooled_total": 2}
/// ```
/// `observations` are the most recent finishes of the key, oldest first (at most 256);
/// `running_at_us` is when the task was last seen not finished (0 when never), and
/// `final_at_us` when it was first seen finished, both in microseconds from the start of its
/// wait. `pooled_residuals` are recent log-durations of well-known keys relative to their
/// key's median, in millionths, the prior a new key borrows. Every value is an integer, so
/// any format (JSON, a database column) restores it exactly.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{AdaptiveSnapshot, AdaptiveStore, Finish, Phase};
/// let store = AdaptiveStore::new();
/// store.record("k", &Finish::new(Phase::Succeeded, Some(Duration::from_secs(4)), Duration::from_secs(5)));
/// assert_eq!(store.snapshot().keys["k"].observations[0].final_at_us, 5_000_000);
/// let json = serde_json::to_string(&store.snapshot()).unwrap();
/// let back: AdaptiveSnapshot = serde_json::from_str(&json).unwrap();
/// assert_eq!(back.keys["k"].finished, 1);
/// assert_eq!(AdaptiveStore::restore(&back).unwrap().samples("k"), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AdaptiveSnapshot {
    /// The shape's version: 1.
    pub version: u32,
    /// What each key learned.
    pub keys: BTreeMap<String, KeySnapshot>,
    /// The shared prior: log-durations relative to their key's median, in millionths, oldest
    /// first.
    pub pooled_residuals: Vec<i64>,
    /// How many residuals were pooled in all (at least `pooled_residuals.len()`).
    pub pooled_total: u64,
}

/// What one key of an [`AdaptiveSnapshot`] learned.
///
/// ```
/// let k = poller_core::KeySnapshot::default();
/// assert_eq!(k.finished, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct KeySnapshot {
    /// How many finished tasks were recorded in all.
    pub finished: u64,
    /// The most recent finishes, oldest first.
    pub observations: Vec<ObservedDuration>,
}

/// What one finished task told: it ended after `running_at_us` and by `final_at_us`
/// (microseconds from the start of its wait).
///
/// ```
/// let o = poller_core::ObservedDuration { running_at_us: 8_000_000, final_at_us: 10_000_000 };
/// assert!(o.running_at_us < o.final_at_us);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedDuration {
    /// When it was last seen not finished, in microseconds from the start of its wait (0
    /// when it was never seen so).
    pub running_at_us: u64,
    /// When it was first seen finished, in microseconds from the start of its wait.
    pub final_at_us: u64,
}

/// Why a snapshot cannot be restored.
///
/// ```
/// use poller_core::{AdaptiveSnapshot, AdaptiveStore, SnapshotError};
/// let s = AdaptiveSnapshot { version: 9, ..Default::default() };
/// assert!(matches!(AdaptiveStore::restore(&s), Err(SnapshotError::Version(9))));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The snapshot's shape version is not one this build reads.
    #[error("adaptive snapshot version {0} is not supported (this build reads version 1)")]
    Version(u32),
    /// A key holds an observation that is not a duration (it must end after it was last
    /// seen running, and after zero).
    #[error(
        "adaptive snapshot key {key:?}: observation {index} is not a duration \
         (running_at_us {running_at_us}, final_at_us {final_at_us})"
    )]
    Observation {
        /// The key.
        key: String,
        /// Its position in the key's list.
        index: usize,
        /// The value read.
        running_at_us: u64,
        /// The value read.
        final_at_us: u64,
    },
    /// A key says fewer tasks finished than it lists.
    #[error(
        "adaptive snapshot key {key:?}: finished {finished} is less than its {listed} observations"
    )]
    Count {
        /// The key.
        key: String,
        /// The count read.
        finished: u64,
        /// The observations listed.
        listed: usize,
    },
}

impl ObservedDuration {
    pub(super) fn is_valid(&self) -> bool {
        self.final_at_us > 0 && self.running_at_us <= self.final_at_us
    }

    /// (running_at, final_at) in seconds.
    pub(super) fn secs(&self) -> (f64, f64) {
        (
            self.running_at_us as f64 * 1e-6,
            self.final_at_us as f64 * 1e-6,
        )
    }
}
