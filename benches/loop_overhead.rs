//! Loop overhead: throughput of `Poller::wait` against the simulator vs a raw reqwest loop
//! making the same requests.
//!
//! N Narada tasks (default 1,000) stay `pending` forever. Each side polls every task K times
//! (default 20) with no delay between polls, C waits at a time, both through
//! `futures::stream::iter(..).buffer_unordered(C)`:
//!
//! - `raw`: `for _ in 0..K { reqwest GET; read the body; NaradaStatus::parse }` with a
//!   reqwest client with the same 30 s timeout as poller's `HttpOptions::default()`;
//! - `poller`: `Poller::new(narada source, Fixed::new(Duration::ZERO).with_max_attempts(K))`
//!   `.with_min_gap(Duration::ZERO)`, `poller.wait(id)`, which gives up after K fetches. The
//!   loop's minimum gap between two fetches of a task (100 ms by default) is lowered to zero
//!   here on purpose: this benchmark measures the loop's own cost, with no waiting at all;
//!   with the default gap it would measure the gap.
//! - a diagnostic third side: the raw loop plus `tokio::time::sleep(Duration::ZERO)` before
//!   each request, which is what `Poller::wait` does between polls when the delay is zero
//!   (tokio completes such a sleep only at its timer's next 1 ms tick).
//!
//! Both parse the body the same way (`NaradaStatus::parse`, what the poller's source does).
//! The simulator runs in this process on its own 2-thread tokio runtime (threads `sim`), the
//! clients on another (threads `client`); every side pays the same simulator. The sides
//! alternate for R rounds (default 7, after one warm-up round, order rotated every round); the
//! summary gives the median throughput of each side and the ratio of the medians (also the
//! median of the per-round ratios), and the client threads' CPU per request (from
//! `/proc/self/task/*/stat`), which the simulator's share of the machine does not dilute.
//! C is 64 (the headline) and 16 (where the per-poll latency shows most).
//!
//! `cargo bench --bench loop_overhead -- 500` for 500 tasks; `tasks=`, `attempts=`,
//! `concurrency=64,16`, `rounds=` set each size.

use futures::StreamExt;
use poller_core::{Fixed, OutcomeKind, PollPolicyExt, Poller, StatusResponse};
use poller_providers::narada::{Narada, NaradaStatus};
use poller_sim::{Keys, NaradaStage, Script, Simulator};
use std::time::{Duration, Instant};

/// CPU seconds (user + system) of this process's threads whose name starts with `prefix`.
fn threads_cpu(prefix: &str) -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return f64::NAN;
    };
    let mut ticks = 0.0;
    for entry in dir.flatten() {
        let path = entry.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if !comm.starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        let fields: Vec<&str> = after.split_whitespace().collect();
        let field = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        ticks += field(11) + field(12);
    }
    ticks / 100.0
}

