//! Scale over HTTP: N concurrent tasks against the loopback simulator, in real time.
//!
//! Durations are log-normal (median 10 s, sigma 0.3). Each configuration polls the same tasks
//! on the same fixed interval (1 s by default; `--interval-ms=2000` to change it):
//!
//! - `naive`: one tokio task per job, `loop { reqwest GET; parse; if final break; sleep }`;
//! - `poller`: one `Tracker` with the Narada source and `Fixed(interval)`;
//! - `runware batched` / `runware unbatched`: a `Tracker` with `RunwareSource` as a batch
//!   source, batches of up to 100, or batch size 1 (one task per request).
//!
//! Process layout, so that CPU and memory are the client's alone: this binary re-executes
//! itself as the simulator (`--serve`, a `poller-sim` `Simulator` on its own 2-thread runtime,
//! tasks added through the library on commands read from stdin) and once more per client
//! configuration (`--client ...`, a 2-thread runtime); each client reads its own CPU time
//! (utime + stime) and peak RSS (VmHWM) from `/proc/self` when its last task is detected.
//!
//! Requests are counted by the simulator (the sequence number of its last logged request).
//! Detection lag is the wall-clock time at which the client learned that a task had ended,
//! minus the task's scripted end (the moment it was added plus its duration).
//!
//! **Runware under faults**: 2,000 Runware tasks that all finish 5 s after being added, polled
//! by a `Tracker` with Runware's default policy (`poller_providers::runware::default_policy`,
//! batches of up to 100), once without faults and once with the simulator failing 20 % of
//! requests at random with a transient fault (`Simulator::set_random_faults`: 500, 502, 503,
//! 504, 429 with `Retry-After: 1`, a 502 HTML page, a reset mid-body). The simulator counts
//! the POSTs, those naming one task id, and those it spoiled; the client its wall time.
//!
//! `cargo bench --bench scale_http` runs 1,000 and 10,000 tasks, then the faults comparison;
//! `-- 2000` runs one size; `-- --faults-only` only the faults comparison.

use futures::StreamExt;
use poller_core::{BoxPolicy, Fixed, SourceOptions, Tracker, TrackerEvent};
use poller_providers::narada::{Narada, NaradaResponse};
use poller_providers::runware::Runware;
use poller_sim::{Keys, RunwareTask, Script, Simulator};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const MEDIAN_SECS: f64 = 10.0;
const SIGMA: f64 = 0.3;
const BATCH: usize = 100;

// --- shared helpers ---------------------------------------------------------------------

mod common;
use common::{cpu_seconds, cpu_split, peak_rss_mib, unit};

/// Task `i`'s duration: log-normal, median 10 s, sigma 0.3 (the same in every process).
fn duration(seed: u64, i: usize) -> Duration {
    let mut s = seed ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
    let u1 = unit(&mut s).max(1e-12);
    let u2 = unit(&mut s);
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    Duration::from_secs_f64(MEDIAN_SECS * (SIGMA * z).exp())
}

