//! Issue #6, item 4: keys never leak.
//!
//! - In the library: every fault case of every provider, plus plain successes, remote
//!   failures, a wrong key and a tracker run, all while a subscriber captures *all* tracing
//!   output at TRACE level into a buffer (poller-core's spans and events, hyper-util's, and
//!   reqwest's `log` records through the `log` bridge). The key must appear nowhere in that
//!   buffer, in no error message (Display or Debug), in no outcome, report, status or source
//!   (Debug), while the simulator's log shows it was sent on every request.
//! - In the CLI: the built `poller` binary with `--log trace` against the simulator, the key
//!   given by flag or by environment variable, for successes, failures, faults and a wrong
//!   key: the key is in neither stdout nor stderr.
//!
//! The capturing subscriber is global (reqwest logs through the global `log` logger), and
//! tracing caches, per call site and per process, whether anyone listens: a call site first
//! reached by another test while the subscriber is being installed can stay muted. So the
//! library test runs in a process of its own (this test binary, started again with a filter),
//! where the subscriber is installed before anything else happens.

use crate::helpers::{End, FaultCase, Kind, Prov, fault_cases, run};
use futures::StreamExt;
use poller_core::{HttpOptions, Outcome, Report, SourceConfig, Tracker, TrackerEvent};
use poller_sim::{Fault, FaultPlan, Keys, Script, Simulator};
use serde_json::json;
use std::cell::Cell;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, filter};

thread_local! {
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;

    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}

/// Installs the global capturing subscriber (once) and returns its buffer.
fn buffer() -> Buffer {
    static BUFFER: OnceLock<Buffer> = OnceLock::new();
    BUFFER
        .get_or_init(|| {
            let buffer = Buffer::default();
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(buffer.clone())
                .with_ansi(false)
                .with_target(true)
                .with_thread_names(true)
                .with_span_events(FmtSpan::FULL)
                .with_filter(filter::filter_fn(|_| CAPTURING.with(Cell::get)));
            // `try_init` also routes the `log` crate (reqwest) into tracing.
            tracing_subscriber::registry()
                .with(layer)
                .try_init()
                .expect("no other global subscriber in this test binary");
            buffer
        })
        .clone()
}

/// Captures everything raised on this thread until dropped.
struct Capture;

impl Capture {
    fn start() -> Capture {
        CAPTURING.with(|c| c.set(true));
        Capture
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        CAPTURING.with(|c| c.set(false));
    }
}

/// Keys that appear nowhere else, one per provider, and a wrong one.
fn secret_keys() -> Keys {
    Keys {
        narada: "sk-live-NARADA-secret-31415926".into(),
        runware: "sk-live-RUNWARE-secret-27182818".into(),
        dari: "sk-live-DARI-secret-14142135".into(),
        dari_org: "my-org".into(),
        vessl: "sk-live-VESSL-secret-17320508".into(),
    }
}

const WRONG_KEY: &str = "sk-live-WRONG-secret-16180339";

fn all_secrets(keys: &Keys) -> [String; 5] {
    [
        keys.narada.clone(),
        keys.runware.clone(),
        keys.dari.clone(),
        keys.vessl.clone(),
        WRONG_KEY.to_string(),
    ]
}

/// Everything a user could print about a finished wait.
fn texts_of(report: &Report, out: &mut Vec<String>) {
    out.push(format!("{report:?}"));
    out.push(format!("{report:#?}"));
    out.push(report.outcome.to_string());
    out.push(report.outcome.kind().to_string());
    if let Outcome::FetchFailed { error, .. } = &report.outcome {
        out.push(error.to_string());
        out.push(format!("{error:?}"));
    }
    if let Some(status) = report.outcome.last_status() {
        out.push(serde_json::to_string(status).unwrap());
        if let Some(e) = &status.error {
            out.push(e.to_string());
        }
    }
}

fn plans(case: &FaultCase) -> Vec<FaultPlan> {
    let always = FaultPlan::always(case.fault.clone());
    match &case.kind {
        Kind::Transient { burst, .. } => vec![FaultPlan::next(*burst, case.fault.clone()), always],
        Kind::Permanent { .. } | Kind::Accepted { .. } => vec![always],
    }
}

/// Runs [`capture_everything`] alone in a new process of this test binary.
#[test]
fn no_key_in_traces_errors_or_outcomes() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "secrets::capture_everything",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .expect("this test binary runs again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}\n{stderr}");
}

