//! Webhook-assisted waits against polling alone, on the loopback simulator, in real time.
//!
//! N Narada tasks (default 40), created through `POST /fast/v2/remote-dispatch` at once, each
//! succeeding 2 s after its creation (`Simulator::script_next_created`). Three runs, each on a
//! fresh simulator:
//!
//! - `polling alone`: `Narada::submit_and_wait`, Narada's default policy (at once, then 5 s
//!   growing x1.5 to 10 s; `providers/src/narada.rs`);
//! - `callbacks, 0 % lost`: `Narada::submit_and_wait_with_callbacks` with a `webhook::Receiver`
//!   on loopback; the simulator posts each callback as the task ends
//!   (`CallbackOptions::default()`); the safety net is Narada's schedule stretched x10;
//! - `callbacks, 30 % lost`: the same, `CallbackOptions { loss_rate: 0.3, .. }` (seeded).
//!
//! Detection lag: the wall-clock time the wait returned, minus the task's scripted end (the
//! moment its submit was called, plus 2 s). The callback leaves the simulator at the scripted
//! end over loopback, so this is an upper bound on the lag after the callback's arrival.
//! Requests per task: the simulator's status requests (`GET`) divided by N.
//!
//! `cargo bench --bench webhooks` (or `-- 100` for N = 100). The lossy run takes about 50 s:
//! a lost callback waits for the safety net's second poll.

use poller_providers::narada::{Narada, NaradaRequest};
use poller_providers::webhook::Receiver;
use poller_sim::{CallbackOptions, CreatedScript, Script, Simulator};
use serde_json::json;
use std::time::{Duration, Instant};

const TASK: Duration = Duration::from_secs(2);

struct Run {
    lags: Vec<Duration>,
    requests: usize,
    succeeded: usize,
    distinct_ids: usize,
}

async fn run(n: usize, callbacks: Option<CallbackOptions>) -> Run {
    let sim = Simulator::start().await.expect("the simulator starts");
    for _ in 0..n {
        sim.script_next_created(CreatedScript::narada(Script::narada_success_after(
            TASK,
            json!({"text": "done"}),
        )));
    }
    let client = Narada::new(sim.keys().narada.clone()).base_url(sim.narada_base_url());
    let running = match &callbacks {
        Some(options) => {
            sim.set_callbacks(options.clone());
            Some(
                Receiver::new()
                    .bind("127.0.0.1:0".parse().unwrap())
                    .await
                    .unwrap(),
            )
        }
        None => None,
    };
    let waits = (0..n).map(|i| {
        let client = client.clone();
        let receiver = running.as_ref().map(|r| r.receiver().clone());
        async move {
            let request = NaradaRequest::new(format!("task {i}"));
            let start = Instant::now();
            let report = match receiver {
                Some(r) => client.submit_and_wait_with_callbacks(&request, &r).await,
                None => client.submit_and_wait(&request).await,
            }
            .expect("the task is created");
            (start.elapsed().saturating_sub(TASK), report)
        }
    });
    let results = futures::future::join_all(waits).await;
    let mut ids: Vec<String> = results.iter().map(|(_, r)| r.task_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let run = Run {
        lags: results.iter().map(|(lag, _)| *lag).collect(),
        requests: sim.requests_where(|r| r.method == "GET").len(),
        succeeded: results
            .iter()
            .filter(|(_, r)| r.outcome.kind() == poller_core::OutcomeKind::Succeeded)
            .count(),
        distinct_ids: ids.len(),
    };
    sim.shutdown().await;
    run
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(40);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!("{n} Narada tasks of 2 s each, loopback simulator");
    println!(
        "{:<22} {:>12} {:>12} {:>12} {:>14} {:>10}",
        "run", "median lag", "p90 lag", "max lag", "requests/task", "ended ok"
    );
    let lossy = CallbackOptions {
        loss_rate: 0.3,
        seed: 13,
        ..Default::default()
    };
    let runs = [
        ("polling alone", None),
        ("callbacks, 0 % lost", Some(CallbackOptions::default())),
        ("callbacks, 30 % lost", Some(lossy)),
    ];
    for (name, callbacks) in runs {
        let r = rt.block_on(run(n, callbacks));
        let mut lags = r.lags.clone();
        lags.sort();
        println!(
            "{:<22} {:>9.1} ms {:>9.1} ms {:>9.1} ms {:>14.2} {:>6}/{:<3}",
            name,
            quantile(&lags, 0.5).as_secs_f64() * 1e3,
            quantile(&lags, 0.9).as_secs_f64() * 1e3,
            lags.last().unwrap().as_secs_f64() * 1e3,
            r.requests as f64 / n as f64,
            r.succeeded.min(r.distinct_ids),
            n,
        );
    }
}
