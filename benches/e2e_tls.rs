//! End to end over TLS at scale: a naive client and poller, side by side, each waiting on
//! 10,000 Narada tasks and 10,000 Runware tasks served by the simulator behind rustls.
//!
//! The four vendors' APIs are HTTPS-only, so a realistic client pays TLS handshakes and
//! encryption on every connection; this benchmark makes both clients pay them.
//!
//! Workload (the same tasks for both clients): task `i` of each API is submitted at
//! `i / N * 60 s` (a minute of steady submissions) and lasts a log-normal time of its kind,
//! cut to 1-200 s:
//!
//! | API | kind | share | median | sigma |
//! |---|---|---:|---:|---:|
//! | Narada | quick lookup | 40 % | 15 s | 0.4 |
//! | Narada | multi-page task | 40 % | 45 s | 0.5 |
//! | Narada | long workflow | 20 % | 120 s | 0.3 |
//! | Runware | image | 50 % | 4 s | 0.3 |
//! | Runware | short video | 35 % | 40 s | 0.4 |
//! | Runware | long video | 15 % | 120 s | 0.3 |
//!
//! Clients, each in its own process, both running at the same time from the same instant:
//!
//! - `naive`: what a user following each vendor's advice writes: one tokio task per job,
//!   spawned when the job is submitted, with one `reqwest::Client` shared by all of them
//!   (reqwest's documentation advises reusing one client for its connection pool; a client
//!   per task would also redo the TLS handshake and load the root store per task, a weaker
//!   baseline). Narada: `GET`, then every 5 s until `success` or `error` (Narada's polling
//!   guide: 5-10 s intervals; at most 1000 s). Runware: its newest official SDKs' schedule:
//!   wait 1 s, then `POST [{"taskType":"getResponse","taskUUID":…}]` every 0.5 s growing ×1.5
//!   up to 10 s, at most 20 minutes (the facts in the project's seeds README, the same
//!   schedule as `poller_providers::runware::default_policy`). 30 s request timeout.
//! - `poller`: poller as shipped: one `Tracker` with default settings, the two sources built
//!   through the registry (`poller_core::provider(name)?.build_source(config)`, the CA given
//!   with `HttpOptions::add_root_certificate`), each with its provider's default policy
//!   (`Provider::policy()`), default batching (Runware up to 100 tasks a request), no rate
//!   limit (none ships by default); tasks tracked through a `TrackerHandle` when submitted.
//!
//! Process layout: this binary re-executes itself as the simulator (`--serve`: one
//! `poller-sim` `Simulator` per API and client, each with `tls(true)` and its own test CA, on
//! a 2-thread runtime; request logs capped at one entry) and once per client (`--client …`,
//! a 2-thread runtime). Each client reads its CPU time (utime + stime) and peak RSS (VmHWM)
//! from `/proc/self` once it has seen its last task end. Requests are counted by the
//! simulators (one per API and client). Detection lag: the wall-clock time a client learned
//! that a task had ended minus its scripted end (submission instant plus duration).
//!
//! `cargo bench --bench e2e_tls` runs 10,000 tasks per API (about 5 minutes); `-- 2000` runs
//! another size.

use futures::StreamExt;
use poller_core::{
    HttpOptions, RootCertificate, SourceConfig, SourceId, SourceOptions, Tracker, TrackerEvent,
};
use poller_providers as _; // links the providers' registry entries
use poller_sim::{Keys, RunwareTask, Script, Simulator};
use serde::Deserialize;
use std::io::{BufRead, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

mod common;
use common::{
    LineProcess, cpu_split, normal, peak_rss_mib, percentile, two_thread_runtime, unit, unix_micros,
};

/// Submissions are spread evenly over this long.
const ARRIVAL_SECS: f64 = 60.0;
/// Durations are cut to this range.
const MIN_DURATION_SECS: f64 = 1.0;
const MAX_DURATION_SECS: f64 = 200.0;
/// The clients start this long after the tasks are added (time to start the processes).
const LEAD: Duration = Duration::from_secs(3);
const CLIENTS: [&str; 2] = ["naive", "poller"];

// --- the workload -----------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    Narada,
    Runware,
}

const APIS: [Api; 2] = [Api::Narada, Api::Runware];

