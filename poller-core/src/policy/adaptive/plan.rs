//! Fitting a poll schedule to the durations seen: the fewest expected requests under a lag
//! target, by dynamic programming over a log-spaced grid of poll times.

use super::schedule::Schedule;
use super::target::LagTarget;

/// The grid of candidate poll times has at most this many points.
const MAX_GRID: usize = 128;
/// Candidate poll times are at least 1 % apart.
const MIN_GRID_RATIO: f64 = 1.01;
/// Under [`LagTarget::NoWorseThanFallback`]: the mean lag allowed, as a share of the
/// fallback's; the share of tasks allowed past the fallback's 99th-percentile lag on the
/// durations seen (half of 1 %: what is fitted on past durations is met less well on new
/// ones).
const FALLBACK_MEAN_SHARE: f64 = 0.9;
const TAIL_SHARE: f64 = 0.005;
const TAIL_QUANTILE: f64 = 0.99;
/// A learned schedule replaces the fallback only when it saves at least 3 % of requests.
const MIN_SAVING: f64 = 0.97;
/// Range and bisection steps of the price of a task detected later than the tail limit, in
/// requests (a factor 1e6 down to about 1.06).
const TAIL_PRICE_RANGE: (f64, f64) = (0.1, 1e5);
const TAIL_PRICE_STEPS: usize = 8;

/// Steps of the bisection on the price of lag (a factor 1e8 down to about 1.5).
const LAG_PRICE_STEPS: usize = 11;

/// One duration (seconds) with its weight.
#[derive(Debug, Clone, Copy)]
pub(super) struct Point {
    pub d: f64,
    pub w: f64,
}

/// The shortest and longest gaps between polls, in seconds.
#[derive(Debug, Clone, Copy)]
pub(super) struct Gaps {
    pub min: f64,
    pub max: f64,
}

/// What a schedule costs on the points: expected requests, mean lag, share of tasks past the
/// tail limit.
#[derive(Debug, Clone)]
struct Solution {
    times: Vec<f64>,
    requests: f64,
    mean_lag: f64,
    tail: f64,
}

/// The cheapest schedule meeting `target` on `points`, or `None` when the fallback's own
/// schedule is as cheap (or nothing meets the target): then the fallback is followed.
pub(super) fn fit(
    points: &mut Vec<Point>,
    fallback: &Schedule,
    target: LagTarget,
    gaps: Gaps,
) -> Option<Schedule> {
    points.retain(|p| p.d.is_finite() && p.d > 0.0 && p.w.is_finite() && p.w > 0.0);
    if points.is_empty() {
        return None;
    }
    points.sort_by(|a, b| a.d.total_cmp(&b.d));
    let total: f64 = points.iter().map(|p| p.w).sum();

    let (mut fb_requests, mut fb_lag, mut fb_lags) = (0.0, 0.0, Vec::with_capacity(points.len()));
    for p in points.iter() {
        let (requests, at) = fallback.cover(p.d);
        let lag = (at - p.d) / p.d;
        fb_requests += p.w * requests;
        fb_lag += p.w * lag;
        fb_lags.push(Point { d: lag, w: p.w });
    }
    fb_requests /= total;
    fb_lag /= total;
    let (mean_cap, tail) = match target {
        LagTarget::NoWorseThanFallback => (
            Some(FALLBACK_MEAN_SHARE * fb_lag),
            Some((weighted_quantile(&mut fb_lags, TAIL_QUANTILE), TAIL_SHARE)),
        ),
        LagTarget::Quantile { quantile, lag } => (None, Some((lag, 1.0 - quantile))),
        LagTarget::Mean(m) => (Some(m), None),
    };

    let grid = Grid::new(points, tail.map_or(0.0, |t| t.0));
    // The cheapest schedule meeting the mean cap at a given price of a late task; then the
    // lowest price (bisected on a log scale) at which the share of late tasks is met.
    let at_price = |price: f64| match mean_cap {
        Some(cap) => grid.cheapest_with_mean_lag(cap, price, gaps),
        None => Some(grid.solve(1e-3, price, gaps)),
    };
    let meets_tail = |s: &Solution| tail.is_none_or(|(_, share)| s.tail <= share + 1e-9);
    let best = match at_price(0.0) {
        Some(s) if meets_tail(&s) => Some(s),
        _ => {
            let (mut lo, mut hi) = TAIL_PRICE_RANGE;
            let mut feasible = at_price(hi).filter(|s| meets_tail(s));
            if feasible.is_some() {
                for _ in 0..TAIL_PRICE_STEPS {
                    let mid = (lo * hi).sqrt();
                    match at_price(mid) {
                        Some(s) if meets_tail(&s) => (hi, feasible) = (mid, Some(s)),
                        _ => lo = mid,
                    }
                }
            }
            feasible
        }
    };
    let best = best?;
    // Past the durations seen: the fallback's own gaps, or the stated lag.
    let tail_lag = match target {
        LagTarget::NoWorseThanFallback => None,
        LagTarget::Quantile { lag, .. } => Some(lag),
        LagTarget::Mean(mean) => Some(2.0 * mean),
    };
    (best.requests < MIN_SAVING * fb_requests).then(|| Schedule::new(best.times, tail_lag))
}

/// The weighted `q`-quantile of the `d`s (sorts the slice).
pub(super) fn weighted_quantile(points: &mut [Point], q: f64) -> f64 {
    points.sort_by(|a, b| a.d.total_cmp(&b.d));
    let total: f64 = points.iter().map(|p| p.w).sum();
    let mut acc = 0.0;
    for p in points.iter() {
        acc += p.w;
        if acc >= q * total {
            return p.d;
        }
    }
    points.last().map_or(0.0, |p| p.d)
}