#[tokio::test(start_paused = true)]
#[ignore = "run in a process of its own by no_key_in_traces_errors_or_outcomes"]
async fn capture_everything() {
    let buffer = buffer();
    let keys = secret_keys();
    let mut texts = Vec::new();
    let mut waits = 0;
    let capture = Capture::start();
    tracing::info!("capture started");

    for prov in Prov::ALL {
        let key = prov.key(&keys);
        for case in fault_cases() {
            for plan in plans(&case) {
                let r = run(prov, &keys, Some(plan), End::Succeed).await;
                waits += 1;
                assert!(
                    r.requests
                        .iter()
                        .all(|q| q.headers.iter().any(|(_, v)| v.contains(&key))),
                    "{}: every request carried the key",
                    prov.name()
                );
                texts_of(&r.report, &mut texts);
            }
        }
        for end in [End::Succeed, End::Fail] {
            let r = run(prov, &keys, None, end).await;
            prov.check_outcome(&r.report.outcome, prov.task_id(), end);
            texts_of(&r.report, &mut texts);
            waits += 1;
        }

        // A wrong key: the API's own 401, and the wrong key is a secret too.
        let sim = Simulator::builder()
            .keys(keys.clone())
            .start()
            .await
            .unwrap();
        prov.add_task(&sim, prov.task_id(), End::Succeed, Duration::ZERO);
        let source = prov.source(&sim, WRONG_KEY, HttpOptions::default());
        let poller = poller_core::Poller::new(source, crate::helpers::policy());
        texts.push(format!("{poller:?}"));
        let report = poller.wait(prov.task_id()).await;
        assert_eq!(report.outcome.kind(), poller_core::OutcomeKind::FetchError);
        texts_of(&report, &mut texts);
        waits += 1;
    }

    // The typed clients and the registry's configuration.
    texts.push(format!(
        "{:?}",
        poller_providers::narada::Narada::new(keys.narada.clone())
    ));
    texts.push(format!(
        "{:?}",
        poller_providers::runware::Runware::new(keys.runware.clone())
    ));
    texts.push(format!(
        "{:?}",
        poller_providers::dari::Dari::new(keys.dari.clone(), "o", "e")
    ));
    texts.push(format!(
        "{:?}",
        poller_providers::vessl::Vessl::new("https://h/s", keys.vessl.clone())
    ));
    texts.push(format!(
        "{:?}",
        SourceConfig::new().api_key(keys.narada.clone())
    ));
    // And the typed sources they build.
    texts.push(format!(
        "{:?}",
        poller_providers::narada::source(keys.narada.clone()).unwrap()
    ));
    texts.push(format!(
        "{:?}",
        poller_providers::runware::source(keys.runware.clone()).unwrap()
    ));
    texts.push(format!(
        "{:?}",
        poller_providers::dari::source(keys.dari.clone(), "o", "e").unwrap()
    ));
    texts.push(format!(
        "{:?}",
        poller_providers::vessl::source("https://h/s", keys.vessl.clone()).unwrap()
    ));
    texts.push(format!("{:?}", poller_core::ApiKey::new(WRONG_KEY)));

    // A tracker over the four providers, through the registry, with change events.
    let sim = Simulator::builder()
        .keys(keys.clone())
        .start()
        .await
        .unwrap();
    let mut tracker = Tracker::new().emit_changes(true);
    for prov in Prov::ALL {
        let base = match prov {
            Prov::Runware => sim.runware_base_url(),
            Prov::Vessl => sim.vessl_base_url(crate::helpers::SLUG),
            _ => sim.base_url().to_string(),
        };
        let mut config = SourceConfig::new().base_url(base).api_key(prov.key(&keys));
        if prov == Prov::Dari {
            config = config
                .param("org_id", crate::helpers::ORG)
                .param("endpoint_name", crate::helpers::ENDPOINT);
        }
        let provider = poller_providers::get(prov.name()).unwrap();
        let source = provider.build_source(config).unwrap();
        let id = tracker.add_source(source, provider.policy());
        for (i, end) in [End::Succeed, End::Fail].into_iter().enumerate() {
            let task = format!("{}-{i}", prov.task_id());
            prov.add_task(&sim, &task, end, Duration::from_secs(5));
            tracker.track(id, task);
        }
    }
    sim.inject_fault(
        poller_sim::FaultTarget::Global,
        FaultPlan::requests(1..=3, Fault::status(503)),
    );
    texts.push(format!("{tracker:?}"));
    let events: Vec<TrackerEvent> = tracker.collect().await;
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, TrackerEvent::Finished { .. }))
            .count(),
        8
    );
    for e in &events {
        texts.push(format!("{e:?}"));
    }
    drop(capture);

    let captured = String::from_utf8_lossy(&buffer.0.lock().unwrap()).into_owned();
    // The capture saw the transport's own output, not only ours.
    for target in ["poller_core", "hyper_util", "reqwest"] {
        assert!(
            captured.contains(target),
            "no event from {target} was captured; the test would prove nothing"
        );
    }
    for needle in ["TRACE", "DEBUG", "fetch failed", "fetched", "poll{"] {
        assert!(captured.contains(needle), "{needle:?} not captured");
    }
    assert!(waits > 100, "{waits} waits");
    for secret in all_secrets(&keys) {
        if let Some(at) = captured.find(&secret) {
            let from = at.saturating_sub(300);
            panic!(
                "the key is in the trace output: …{}…",
                &captured[from..(at + secret.len() + 100).min(captured.len())]
            );
        }
        for text in &texts {
            assert!(!text.contains(&secret), "the key is in {text}");
        }
    }
}

