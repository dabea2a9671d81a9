//! A tour of the four prebuilt providers, against the simulator in this process: no network,
//! no keys of your own.
//!
//! ```text
//! cargo run --example tour
//! ```
//!
//! Each provider is looked up by name in the registry and built from a `SourceConfig`, as the
//! `poller` command does. The providers' default policies poll every few seconds for minutes;
//! the simulated tasks here take a second or two, so the tour polls with a fast schedule
//! instead, and prints what each default would have been.

use futures::StreamExt;
use poller_core::{
    BoxPolicy, Exponential, Outcome, OutcomeKind, PollPolicyExt, Poller, SourceConfig, WatchEvent,
};
use poller_sim::{RunwareTask, Script, Simulator, VesslStage};
use serde_json::json;
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// 100 ms growing ×1.5 to 400 ms, for at most 30 s.
fn fast() -> BoxPolicy {
    Exponential::new(ms(100), 1.5, ms(400))
        .with_deadline(Duration::from_secs(30))
        .boxed()
}

/// Builds the named provider's source against the simulator and waits on `task_id`, printing
/// every change of status on the way.
async fn wait(
    name: &str,
    config: SourceConfig,
    task_id: &str,
) -> Result<Outcome, Box<dyn std::error::Error>> {
    let provider = poller_providers::get(name)?;
    println!("[{name}] {}", provider.summary);
    println!("[{name}] default policy: {}", provider.policy_summary);
    let source = provider.build_source(config)?;
    let mut events = Box::pin(Poller::new(source, fast()).watch(task_id));
    while let Some(event) = events.next().await {
        match event {
            WatchEvent::Changed(status) => {
                let mut line = format!(
                    "[{name}] {task_id}: {} ({})",
                    status.phase, status.raw_status
                );
                if let Some(p) = &status.progress {
                    if let Some(percent) = p.percent {
                        line.push_str(&format!(", {percent:.0} %"));
                    }
                    if let Some(step) = &p.step {
                        line.push_str(&format!(", {step:?}"));
                    }
                }
                println!("{line}");
            }
            WatchEvent::Finished(report) => {
                println!(
                    "[{name}] => {} ({} polls, {:.1} s)",
                    report.outcome,
                    report.attempts,
                    report.elapsed.as_secs_f64()
                );
                if let Some(output) = report.outcome.last_status().and_then(|s| s.output.as_ref()) {
                    let mut text = output.to_string();
                    if text.len() > 160 {
                        text = format!("{}…", text.chars().take(160).collect::<String>());
                    }
                    println!("[{name}] output: {text}");
                }
                return Ok(report.outcome);
            }
            _ => {}
        }
    }
    Err("the watch ended without a report".into())
}

fn expect(name: &str, outcome: &Outcome, kind: OutcomeKind) -> Result<(), String> {
    if outcome.kind() == kind {
        Ok(())
    } else {
        Err(format!("{name}: expected {kind}, got {outcome}"))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sim = Simulator::start().await?;
    let keys = sim.keys().clone();

    // Narada: pending, then input-required (not final: polling goes on), then success.
    sim.add_narada_task(
        "req_tour",
        Script::narada_input_then_success(
            ms(300),
            "Please log in to continue.",
            ms(600),
            json!({"text": "Logged in; the form is submitted."}),
        ),
    );
    // Runware: one video task with three generations finishing one after the other.
    sim.add_runware_task(
        "50836053-a0ee-4cf5-b9d6-ae7c5d140ada",
        RunwareTask::video()
            .with_generation(Script::runware_success_after(ms(400), 0.18))
            .with_generation(Script::runware_success_after(ms(800), 0.18))
            .with_generation(Script::runware_success_after(ms(1200), 0.18)),
    );
    // Dari: a job that works through two steps and then fails.
    sim.add_dari_job(
        &keys.dari_org,
        "contact_form",
        "550e8400-e29b-41d4-a716-446655440000",
        Script::dari_steps_then_fail(
            ms(200),
            &[("Opening page", ms(300)), ("Filling email field", ms(300))],
            "The captcha could not be solved.",
        ),
    );
    // VESSL: queued, in progress, then the service's answer.
    sim.add_vessl_request(
        "my-service",
        "98nlux8b0eu6",
        Script::new(VesslStage::Pending)
            .then_after(ms(300), VesslStage::InProgress)
            .then_after(
                ms(500),
                VesslStage::completed_json(&json!({"text": "Hello!"})),
            ),
    );

    let (narada, runware, dari, vessl) = tokio::join!(
        wait(
            "narada",
            SourceConfig::new()
                .base_url(sim.narada_base_url())
                .api_key(keys.narada.clone()),
            "req_tour",
        ),
        wait(
            "runware",
            SourceConfig::new()
                .base_url(sim.runware_base_url())
                .api_key(keys.runware.clone()),
            "50836053-a0ee-4cf5-b9d6-ae7c5d140ada",
        ),
        wait(
            "dari",
            SourceConfig::new()
                .base_url(sim.dari_base_url())
                .api_key(keys.dari.clone())
                .param("org_id", keys.dari_org.clone())
                .param("endpoint_name", "contact_form"),
            "550e8400-e29b-41d4-a716-446655440000",
        ),
        wait(
            "vessl",
            SourceConfig::new()
                .base_url(sim.vessl_base_url("my-service"))
                .api_key(keys.vessl.clone()),
            "98nlux8b0eu6",
        ),
    );
    println!("{} requests served by the simulator", sim.request_count());
    sim.shutdown().await;

    expect("narada", &narada?, OutcomeKind::Succeeded)?;
    expect("runware", &runware?, OutcomeKind::Succeeded)?;
    expect("dari", &dari?, OutcomeKind::Failed)?;
    expect("vessl", &vessl?, OutcomeKind::Succeeded)?;
    println!("tour finished: 3 succeeded, 1 failed as scripted");
    Ok(())
}