impl Api {
    fn name(self) -> &'static str {
        match self {
            Api::Narada => "narada",
            Api::Runware => "runware",
        }
    }

    /// The task id of job `i` (the same in every simulator).
    fn id(self, i: usize) -> String {
        match self {
            Api::Narada => format!("n{i}"),
            Api::Runware => format!("w{i}"),
        }
    }

    fn index(self, id: &str) -> usize {
        let prefix = if self == Api::Narada { "n" } else { "w" };
        id.strip_prefix(prefix)
            .and_then(|i| i.parse().ok())
            .expect("a task id of this run")
    }

    /// (share, median seconds, sigma) per kind.
    fn kinds(self) -> &'static [(f64, f64, f64)] {
        match self {
            Api::Narada => &[(0.40, 15.0, 0.4), (0.40, 45.0, 0.5), (0.20, 120.0, 0.3)],
            Api::Runware => &[(0.50, 4.0, 0.3), (0.35, 40.0, 0.4), (0.15, 120.0, 0.3)],
        }
    }
}

/// Job `i` of `api`: when it is submitted (after the start) and how long it lasts.
fn job(api: Api, seed: u64, i: usize, n: usize) -> (Duration, Duration) {
    let salt = if api == Api::Narada { 0x6E61 } else { 0x7277 };
    let mut s = seed ^ salt ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
    let pick = unit(&mut s);
    let mut cumulative = 0.0;
    let kinds = api.kinds();
    let &(_, median, sigma) = kinds
        .iter()
        .find(|(share, _, _)| {
            cumulative += share;
            pick < cumulative
        })
        .unwrap_or(&kinds[kinds.len() - 1]);
    let secs =
        (median * (sigma * normal(&mut s)).exp()).clamp(MIN_DURATION_SECS, MAX_DURATION_SECS);
    let arrival = Duration::from_secs_f64(ARRIVAL_SECS * i as f64 / n as f64);
    (arrival, Duration::from_secs_f64(secs))
}

// --- the simulator process (--serve) ----------------------------------------------------