/// Arguments, environment and the expected exit code of one run of the CLI.
type CliRun = (Vec<String>, Vec<(&'static str, String)>, i32);

/// Runs the `poller` binary with `args` and only `env` in its environment.
async fn poller(args: Vec<String>, env: Vec<(&'static str, String)>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_poller"))
            .args(&args)
            .env_clear()
            .envs(env)
            .output()
            .expect("the poller binary runs")
    })
    .await
    .unwrap()
}

/// The CLI in real time (a second process cannot share our virtual clock); every task is
/// final at once or after one retry, so each run takes about a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_never_prints_the_key() {
    let keys = secret_keys();
    let sim = Simulator::builder()
        .keys(keys.clone())
        .start()
        .await
        .unwrap();
    for prov in Prov::ALL {
        prov.add_task(&sim, "ok-1", End::Succeed, Duration::ZERO);
        prov.add_task(&sim, "fail-1", End::Fail, Duration::ZERO);
        let flaky = prov.add_task(&sim, "flaky-1", End::Succeed, Duration::ZERO);
        sim.inject_fault(flaky, FaultPlan::next(1, Fault::Html { code: 502 }));
        let odd = prov.add_task(&sim, "odd-1", End::Succeed, Duration::ZERO);
        sim.inject_fault(odd, FaultPlan::always(Fault::unknown_status()));
    }
    sim.add_narada_task(
        "input-1",
        Script::narada_input_then_success(
            Duration::ZERO,
            "Log in",
            Duration::from_secs(3600),
            json!({}),
        ),
    );

    let var = |prov: Prov| match prov {
        Prov::Narada => "NARADA_API_KEY",
        Prov::Runware => "RUNWARE_API_KEY",
        Prov::Dari => "DARI_API_KEY",
        Prov::Vessl => "VESSL_API_TOKEN",
    };
    let mut runs = 0;
    for prov in Prov::ALL {
        let key = prov.key(&keys);
        let mut connection = vec!["--base-url".to_string()];
        connection.push(match prov {
            Prov::Runware => sim.runware_base_url(),
            Prov::Vessl => sim.vessl_base_url(crate::helpers::SLUG),
            _ => sim.base_url().to_string(),
        });
        if prov == Prov::Dari {
            for p in ["org_id=my-org", "endpoint_name=contact_form"] {
                connection.extend(["--param".to_string(), p.to_string()]);
            }
        }
        let wait = |extra: &[&str]| {
            let mut a: Vec<String> = ["--log", "trace", "wait", prov.name()]
                .map(String::from)
                .to_vec();
            a.extend(["ok-1", "fail-1", "flaky-1", "odd-1"].map(String::from));
            a.extend(connection.iter().cloned());
            a.extend(["--interval", "100ms", "--timeout", "30s"].map(String::from));
            a.extend(extra.iter().map(|s| s.to_string()));
            a
        };
        let status = |extra: &[&str]| {
            let mut a: Vec<String> = ["--log", "trace", "status", prov.name(), "ok-1"]
                .map(String::from)
                .to_vec();
            a.extend(connection.iter().cloned());
            a.extend(extra.iter().map(|s| s.to_string()));
            a
        };
        let cases: Vec<CliRun> = vec![
            // The key by flag, text and JSON output; the worst task (unknown status) exits 5.
            (wait(&["--api-key", &key]), vec![], 5),
            (wait(&["--api-key", &key, "--json"]), vec![], 5),
            // The key from the provider's variable, and from POLLER_API_KEY.
            (wait(&[]), vec![(var(prov), key.clone())], 5),
            (wait(&["--json"]), vec![("POLLER_API_KEY", key.clone())], 5),
            (status(&["--api-key", &key]), vec![], 0),
            (status(&["--json"]), vec![(var(prov), key.clone())], 0),
            // A wrong key: 401, exit 5.
            (wait(&["--api-key", WRONG_KEY]), vec![], 5),
            (status(&["--json", "--api-key", WRONG_KEY]), vec![], 5),
        ];
        for (args, env, code) in cases {
            let out = poller(args.clone(), env).await;
            runs += 1;
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(code),
                "{args:?}\n{stdout}\n{stderr}"
            );
            assert!(
                stderr.contains("TRACE") && stderr.contains("DEBUG"),
                "--log trace printed nothing: {stderr}"
            );
            for secret in all_secrets(&keys) {
                assert!(
                    !stdout.contains(&secret),
                    "key on stdout of {args:?}:\n{stdout}"
                );
                assert!(
                    !stderr.contains(&secret),
                    "key on stderr of {args:?}:\n{stderr}"
                );
            }
        }
    }
    assert_eq!(runs, 32);
    // The runs did reach the simulator, with the key.
    let requests = sim.requests();
    for prov in Prov::ALL {
        let key = prov.key(&keys);
        assert!(
            requests
                .iter()
                .any(|r| r.headers.iter().any(|(_, v)| v.contains(&key))),
            "{}",
            prov.name()
        );
    }
}
