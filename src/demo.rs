//! `poller demo`: every provider against the embedded simulator, with live progress and a
//! summary table. Its tasks are created through each API's create endpoint (the round trip a
//! user makes: `poller_providers::submit`, then a wait), with the simulator told beforehand
//! which script each created task follows. The demo checks itself: it exits 0 only if every
//! task ended as scripted.

use crate::cli::Until;
use crate::counting::{Counts, counting};
use crate::out::Stdout;
use crate::progress::{FRAME_EVERY, ProgressView, RowSpec};
use crate::report::{Verdict, compact, describe};
use futures::StreamExt;
use poller_core::{
    BoxPolicy, ConfigError, DynSource, Exponential, OutcomeKind, PollPolicyExt, Report,
    SourceConfig, SourceOptions, Tracker, TrackerEvent, provider,
};
use poller_sim::{
    CreatedScript, DariStage, Fault, FaultPlan, RetryAfter, Script, Simulator, TaskKey,
};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// One scripted task: provider, the request that creates it, and the outcome it must reach.
struct DemoTask {
    provider: &'static str,
    what: &'static str,
    expect: OutcomeKind,
}

const TASKS: &[DemoTask] = &[
    DemoTask {
        provider: "narada",
        what: "succeeds after 2 s",
        expect: OutcomeKind::Succeeded,
    },
    DemoTask {
        provider: "narada",
        what: "needs input, then succeeds",
        expect: OutcomeKind::Succeeded,
    },
    DemoTask {
        provider: "runware",
        what: "3 generations finishing apart",
        expect: OutcomeKind::Succeeded,
    },
    DemoTask {
        provider: "runware",
        what: "one generation fails",
        expect: OutcomeKind::Failed,
    },
    DemoTask {
        provider: "dari",
        what: "steps, through 503s and a 429",
        expect: OutcomeKind::Succeeded,
    },
    DemoTask {
        provider: "vessl",
        what: "queued, running, completed",
        expect: OutcomeKind::Succeeded,
    },
];

/// The create requests, one per provider (Runware's two tasks share one request), each as
/// the vendor documents it.
fn requests() -> [(&'static str, Value); 5] {
    let video = |prompt: &str, results: u32| {
        json!({"taskType": "videoInference", "model": "klingai:5@3", "positivePrompt": prompt,
               "duration": 5, "numberResults": results})
    };
    [
        (
            "narada",
            json!({"prompt": "Book a table for 2 at 19:30 at Chez Nous", "executionMode": "cloud"}),
        ),
        (
            "narada",
            json!({"prompt": "Download my latest invoice", "executionMode": "cloud"}),
        ),
        (
            "runware",
            json!([video("waves at dusk", 3), video("dunes at noon", 2)]),
        ),
        (
            "dari",
            json!({"form_data": {"email": "ada@example.com", "message": "Hello"}, "max_turns": 20}),
        ),
        (
            "vessl",
            json!({"data": {"prompt": "Say hello"}, "method": "POST", "path": "/generate"}),
        ),
    ]
}

/// Queues the script of each task the demo will create, in the order it creates them.
fn script(sim: &Simulator) {
    sim.script_next_created(CreatedScript::narada(Script::narada_success_after(
        ms(2_000),
        json!({"text": "Booked a table for 2 at 19:30."}),
    )));
    sim.script_next_created(CreatedScript::narada(Script::narada_input_then_success(
        ms(800),
        "The task requires authentication. Please log in to continue.",
        ms(1_500),
        json!({"text": "Logged in and downloaded the invoice."}),
    )));
    sim.script_next_created(CreatedScript::runware(vec![
        Script::runware_success_after(ms(1_200), 0.18),
        Script::runware_success_after(ms(2_400), 0.18),
        Script::runware_success_after(ms(3_600), 0.18),
    ]));
    sim.script_next_created(CreatedScript::runware(vec![
        Script::runware_success_after(ms(1_000), 0.18),
        Script::runware_error_after(
            ms(1_800),
            "timeoutProvider",
            "The external provider did not respond within the timeout window.",
        ),
    ]));
    sim.script_next_created(CreatedScript::dari(
        Script::dari_steps_then_complete(
            ms(500),
            &[
                ("Opening page", ms(900)),
                ("Filling email field", ms(900)),
                ("Submitting", ms(700)),
            ],
            json!({"submitted": true, "confirmation": "CF-1042"}),
        )
        .then_after(
            Duration::from_secs(3600),
            DariStage::completed(json!({"submitted": true})),
        ),
    ));
    sim.script_next_created(CreatedScript::vessl(Script::vessl_completed_after(
        ms(700),
        ms(1_600),
        &json!({"text": "Hello!"}),
    )));
}

/// The Dari job meets two 503s and a 429 on its status requests (counted per task from the
/// simulator's start, so after whatever its creation counted).
fn inject_dari_faults(sim: &Simulator, job_id: &str) {
    let org = sim.keys().dari_org.clone();
    let key = TaskKey::dari(&org, "contact_form", job_id);
    let before = sim.requests_where(|r| r.tasks.contains(&key)).len() as u64;
    sim.inject_fault(
        key.clone(),
        FaultPlan::requests(before + 2..=before + 3, Fault::status(503)),
    );
    sim.inject_fault(
        key,
        FaultPlan::requests(
            before + 5..=before + 5,
            Fault::TooManyRequests {
                retry_after: Some(RetryAfter::Seconds(1)),
            },
        ),
    );
}

/// Creates every task through its API's create endpoint; returns their ids in [`TASKS`]'
/// order.
async fn create(sim: &Simulator) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut ids = Vec::with_capacity(TASKS.len());
    for (name, body) in requests() {
        let created = poller_providers::submit(name, config(sim, name), body).await?;
        if name == "dari" {
            inject_dari_faults(sim, &created[0]);
        }
        ids.extend(created);
    }
    if ids.len() != TASKS.len() {
        return Err(format!("created {} tasks, expected {}", ids.len(), TASKS.len()).into());
    }
    Ok(ids)
}

