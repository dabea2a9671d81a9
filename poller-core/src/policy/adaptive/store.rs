//! What [`Adaptive`](crate::Adaptive) learns: per key, the recent finishes as intervals, and a
//! pool of duration shapes that new keys borrow.

use super::plan::{self, Gaps, Point};
use super::schedule::Schedule;
use super::snapshot::{AdaptiveSnapshot, KeySnapshot, ObservedDuration, SnapshotError};
use super::target::LagTarget;
use crate::Finish;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

/// How many recent finishes each key remembers.
const WINDOW: usize = 256;
/// A finish weighs half as much as one 64 finishes newer (drift is followed).
const HALF_LIFE: f64 = 64.0;
/// A key is refitted every this many finishes (every finish up to 32). A fit uses the last
/// `WINDOW - OWN_EVERY` finishes before its checkpoint, which are still in the window until
/// the next one: a restored store fits exactly the same data.
const OWN_EVERY: u64 = 16;
/// How many residuals the shared prior keeps.
const POOL: usize = 512;
/// A key adds to the shared prior from its third finish (its median means something).
const PRIOR_FROM: u64 = 3;
/// Keys fitted on the prior are refitted when this many residuals were added to it.
const POOL_EVERY: u64 = 128;
/// Each duration is smoothed over these standard-normal nodes (quantiles of (i + 0.5) / 8),
/// so a schedule never relies on a gap between two samples.
const NODES: [f64; 8] = [
    -1.534_120_5,
    -0.887_146_6,
    -0.488_776_4,
    -0.157_310_2,
    0.157_310_2,
    0.488_776_4,
    0.887_146_6,
    1.534_120_5,
];
/// Bounds of the smoothing width, in log-duration (2 % to 15 % of a duration).
const BANDWIDTH: (f64, f64) = (0.02, 0.15);
/// Where in its interval each finish is taken to have ended: spread by the golden ratio.
const GOLDEN: f64 = 0.618_033_988_749_894_8;
/// The version of [`AdaptiveSnapshot`] this build writes and reads.
const SNAPSHOT_VERSION: u32 = 1;

/// Where [`Adaptive`](crate::Adaptive) policies keep what they learned: per key, the most
/// recent finishes (up to 256), and a shared prior that keys with few finishes borrow.
/// Cloning shares the store; [`snapshot`](Self::snapshot) and [`restore`](Self::restore) save
/// and reload it.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{AdaptiveStore, Finish, Phase};
/// let store = AdaptiveStore::new();
/// for s in 10..30 {
///     let running = Duration::from_secs(s) - Duration::from_millis(10);
///     store.record("render", &Finish::new(Phase::Succeeded, Some(running), Duration::from_secs(s)));
/// }
/// assert_eq!(store.samples("render"), 20);
/// let median = store.quantile("render", 0.5).unwrap();
/// assert!(median > Duration::from_secs(19) && median <= Duration::from_secs(20));
/// ```
#[derive(Clone, Default)]
pub struct AdaptiveStore {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    keys: Mutex<HashMap<Arc<str>, Arc<KeyState>>>,
    pool: Mutex<Pool>,
}

#[derive(Default)]
struct Pool {
    /// Log-duration residuals in millionths.
    residuals: VecDeque<i64>,
    total: u64,
}

/// One key's finishes and its last fitted schedule. Lock order: a key, then the pool.
#[derive(Default)]
pub(super) struct KeyState {
    data: Mutex<KeyData>,
}

#[derive(Default)]
struct KeyData {
    observations: VecDeque<ObservedDuration>,
    finished: u64,
    cache: Option<Cache>,
}

struct Cache {
    config: u64,
    own: u64,
    pool: u64,
    plan: Option<Arc<Schedule>>,
}

/// What a fit depends on besides the data.
pub(super) struct FitConfig<'a> {
    pub fallback: &'a Schedule,
    pub fingerprint: u64,
    pub target: LagTarget,
    pub gaps: Gaps,
    pub min_samples: u64,
}

impl fmt::Debug for AdaptiveStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdaptiveStore")
            .field("keys", &lock(&self.inner.keys).len())
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The data a fit uses changes only at these counts, so that a store restored from a
/// snapshot fits exactly what the original did.
fn checkpoint(n: u64, every: u64) -> u64 {
    if n <= 32 { n } else { n - n % every }
}

