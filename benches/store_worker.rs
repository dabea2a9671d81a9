//! The durable worker's cost: 10,000 tasks over HTTP against the loopback simulator, polled
//! every second, by the in-memory `Tracker` and by `poller-store` workers on SQLite and on
//! PostgreSQL (one worker, then three), in real time.
//!
//! Task durations are log-normal (median 10 s, sigma 0.3), drawn exactly as in
//! `benches/scale_http.rs` (`duration`). Process layout as there: this binary re-executes
//! itself as the simulator (`--serve`) and once per client process (`--client ...`), so the
//! CPU figures (utime + stime from `/proc/self/stat`) are the client's alone; for the store
//! configurations they are the worker processes' summed, counted from the moment the worker
//! starts (adding the tasks to the store is done beforehand by this orchestrator).
//!
//! - requests: counted by the simulator;
//! - store writes per poll: progress rows written / polls seen, and write transactions
//!   (progress batches + one per outcome) / polls;
//! - lag: when the application received the outcome (the channel sink for the store, the
//!   `Finished` event in memory) minus the task's scripted end.
//!
//! PostgreSQL runs on a throwaway cluster (the harness of `store/tests/all/pg.rs`); without
//! PostgreSQL those rows are skipped. `cargo bench --bench store_worker` runs 10,000 tasks;
//! `-- 1000` runs another size.

use futures::StreamExt;
use poller_core::{BoxPolicy, Fixed, SourceConfig, SourceOptions, Tracker, TrackerEvent};
use poller_sim::{Keys, Script, Simulator};
use poller_store::{SourceBuilder, SourceSpec, Store, Worker, WorkerOptions};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use poller_providers as _;

mod common;
#[allow(dead_code)]
#[path = "../store/tests/all/pg.rs"]
mod pg;
use common::cpu_split;

const MEDIAN_SECS: f64 = 10.0;
const SIGMA: f64 = 0.3;
const INTERVAL: Duration = Duration::from_secs(1);

/// Task `i`'s duration: log-normal, median 10 s, sigma 0.3, as in `benches/scale_http.rs`.
fn duration(seed: u64, i: usize) -> Duration {
    common::log_normal(seed, i, MEDIAN_SECS, SIGMA)
}

fn unix_micros() -> u64 {
    common::unix_micros(SystemTime::now())
}

/// The lower median (nearest rank), NaN when there are none.
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    common::percentile(&v, 0.5)
}

// --- the simulator process (--serve) ----------------------------------------------------

/// `narada PREFIX N SEED` adds tasks, answering `added BEFORE_US AFTER_US`; `count` answers
/// `count SEQ`.
fn serve() {
    let rt = common::two_thread_runtime();
    let sim = rt
        .block_on(Simulator::builder().max_logged_requests(1).start())
        .expect("simulator");
    let _guard = rt.enter();
    let mut out = std::io::stdout().lock();
    writeln!(out, "url {}", sim.base_url()).unwrap();
    out.flush().unwrap();
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("stdin");
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["narada", prefix, n, seed] => {
                let (n, seed): (usize, u64) = (n.parse().unwrap(), seed.parse().unwrap());
                let before = unix_micros();
                for i in 0..n {
                    sim.add_narada_task(
                        format!("{prefix}{i}"),
                        Script::narada_success_after(duration(seed, i), serde_json::json!({})),
                    );
                }
                writeln!(out, "added {before} {}", unix_micros()).unwrap();
            }
            ["count"] => {
                let seq = sim.requests().last().map_or(0, |r| r.seq);
                writeln!(out, "count {seq}").unwrap();
            }
            _ => panic!("unknown command {line:?}"),
        }
        out.flush().unwrap();
    }
    rt.block_on(sim.shutdown());
}

// --- the client processes (--client MODE STORE BASE_URL N SEED BEFORE AFTER PREFIX) -----

struct Run {
    mode: String,
    store: String,
    base_url: String,
    n: usize,
    seed: u64,
    before_us: u64,
    after_us: u64,
    prefix: String,
}