fn config(sim: &Simulator, name: &str) -> SourceConfig {
    let keys = sim.keys();
    let (base, key) = match name {
        "narada" => (sim.narada_base_url(), keys.narada.clone()),
        "runware" => (sim.runware_base_url(), keys.runware.clone()),
        "dari" => (sim.dari_base_url(), keys.dari.clone()),
        _ => (sim.vessl_base_url("demo-llm"), keys.vessl.clone()),
    };
    let mut config = SourceConfig::new().base_url(base).api_key(key);
    if name == "dari" {
        config = config
            .param("org_id", keys.dari_org.clone())
            .param("endpoint_name", "contact_form");
    }
    config
}

fn source(sim: &Simulator, name: &str) -> Result<DynSource, ConfigError> {
    provider(name)?.build_source(config(sim, name))
}

/// Runs the demo; returns the exit code (0 also when stdout closes early: nothing is wrong).
pub async fn run(quiet: bool) -> Result<u8, Box<dyn std::error::Error>> {
    let sim = Simulator::start().await?;
    script(&sim);
    let ids = create(&sim).await?;
    let mut out = Stdout::default();
    let code = match show(&sim, &ids, quiet, &mut out).await {
        Ok(code) => code,
        Err(Stop::Closed) => 0,
        Err(Stop::Config(e)) => return Err(e.into()),
    };
    sim.shutdown().await;
    Ok(code)
}

enum Stop {
    Closed,
    Config(ConfigError),
}

impl From<crate::out::Closed> for Stop {
    fn from(_: crate::out::Closed) -> Self {
        Stop::Closed
    }
}

impl From<ConfigError> for Stop {
    fn from(e: ConfigError) -> Self {
        Stop::Config(e)
    }
}