/// The log-duration a finish is taken to have: inside (running_at, final_at], at least half
/// of final_at, log-uniformly spread by the finish's ordinal.
fn imputed_log(o: &ObservedDuration, ordinal: u64) -> f64 {
    let (running_at, final_at) = o.secs();
    let hi = final_at.ln();
    let lo = running_at.max(final_at / 2.0).ln();
    let u = (ordinal as f64 * GOLDEN).fract();
    lo + u * (hi - lo)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

impl AdaptiveStore {
    /// An empty store.
    ///
    /// ```
    /// assert_eq!(poller_core::AdaptiveStore::new().samples("any"), 0);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    pub(super) fn key(&self, key: &str) -> Arc<KeyState> {
        let mut keys = lock(&self.inner.keys);
        if let Some(state) = keys.get(key) {
            return state.clone();
        }
        keys.entry(Arc::from(key)).or_default().clone()
    }

    /// Records a finished task of `key`, as an [`Adaptive`](crate::Adaptive) policy with the
    /// default `min_samples` (10) does. A finish at time zero says nothing and is ignored.
    ///
    /// ```
    /// # use poller_core::{AdaptiveStore, Finish, Phase};
    /// let s = AdaptiveStore::new();
    /// s.record("k", &Finish::new(Phase::Succeeded, None, std::time::Duration::from_secs(1)));
    /// assert_eq!(s.samples("k"), 1);
    /// ```
    pub fn record(&self, key: &str, finish: &Finish) {
        self.record_into(&self.key(key), finish, super::DEFAULT_MIN_SAMPLES);
    }

    pub(super) fn record_into(&self, state: &KeyState, finish: &Finish, min_samples: u64) {
        let micros = |d: std::time::Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let final_at = micros(finish.final_at);
        let o = ObservedDuration {
            running_at_us: finish.running_at.map_or(0, |r| micros(r).min(final_at)),
            final_at_us: final_at,
        };
        if !o.is_valid() {
            return;
        }
        let mut data = lock(&state.data);
        if data.observations.len() == WINDOW {
            data.observations.pop_front();
        }
        data.observations.push_back(o);
        data.finished += 1;
        if data.finished < PRIOR_FROM.min(min_samples.max(1)) {
            return;
        }
        let first = data.finished - data.observations.len() as u64;
        let mut logs: Vec<f64> = (data.observations.iter().enumerate())
            .map(|(i, o)| imputed_log(o, first + i as u64))
            .collect();
        let newest = logs[logs.len() - 1];
        let residual = newest - median(&mut logs);
        let mut pool = lock(&self.inner.pool);
        if pool.residuals.len() == POOL {
            pool.residuals.pop_front();
        }
        pool.residuals.push_back((residual * 1e6).round() as i64);
        pool.total += 1;
    }

    /// How many finished tasks of `key` were recorded in all.
    ///
    /// ```
    /// assert_eq!(poller_core::AdaptiveStore::new().samples("k"), 0);
    /// ```
    pub fn samples(&self, key: &str) -> u64 {
        lock(&self.key(key).data).finished
    }

    /// The `q`-quantile (0 to 1) of the recent durations of `key` (each taken inside the
    /// interval in which the task was seen to end), if any.
    ///
    /// ```
    /// assert_eq!(poller_core::AdaptiveStore::new().quantile("k", 0.5), None);
    /// ```
    pub fn quantile(&self, key: &str, q: f64) -> Option<std::time::Duration> {
        let state = self.key(key);
        let data = lock(&state.data);
        let first = data.finished - data.observations.len() as u64;
        let mut logs: Vec<f64> = (data.observations.iter().enumerate())
            .map(|(i, o)| imputed_log(o, first + i as u64))
            .collect();
        if logs.is_empty() {
            return None;
        }
        logs.sort_by(f64::total_cmp);
        let q = if q.is_finite() {
            q.clamp(0.0, 1.0)
        } else {
            0.5
        };
        let rank = (q * (logs.len() - 1) as f64).round() as usize;
        Some(std::time::Duration::from_secs_f64(logs[rank].exp()))
    }

    /// Everything learned so far, as plain serializable data.
    ///
    /// ```
    /// let snap = poller_core::AdaptiveStore::new().snapshot();
    /// assert_eq!(snap.version, 1);
    /// assert!(snap.keys.is_empty());
    /// ```
    pub fn snapshot(&self) -> AdaptiveSnapshot {
        let keys = lock(&self.inner.keys)
            .iter()
            .filter_map(|(key, state)| {
                let data = lock(&state.data);
                (data.finished > 0).then(|| {
                    (
                        key.to_string(),
                        KeySnapshot {
                            finished: data.finished,
                            observations: data.observations.iter().copied().collect(),
                        },
                    )
                })
            })
            .collect();
        let pool = lock(&self.inner.pool);
        AdaptiveSnapshot {
            version: SNAPSHOT_VERSION,
            keys,
            pooled_residuals: pool.residuals.iter().copied().collect(),
            pooled_total: pool.total,
        }
    }

    /// A store that carries on from `snapshot`: it makes the same decisions the store it was
    /// taken from made. Lists longer than the store keeps are cut to their newest entries.
    ///
    /// # Errors
    /// [`SnapshotError`] when the version is unknown or a value is not a duration.
    ///
    /// ```
    /// use poller_core::{AdaptiveSnapshot, AdaptiveStore, KeySnapshot, ObservedDuration};
    /// let mut snap = AdaptiveSnapshot { version: 1, ..Default::default() };
    /// let o = ObservedDuration { running_at_us: 9_000_000, final_at_us: 10_000_000 };
    /// snap.keys.insert("k".into(), KeySnapshot { finished: 1, observations: vec![o] });
    /// assert_eq!(AdaptiveStore::restore(&snap).unwrap().samples("k"), 1);
    ///
    /// snap.keys.get_mut("k").unwrap().observations[0].final_at_us = 0;
    /// assert!(AdaptiveStore::restore(&snap).is_err());
    /// ```
    pub fn restore(snapshot: &AdaptiveSnapshot) -> Result<Self, SnapshotError> {
        if snapshot.version != SNAPSHOT_VERSION {
            return Err(SnapshotError::Version(snapshot.version));
        }
        let store = AdaptiveStore::new();
        for (key, k) in &snapshot.keys {
            if k.finished < k.observations.len() as u64 {
                return Err(SnapshotError::Count {
                    key: key.clone(),
                    finished: k.finished,
                    listed: k.observations.len(),
                });
            }
            if let Some((index, o)) = k
                .observations
                .iter()
                .enumerate()
                .find(|(_, o)| !o.is_valid())
            {
                return Err(SnapshotError::Observation {
                    key: key.clone(),
                    index,
                    running_at_us: o.running_at_us,
                    final_at_us: o.final_at_us,
                });
            }
            let skip = k.observations.len().saturating_sub(WINDOW);
            let state = store.key(key);
            let mut data = lock(&state.data);
            data.observations = k.observations[skip..].iter().copied().collect();
            data.finished = k.finished;
        }
        let skip = snapshot.pooled_residuals.len().saturating_sub(POOL);
        let mut pool = lock(&store.inner.pool);
        pool.residuals = snapshot.pooled_residuals[skip..].iter().copied().collect();
        pool.total = snapshot
            .pooled_total
            .max(snapshot.pooled_residuals.len() as u64);
        drop(pool);
        Ok(store)
    }

    /// The schedule fitted for `state` under `config`, or `None` to follow the fallback.
    /// Refitted only when the data at the current checkpoint changed.
    pub(super) fn plan(&self, state: &KeyState, config: &FitConfig<'_>) -> Option<Arc<Schedule>> {
        let mut data = lock(&state.data);
        let own = checkpoint(data.finished, OWN_EVERY);
        if own == 0 {
            return None;
        }
        let min_samples = config.min_samples.max(1);
        let pool = if own < min_samples {
            checkpoint(lock(&self.inner.pool).total, POOL_EVERY)
        } else {
            0
        };
        if let Some(c) = &data.cache {
            if c.config == config.fingerprint && c.own == own && c.pool == pool {
                return c.plan.clone();
            }
        }
        // On its own finishes, a key's schedule stops at the longest one seen: past it, the
        // fallback's gaps (in a burst, running tasks are all past what has finished).
        let (mut points, limit) = if own >= min_samples {
            own_points(&data, own)
        } else {
            (
                self.prior_points(&data, own, pool, min_samples),
                f64::INFINITY,
            )
        };
        let plan = smooth(&mut points)
            .and_then(|mut pts| plan::fit(&mut pts, config.fallback, config.target, config.gaps))
            .map(|plan| Arc::new(plan.until(limit)));
        data.cache = Some(Cache {
            config: config.fingerprint,
            own,
            pool,
            plan: plan.clone(),
        });
        plan
    }

    /// The key's own finishes as of checkpoint `own` plus the pooled shape, centred on the
    /// key's median and widened for the uncertainty of that median.
    fn prior_points(
        &self,
        data: &KeyData,
        own: u64,
        pool_at: u64,
        min_samples: u64,
    ) -> Vec<(f64, f64)> {
        let (mut points, _) = own_points(data, own);
        let pool = lock(&self.inner.pool);
        let newer = (pool.total - pool_at) as usize;
        let end = pool.residuals.len().saturating_sub(newer);
        let start = end.saturating_sub(POOL - POOL_EVERY as usize);
        let usable = end - start;
        if (usable as u64) < min_samples || points.is_empty() {
            return Vec::new();
        }
        for p in &mut points {
            p.1 = 1.0;
        }
        let mut logs: Vec<f64> = points.iter().map(|p| p.0).collect();
        let centre = median(&mut logs);
        let n = points.len() as f64;
        let widen = (1.0 + 1.0 / n).sqrt();
        let weight = (min_samples as f64 - n).max(1.0) / usable as f64;
        points.extend(
            pool.residuals
                .iter()
                .skip(start)
                .take(usable)
                .map(|&r| (centre + r as f64 * 1e-6 * widen, weight)),
        );
        points
    }
}