fn unix_micros(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_micros() as u64
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

// --- the simulator process (--serve) ----------------------------------------------------

/// Commands on stdin, one per line; answers on stdout:
/// - `narada PREFIX N SEED` / `runware PREFIX N SEED`: adds tasks PREFIX0..PREFIX{N-1};
///   answers `added BEFORE_US AFTER_US` (wall clock around the insertions);
/// - `count`: answers `count SEQ`, the number of API requests served so far.
/// - `runware-fixed PREFIX N MILLIS`: adds Runware tasks PREFIX0..PREFIX{N-1}, each finishing
///   MILLIS after it is added; answers like `runware`;
/// - `faults RATE SEED`: random transient faults on a share RATE of requests (0 stops them);
///   answers `faults`;
/// - `posts SEQ`: answers `posts TOTAL ONE_ID SPOILED` for the logged Runware requests after
///   sequence number SEQ.
///
/// The request log keeps the last `log` requests (the first argument after `--serve`).
fn serve(log: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let sim = rt
        .block_on(Simulator::builder().max_logged_requests(log).start())
        .expect("simulator");
    let _guard = rt.enter();
    let mut out = std::io::stdout().lock();
    writeln!(out, "url {}", sim.base_url()).unwrap();
    out.flush().unwrap();
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("stdin");
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [api @ ("narada" | "runware"), prefix, n, seed] => {
                let n: usize = n.parse().expect("n");
                let seed: u64 = seed.parse().expect("seed");
                let before = SystemTime::now();
                for i in 0..n {
                    let id = format!("{prefix}{i}");
                    let d = duration(seed, i);
                    if *api == "narada" {
                        sim.add_narada_task(
                            id,
                            Script::narada_success_after(d, serde_json::json!({"text": "done"})),
                        );
                    } else {
                        sim.add_runware_task(
                            id,
                            RunwareTask::video()
                                .with_generation(Script::runware_success_after(d, 0.18)),
                        );
                    }
                }
                let after = SystemTime::now();
                writeln!(out, "added {} {}", unix_micros(before), unix_micros(after)).unwrap();
            }
            ["runware-fixed", prefix, n, millis] => {
                let n: usize = n.parse().expect("n");
                let d = Duration::from_millis(millis.parse().expect("millis"));
                let before = SystemTime::now();
                for i in 0..n {
                    sim.add_runware_task(
                        format!("{prefix}{i}"),
                        RunwareTask::video()
                            .with_generation(Script::runware_success_after(d, 0.18)),
                    );
                }
                let after = SystemTime::now();
                writeln!(out, "added {} {}", unix_micros(before), unix_micros(after)).unwrap();
            }
            ["faults", rate, seed] => {
                let rate: f64 = rate.parse().expect("rate");
                if rate > 0.0 {
                    sim.set_random_faults(rate, seed.parse().expect("seed"));
                } else {
                    sim.disable_random_faults();
                }
                writeln!(out, "faults").unwrap();
            }
            ["posts", after] => {
                let after: u64 = after.parse().expect("seq");
                let posts = sim
                    .requests_where(|r| r.seq > after && r.api == Some(poller_sim::Api::Runware));
                let one = posts.iter().filter(|r| r.tasks.len() == 1).count();
                let spoiled = posts.iter().filter(|r| r.fault.is_some()).count();
                writeln!(out, "posts {} {one} {spoiled}", posts.len()).unwrap();
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

// --- the client processes (--client) ----------------------------------------------------

struct ClientArgs {
    mode: String,
    base_url: String,
    n: usize,
    seed: u64,
    interval: Duration,
    added_before_us: u64,
    added_after_us: u64,
    prefix: String,
    batch: usize,
    /// Every task's duration in ms; 0 for the log-normal durations.
    fixed_ms: u64,
}

impl ClientArgs {
    fn parse(args: &[String]) -> Self {
        let num = |i: usize| -> u64 { args[i].parse().expect("a number") };
        ClientArgs {
            mode: args[0].clone(),
            base_url: args[1].clone(),
            n: num(2) as usize,
            seed: num(3),
            interval: Duration::from_millis(num(4)),
            added_before_us: num(5),
            added_after_us: num(6),
            prefix: args[7].clone(),
            batch: num(8) as usize,
            fixed_ms: num(9),
        }
    }

    fn to_args(&self) -> Vec<String> {
        vec![
            self.mode.clone(),
            self.base_url.clone(),
            self.n.to_string(),
            self.seed.to_string(),
            self.interval.as_millis().to_string(),
            self.added_before_us.to_string(),
            self.added_after_us.to_string(),
            self.prefix.clone(),
            self.batch.to_string(),
            self.fixed_ms.to_string(),
        ]
    }

    /// Task `i`'s scripted end, in wall-clock microseconds: the insertions are spread evenly
    /// over the time the simulator took to add them all.
    fn scripted_end_us(&self, i: usize) -> f64 {
        let span = self.added_after_us.saturating_sub(self.added_before_us) as f64;
        let d = match self.fixed_ms {
            0 => duration(self.seed, i),
            ms => Duration::from_millis(ms),
        };
        self.added_before_us as f64 + span * i as f64 / self.n as f64 + d.as_secs_f64() * 1e6
    }

    fn index(&self, id: &str) -> usize {
        id.strip_prefix(&self.prefix)
            .and_then(|i| i.parse().ok())
            .expect("a task id of this run")
    }
}

/// What a client saw: per finished task (index, detection time in wall-clock µs, success).
struct Seen {
    finished: Vec<(usize, u64, bool)>,
    client_requests: u64,
    errors: u64,
}

async fn naive(args: &ClientArgs) -> Seen {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let key = Keys::default().narada;
    let mut handles = Vec::with_capacity(args.n);
    for i in 0..args.n {
        let client = client.clone();
        let key = key.clone();
        let url = format!(
            "{}/fast/v2/remote-dispatch/responses/{}{i}",
            args.base_url, args.prefix
        );
        let interval = args.interval;
        handles.push(tokio::spawn(async move {
            let (mut requests, mut errors) = (0u64, 0u64);
            loop {
                requests += 1;
                let answer = match client.get(&url).header("x-api-key", &key).send().await {
                    Ok(response) => response.bytes().await.ok(),
                    Err(_) => None,
                };
                match answer.and_then(|b| serde_json::from_slice::<NaradaResponse>(&b).ok()) {
                    Some(body) if body.status == "success" || body.status == "error" => {
                        let at = unix_micros(SystemTime::now());
                        return (i, at, body.status == "success", requests, errors);
                    }
                    Some(_) => {}
                    None => errors += 1,
                }
                tokio::time::sleep(interval).await;
            }
        }));
    }
    let mut seen = Seen {
        finished: Vec::with_capacity(args.n),
        client_requests: 0,
        errors: 0,
    };
    for h in handles {
        let (i, at, ok, requests, errors) = h.await.expect("task");
        seen.finished.push((i, at, ok));
        seen.client_requests += requests;
        seen.errors += errors;
    }
    seen
}

async fn tracked<O: Clone + Send + Sync + 'static>(
    args: &ClientArgs,
    mut tracker: Tracker<O>,
    source: poller_core::SourceId,
) -> Seen {
    for i in 0..args.n {
        tracker.track(source, format!("{}{i}", args.prefix));
    }
    let mut seen = Seen {
        finished: Vec::with_capacity(args.n),
        client_requests: 0,
        errors: 0,
    };
    while let Some(event) = tracker.next().await {
        if let TrackerEvent::Finished { report, .. } = event {
            let at = unix_micros(SystemTime::now());
            seen.finished
                .push((args.index(&report.task_id), at, report.outcome.is_success()));
            seen.client_requests += u64::from(report.attempts);
        }
    }
    seen
}

async fn poller(args: &ClientArgs) -> Seen {
    let source = Narada::new(Keys::default().narada)
        .base_url(args.base_url.as_str())
        .source()
        .expect("source");
    let mut tracker = Tracker::new();
    let id = tracker.add_source_with(
        Arc::new(source),
        BoxPolicy::new(Fixed::new(args.interval)),
        SourceOptions::default(),
    );
    tracked(args, tracker, id).await
}

async fn runware(args: &ClientArgs) -> Seen {
    let source = Runware::new(Keys::default().runware)
        .base_url(format!("{}/v1", args.base_url))
        .source()
        .expect("source");
    let policy = match args.mode.as_str() {
        "runware-default" => poller_providers::runware::default_policy(),
        _ => BoxPolicy::new(Fixed::new(args.interval)),
    };
    let mut tracker = Tracker::new();
    let id = tracker.add_source_with(
        Arc::new(source),
        policy,
        SourceOptions::default().batch_size(args.batch),
    );
    tracked(args, tracker, id).await
}

fn client(args: &[String]) {
    let args = Arc::new(ClientArgs::parse(args));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let wall = Instant::now();
    let job = args.clone();
    // On a worker, as an application would run it, not on the blocking main thread.
    let seen = rt.block_on(async move {
        tokio::spawn(async move {
            match job.mode.as_str() {
                "naive" => naive(&job).await,
                "poller" => poller(&job).await,
                "runware" | "runware-default" => runware(&job).await,
                other => panic!("unknown mode {other}"),
            }
        })
        .await
        .expect("client task")
    });
    let wall = wall.elapsed().as_secs_f64();
    // Measured before any post-processing.
    let (user, system) = cpu_split("self");
    let rss = peak_rss_mib();
    drop(rt);

    let mut lags: Vec<f64> = seen
        .finished
        .iter()
        .map(|&(i, at, _)| (at as f64 - args.scripted_end_us(i)) / 1e3)
        .collect();
    lags.sort_by(f64::total_cmp);
    let failed = seen.finished.iter().filter(|f| !f.2).count();
    println!(
        "{}",
        serde_json::json!({
            "finished": seen.finished.len(),
            "failed": failed,
            "client_requests": seen.client_requests,
            "errors": seen.errors,
            "lag_median_ms": percentile(&lags, 0.5),
            "lag_p99_ms": percentile(&lags, 0.99),
            "lag_min_ms": lags.first().copied().unwrap_or(f64::NAN),
            "cpu_s": user + system,
            "cpu_user_s": user,
            "cpu_sys_s": system,
            "peak_rss_mib": rss,
            "wall_s": wall,
        })
    );
}

// --- the orchestrator -------------------------------------------------------------------

struct Sim {
    exe: std::path::PathBuf,
    runs: u32,
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    base_url: String,
}

impl Sim {
    /// A simulator process keeping the last `log` requests in its log.
    fn start(exe: std::path::PathBuf, log: usize) -> Sim {
        let mut child = Command::new(&exe)
            .arg("--serve")
            .arg(log.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the simulator process");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut sim = Sim {
            exe,
            runs: 0,
            child,
            stdin,
            stdout,
            base_url: String::new(),
        };
        let line = sim.read_line();
        sim.base_url = line.strip_prefix("url ").expect("url").to_string();
        sim
    }

    fn read_line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("simulator output");
        line.trim().to_string()
    }

    fn command(&mut self, cmd: &str) -> Vec<u64> {
        writeln!(self.stdin, "{cmd}").expect("simulator input");
        self.stdin.flush().unwrap();
        self.read_line()
            .split_whitespace()
            .skip(1)
            .map(|w| w.parse().expect("a number"))
            .collect()
    }

    fn count(&mut self) -> u64 {
        self.command("count")[0]
    }

    fn cpu(&self) -> f64 {
        cpu_seconds(&self.child.id().to_string())
    }
}

#[derive(Clone, Copy, Debug)]
struct Figures {
    requests: u64,
    per_task: f64,
    lag_median_ms: f64,
    lag_p99_ms: f64,
    cpu_s: f64,
    rss_mib: f64,
}

/// Runs one client configuration on fresh tasks and prints its summary line.
fn run_config(
    sim: &mut Sim,
    label: &str,
    mode: &str,
    n: usize,
    interval: Duration,
    batch: usize,
) -> Figures {
    let api = if mode == "runware" {
        "runware"
    } else {
        "narada"
    };
    sim.runs += 1;
    let prefix = format!("r{}-", sim.runs);
    let seed = 0x5CA1E + n as u64;
    let added = sim.command(&format!("{api} {prefix} {n} {seed}"));
    let requests_before = sim.count();
    let sim_cpu_before = sim.cpu();
    let args = ClientArgs {
        mode: mode.to_string(),
        base_url: sim.base_url.clone(),
        n,
        seed,
        interval,
        added_before_us: added[0],
        added_after_us: added[1],
        prefix,
        batch,
        fixed_ms: 0,
    };
    let v = run_client(sim, &args, label);
    let requests = sim.count() - requests_before;
    let sim_cpu = sim.cpu() - sim_cpu_before;
    let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let figures = Figures {
        requests,
        per_task: requests as f64 / n as f64,
        lag_median_ms: f("lag_median_ms"),
        lag_p99_ms: f("lag_p99_ms"),
        cpu_s: f("cpu_s"),
        rss_mib: f("peak_rss_mib"),
    };
    println!(
        "scale_http tasks={n} client=\"{label}\" interval={}ms requests={} requests_per_task={:.2} \
         lag_median={:.0}ms lag_p99={:.0}ms client_cpu={:.2}s (user {:.2} + sys {:.2}, \
         {:.1}us/request) client_peak_rss={:.1}MiB \
         wall={:.1}s finished={} failed={} fetch_errors={} client_counted_requests={} \
         sim_cpu={:.2}s add_spread={:.1}ms",
        interval.as_millis(),
        figures.requests,
        figures.per_task,
        figures.lag_median_ms,
        figures.lag_p99_ms,
        figures.cpu_s,
        f("cpu_user_s"),
        f("cpu_sys_s"),
        figures.cpu_s / figures.requests as f64 * 1e6,
        figures.rss_mib,
        f("wall_s"),
        v["finished"],
        v["failed"],
        v["errors"],
        v["client_requests"],
        sim_cpu,
        (added[1] - added[0]) as f64 / 1e3,
    );
    figures
}

/// Runs one client process on `args`, returning its result line.
fn run_client(sim: &Sim, args: &ClientArgs, label: &str) -> serde_json::Value {
    let output = Command::new(&sim.exe)
        .arg("--client")
        .args(args.to_args())
        .stderr(Stdio::inherit())
        .output()
        .expect("run a client");
    assert!(output.status.success(), "client {label} failed");
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(text.lines().last().unwrap_or("{}")).expect("the client's result line")
}

/// What the simulator saw of one Runware-under-faults run.
struct FaultFigures {
    posts: u64,
    one_id: u64,
    wall_s: f64,
}

/// Tasks of the Runware-under-faults comparison, and when each finishes.
const FAULT_TASKS: usize = 2_000;
const FAULT_TASK_MS: u64 = 5_000;

/// One Runware-under-faults run: `FAULT_TASKS` tasks finishing after 5 s, Runware's default
/// policy, a share `rate` of requests spoiled at random.
fn run_faults(sim: &mut Sim, rate: f64) -> FaultFigures {
    let n = FAULT_TASKS;
    sim.runs += 1;
    let prefix = format!("f{}-", sim.runs);
    sim.command(&format!("faults {rate} 42"));
    let added = sim.command(&format!("runware-fixed {prefix} {n} {FAULT_TASK_MS}"));
    let before = sim.count();
    let args = ClientArgs {
        mode: "runware-default".to_string(),
        base_url: sim.base_url.clone(),
        n,
        seed: 0,
        interval: Duration::ZERO,
        added_before_us: added[0],
        added_after_us: added[1],
        prefix,
        batch: BATCH,
        fixed_ms: FAULT_TASK_MS,
    };
    let label = format!("runware default policy, {:.0} % faults", rate * 100.0);
    let v = run_client(sim, &args, &label);
    let posts = sim.command(&format!("posts {before}"));
    sim.command("faults 0 0");
    let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let figures = FaultFigures {
        posts: posts[0],
        one_id: posts[1],
        wall_s: f("wall_s"),
    };
    println!(
        "scale_http runware_faults tasks={n} duration={}s faults={:.0}% posts={} posts_with_one_id={} \
         spoiled={} lag_median={:.0}ms lag_p99={:.0}ms wall={:.1}s finished={} failed={}",
        FAULT_TASK_MS / 1_000,
        rate * 100.0,
        figures.posts,
        figures.one_id,
        posts[2],
        f("lag_median_ms"),
        f("lag_p99_ms"),
        figures.wall_s,
        v["finished"],
        v["failed"],
    );
    figures
}

fn verdict(ok: bool) -> &'static str {
    if ok { "MET" } else { "MISSED" }
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    match argv.get(1).map(String::as_str) {
        Some("--serve") => {
            return serve(argv.get(2).and_then(|n| n.parse().ok()).unwrap_or(1));
        }
        Some("--client") => return client(&argv[2..]),
        _ => {}
    }
    let mut sizes: Vec<usize> = argv.iter().skip(1).filter_map(|a| a.parse().ok()).collect();
    if sizes.is_empty() {
        sizes = vec![1_000, 10_000];
    }
    let interval = argv
        .iter()
        .find_map(|a| a.strip_prefix("--interval-ms="))
        .map_or(Duration::from_secs(1), |ms| {
            Duration::from_millis(ms.parse().expect("--interval-ms=N"))
        });
    let exe = std::env::current_exe().expect("current exe");
    let faults_only = argv.iter().any(|a| a == "--faults-only");
    if faults_only {
        sizes.clear();
    }
    let mut sim = Sim::start(exe.clone(), 1);
    for &n in &sizes {
        let base = run_config(&mut sim, "naive", "naive", n, interval, 1);
        let poll = run_config(&mut sim, "poller", "poller", n, interval, 1);
        let batched = run_config(&mut sim, "runware batched", "runware", n, interval, BATCH);
        let single = run_config(&mut sim, "runware unbatched", "runware", n, interval, 1);
        let cpu_ratio = base.cpu_s / poll.cpu_s;
        let rss_ratio = base.rss_mib / poll.rss_mib;
        let lag_ok = poll.lag_median_ms <= base.lag_median_ms;
        let goal = if n >= 10_000 {
            "goal at 10,000 tasks"
        } else {
            "goal is for 10,000 tasks, shown for reference"
        };
        println!(
            "scale_http tasks={n} poller vs naive: cpu {cpu_ratio:.2}x less (>= 3x: {}), \
             peak rss {rss_ratio:.2}x less (>= 3x: {}), median lag {:.0}ms vs {:.0}ms \
             (equal or better: {}) [{goal}]",
            verdict(cpu_ratio >= 3.0),
            verdict(rss_ratio >= 3.0),
            poll.lag_median_ms,
            base.lag_median_ms,
            verdict(lag_ok),
        );
        let fewer = single.requests as f64 / batched.requests as f64;
        println!(
            "scale_http tasks={n} runware batching: {} vs {} requests, {fewer:.1}x fewer (>= 10x: {})",
            batched.requests,
            single.requests,
            verdict(fewer >= 10.0),
        );
    }
    drop(sim.stdin);
    let _ = sim.child.wait();

    // Runware under faults, on a simulator that logs every request (to count ids per POST).
    let mut sim = Sim::start(exe, 1_000_000);
    let clean = run_faults(&mut sim, 0.0);
    let faulty = run_faults(&mut sim, 0.2);
    let ratio = faulty.posts as f64 / clean.posts as f64;
    println!(
        "scale_http runware_faults: {} POSTs with 20 % faults vs {} without ({ratio:.2}x; \
         <= 1.5x: {}), {} vs {} with one id, wall {:.1}s vs {:.1}s",
        faulty.posts,
        clean.posts,
        verdict(ratio <= 1.5),
        faulty.one_id,
        clean.one_id,
        faulty.wall_s,
        clean.wall_s,
    );
    drop(sim.stdin);
    let _ = sim.child.wait();
}