/// Candidate poll times and prefix sums over the sorted points, so that the requests, lag and
/// tail share of any gap between two candidates cost O(1).
struct Grid {
    times: Vec<f64>,
    total: f64,
    /// Prefix sums over the points: weight, and weight / duration.
    weight: Vec<f64>,
    inverse: Vec<f64>,
    /// Per candidate: how many points end at or before it.
    done: Vec<usize>,
    /// Per candidate: how many points end before it / (1 + tail lag).
    early: Vec<usize>,
}

impl Grid {
    fn new(points: &[Point], tail_lag: f64) -> Self {
        let lo = (points[0].d / 2.0).max(1e-3);
        let hi = points[points.len() - 1].d.max(lo * MIN_GRID_RATIO);
        let steps = ((hi / lo).ln() / MIN_GRID_RATIO.ln())
            .ceil()
            .clamp(1.0, (MAX_GRID - 1) as f64) as usize;
        let ratio = (hi / lo).powf(1.0 / steps as f64);
        let mut times: Vec<f64> = (0..=steps).map(|k| lo * ratio.powi(k as i32)).collect();
        times[steps] = hi;
        let (mut weight, mut inverse) = (vec![0.0], vec![0.0]);
        for p in points {
            weight.push(weight[weight.len() - 1] + p.w);
            inverse.push(inverse[inverse.len() - 1] + p.w / p.d);
        }
        let done = times
            .iter()
            .map(|&t| points.partition_point(|p| p.d <= t))
            .collect();
        let early = times
            .iter()
            .map(|&t| points.partition_point(|p| p.d < t / (1.0 + tail_lag)))
            .collect();
        Grid {
            times,
            total: weight[weight.len() - 1],
            weight,
            inverse,
            done,
            early,
        }
    }

    /// Summed lag of the points ending in (after `from` done, candidate k].
    fn lag(&self, from: usize, k: usize) -> f64 {
        let to = self.done[k];
        (self.times[k] * (self.inverse[to] - self.inverse[from])
            - (self.weight[to] - self.weight[from]))
            .max(0.0)
    }

    /// Weight of the points ending in (after `from` done, candidate k] detected too late.
    fn late(&self, from: usize, k: usize) -> f64 {
        (self.weight[self.early[k].max(from)] - self.weight[from]).max(0.0)
    }

    /// The schedule minimising requests + `lag_price` × lag + `tail_price` × late tasks.
    fn solve(&self, lag_price: f64, tail_price: f64, gaps: Gaps) -> Solution {
        let g = self.times.len();
        let mut value = vec![0.0; g];
        let mut next = vec![usize::MAX; g];
        for j in (0..g).rev() {
            let from = self.done[j];
            let running = self.total - self.weight[from];
            if running <= self.total * 1e-12 {
                continue;
            }
            let (mut best, mut arg) = (f64::INFINITY, usize::MAX);
            for (k, &after) in value.iter().enumerate().skip(j + 1) {
                let gap = self.times[k] - self.times[j];
                if gap < gaps.min && k + 1 < g {
                    continue;
                }
                if gap > gaps.max && k > j + 1 {
                    break;
                }
                // The lag of a gap only grows with its end: once it alone costs more than
                // the best so far, no later end can do better.
                let partial = running + lag_price * self.lag(from, k);
                if partial >= best {
                    break;
                }
                let cost = partial + tail_price * self.late(from, k) + after;
                if cost < best {
                    (best, arg) = (cost, k);
                }
            }
            value[j] = best;
            next[j] = arg;
        }
        let (mut best, mut first) = (f64::INFINITY, 0);
        for (j, &after) in value.iter().enumerate() {
            if self.times[j] > gaps.max && j > 0 {
                break;
            }
            let cost =
                self.total + lag_price * self.lag(0, j) + tail_price * self.late(0, j) + after;
            if cost < best {
                (best, first) = (cost, j);
            }
        }
        let (mut times, mut requests, mut lag, mut late) = (vec![], self.total, 0.0, 0.0);
        let (mut from, mut j) = (0, first);
        loop {
            times.push(self.times[j]);
            lag += self.lag(from, j);
            late += self.late(from, j);
            from = self.done[j];
            if next[j] == usize::MAX {
                break;
            }
            requests += self.total - self.weight[from];
            j = next[j];
        }
        Solution {
            times,
            requests: requests / self.total,
            mean_lag: lag / self.total,
            tail: late / self.total,
        }
    }

    /// The cheapest schedule with a mean lag at most `cap`, searching the price of lag.
    fn cheapest_with_mean_lag(&self, cap: f64, tail_price: f64, gaps: Gaps) -> Option<Solution> {
        let (mut lo, mut hi) = (1e-2f64, 1e6f64);
        let cheap = self.solve(lo, tail_price, gaps);
        if cheap.mean_lag <= cap {
            return Some(cheap);
        }
        let mut feasible = self.solve(hi, tail_price, gaps);
        if feasible.mean_lag > cap {
            return None;
        }
        for _ in 0..LAG_PRICE_STEPS {
            let mid = (lo * hi).sqrt();
            let s = self.solve(mid, tail_price, gaps);
            if s.mean_lag <= cap {
                (hi, feasible) = (mid, s);
            } else {
                lo = mid;
            }
        }
        Some(feasible)
    }
}
