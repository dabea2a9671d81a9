//! `poller demo`: every provider against the embedded simulator, with live progress and a
//! summary table. The demo checks itself: it exits 0 only if every task ended as scripted.

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
    DariStage, Fault, FaultPlan, RetryAfter, RunwareTask, Script, Simulator, TaskKey,
};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// One scripted task: provider, id, and the outcome it must reach.
struct DemoTask {
    provider: &'static str,
    id: &'static str,
    what: &'static str,
    expect: OutcomeKind,
}

const TASKS: &[DemoTask] = &[
    DemoTask {
        provider: "narada",
        id: "req_demo_booking",
        what: "succeeds after 2 s",
        expect: OutcomeKind::Succeeded,
    },
    DemoTask {
        provider: "narada",
        id: "req_demo_login",
        what: "needs input, then succeeds",
        expect: OutcomeKind::Succeeded,
    },
    DemoTask {
        provider: "runware",
        id: "6f1c2a3e-0b1d-4c5e-8f90-1a2b3c4d5e6f",
        what: "3 generations finishing apart",
        expect: OutcomeKind::Succeeded,
    },
    DemoTask {
        provider: "runware",
        id: "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
        what: "one generation fails",
        expect: OutcomeKind::Failed,
    },
    DemoTask {
        provider: "dari",
        id: "550e8400-e29b-41d4-a716-446655440000",
        what: "steps, through 503s and a 429",
        expect: OutcomeKind::Succeeded,
    },
    DemoTask {
        provider: "vessl",
        id: "98nlux8b0eu6",
        what: "queued, running, completed",
        expect: OutcomeKind::Succeeded,
    },
];

fn script(sim: &Simulator) {
    sim.add_narada_task(
        TASKS[0].id,
        Script::narada_success_after(ms(2_000), json!({"text": "Booked a table for 2 at 19:30."})),
    );
    sim.add_narada_task(
        TASKS[1].id,
        Script::narada_input_then_success(
            ms(800),
            "The task requires authentication. Please log in to continue.",
            ms(1_500),
            json!({"text": "Logged in and downloaded the invoice."}),
        ),
    );
    sim.add_runware_task(
        TASKS[2].id,
        RunwareTask::video()
            .with_generation(Script::runware_success_after(ms(1_200), 0.18))
            .with_generation(Script::runware_success_after(ms(2_400), 0.18))
            .with_generation(Script::runware_success_after(ms(3_600), 0.18)),
    );
    sim.add_runware_task(
        TASKS[3].id,
        RunwareTask::video()
            .with_generation(Script::runware_success_after(ms(1_000), 0.18))
            .with_generation(Script::runware_error_after(
                ms(1_800),
                "timeoutProvider",
                "The external provider did not respond within the timeout window.",
            )),
    );
    let org = sim.keys().dari_org.clone();
    sim.add_dari_job(
        &org,
        "contact_form",
        TASKS[4].id,
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
    );
    let dari_key = TaskKey::dari(&org, "contact_form", TASKS[4].id);
    sim.inject_fault(
        dari_key.clone(),
        FaultPlan::requests(2..=3, Fault::status(503)),
    );
    sim.inject_fault(
        dari_key,
        FaultPlan::requests(
            5..=5,
            Fault::TooManyRequests {
                retry_after: Some(RetryAfter::Seconds(1)),
            },
        ),
    );
    sim.add_vessl_request(
        "demo-llm",
        TASKS[5].id,
        Script::vessl_completed_after(ms(700), ms(1_600), &json!({"text": "Hello!"})),
    );
}

fn source(sim: &Simulator, name: &str) -> Result<DynSource, ConfigError> {
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
    provider(name)?.build_source(config)
}

/// Runs the demo; returns the exit code (0 also when stdout closes early: nothing is wrong).
pub async fn run(quiet: bool) -> Result<u8, Box<dyn std::error::Error>> {
    let sim = Simulator::start().await?;
    script(&sim);
    let mut out = Stdout::default();
    let code = match show(&sim, quiet, &mut out).await {
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

async fn show(sim: &Simulator, quiet: bool, out: &mut Stdout) -> Result<u8, Stop> {
    out.line(&format!(
        "poller demo: the simulator is serving Narada, Runware, Dari and VESSL at {}",
        sim.base_url()
    ))?;
    out.line(&format!(
        "waiting on {} tasks with one tracker (Runware's two tasks share each request)\n",
        TASKS.len()
    ))?;

    // The vendors' schedules take seconds to minutes; the demo's tasks take seconds, so it
    // polls every 250 ms growing to 1 s, Retry-After honoured, for at most 30 s.
    let policy = || -> BoxPolicy {
        Exponential::new(ms(250), 1.5, ms(1_000))
            .with_deadline(Duration::from_secs(30))
            .honor_retry_after()
            .boxed()
    };
    let mut tracker = Tracker::new().emit_changes(true).emit_retries(true);
    let mut ids = HashMap::new();
    let mut counts: HashMap<&str, Arc<Counts>> = HashMap::new();
    for name in ["narada", "runware", "dari", "vessl"] {
        let (src, c) = counting(source(sim, name)?);
        let id = tracker.add_source_with(src, policy(), SourceOptions::default());
        ids.insert(name, id);
        counts.insert(name, c);
    }
    for t in TASKS {
        tracker.track(ids[t.provider], t.id);
    }
    let label =
        |provider: &str, task: &str| format!("{provider:<8} {}", &task[..task.len().min(22)]);
    let specs = TASKS
        .iter()
        .map(|t| RowSpec {
            label: label(t.provider, t.id),
            task_id: t.id.to_string(),
            counts: counts[t.provider].clone(),
        })
        .collect();
    let row_of: HashMap<&str, usize> = TASKS.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
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
    for t in TASKS {
        let Some(r) = reports.get(t.id) else {
            all_as_expected = false;
            out.line(&format!(
                "{:<8} {:<38} {:<32} MISSING",
                t.provider, t.id, t.what
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
            t.id,
            t.what,
            r.outcome.kind().as_str(),
            last.map(|s| s.raw_status.as_str()).unwrap_or("-"),
            r.attempts,
            r.elapsed.as_secs_f64(),
            result,
            if ok { "" } else { "   <- NOT AS SCRIPTED" },
        ))?;
    }
    let runware_posts = requests.iter().filter(|r| r.uri.starts_with("/v1")).count();
    let faults: Vec<String> = requests
        .iter()
        .filter(|r| r.fault.is_some())
        .filter_map(|r| r.status.map(|s| s.to_string()))
        .collect();
    out.line(&format!(
        "\n{} HTTP requests in all; Runware's two tasks took {} POSTs between them (batched);",
        requests.len(),
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