/// Starts one TLS simulator per API and client, prints `sim CLIENT API URL CA_FILE` for each
/// and `ready`, then answers commands on stdin:
/// - `add N SEED T0_US`: adds the N jobs of each API to every simulator, scripted to end at
///   `T0 + arrival + duration` (wall clock, µs); answers `added`;
/// - `count`: answers `count C…`, the API requests each simulator served, in start order.
fn serve() {
    let rt = two_thread_runtime();
    let dir = std::env::temp_dir().join(format!("poller-e2e-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory for the CA files");
    let mut sims = Vec::new();
    let mut out = std::io::stdout().lock();
    for client in CLIENTS {
        for api in APIS {
            let sim = rt
                .block_on(
                    Simulator::builder()
                        .tls(true)
                        .max_logged_requests(1)
                        .start(),
                )
                .expect("simulator");
            let ca = dir.join(format!("{client}-{}.pem", api.name()));
            std::fs::write(&ca, sim.tls_ca_pem().expect("a TLS simulator")).expect("write CA");
            writeln!(
                out,
                "sim {client} {} {} {}",
                api.name(),
                sim.base_url(),
                ca.display()
            )
            .unwrap();
            sims.push((api, sim));
        }
    }
    writeln!(out, "ready").unwrap();
    out.flush().unwrap();
    let _guard = rt.enter();
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("stdin");
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["add", n, seed, t0] => {
                let n: usize = n.parse().expect("n");
                let seed: u64 = seed.parse().expect("seed");
                let t0: u64 = t0.parse().expect("t0");
                for i in 0..n {
                    for (api, sim) in &sims {
                        let (arrival, duration) = job(*api, seed, i, n);
                        let end_us = t0 + (arrival + duration).as_micros() as u64;
                        let now_us = unix_micros(SystemTime::now());
                        let after = Duration::from_micros(end_us.saturating_sub(now_us));
                        match api {
                            Api::Narada => sim.add_narada_task(
                                api.id(i),
                                Script::narada_success_after(
                                    after,
                                    serde_json::json!({"text": "done"}),
                                ),
                            ),
                            Api::Runware => sim.add_runware_task(
                                api.id(i),
                                RunwareTask::video()
                                    .with_generation(Script::runware_success_after(after, 0.18)),
                            ),
                        }
                    }
                }
                writeln!(out, "added").unwrap();
            }
            ["count"] => {
                let counts: Vec<String> = sims
                    .iter()
                    .map(|(_, sim)| sim.requests().last().map_or(0, |r| r.seq).to_string())
                    .collect();
                writeln!(out, "count {}", counts.join(" ")).unwrap();
            }
            _ => panic!("unknown command {line:?}"),
        }
        out.flush().unwrap();
    }
    for (_, sim) in sims {
        rt.block_on(sim.shutdown());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// --- the client processes (--client) ----------------------------------------------------

struct ClientArgs {
    mode: String,
    narada_url: String,
    narada_ca: String,
    runware_url: String,
    runware_ca: String,
    n: usize,
    seed: u64,
    t0_us: u64,
}

impl ClientArgs {
    fn parse(args: &[String]) -> Self {
        let num = |i: usize| -> u64 { args[i].parse().expect("a number") };
        let pem = |i: usize| std::fs::read_to_string(&args[i]).expect("the CA file");
        ClientArgs {
            mode: args[0].clone(),
            narada_url: args[1].clone(),
            narada_ca: pem(2),
            runware_url: args[3].clone(),
            runware_ca: pem(4),
            n: num(5) as usize,
            seed: num(6),
            t0_us: num(7),
        }
    }

    /// Job `i`'s scripted end, in wall-clock µs.
    fn scripted_end_us(&self, api: Api, i: usize) -> f64 {
        let (arrival, duration) = job(api, self.seed, i, self.n);
        self.t0_us as f64 + (arrival + duration).as_secs_f64() * 1e6
    }

    /// The tokio instant of the wall-clock start `t0`.
    fn start(&self) -> tokio::time::Instant {
        let now = unix_micros(SystemTime::now());
        tokio::time::Instant::now() + Duration::from_micros(self.t0_us.saturating_sub(now))
    }
}

/// One task the client saw end: which, when (wall-clock µs), whether it succeeded.
struct Detected {
    api: Api,
    index: usize,
    at_us: u64,
    ok: bool,
}

/// What a client saw, and the requests it counted itself.
#[derive(Default)]
struct Seen {
    detected: Vec<Detected>,
    requests: [u64; 2],
}

#[derive(Deserialize)]
struct NaradaAnswer {
    status: String,
}

#[derive(Deserialize)]
struct RunwareAnswer {
    data: Vec<NaradaAnswer>,
}

/// One job of the naive client: the vendor's advice as a loop. Returns (ok, requests).
async fn naive_job(
    client: reqwest::Client,
    api: Api,
    url: Arc<str>,
    key: Arc<str>,
    id: String,
) -> (bool, u64) {
    let started = Instant::now();
    let mut requests = 0;
    let (timeout, mut delay) = match api {
        Api::Narada => (Duration::from_secs(1000), Duration::from_secs(5)),
        Api::Runware => {
            tokio::time::sleep(Duration::from_secs(1)).await;
            (Duration::from_secs(20 * 60), Duration::from_millis(500))
        }
    };
    let body = format!(r#"[{{"taskType":"getResponse","taskUUID":"{id}"}}]"#);
    loop {
        requests += 1;
        let request = match api {
            Api::Narada => client.get(format!("{url}/{id}")).header("x-api-key", &*key),
            Api::Runware => client.post(&*url).bearer_auth(&*key).body(body.clone()),
        };
        let bytes = match request.send().await {
            Ok(response) => response.bytes().await.ok(),
            Err(_) => None,
        };
        let status = bytes.and_then(|b| match api {
            Api::Narada => serde_json::from_slice::<NaradaAnswer>(&b)
                .ok()
                .map(|a| a.status),
            Api::Runware => serde_json::from_slice::<RunwareAnswer>(&b)
                .ok()
                .and_then(|a| a.data.into_iter().next())
                .map(|a| a.status),
        });
        match status.as_deref() {
            Some("success") => return (true, requests),
            Some("error") => return (false, requests),
            _ => {}
        }
        if started.elapsed() + delay > timeout {
            return (false, requests);
        }
        tokio::time::sleep(delay).await;
        if api == Api::Runware {
            delay = (delay.mul_f64(1.5)).min(Duration::from_secs(10));
        }
    }
}

async fn naive(args: &ClientArgs) -> Seen {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .add_root_certificate(reqwest::Certificate::from_pem(args.narada_ca.as_bytes()).unwrap())
        .add_root_certificate(reqwest::Certificate::from_pem(args.runware_ca.as_bytes()).unwrap())
        .build()
        .expect("client");
    let keys = Keys::default();
    let narada_url: Arc<str> =
        format!("{}/fast/v2/remote-dispatch/responses", args.narada_url).into();
    let runware_url: Arc<str> = format!("{}/v1", args.runware_url).into();
    let (narada_key, runware_key): (Arc<str>, Arc<str>) = (keys.narada.into(), keys.runware.into());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let start = args.start();
    let mut seen = Seen::default();
    for i in 0..args.n {
        let (arrival, _) = job(Api::Narada, args.seed, i, args.n);
        tokio::time::sleep_until(start + arrival).await;
        for api in APIS {
            let (url, key) = match api {
                Api::Narada => (narada_url.clone(), narada_key.clone()),
                Api::Runware => (runware_url.clone(), runware_key.clone()),
            };
            let (client, tx) = (client.clone(), tx.clone());
            tokio::spawn(async move {
                let (ok, requests) = naive_job(client, api, url, key, api.id(i)).await;
                let at_us = unix_micros(SystemTime::now());
                let _ = tx.send((
                    Detected {
                        api,
                        index: i,
                        at_us,
                        ok,
                    },
                    requests,
                ));
            });
        }
        // Collect what already ended, so results do not pile up in the channel.
        while let Ok((d, requests)) = rx.try_recv() {
            seen.requests[d.api as usize] += requests;
            seen.detected.push(d);
        }
    }
    drop(tx);
    while let Some((d, requests)) = rx.recv().await {
        seen.requests[d.api as usize] += requests;
        seen.detected.push(d);
    }
    seen
}

async fn poller(args: &ClientArgs) -> Seen {
    let mut tracker = Tracker::new();
    let mut ids: Vec<(SourceId, Api)> = Vec::new();
    for api in APIS {
        let (url, ca, key) = match api {
            Api::Narada => (
                args.narada_url.clone(),
                &args.narada_ca,
                Keys::default().narada,
            ),
            Api::Runware => (
                format!("{}/v1", args.runware_url),
                &args.runware_ca,
                Keys::default().runware,
            ),
        };
        let provider = poller_core::provider(api.name()).expect("a registered provider");
        let http = HttpOptions::default()
            .add_root_certificate(RootCertificate::from_pem(ca).expect("the CA"));
        let source = provider
            .build_source(SourceConfig::new().base_url(url).api_key(key).http(http))
            .expect("source");
        ids.push((
            tracker.add_source_with(source, provider.policy(), SourceOptions::default()),
            api,
        ));
    }
    let handle = tracker.handle();
    let start = args.start();
    let (n, seed) = (args.n, args.seed);
    let feeder_ids = ids.clone();
    tokio::spawn(async move {
        for i in 0..n {
            let (arrival, _) = job(Api::Narada, seed, i, n);
            tokio::time::sleep_until(start + arrival).await;
            for (source, api) in &feeder_ids {
                handle.track(*source, api.id(i));
            }
        }
    });
    let mut seen = Seen::default();
    while let Some(event) = tracker.next().await {
        if let TrackerEvent::Finished { source, report } = event {
            let at_us = unix_micros(SystemTime::now());
            let api = ids
                .iter()
                .find(|(s, _)| *s == source)
                .map(|(_, a)| *a)
                .expect("a source of this run");
            seen.requests[api as usize] += u64::from(report.attempts);
            seen.detected.push(Detected {
                api,
                index: api.index(&report.task_id),
                at_us,
                ok: report.outcome.is_success(),
            });
        }
    }
    seen
}

/// Median and p99 of the lags (ms) of `detected` tasks that `keep` selects.
fn lags(
    args: &ClientArgs,
    detected: &[Detected],
    keep: impl Fn(&Detected) -> bool,
) -> serde_json::Value {
    let mut lags: Vec<f64> = detected
        .iter()
        .filter(|d| keep(d))
        .map(|d| (d.at_us as f64 - args.scripted_end_us(d.api, d.index)) / 1e3)
        .collect();
    lags.sort_by(f64::total_cmp);
    serde_json::json!({
        "finished": lags.len(),
        "failed": detected.iter().filter(|d| keep(d) && !d.ok).count(),
        "lag_median_ms": percentile(&lags, 0.5),
        "lag_p99_ms": percentile(&lags, 0.99),
        "lag_min_ms": lags.first().copied().unwrap_or(f64::NAN),
    })
}

fn client(args: &[String]) {
    let args = Arc::new(ClientArgs::parse(args));
    let rt = two_thread_runtime();
    let job_args = args.clone();
    // On a worker, as an application would run it, not on the blocking main thread.
    let seen = rt.block_on(async move {
        tokio::spawn(async move {
            match job_args.mode.as_str() {
                "naive" => naive(&job_args).await,
                "poller" => poller(&job_args).await,
                other => panic!("unknown mode {other}"),
            }
        })
        .await
        .expect("client task")
    });
    // Measured before any post-processing.
    let (user, system) = cpu_split("self");
    let rss = peak_rss_mib();
    let wall = (unix_micros(SystemTime::now()) as f64 - args.t0_us as f64) / 1e6;
    drop(rt);
    let mut out = serde_json::json!({
        "all": lags(&args, &seen.detected, |_| true),
        "cpu_s": user + system,
        "cpu_user_s": user,
        "cpu_sys_s": system,
        "peak_rss_mib": rss,
        "wall_s": wall,
    });
    for api in APIS {
        let mut v = lags(&args, &seen.detected, |d| d.api == api);
        v["client_requests"] = seen.requests[api as usize].into();
        out[api.name()] = v;
    }
    println!("{out}");
}

// --- the orchestrator -------------------------------------------------------------------

struct Sim {
    process: LineProcess,
    /// (client, api, url, CA file), in the simulator's order.
    sims: Vec<(String, String, String, String)>,
}

impl Sim {
    fn start(exe: &std::path::Path) -> Sim {
        let mut sim = Sim {
            process: LineProcess::start(exe, &["--serve"]),
            sims: Vec::new(),
        };
        loop {
            let line = sim.process.read_line();
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["sim", client, api, url, ca] => sim.sims.push((
                    client.to_string(),
                    api.to_string(),
                    url.to_string(),
                    ca.to_string(),
                )),
                ["ready"] => return sim,
                _ => panic!("unexpected simulator output {line:?}"),
            }
        }
    }

    fn url_and_ca(&self, client: &str, api: Api) -> (String, String) {
        let (_, _, url, ca) = self
            .sims
            .iter()
            .find(|(c, a, _, _)| c == client && a == api.name())
            .expect("a simulator per client and API");
        (url.clone(), ca.clone())
    }

    /// Requests served per (client, API).
    fn requests(&mut self, client: &str, api: Api, counts: &[u64]) -> u64 {
        let i = self
            .sims
            .iter()
            .position(|(c, a, _, _)| c == client && a == api.name())
            .expect("a simulator per client and API");
        counts[i]
    }
}

/// A client's figures: what it printed, plus the requests its simulators counted.
struct Figures {
    v: serde_json::Value,
    requests: [u64; 2],
}

impl Figures {
    fn f(&self, path: &[&str]) -> f64 {
        let mut v = &self.v;
        for p in path {
            v = &v[*p];
        }
        v.as_f64().unwrap_or(f64::NAN)
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "MET" } else { "MISSED" }
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    match argv.get(1).map(String::as_str) {
        Some("--serve") => return serve(),
        Some("--client") => return client(&argv[2..]),
        _ => {}
    }
    let n = argv
        .iter()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000usize);
    let seed = 0xE2E7_1500 + n as u64;
    let exe = std::env::current_exe().expect("current exe");
    let mut sim = Sim::start(&exe);
    let t0 = unix_micros(SystemTime::now() + LEAD);
    sim.process.command(&format!("add {n} {seed} {t0}"));
    let sim_cpu_before = sim.process.cpu();
    let children: Vec<_> = CLIENTS
        .iter()
        .map(|client| {
            let (narada_url, narada_ca) = sim.url_and_ca(client, Api::Narada);
            let (runware_url, runware_ca) = sim.url_and_ca(client, Api::Runware);
            Command::new(&exe)
                .arg("--client")
                .args([*client, &narada_url, &narada_ca, &runware_url, &runware_ca])
                .args([n.to_string(), seed.to_string(), t0.to_string()])
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("start a client")
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().expect("a client's output"))
        .collect();
    let sim_cpu = sim.process.cpu() - sim_cpu_before;
    let counts = sim.process.command("count");
    let mut figures = Vec::new();
    for (client, output) in CLIENTS.iter().zip(outputs) {
        assert!(output.status.success(), "client {client} failed");
        let text = String::from_utf8_lossy(&output.stdout);
        let v: serde_json::Value = serde_json::from_str(text.lines().last().unwrap_or("{}"))
            .expect("the client's result line");
        let requests = APIS.map(|api| sim.requests(client, api, &counts));
        figures.push(Figures { v, requests });
    }
    for (client, fig) in CLIENTS.iter().zip(&figures) {
        for api in APIS {
            let a = api.name();
            println!(
                "e2e_tls tasks={n} client={client} api={a} requests={} requests_per_task={:.2} \
                 lag_median={:.0}ms lag_p99={:.0}ms finished={} failed={} client_counted_requests={}",
                fig.requests[api as usize],
                fig.requests[api as usize] as f64 / n as f64,
                fig.f(&[a, "lag_median_ms"]),
                fig.f(&[a, "lag_p99_ms"]),
                fig.v[a]["finished"],
                fig.v[a]["failed"],
                fig.v[a]["client_requests"],
            );
        }
        println!(
            "e2e_tls tasks={n} client={client} total: requests={} lag_median={:.0}ms lag_p99={:.0}ms \
             client_cpu={:.2}s (user {:.2} + sys {:.2}) client_peak_rss={:.1}MiB wall={:.1}s",
            fig.requests.iter().sum::<u64>(),
            fig.f(&["all", "lag_median_ms"]),
            fig.f(&["all", "lag_p99_ms"]),
            fig.f(&["cpu_s"]),
            fig.f(&["cpu_user_s"]),
            fig.f(&["cpu_sys_s"]),
            fig.f(&["peak_rss_mib"]),
            fig.f(&["wall_s"]),
        );
    }
    println!("e2e_tls tasks={n} simulator process cpu={sim_cpu:.2}s (both clients' simulators)");
    let (naive, poller) = (&figures[0], &figures[1]);
    let cpu = naive.f(&["cpu_s"]) / poller.f(&["cpu_s"]);
    let rss = naive.f(&["peak_rss_mib"]) / poller.f(&["peak_rss_mib"]);
    let (lag_naive, lag_poller) = (
        naive.f(&["all", "lag_median_ms"]),
        poller.f(&["all", "lag_median_ms"]),
    );
    let runware = naive.requests[Api::Runware as usize] as f64
        / poller.requests[Api::Runware as usize] as f64;
    let scale = if n >= 10_000 {
        "goal at 10,000 tasks"
    } else {
        "goal is for 10,000 tasks, shown for reference"
    };
    println!(
        "e2e_tls tasks={n} goal client CPU >= 3x less: {cpu:.2}x {} [{scale}]",
        verdict(cpu >= 3.0)
    );
    println!(
        "e2e_tls tasks={n} goal peak RSS >= 10x less: {rss:.2}x {} [{scale}]",
        verdict(rss >= 10.0)
    );
    println!(
        "e2e_tls tasks={n} goal median lag equal or better: poller {lag_poller:.0}ms vs naive {lag_naive:.0}ms {} \
         (narada {:.0} vs {:.0} ms, runware {:.0} vs {:.0} ms) [{scale}]",
        verdict(lag_poller <= lag_naive),
        poller.f(&["narada", "lag_median_ms"]),
        naive.f(&["narada", "lag_median_ms"]),
        poller.f(&["runware", "lag_median_ms"]),
        naive.f(&["runware", "lag_median_ms"]),
    );
    println!(
        "e2e_tls tasks={n} goal Runware requests >= 20x fewer: {} vs {} = {runware:.1}x {} [{scale}]",
        poller.requests[Api::Runware as usize],
        naive.requests[Api::Runware as usize],
        verdict(runware >= 20.0),
    );
    sim.process.finish();
}