impl Run {
    fn args(&self) -> Vec<String> {
        vec![
            self.mode.clone(),
            self.store.clone(),
            self.base_url.clone(),
            self.n.to_string(),
            self.seed.to_string(),
            self.before_us.to_string(),
            self.after_us.to_string(),
            self.prefix.clone(),
        ]
    }

    fn parse(a: &[String]) -> Run {
        Run {
            mode: a[0].clone(),
            store: a[1].clone(),
            base_url: a[2].clone(),
            n: a[3].parse().unwrap(),
            seed: a[4].parse().unwrap(),
            before_us: a[5].parse().unwrap(),
            after_us: a[6].parse().unwrap(),
            prefix: a[7].clone(),
        }
    }

    /// Task `id`'s lag in ms: now minus its scripted end (insertions spread evenly over the
    /// time the simulator took to add them).
    fn lag_ms(&self, id: &str, at_us: u64) -> f64 {
        let i: usize = id.strip_prefix(&self.prefix).unwrap().parse().unwrap();
        let span = self.after_us.saturating_sub(self.before_us) as f64;
        let end = self.before_us as f64
            + span * i as f64 / self.n as f64
            + duration(self.seed, i).as_secs_f64() * 1e6;
        (at_us as f64 - end) / 1e3
    }
}

fn spec(base_url: &str) -> SourceSpec {
    SourceSpec::new("narada").base_url(base_url)
}

/// Narada from the registry with the simulator's key, polled every second.
fn builder() -> SourceBuilder {
    Arc::new(|spec: &SourceSpec| {
        let mut config = SourceConfig::new().api_key(Keys::default().narada);
        if let Some(url) = &spec.base_url {
            config = config.base_url(url.clone());
        }
        let source = poller_core::provider(&spec.provider)?.build_source(config)?;
        Ok((source, BoxPolicy::new(Fixed::new(INTERVAL))))
    })
}

fn client(args: &[String]) {
    let run = Run::parse(args);
    let rt = common::two_thread_runtime();
    let cpu_before = cpu_split("self");
    let result = rt.block_on(async {
        tokio::spawn(async move {
            if run.mode == "memory" {
                let mut tracker = Tracker::new();
                let source = builder()(&spec(&run.base_url)).unwrap();
                let id = tracker.add_source_with(source.0, source.1, SourceOptions::default());
                for i in 0..run.n {
                    tracker.track(id, format!("{}{i}", run.prefix));
                }
                let (mut lags, mut polls) = (Vec::new(), 0u64);
                while let Some(event) = tracker.next().await {
                    if let TrackerEvent::Finished { report, .. } = event {
                        lags.push(run.lag_ms(&report.task_id, unix_micros()));
                        polls += u64::from(report.attempts);
                    }
                }
                serde_json::json!({"lags": lags, "polls": polls})
            } else {
                let store = Store::open(&run.store).await.unwrap();
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                let worker = Worker::new(store, builder())
                    .options(WorkerOptions::default().exit_when_idle(true));
                let task = tokio::spawn(worker.run(tx, std::future::pending()));
                let mut lags = Vec::new();
                while let Some(o) = rx.recv().await {
                    lags.push(run.lag_ms(&o.task_id, unix_micros()));
                }
                let s = task.await.unwrap().unwrap();
                serde_json::json!({
                    "lags": lags, "polls": s.polls + s.outcomes, "progress_rows": s.progress_rows,
                    "transactions": s.write_transactions, "outcomes": s.outcomes,
                })
            }
        })
        .await
        .unwrap()
    });
    let after = cpu_split("self");
    let mut result = result;
    result["cpu_s"] = serde_json::json!((after.0 + after.1) - (cpu_before.0 + cpu_before.1));
    println!("{result}");
}

// --- the orchestrator -------------------------------------------------------------------

struct Sim {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    base_url: String,
}

impl Sim {
    fn command(&mut self, cmd: &str) -> Vec<u64> {
        writeln!(self.stdin, "{cmd}").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line.split_whitespace()
            .skip(1)
            .map(|w| w.parse().unwrap())
            .collect()
    }
}

