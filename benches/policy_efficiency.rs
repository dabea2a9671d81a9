//! Policy efficiency: requests per task and detection lag, in virtual time.
//!
//! Runs the real `Tracker` in paused tokio time against an in-process `TimedSource`, so every
//! schedule is exactly what a real wait would do. Workloads of N tasks each (default 10,000;
//! `cargo bench --bench policy_efficiency -- 2000` for a quicker run). Unless said otherwise,
//! tasks arrive one every 2 s and each kind is log-normal with sigma 0.25 around its median.
//!
//! - A: durations log-uniform between 1 s and 1 h, one kind (nothing to learn).
//! - B: eight kinds, medians spread log-evenly from 5 s to 30 min.
//! - bimodal: four kinds (medians 5 s, 20 s, 75 s, 5 min); each task of a kind is either fast
//!   (its median) or slow (ten times it), half and half.
//! - drift-up / drift-down: B's kinds; from the middle task on, every median doubles / halves.
//! - heavy-tail: one kind, median 60 s, log-normal with sigma 1.0.
//! - many-kinds: N / 20 kinds of 20 tasks each, medians log-uniform from 5 s to 30 min,
//!   tasks of random kinds.
//! - burst: B's kinds, all N tasks arriving within one second.
//!
//! Prints one line per policy and workload: mean requests per task, mean, median and p99
//! detection lag as a fraction of the task's duration, then each goal as MET or MISSED.