/// The key's finishes as of checkpoint `own`: (log-duration, recency weight), and the
/// latest time one of them was first seen finished.
fn own_points(data: &KeyData, own: u64) -> (Vec<(f64, f64)>, f64) {
    let newer = (data.finished - own) as usize;
    let end = data.observations.len().saturating_sub(newer);
    let start = end.saturating_sub(WINDOW - OWN_EVERY as usize);
    let len = end - start;
    let first = own - len as u64;
    let latest = (data.observations.range(start..end))
        .map(|o| o.secs().1)
        .fold(0.0, f64::max);
    let points = (data.observations.range(start..end).enumerate())
        .map(|(i, o)| {
            let age = (len - 1 - i) as f64;
            (
                imputed_log(o, first + i as u64),
                0.5f64.powf(age / HALF_LIFE),
            )
        })
        .collect();
    (points, latest)
}

/// Spreads each (log-duration, weight) over the smoothing nodes, with a width from
/// Silverman's rule bounded by [`BANDWIDTH`].
fn smooth(points: &mut [(f64, f64)]) -> Option<Vec<Point>> {
    if points.is_empty() {
        return None;
    }
    let total: f64 = points.iter().map(|p| p.1).sum();
    let squares: f64 = points.iter().map(|p| p.1 * p.1).sum();
    let mean = points.iter().map(|p| p.0 * p.1).sum::<f64>() / total;
    let var = points
        .iter()
        .map(|p| p.1 * (p.0 - mean).powi(2))
        .sum::<f64>()
        / total;
    let mut as_points: Vec<Point> = points.iter().map(|p| Point { d: p.0, w: p.1 }).collect();
    let iqr = plan::weighted_quantile(&mut as_points, 0.75)
        - plan::weighted_quantile(&mut as_points, 0.25);
    let effective = total * total / squares;
    let spread = var.sqrt().min(iqr / 1.34);
    let width = (0.9 * spread * effective.powf(-0.2)).clamp(BANDWIDTH.0, BANDWIDTH.1);
    Some(
        points
            .iter()
            .flat_map(|&(log, w)| {
                NODES.iter().map(move |z| Point {
                    d: (log + width * z).exp(),
                    w: w / NODES.len() as f64,
                })
            })
            .collect(),
    )
}
