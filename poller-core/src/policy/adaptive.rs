use super::{Decision, Finish, Observation, PollPolicy};
use crate::Phase;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How many recent durations each key remembers.
const WINDOW: usize = 256;

/// Where [`Adaptive`] policies keep what they learned: per key, the durations of recently
/// finished tasks. Cloning shares the store.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{AdaptiveStore, Finish, Phase};
/// let store = AdaptiveStore::new();
/// for s in 10..30 {
///     store.record("render", &Finish::new(Phase::Succeeded, None, Duration::from_secs(s)));
/// }
/// assert_eq!(store.samples("render"), 20);
/// assert_eq!(store.quantile("render", 0.5), Some(Duration::from_secs(20)));
/// ```
#[derive(Clone, Default)]
pub struct AdaptiveStore {
    keys: Arc<Mutex<HashMap<Arc<str>, Arc<KeyState>>>>,
}

#[derive(Default)]
struct KeyState {
    samples: Mutex<Samples>,
}

#[derive(Default)]
struct Samples {
    ring: Vec<f64>,
    next: usize,
    total: u64,
    /// The quantile last computed, and the sample count it was computed at.
    cached: Option<(u64, f64, Duration)>,
}

impl fmt::Debug for AdaptiveStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        f.debug_struct("AdaptiveStore")
            .field("keys", &keys.len())
            .finish()
    }
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

    fn key(&self, key: &str) -> Arc<KeyState> {
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.entry(Arc::from(key)).or_default().clone()
    }

    /// Records a finished task of `key` (its [`Finish::estimate`]).
    ///
    /// ```
    /// # use poller_core::{AdaptiveStore, Finish, Phase};
    /// let s = AdaptiveStore::new();
    /// s.record("k", &Finish::new(Phase::Succeeded, None, std::time::Duration::from_secs(1)));
    /// assert_eq!(s.samples("k"), 1);
    /// ```
    pub fn record(&self, key: &str, finish: &Finish) {
        self.key(key).record(finish.estimate());
    }

    /// How many durations of `key` were recorded in all.
    ///
    /// ```
    /// assert_eq!(poller_core::AdaptiveStore::new().samples("k"), 0);
    /// ```
    pub fn samples(&self, key: &str) -> u64 {
        self.key(key).lock().total
    }

    /// The `q`-quantile (0 to 1) of the remembered durations of `key`, if any.
    ///
    /// ```
    /// assert_eq!(poller_core::AdaptiveStore::new().quantile("k", 0.5), None);
    /// ```
    pub fn quantile(&self, key: &str, q: f64) -> Option<Duration> {
        self.key(key)
            .lock()
            .quantile(q)
            .map(Duration::from_secs_f64)
    }
}

impl KeyState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Samples> {
        self.samples.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn record(&self, d: Duration) {
        let mut s = self.lock();
        let secs = d.as_secs_f64();
        if s.ring.len() < WINDOW {
            s.ring.push(secs);
        } else {
            let i = s.next;
            s.ring[i] = secs;
        }
        s.next = (s.next + 1) % WINDOW;
        s.total += 1;
    }

    /// The `q`-quantile once `min_samples` durations were recorded; recomputed only after new
    /// samples arrive.
    fn learned(&self, min_samples: u64, q: f64) -> Option<Duration> {
        let mut s = self.lock();
        if s.total < min_samples.max(1) {
            return None;
        }
        match s.cached {
            Some((total, cq, d)) if total == s.total && cq == q => Some(d),
            _ => {
                let d = Duration::from_secs_f64(s.quantile(q)?);
                s.cached = Some((s.total, q, d));
                Some(d)
            }
        }
    }
}

impl Samples {
    fn quantile(&self, q: f64) -> Option<f64> {
        if self.ring.is_empty() {
            return None;
        }
        let mut sorted = self.ring.clone();
        sorted.sort_by(f64::total_cmp);
        let rank = (q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64).round() as usize;
        Some(sorted[rank])
    }
}

/// A policy that learns how long tasks take and polls where a finish is likely.
///
/// Until `min_samples` tasks of its key have finished, it follows the fallback policy. After
/// that, it places the first poll at the `quantile` (default 5th percentile) of the recent
/// durations of its key, and each later poll at `growth` (default 1.2) times the time elapsed,
/// so a task is detected at most `growth − 1` (20 %) of its duration after it ended, however
/// long it runs.
///
/// # Guarantees
/// - Before learning: exactly the fallback policy.
/// - After learning, the gap between polls is at least `min_interval` (default 1 s) and at most
///   `max(min_interval, (growth − 1) × elapsed)` once the first poll is past, and never more
///   than `max_interval` (default 1 h).
/// - A task of duration `d ≥ q` (the learned first poll) costs at most
///   `2 + log(d / q) / log(growth)` requests (about 4 for `d = 1.5 q`); combine with
///   [`with_deadline`](crate::PollPolicyExt::with_deadline) to bound the count absolutely.
/// - Learning is per key: give each kind of task its own key
///   ([`for_key`](Adaptive::for_key)); the store keeps the last 256 durations per key, so it
///   follows drift.
///
/// # Default
/// `min_samples` 10, `quantile` 0.05, `growth` 1.2, `min_interval` 1 s, `max_interval` 1 h.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Adaptive, Decision, Exponential, Finish, Observation, Phase, PollPolicy};
///
/// let policy = Adaptive::new(Exponential::default()).for_key("video");
/// assert_eq!(policy.decide(&Observation::new(0, Duration::ZERO)), Decision::now()); // fallback
/// for s in [100, 110, 120, 130, 140, 150, 160, 170, 180, 190] {
///     policy.on_finished(&Finish::new(Phase::Succeeded, None, Duration::from_secs(s)));
/// }
/// // Learned: first poll near the 5th percentile (100 s), then every 20 % of the elapsed time.
/// assert_eq!(policy.decide(&Observation::new(0, Duration::ZERO)), Decision::after_secs(100));
/// assert_eq!(policy.decide(&Observation::new(1, Duration::from_secs(100))), Decision::after_secs(20));
/// ```
#[derive(Clone)]
pub struct Adaptive<P> {
    fallback: P,
    store: AdaptiveStore,
    key: Arc<str>,
    state: Arc<KeyState>,
    min_samples: u64,
    quantile: f64,
    growth: f64,
    min_interval: Duration,
    max_interval: Duration,
}