async fn show(sim: &Simulator, ids: &[String], quiet: bool, out: &mut Stdout) -> Result<u8, Stop> {
    out.line(&format!(
        "poller demo: the simulator is serving Narada, Runware, Dari and VESSL at {}",
        sim.base_url()
    ))?;
    out.line(&format!(
        "created {} tasks through the four create endpoints (Runware's two in one request);",
        TASKS.len()
    ))?;
    out.line("waiting on them with one tracker (Runware's two tasks share each status request)\n")?;

    // The vendors' schedules take seconds to minutes; the demo's tasks take seconds, so it
    // polls every 250 ms growing to 1 s, Retry-After honoured, for at most 30 s.
    let policy = || -> BoxPolicy {
        Exponential::new(ms(250), 1.5, ms(1_000))
            .with_deadline(Duration::from_secs(30))
            .honor_retry_after()
            .boxed()
    };
    let mut tracker = Tracker::new().emit_changes(true).emit_retries(true);
    let mut sources = HashMap::new();
    let mut counts: HashMap<&str, Arc<Counts>> = HashMap::new();
    for name in ["narada", "runware", "dari", "vessl"] {
        let (src, c) = counting(source(sim, name)?);
        let id = tracker.add_source_with(src, policy(), SourceOptions::default());
        sources.insert(name, id);
        counts.insert(name, c);
    }
    for (t, id) in TASKS.iter().zip(ids) {
        tracker.track(sources[t.provider], id.clone());
    }
    let label =
        |provider: &str, task: &str| format!("{provider:<8} {}", &task[..task.len().min(22)]);
    let specs = TASKS
        .iter()
        .zip(ids)
        .map(|(t, id)| RowSpec {
            label: label(t.provider, id),
            task_id: id.clone(),
            counts: counts[t.provider].clone(),
        })
        .collect();
    let row_of: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut view = ProgressView::new(quiet, "demo", specs);
    let mut reports: HashMap<String, Report> = HashMap::new();
    let mut ticker = tokio::time::interval(FRAME_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let ticks = view.wants_ticks();
    loop {
        let event = tokio::select! {
            event = tracker.next() => event,
            _ = ticker.tick(), if ticks => {
                view.tick();
                continue;
            }
        };
        let Some(event) = event else { break };
        match event {
            TrackerEvent::Changed {
                task_id, status, ..
            } => view.changed(row_of[task_id.as_str()], describe(&status)),
            TrackerEvent::Retrying {
                task_id,
                error,
                attempts,
                retry_in,
                ..
            } => view.retrying(
                row_of[task_id.as_str()],
                crate::report::retry_text(&error, retry_in, attempts),
            ),
            TrackerEvent::Finished { report, .. } => {
                let ok = report.outcome.kind() == TASKS[row_of[report.task_id.as_str()]].expect;
                view.finished(
                    row_of[report.task_id.as_str()],
                    ok,
                    format!("{} · {} request(s)", report.outcome, report.attempts),
                );
                reports.insert(report.task_id.clone(), report);
            }
            _ => {}
        }
    }
    view.finish();
    let requests = sim.requests();

    out.line("")?;
    out.line(&format!(
        "{:<8} {:<38} {:<32} {:<10} {:<12} {:>4} {:>7}  result",
        "provider", "task", "scenario", "outcome", "status", "reqs", "time"
    ))?;
    let mut all_as_expected = true;
    for (t, id) in TASKS.iter().zip(ids) {
        let Some(r) = reports.get(id) else {
            all_as_expected = false;
            out.line(&format!(
                "{:<8} {:<38} {:<32} MISSING",
                t.provider, id, t.what
            ))?;
            continue;
        };
        let ok = r.outcome.kind() == t.expect;
        all_as_expected &= ok;
        let last = r.outcome.last_status();
        let result = match last {
            Some(s) if s.error.is_some() => format!(
                "error: {}",
                s.error.as_ref().map(|e| e.to_string()).unwrap_or_default()
            ),
            Some(s) => s
                .output
                .as_ref()
                .map(|o| compact(o, 60))
                .unwrap_or_else(|| describe(s)),
            None => r.outcome.to_string(),
        };
        out.line(&format!(
            "{:<8} {:<38} {:<32} {:<10} {:<12} {:>4} {:>6.1}s  {}{}",
            t.provider,
            id,
            t.what,
            r.outcome.kind().as_str(),
            last.map(|s| s.raw_status.as_str()).unwrap_or("-"),
            r.attempts,
            r.elapsed.as_secs_f64(),
            result,
            if ok { "" } else { "   <- NOT AS SCRIPTED" },
        ))?;
    }
    let is_runware_poll = |r: &&poller_sim::RecordedRequest| {
        r.uri.starts_with("/v1") && r.body.windows(11).any(|w| w == b"getResponse")
    };
    let runware_posts = requests.iter().filter(is_runware_poll).count();
    let creates = requests
        .iter()
        .filter(|r| r.method == "POST" && r.api.is_some() && !is_runware_poll(r))
        .count();
    let faults: Vec<String> = requests
        .iter()
        .filter(|r| r.fault.is_some())
        .filter_map(|r| r.status.map(|s| s.to_string()))
        .collect();
    out.line(&format!(
        "\n{} HTTP requests in all, {} of them creating the tasks; Runware's two tasks took {} \
         status requests between them (batched);",
        requests.len(),
        creates,
        runware_posts
    ))?;
    out.line(&format!(
        "the simulator injected {} transient fault(s) (HTTP {}), all retried.",
        faults.len(),
        faults.join(", ")
    ))?;
    let worst = reports
        .values()
        .map(|r| Verdict::Ended(r.outcome.kind()).exit_code(Until::Succeeded))
        .max()
        .unwrap_or(0);
    if all_as_expected {
        out.line(&format!(
            "every task ended as scripted (a script's exit code for these outcomes would be {worst})."
        ))?;
        Ok(0)
    } else {
        out.line("some tasks did not end as scripted.")?;
        Ok(1)
    }
}