use futures::StreamExt;
use poller_core::testing::TimedSource;
use poller_core::{
    Adaptive, AdaptiveStore, BoxPolicy, Decision, Exponential, Fixed, Observation, PollPolicyExt,
    SourceOptions, Tracker, TrackerEvent, recommended_policy,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

const KINDS: usize = 8;
const SIGMA: f64 = 0.25;

mod common;
use common::{splitmix, unit};

fn normal(state: &mut u64) -> f64 {
    // Box-Muller.
    let u1 = unit(state).max(1e-12);
    let u2 = unit(state);
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// B's medians: log-evenly from 5 s to 30 min.
fn median(kind: usize) -> f64 {
    5.0 * (1800.0f64 / 5.0).powf(kind as f64 / (KINDS - 1) as f64)
}

#[derive(Clone)]
struct Task {
    id: String,
    kind: usize,
    duration: Duration,
    arrival: Duration,
}

struct Workload {
    name: &'static str,
    kinds: usize,
    tasks: Vec<Task>,
}

/// `n` tasks from `draw(i, rng) -> (kind, seconds)`, arriving one every `every`.
fn tasks(
    prefix: &str,
    n: usize,
    seed: u64,
    every: Duration,
    mut draw: impl FnMut(usize, &mut u64) -> (usize, f64),
) -> Vec<Task> {
    let mut rng = seed;
    (0..n)
        .map(|i| {
            let (kind, secs) = draw(i, &mut rng);
            Task {
                id: format!("{prefix}{i}"),
                kind,
                duration: Duration::from_secs_f64(secs),
                arrival: every * i as u32,
            }
        })
        .collect()
}

fn two_s() -> Duration {
    Duration::from_secs(2)
}

/// One of B's kinds at random, its median scaled by `scale(i)`.
fn b_draw(scale: impl Fn(usize) -> f64) -> impl FnMut(usize, &mut u64) -> (usize, f64) {
    move |i, rng| {
        let kind = (splitmix(rng) % KINDS as u64) as usize;
        (kind, scale(i) * median(kind) * (SIGMA * normal(rng)).exp())
    }
}

fn workloads(n: usize) -> Vec<Workload> {
    let half = n / 2;
    let many = (n / 20).max(1);
    let many_medians: Vec<f64> = {
        let mut rng = 7;
        (0..many)
            .map(|_| 5.0 * (1800.0f64 / 5.0).powf(unit(&mut rng)))
            .collect()
    };
    let many_kinds: Vec<usize> = {
        // Each kind exactly 20 times (fewer when n < 20), in random order.
        let mut order: Vec<usize> = (0..n).map(|i| i % many).collect();
        let mut rng = 8;
        for i in (1..order.len()).rev() {
            order.swap(i, (splitmix(&mut rng) % (i as u64 + 1)) as usize);
        }
        order
    };
    vec![
        Workload {
            name: "A",
            kinds: 1,
            tasks: tasks("a", n, 1, Duration::from_millis(500), |_, rng| {
                (0, (3600f64.ln() * unit(rng)).exp())
            }),
        },
        Workload {
            name: "B",
            kinds: KINDS,
            tasks: tasks("b", n, 2, two_s(), b_draw(|_| 1.0)),
        },
        Workload {
            name: "bimodal",
            kinds: 4,
            tasks: tasks("m", n, 3, two_s(), |_, rng| {
                let kind = (splitmix(rng) % 4) as usize;
                let fast = 5.0 * (60.0f64).powf(kind as f64 / 3.0);
                let slow = if unit(rng) < 0.5 { 1.0 } else { 10.0 };
                (kind, fast * slow * (SIGMA * normal(rng)).exp())
            }),
        },
        Workload {
            name: "drift-up",
            kinds: KINDS,
            tasks: tasks(
                "u",
                n,
                4,
                two_s(),
                b_draw(move |i| if i < half { 1.0 } else { 2.0 }),
            ),
        },
        Workload {
            name: "drift-down",
            kinds: KINDS,
            tasks: tasks(
                "d",
                n,
                5,
                two_s(),
                b_draw(move |i| if i < half { 1.0 } else { 0.5 }),
            ),
        },
        Workload {
            name: "heavy-tail",
            kinds: 1,
            tasks: tasks("h", n, 6, two_s(), |_, rng| (0, 60.0 * normal(rng).exp())),
        },
        Workload {
            name: "many-kinds",
            kinds: many,
            tasks: tasks("k", n, 9, two_s(), |i, rng| {
                let kind = many_kinds[i];
                (kind, many_medians[kind] * (SIGMA * normal(rng)).exp())
            }),
        },
        Workload {
            name: "burst",
            kinds: KINDS,
            tasks: tasks(
                "s",
                n,
                10,
                Duration::from_secs(1) / n.max(1) as u32,
                b_draw(|_| 1.0),
            ),
        },
    ]
}

/// AWS waiters, exactly as smithy-rs computes them
/// (`rust-runtime/aws-smithy-runtime/src/client/waiters/backoff.rs`, `Backoff::delay`, after
/// the Smithy waiter spec): the first attempt goes at once; after attempt n (n ≥ 1), wait a
/// whole number of seconds drawn uniformly from [min_delay, min_delay·2^(n-1)] while
/// n ≤ attempt_ceiling = ⌊log2(max_delay / min_delay) + 1⌋, else from [min_delay,
/// max_delay]; when the time left minus that delay is at most min_delay, wait exactly the
/// time left. min_delay 2 s, max_delay 120 s (the common EC2/S3 waiter settings); max_wait
/// 6 h, the same limit as poller's default.
fn aws(o: &Observation<'_>) -> Decision {
    const MIN: u64 = 2;
    const MAX: u64 = 120;
    const MAX_WAIT: Duration = Duration::from_secs(6 * 3600);
    if o.attempt == 0 {
        return Decision::now();
    }
    if o.elapsed >= MAX_WAIT {
        return Decision::Stop(poller_core::StopReason::Deadline);
    }
    let ceiling = ((MAX as f64 / MIN as f64).ln() / 2f64.ln() + 1.0) as u32;
    let hi = if o.attempt > ceiling {
        MAX
    } else {
        MIN * 2u64.pow(o.attempt - 1)
    };
    let mut s = o.salt ^ u64::from(o.attempt).wrapping_mul(0x2545_F491_4F6C_DD1D);
    let delay = Duration::from_secs(MIN + splitmix(&mut s) % (hi - MIN + 1));
    let remaining = MAX_WAIT - o.elapsed;
    if remaining.saturating_sub(delay) <= Duration::from_secs(MIN) {
        Decision::PollAfter(remaining)
    } else {
        Decision::PollAfter(delay)
    }
}

/// The informed bound for one of B's kinds: first poll at the kind's true 5th percentile,
/// then ×1.2.
fn informed(kind: usize) -> impl Fn(&Observation<'_>) -> Decision + Send + Sync + 'static {
    let p05 = Duration::from_secs_f64(median(kind) * (-1.645 * SIGMA).exp());
    move |o: &Observation<'_>| {
        if o.elapsed < p05 {
            Decision::PollAfter(p05 - o.elapsed)
        } else {
            Decision::PollAfter(o.elapsed.mul_f64(0.2).max(Duration::from_millis(1)))
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Policy {
    Fixed5,
    Runware,
    Aws,
    Google,
    PollerDefault,
    PollerAdaptive,
    Informed,
}

impl Policy {
    fn name(self) -> &'static str {
        match self {
            Policy::Fixed5 => "fixed 5 s (Narada advice)",
            Policy::Runware => "Runware SDK (1 s, then 0.5 s x1.5 to 10 s)",
            Policy::Aws => "AWS waiter (smithy-rs, 2 s to 120 s)",
            Policy::Google => "Google LRO (gax, 1 s x2 to 60 s)",
            Policy::PollerDefault => "poller default",
            Policy::PollerAdaptive => "poller adaptive",
            Policy::Informed => "informed bound",
        }
    }

    fn is_anchor(self) -> bool {
        matches!(
            self,
            Policy::Fixed5 | Policy::Runware | Policy::Aws | Policy::Google
        )
    }

    fn for_kind(self, kind: usize, store: &AdaptiveStore) -> BoxPolicy {
        match self {
            Policy::Fixed5 => Fixed::secs(5).boxed(),
            Policy::Runware => {
                Exponential::new(Duration::from_millis(500), 1.5, Duration::from_secs(10))
                    .with_initial_delay(Duration::from_secs(1))
                    .boxed()
            }
            Policy::Aws => BoxPolicy::new(aws),
            // google-cloud-rust `src/gax/src/exponential_backoff.rs`: the polling wait after
            // attempt n is initial·scaling^(n-1), truncated at maximum_delay, no jitter
            // (`ExponentialBackoff::delay`, used by `PollingBackoffPolicy::wait_period`);
            // defaults initial 1 s, maximum 60 s, scaling 2. `Exponential::default()` is
            // exactly that: at once, then 1, 2, 4 … 60 s.
            Policy::Google => Exponential::default().boxed(),
            Policy::PollerDefault => recommended_policy(),
            Policy::PollerAdaptive => {
                Adaptive::with_store(recommended_policy(), store, &format!("kind-{kind}")).boxed()
            }
            Policy::Informed => BoxPolicy::new(informed(kind)),
        }
    }
}

#[derive(Clone, Copy)]
struct Stats {
    requests: f64,
    /// Requests per task over the second half of the tasks (after warm-up).
    late_requests: f64,
    mean_lag: f64,
    median_lag: f64,
    p99_lag: f64,
}

async fn run(policy: Policy, w: &Workload) -> Stats {
    let source = Arc::new(TimedSource::new("timed"));
    let store = AdaptiveStore::new();
    let mut tracker = Tracker::<()>::new()
        .max_in_flight(1_000_000)
        .fetch_timeout(None);
    let ids: Vec<_> = (0..w.kinds)
        .map(|k| {
            tracker.add_source_with(
                source.clone(),
                policy.for_kind(k, &store),
                SourceOptions::default(),
            )
        })
        .collect();
    let durations: HashMap<String, (Duration, bool)> = (w.tasks.iter().enumerate())
        .map(|(i, t)| (t.id.clone(), (t.duration, i >= w.tasks.len() / 2)))
        .collect();
    let handle = tracker.handle();
    let arrivals = w.tasks.clone();
    let src = source.clone();
    let feeder = tokio::spawn(async move {
        let start = tokio::time::Instant::now();
        for t in arrivals {
            tokio::time::sleep_until(start + t.arrival).await;
            src.add_task(t.id.clone(), t.duration);
            handle.track(ids[t.kind], t.id);
        }
    });
    let (mut requests, mut late, mut lags) = (0u64, 0u64, Vec::with_capacity(w.tasks.len()));
    while let Some(event) = tracker.next().await {
        if let TrackerEvent::Finished { report, .. } = event {
            let (d, second_half) = durations[&report.task_id];
            requests += u64::from(report.attempts);
            if second_half {
                late += u64::from(report.attempts);
            }
            lags.push(report.elapsed.saturating_sub(d).as_secs_f64() / d.as_secs_f64());
        }
    }
    feeder.await.expect("feeder");
    assert_eq!(lags.len(), w.tasks.len(), "every task finished once");
    lags.sort_by(f64::total_cmp);
    Stats {
        requests: requests as f64 / w.tasks.len() as f64,
        late_requests: late as f64 / (w.tasks.len() - w.tasks.len() / 2) as f64,
        mean_lag: lags.iter().sum::<f64>() / lags.len() as f64,
        median_lag: lags[lags.len() / 2],
        p99_lag: lags[(lags.len() * 99 / 100).min(lags.len() - 1)],
    }
}

fn met(ok: bool) -> &'static str {
    if ok { "MET" } else { "MISSED" }
}

/// Adaptive against the default: no more requests, mean lag no worse, p99 at most 1.25x.
fn goal_versus_default(label: &str, a: Stats, d: Stats) {
    let ok = a.requests <= d.requests && a.mean_lag <= d.mean_lag && a.p99_lag <= 1.25 * d.p99_lag;
    println!(
        "goal {label}/default: adaptive <= default requests, mean lag no worse, p99 <= 1.25x: {} (requests {:.2} vs {:.2}, mean lag {:.1}% vs {:.1}%, p99 {:.1}% vs {:.1}% = {:.2}x)",
        met(ok),
        a.requests,
        d.requests,
        100.0 * a.mean_lag,
        100.0 * d.mean_lag,
        100.0 * a.p99_lag,
        100.0 * d.p99_lag,
        a.p99_lag / d.p99_lag
    );
}

/// Adaptive needs `factor` times fewer requests than every anchor whose mean lag is not lower.
fn goal_versus_anchors(label: &str, factor: f64, results: &[(Policy, Stats)], a: Stats) {
    let worst = results
        .iter()
        .filter(|(p, s)| p.is_anchor() && s.mean_lag >= a.mean_lag)
        .map(|(p, s)| (p.name(), s.requests / a.requests))
        .min_by(|x, y| x.1.total_cmp(&y.1));
    let lower: Vec<_> = results
        .iter()
        .filter(|(p, s)| p.is_anchor() && s.mean_lag < a.mean_lag)
        .map(|(p, _)| p.name())
        .collect();
    match worst {
        Some((name, ratio)) => println!(
            "goal {label}/anchors: adaptive >= {factor}x fewer requests than every anchor with mean lag not lower: {} (smallest ratio {ratio:.2}x, vs {name}; anchors with lower mean lag, not compared: {lower:?})",
            met(ratio >= factor)
        ),
        None => {
            println!("goal {label}/anchors: every anchor has lower mean lag than adaptive: MISSED")
        }
    }
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let only: Option<String> = std::env::args()
        .skip(1)
        .find_map(|a| a.strip_prefix("--workload=").map(str::to_owned));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let all = [
        Policy::Fixed5,
        Policy::Runware,
        Policy::Aws,
        Policy::Google,
        Policy::PollerDefault,
        Policy::PollerAdaptive,
        Policy::Informed,
    ];
    for w in workloads(n) {
        if only.as_deref().is_some_and(|o| o != w.name) {
            continue;
        }
        let mut results = vec![];
        for policy in all {
            if policy == Policy::Informed && w.name != "B" {
                continue;
            }
            let wall = std::time::Instant::now();
            let s = rt.block_on(run(policy, &w));
            println!(
                "policy_efficiency workload={} tasks={n} policy=\"{}\" requests_per_task={:.2} second_half={:.2} mean_lag={:.1}% median_lag={:.1}% p99_lag={:.1}% wall={:.1}s",
                w.name,
                policy.name(),
                s.requests,
                s.late_requests,
                100.0 * s.mean_lag,
                100.0 * s.median_lag,
                100.0 * s.p99_lag,
                wall.elapsed().as_secs_f64()
            );
            results.push((policy, s));
        }
        let find = |p: Policy| {
            results
                .iter()
                .find(|(q, _)| *q == p)
                .map(|(_, s)| *s)
                .unwrap()
        };
        let (a, d) = (find(Policy::PollerAdaptive), find(Policy::PollerDefault));
        goal_versus_default(w.name, a, d);
        match w.name {
            "A" => {
                let dominated_by: Vec<_> = results
                    .iter()
                    .filter(|(p, s)| {
                        p.is_anchor() && s.requests < d.requests && s.mean_lag < d.mean_lag
                    })
                    .map(|(p, _)| p.name())
                    .collect();
                println!(
                    "goal A/pareto: poller default on the Pareto front: {} {}",
                    met(dominated_by.is_empty()),
                    if dominated_by.is_empty() {
                        String::new()
                    } else {
                        format!("(dominated by {dominated_by:?})")
                    }
                );
            }
            "B" | "bimodal" | "drift-up" | "drift-down" => {
                goal_versus_anchors(w.name, 3.0, &results, a);
                if w.name == "B" {
                    let i = find(Policy::Informed);
                    let ratio = a.requests / i.requests;
                    println!(
                        "goal B/informed: adaptive within 1.5x of the informed bound's requests: {} ({ratio:.2}x; lag {:.1}% vs {:.1}%)",
                        met(ratio <= 1.5),
                        100.0 * a.mean_lag,
                        100.0 * i.mean_lag
                    );
                }
            }
            "many-kinds" => goal_versus_anchors(w.name, 2.0, &results, a),
            _ => {}
        }
    }
}