/// Runs one configuration with `workers` client processes and prints its line.
fn run_config(
    exe: &std::path::Path,
    sim: &mut Sim,
    label: &str,
    store: &str,
    workers: usize,
    n: usize,
    k: usize,
) -> Option<(f64, f64)> {
    let prefix = format!("c{k}-");
    let seed = 0x5CA1E + n as u64;
    let added = sim.command(&format!("narada {prefix} {n} {seed}"));
    if store != "-" {
        let ids: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
        common::two_thread_runtime().block_on(async {
            let s = Store::open(store).await.unwrap();
            s.track(&spec(&sim.base_url), &ids).await.unwrap();
        });
    }
    let requests_before = sim.command("count")[0];
    let run = Run {
        mode: if store == "-" { "memory" } else { "store" }.into(),
        store: store.into(),
        base_url: sim.base_url.clone(),
        n,
        seed,
        before_us: added[0],
        after_us: added[1],
        prefix,
    };
    let children: Vec<Child> = (0..workers)
        .map(|_| {
            Command::new(exe)
                .arg("--client")
                .args(run.args())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let (mut lags, mut cpu, mut polls, mut rows, mut tx) = (Vec::new(), 0.0, 0.0, 0.0, 0.0);
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "client of {label} failed");
        let v: serde_json::Value =
            serde_json::from_slice(out.stdout.trim_ascii()).expect("the client's result line");
        lags.extend(
            v["lags"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|l| l.as_f64()),
        );
        cpu += v["cpu_s"].as_f64().unwrap();
        polls += v["polls"].as_f64().unwrap_or(0.0);
        rows += v["progress_rows"].as_f64().unwrap_or(0.0);
        tx += v["transactions"].as_f64().unwrap_or(0.0);
    }
    let requests = sim.command("count")[0] - requests_before;
    let finished = lags.len();
    let lag = median(lags);
    println!(
        "store_worker tasks={n} config=\"{label}\" workers={workers} finished={finished} \
         requests={requests} client_cpu={cpu:.2}s median_lag={lag:.0}ms \
         progress_rows_per_poll={:.3} write_transactions_per_poll={:.4}",
        rows / polls.max(1.0),
        tx / polls.max(1.0),
    );
    Some((cpu, lag))
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    match argv.get(1).map(String::as_str) {
        Some("--serve") => return serve(),
        Some("--client") => return client(&argv[2..]),
        _ => {}
    }
    let n: usize = argv
        .iter()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(&exe)
        .arg("--serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let base_url = line.trim().strip_prefix("url ").unwrap().to_string();
    let mut sim = Sim {
        child,
        stdin,
        stdout,
        base_url,
    };

    let dir = tempfile::tempdir().unwrap();
    let memory = run_config(&exe, &mut sim, "in-memory tracker", "-", 1, n, 0).unwrap();
    let sqlite = dir.path().join("bench.db").display().to_string();
    let lite = run_config(&exe, &mut sim, "sqlite", &sqlite, 1, n, 1).unwrap();
    let ratio = |(cpu, lag): (f64, f64), label: &str| {
        println!(
            "store_worker tasks={n} {label} vs in-memory: cpu {:.2}x, median lag {lag:.0}ms vs {:.0}ms \
             (goal: <= 1.5x cpu at equal lag)",
            cpu / memory.0,
            memory.1
        );
    };
    ratio(lite, "sqlite");
    match pg::new_cluster() {
        Some(cluster) => {
            let db1 = common::two_thread_runtime().block_on(cluster.database());
            let one = run_config(&exe, &mut sim, "postgres", &cluster.url(&db1), 1, n, 2).unwrap();
            ratio(one, "postgres x1");
            let db3 = common::two_thread_runtime().block_on(cluster.database());
            let three =
                run_config(&exe, &mut sim, "postgres", &cluster.url(&db3), 3, n, 3).unwrap();
            ratio(three, "postgres x3");
            println!(
                "store_worker tasks={n} postgres three workers vs one: median lag {:.0}ms vs {:.0}ms",
                three.1, one.1
            );
        }
        None => println!("store_worker: PostgreSQL not installed; its rows skipped"),
    }
    drop(sim.stdin);
    let _ = sim.child.wait();
}