impl<P> fmt::Debug for Adaptive<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Adaptive")
            .field("key", &self.key)
            .field("min_samples", &self.min_samples)
            .field("quantile", &self.quantile)
            .field("growth", &self.growth)
            .finish_non_exhaustive()
    }
}

impl<P: PollPolicy> Adaptive<P> {
    /// An adaptive policy with its own store and the key `""`, following `fallback` until it
    /// has learned.
    ///
    /// ```
    /// let _p = poller_core::Adaptive::new(poller_core::Fixed::secs(5));
    /// ```
    pub fn new(fallback: P) -> Self {
        Self::with_store(fallback, &AdaptiveStore::new(), "")
    }

    /// An adaptive policy learning into `store` under `key`.
    ///
    /// ```
    /// use poller_core::{Adaptive, AdaptiveStore, Fixed};
    /// let store = AdaptiveStore::new();
    /// let _a = Adaptive::with_store(Fixed::secs(5), &store, "kind-a");
    /// ```
    pub fn with_store(fallback: P, store: &AdaptiveStore, key: &str) -> Self {
        Adaptive {
            fallback,
            store: store.clone(),
            key: Arc::from(key),
            state: store.key(key),
            min_samples: 10,
            quantile: 0.05,
            growth: 1.2,
            min_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(3600),
        }
    }

    /// The same policy (same store and settings) for another key.
    ///
    /// ```
    /// use poller_core::{Adaptive, Fixed};
    /// let base = Adaptive::new(Fixed::secs(5));
    /// let (_a, _b) = (base.for_key("thumbnails"), base.for_key("videos"));
    /// ```
    pub fn for_key(&self, key: &str) -> Self
    where
        P: Clone,
    {
        Adaptive {
            key: Arc::from(key),
            state: self.store.key(key),
            ..self.clone()
        }
    }

    /// Sets how many finished tasks are needed before the learned schedule is used (at least 1).
    ///
    /// ```
    /// let _p = poller_core::Adaptive::new(poller_core::Fixed::secs(5)).min_samples(20);
    /// ```
    pub fn min_samples(mut self, n: u64) -> Self {
        self.min_samples = n.max(1);
        self
    }

    /// Sets the quantile of past durations at which the first poll is placed (0 to 1).
    ///
    /// ```
    /// let _p = poller_core::Adaptive::new(poller_core::Fixed::secs(5)).quantile(0.1);
    /// ```
    pub fn quantile(mut self, q: f64) -> Self {
        self.quantile = if q.is_finite() {
            q.clamp(0.0, 1.0)
        } else {
            0.05
        };
        self
    }

    /// Sets the growth factor of the poll times after the first (above 1).
    ///
    /// ```
    /// let _p = poller_core::Adaptive::new(poller_core::Fixed::secs(5)).growth(1.1);
    /// ```
    pub fn growth(mut self, growth: f64) -> Self {
        self.growth = if growth.is_finite() && growth > 1.0 {
            growth
        } else {
            1.2
        };
        self
    }

    /// Sets the shortest and longest gaps between polls once learned.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let _p = poller_core::Adaptive::new(poller_core::Fixed::secs(5))
    ///     .intervals(Duration::from_millis(500), Duration::from_secs(300));
    /// ```
    pub fn intervals(mut self, min: Duration, max: Duration) -> Self {
        self.min_interval = min;
        self.max_interval = max.max(min);
        self
    }

    /// The first-poll delay learned so far for this key, if enough tasks finished.
    ///
    /// ```
    /// assert_eq!(poller_core::Adaptive::new(poller_core::Fixed::secs(5)).learned(), None);
    /// ```
    pub fn learned(&self) -> Option<Duration> {
        self.state.learned(self.min_samples, self.quantile)
    }
}

impl<P: PollPolicy> PollPolicy for Adaptive<P> {
    fn decide(&self, obs: &Observation<'_>) -> Decision {
        let Some(first) = self.learned() else {
            return self.fallback.decide(obs);
        };
        let next_at = if obs.elapsed < first {
            first
        } else {
            obs.elapsed.mul_f64(self.growth)
        };
        let gap = next_at.saturating_sub(obs.elapsed);
        let gap = if obs.attempt == 0 {
            gap
        } else {
            gap.max(self.min_interval)
        };
        Decision::PollAfter(gap.min(self.max_interval))
    }

    fn deadline(&self) -> Option<Duration> {
        self.fallback.deadline()
    }

    fn on_finished(&self, finish: &Finish) {
        if matches!(finish.phase, Phase::Succeeded | Phase::Failed) {
            self.state.record(finish.estimate());
        }
        self.fallback.on_finished(finish);
    }
}
