//! Webhook-assisted waits against polling alone, on the loopback simulator, in real time.
//!
//! N tasks per vendor (default 40), each created through the vendor's creation endpoint by its
//! own submit call, all at once, each succeeding 2 s after its creation
//! (`Simulator::script_next_created`):
//!
//! - Narada: `POST /fast/v2/remote-dispatch`; polling alone is `Narada::submit_and_wait` under
//!   Narada's default policy (at once, then 5 s growing x1.5 to 10 s; `providers/src/narada.rs`);
//! - Runware: one task per `POST /v1`; polling alone is `Runware::submit_and_wait` under
//!   Runware's default policy (1 s, then 0.5 s growing x1.5 to 10 s; `providers/src/runware.rs`).
//!
//! Three runs per vendor, each on a fresh simulator:
//!
//! - `polling alone`: the vendor's `submit_and_wait`;
//! - `callbacks, 0 % lost`: `submit_and_wait_with_callbacks` with a `webhook::Receiver` on
//!   loopback; the simulator posts each callback as the task ends
//!   (`CallbackOptions::default()`); the safety net is the vendor's schedule stretched x10;
//! - `callbacks, 30 % lost`: the same, `CallbackOptions { loss_rate: 0.3, seed: 13, .. }`.
//!
//! The Narada and the Runware run of each kind go side by side (two simulators at once), so
//! that the default run stays under a minute: the lossy Narada run alone takes about 50 s (a
//! lost callback waits for the safety net's second poll).
//!
//! Detection lag: the wall-clock time the submit call returned, minus the task's scripted end
//! (the moment the call was made, plus 2 s). The callback leaves the simulator at the scripted
//! end over loopback, so this is an upper bound on the lag after the callback's arrival.
//! Requests per task: the simulator's status requests (Narada `GET`, Runware `POST /v1` with
//! `getResponse` items) divided by N. Percentiles are nearest-rank (`benches/common`).
//!
//! `cargo bench --bench webhooks` (or `-- 100` for N = 100).

mod common;

use common::{percentile, two_thread_runtime};
use poller_core::{OutcomeKind, Report};
use poller_providers::narada::{Narada, NaradaRequest};
use poller_providers::runware::{Runware, RunwareTask};
use poller_providers::webhook::Receiver;
use poller_sim::{CallbackOptions, CreatedScript, RecordedRequest, Script, Simulator};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const TASK: Duration = Duration::from_secs(2);

#[derive(Clone, Copy, Debug)]
enum Vendor {
    Narada,
    Runware,
}

struct Run {
    lags: Vec<Duration>,
    requests: usize,
    succeeded: usize,
    distinct_ids: usize,
}

/// A Runware `POST /v1` that asks about tasks (not one that creates them).
fn is_get_response(r: &RecordedRequest) -> bool {
    serde_json::from_slice::<Value>(&r.body)
        .ok()
        .and_then(|b| b.as_array().cloned())
        .is_some_and(|items| items.iter().any(|i| i["taskType"] == "getResponse"))
}

/// Creates task `i` and waits on it, with callbacks to `receiver` if given: its report.
async fn submit_and_wait(
    sim: &Simulator,
    vendor: Vendor,
    i: usize,
    receiver: Option<Receiver>,
) -> (String, OutcomeKind) {
    fn one<O>(report: Report<O>) -> (String, OutcomeKind) {
        (report.task_id.clone(), report.outcome.kind())
    }
    match vendor {
        Vendor::Narada => {
            let client = Narada::new(sim.keys().narada.clone()).base_url(sim.narada_base_url());
            let request = NaradaRequest::new(format!("task {i}"));
            let report = match receiver {
                Some(r) => client.submit_and_wait_with_callbacks(&request, &r).await,
                None => client.submit_and_wait(&request).await,
            };
            one(report.expect("the task is created"))
        }
        Vendor::Runware => {
            let client = Runware::new(sim.keys().runware.clone()).base_url(sim.runware_base_url());
            let task =
                [RunwareTask::new("imageInference").field("positivePrompt", format!("task {i}"))];
            let reports = match receiver {
                Some(r) => client.submit_and_wait_with_callbacks(&task, &r).await,
                None => client.submit_and_wait(&task).await,
            };
            let report = reports.expect("the task is created").into_iter().next();
            one(report.expect("one report"))
        }
    }
}

async fn run(vendor: Vendor, n: usize, callbacks: Option<CallbackOptions>) -> Run {
    let sim = Simulator::start().await.expect("the simulator starts");
    for _ in 0..n {
        sim.script_next_created(match vendor {
            Vendor::Narada => {
                CreatedScript::narada(Script::narada_success_after(TASK, json!({"text": "done"})))
            }
            Vendor::Runware => {
                CreatedScript::runware(vec![Script::runware_success_after(TASK, 0.01)])
            }
        });
    }
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
        let receiver = running.as_ref().map(|r| r.receiver().clone());
        let sim = &sim;
        async move {
            let start = Instant::now();
            let (id, kind) = submit_and_wait(sim, vendor, i, receiver).await;
            (start.elapsed().saturating_sub(TASK), id, kind)
        }
    });
    let results = futures::future::join_all(waits).await;
    let mut ids: Vec<&String> = results.iter().map(|(_, id, _)| id).collect();
    ids.sort();
    ids.dedup();
    let requests = match vendor {
        Vendor::Narada => sim.requests_where(|r| r.method == "GET").len(),
        Vendor::Runware => sim.requests_where(is_get_response).len(),
    };
    let run = Run {
        lags: results.iter().map(|(lag, _, _)| *lag).collect(),
        requests,
        succeeded: results
            .iter()
            .filter(|(_, _, kind)| *kind == OutcomeKind::Succeeded)
            .count(),
        distinct_ids: ids.len(),
    };
    sim.shutdown().await;
    run
}

fn print(vendor: Vendor, name: &str, n: usize, r: &Run) {
    let mut lags: Vec<f64> = r.lags.iter().map(|l| l.as_secs_f64() * 1e3).collect();
    lags.sort_by(f64::total_cmp);
    println!(
        "{:<8} {:<22} {:>9.1} ms {:>9.1} ms {:>9.1} ms {:>14.2} {:>6}/{:<3}",
        format!("{vendor:?}"),
        name,
        percentile(&lags, 0.5),
        percentile(&lags, 0.9),
        lags.last().copied().unwrap_or(f64::NAN),
        r.requests as f64 / n as f64,
        r.succeeded.min(r.distinct_ids),
        n,
    );
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(40);
    let rt = two_thread_runtime();
    println!("{n} tasks of 2 s each per vendor, loopback simulator");
    println!(
        "{:<8} {:<22} {:>12} {:>12} {:>12} {:>14} {:>10}",
        "vendor", "run", "median lag", "p90 lag", "max lag", "requests/task", "ended ok"
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
    let started = Instant::now();
    for (name, callbacks) in runs {
        let (narada, runware) = rt.block_on(async {
            tokio::join!(
                run(Vendor::Narada, n, callbacks.clone()),
                run(Vendor::Runware, n, callbacks.clone())
            )
        });
        print(Vendor::Narada, name, n, &narada);
        print(Vendor::Runware, name, n, &runware);
    }
    println!("total {:.1} s", started.elapsed().as_secs_f64());
}