#[derive(Clone, Copy)]
struct Sizes {
    tasks: usize,
    attempts: u32,
    concurrency: usize,
    rounds: usize,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Side {
    Raw,
    Poller,
    /// Diagnostic: the raw loop plus `tokio::time::sleep(Duration::ZERO)` before each request,
    /// as `Poller::wait` does for a zero delay.
    RawSleep,
}

struct Clients {
    raw: reqwest::Client,
    poller: Poller<poller_core::HttpSource<NaradaStatus>, poller_core::BoxPolicy>,
    url: String,
    key: String,
    ids: Vec<String>,
    sizes: Sizes,
}

/// One round of one side; returns the requests it made.
async fn round(c: &Clients, side: Side) -> u64 {
    let k = c.sizes.attempts;
    let ids = futures::stream::iter(c.ids.iter().cloned());
    match side {
        Side::Raw | Side::RawSleep => {
            ids.map(|id| async move {
                let url = format!("{}/fast/v2/remote-dispatch/responses/{id}", c.url);
                let mut made = 0u64;
                for _ in 0..k {
                    if side == Side::RawSleep {
                        tokio::time::sleep(Duration::ZERO).await;
                    }
                    made += 1;
                    let response = c
                        .raw
                        .get(&url)
                        .header("x-api-key", &c.key)
                        .send()
                        .await
                        .expect("request");
                    let body = response.bytes().await.expect("body");
                    let status = NaradaStatus::parse(&body).expect("a Narada body");
                    if status.phase.is_final() {
                        break;
                    }
                }
                made
            })
            .buffer_unordered(c.sizes.concurrency)
            .fold(0, |sum, made| async move { sum + made })
            .await
        }
        Side::Poller => {
            ids.map(|id| c.poller.wait(id))
                .buffer_unordered(c.sizes.concurrency)
                .fold(0, |sum, report| async move {
                    assert_eq!(report.outcome.kind(), OutcomeKind::GaveUp, "{report:?}");
                    sum + u64::from(report.attempts)
                })
                .await
        }
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn measure(sim: &Simulator, sizes: Sizes) {
    let served = || sim.requests().last().map_or(0, |r| r.seq);
    let key = Keys::default().narada;
    let clients = std::sync::Arc::new(Clients {
        raw: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client"),
        poller: Poller::new(
            Narada::new(key.clone())
                .base_url(sim.base_url())
                .source()
                .expect("source"),
            Fixed::new(Duration::ZERO)
                .with_max_attempts(sizes.attempts)
                .boxed(),
        )
        // Zero delays on purpose: the loop's cost alone (see the module docs).
        .with_min_gap(Duration::ZERO),
        url: sim.base_url().to_string(),
        key,
        ids: (0..sizes.tasks)
            .map(|i| format!("req_pending_{i}"))
            .collect(),
        sizes,
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("client")
        .enable_all()
        .build()
        .expect("client runtime");

    let expected = sizes.tasks as u64 * u64::from(sizes.attempts);
    let mut throughput = [Vec::new(), Vec::new(), Vec::new()];
    let mut cpu_per_request = [Vec::new(), Vec::new(), Vec::new()];
    let mut paired = Vec::new();
    // Round 0 warms both sides up (connections, allocator) and is not counted.
    for r in 0..=sizes.rounds {
        let mut order = [Side::Raw, Side::Poller, Side::RawSleep];
        order.rotate_left(r % 3);
        if r % 2 == 1 {
            order.reverse();
        }
        let mut this_round = [0.0; 3];
        for side in order {
            let c = clients.clone();
            let before = served();
            let cpu = threads_cpu("client");
            let start = Instant::now();
            let made = rt
                .block_on(async move { tokio::spawn(async move { round(&c, side).await }).await })
                .expect("round");
            let secs = start.elapsed().as_secs_f64();
            let cpu = threads_cpu("client") - cpu;
            let seen = served() - before;
            assert_eq!(made, expected, "{side:?} made every request");
            assert_eq!(seen, expected, "the simulator served {side:?}'s requests");
            let i = side as usize;
            this_round[i] = made as f64 / secs;
            if r > 0 {
                throughput[i].push(made as f64 / secs);
                cpu_per_request[i].push(cpu / made as f64 * 1e6);
            }
        }
        if r > 0 {
            paired.push(this_round[1] / this_round[0]);
        }
    }
    let raw = median(&mut throughput[0]);
    let poll = median(&mut throughput[1]);
    let raw_cpu = median(&mut cpu_per_request[0]);
    let poll_cpu = median(&mut cpu_per_request[1]);
    let sleep = median(&mut throughput[2]);
    let sleep_cpu = median(&mut cpu_per_request[2]);
    let ratio = poll / raw;
    for (name, i) in [
        ("raw reqwest loop", 0),
        ("poller wait", 1),
        ("diagnostic: raw loop + sleep(ZERO)", 2),
    ] {
        let t = &throughput[i];
        println!(
            "loop_overhead client=\"{name}\" tasks={} attempts={} concurrency={} rounds={} \
             median_throughput={:.0}req/s min={:.0} max={:.0} client_cpu_per_request={:.1}us",
            sizes.tasks,
            sizes.attempts,
            sizes.concurrency,
            sizes.rounds,
            [raw, poll, sleep][i],
            t.first().copied().unwrap_or(f64::NAN),
            t.last().copied().unwrap_or(f64::NAN),
            [raw_cpu, poll_cpu, sleep_cpu][i],
        );
    }
    println!(
        "loop_overhead concurrency={} poller/raw median throughput={ratio:.3} (goal >= 0.9: {}) \
         median of per-round ratios={:.3} client_cpu_per_request poller/raw={:.3}; \
         diagnostic: raw+sleep(ZERO)/raw throughput={:.3}, poller/(raw+sleep(ZERO))={:.3}",
        sizes.concurrency,
        if ratio >= 0.9 { "MET" } else { "MISSED" },
        median(&mut paired),
        poll_cpu / raw_cpu,
        sleep / raw,
        poll / sleep,
    );
}

fn main() {
    let mut sizes = Sizes {
        tasks: 1_000,
        attempts: 20,
        concurrency: 64,
        rounds: 7,
    };
    let mut concurrencies = vec![64, 16];
    for a in std::env::args().skip(1) {
        let num = |s: &str| s.parse::<usize>().ok();
        if let Some(n) = num(&a) {
            sizes.tasks = n;
        } else if let Some(n) = a.strip_prefix("tasks=").and_then(num) {
            sizes.tasks = n;
        } else if let Some(n) = a.strip_prefix("attempts=").and_then(num) {
            sizes.attempts = n as u32;
        } else if let Some(list) = a.strip_prefix("concurrency=") {
            concurrencies = list.split(',').filter_map(num).collect();
        } else if let Some(n) = a.strip_prefix("rounds=").and_then(num) {
            sizes.rounds = n;
        }
    }

    let sim_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("sim")
        .enable_all()
        .build()
        .expect("simulator runtime");
    let sim = sim_rt
        .block_on(Simulator::builder().max_logged_requests(1).start())
        .expect("simulator");
    {
        let _guard = sim_rt.enter();
        for i in 0..sizes.tasks {
            sim.add_narada_task(
                format!("req_pending_{i}"),
                Script::new(NaradaStage::Pending),
            );
        }
    }
    for concurrency in concurrencies {
        measure(
            &sim,
            Sizes {
                concurrency,
                ..sizes
            },
        );
    }
    sim_rt.block_on(sim.shutdown());
}
