//! Policy efficiency: requests per task and detection lag, in virtual time.
//!
//! Runs the real `Tracker` in paused tokio time against an in-process `TimedSource`, so every
//! schedule is exactly what a real wait would do. Two workloads of N tasks (default 10,000;
//! `cargo bench --bench policy_efficiency -- 2000` for a quicker run):
//!
//! - A: durations log-uniform between 1 s and 1 h, one kind (nothing to learn).
//! - B: eight kinds, medians spread log-evenly from 5 s to 30 min, log-normal with sigma 0.25,
//!   tasks of random kinds arriving one every 2 s.
//!
//! Prints one line per policy and workload: mean requests per task, mean and p99 detection lag
//! as a fraction of the task's duration, then the goals.

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

fn workload_a(n: usize) -> Vec<Task> {
    let mut rng = 1;
    (0..n)
        .map(|i| Task {
            id: format!("a{i}"),
            kind: 0,
            duration: Duration::from_secs_f64((3600f64.ln() * unit(&mut rng)).exp()),
            arrival: Duration::from_millis(i as u64 * 500),
        })
        .collect()
}

fn workload_b(n: usize) -> Vec<Task> {
    let mut rng = 2;
    (0..n)
        .map(|i| {
            let kind = (splitmix(&mut rng) % KINDS as u64) as usize;
            let secs = median(kind) * (SIGMA * normal(&mut rng)).exp();
            Task {
                id: format!("b{i}"),
                kind,
                duration: Duration::from_secs_f64(secs),
                arrival: Duration::from_secs(i as u64 * 2),
            }
        })
        .collect()
}

/// AWS-waiter style: first poll at once, then uniform in [2 s, min(120 s, 2 s × 2^n)].
fn aws(o: &Observation<'_>) -> Decision {
    if o.attempt == 0 {
        return Decision::now();
    }
    let hi = (2.0 * 2f64.powi(o.attempt.min(20) as i32)).min(120.0);
    let mut s = o.salt ^ u64::from(o.attempt).wrapping_mul(0x2545_F491_4F6C_DD1D);
    Decision::PollAfter(Duration::from_secs_f64(2.0 + (hi - 2.0) * unit(&mut s)))
}

/// The informed bound for one kind: first poll at the kind's true 5th percentile, then ×1.2.
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

#[derive(Clone, Copy)]
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
            Policy::Aws => "AWS waiter style",
            Policy::Google => "Google LRO style (1 s x2 to 60 s)",
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
            Policy::Google => {
                Exponential::new(Duration::from_secs(1), 2.0, Duration::from_secs(60)).boxed()
            }
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
    mean_lag: f64,
    p99_lag: f64,
}

async fn run(policy: Policy, tasks: &[Task]) -> Stats {
    let source = Arc::new(TimedSource::new("timed"));
    let store = AdaptiveStore::new();
    let mut tracker = Tracker::<()>::new()
        .max_in_flight(1_000_000)
        .fetch_timeout(None);
    let ids: Vec<_> = (0..KINDS)
        .map(|k| {
            tracker.add_source_with(
                source.clone(),
                policy.for_kind(k, &store),
                SourceOptions::default(),
            )
        })
        .collect();
    let durations: HashMap<String, Duration> =
        tasks.iter().map(|t| (t.id.clone(), t.duration)).collect();
    let handle = tracker.handle();
    let arrivals = tasks.to_vec();
    let src = source.clone();
    let feeder = tokio::spawn(async move {
        let start = tokio::time::Instant::now();
        for t in arrivals {
            tokio::time::sleep_until(start + t.arrival).await;
            src.add_task(t.id.clone(), t.duration);
            handle.track(ids[t.kind], t.id);
        }
    });
    let (mut requests, mut lags) = (0u64, Vec::with_capacity(tasks.len()));
    while let Some(event) = tracker.next().await {
        if let TrackerEvent::Finished { report, .. } = event {
            let d = durations[&report.task_id];
            requests += u64::from(report.attempts);
            lags.push(report.elapsed.saturating_sub(d).as_secs_f64() / d.as_secs_f64());
        }
    }
    feeder.await.expect("feeder");
    assert_eq!(lags.len(), tasks.len(), "every task finished once");
    lags.sort_by(f64::total_cmp);
    Stats {
        requests: requests as f64 / tasks.len() as f64,
        mean_lag: lags.iter().sum::<f64>() / lags.len() as f64,
        p99_lag: lags[(lags.len() * 99 / 100).min(lags.len() - 1)],
    }
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
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
    for (label, tasks) in [("A", workload_a(n)), ("B", workload_b(n))] {
        let mut results = vec![];
        for policy in all {
            if label == "A" && matches!(policy, Policy::Informed) {
                continue;
            }
            let wall = std::time::Instant::now();
            let s = rt.block_on(run(policy, &tasks));
            println!(
                "policy_efficiency workload={label} tasks={n} policy=\"{}\" requests_per_task={:.2} mean_lag={:.1}% p99_lag={:.1}% wall={:.1}s",
                policy.name(),
                s.requests,
                100.0 * s.mean_lag,
                100.0 * s.p99_lag,
                wall.elapsed().as_secs_f64()
            );
            results.push((policy, s));
        }
        let find =
            |p: fn(&Policy) -> bool| results.iter().find(|(q, _)| p(q)).map(|(_, s)| *s).unwrap();
        if label == "A" {
            let d = find(|p| matches!(p, Policy::PollerDefault));
            let dominated_by: Vec<_> = results
                .iter()
                .filter(|(p, s)| {
                    p.is_anchor() && s.requests < d.requests && s.mean_lag < d.mean_lag
                })
                .map(|(p, _)| p.name())
                .collect();
            println!(
                "goal A: poller default on the Pareto front: {} {}",
                if dominated_by.is_empty() {
                    "MET"
                } else {
                    "MISSED"
                },
                if dominated_by.is_empty() {
                    String::new()
                } else {
                    format!("(dominated by {dominated_by:?})")
                }
            );
        } else {
            let a = find(|p| matches!(p, Policy::PollerAdaptive));
            let i = find(|p| matches!(p, Policy::Informed));
            let worst = results
                .iter()
                .filter(|(p, s)| p.is_anchor() && s.mean_lag >= a.mean_lag)
                .map(|(p, s)| (p.name(), s.requests / a.requests))
                .fold(None::<(&str, f64)>, |m, x| {
                    if m.is_none_or(|m| x.1 < m.1) {
                        Some(x)
                    } else {
                        m
                    }
                });
            match worst {
                Some((name, ratio)) => println!(
                    "goal B1: adaptive >= 3x fewer requests than every anchor with lag not lower: {} (smallest ratio {ratio:.1}x, vs {name})",
                    if ratio >= 3.0 { "MET" } else { "MISSED" }
                ),
                None => println!("goal B1: every anchor has lower mean lag than adaptive: MISSED"),
            }
            let ratio = a.requests / i.requests;
            println!(
                "goal B2: adaptive within 1.5x of the informed bound's requests: {} ({ratio:.2}x; lag {:.1}% vs {:.1}%)",
                if ratio <= 1.5 { "MET" } else { "MISSED" },
                100.0 * a.mean_lag,
                100.0 * i.mean_lag
            );
        }
    }
}
