use crate::helpers::{fixture, only, secs, sim};
use poller_core::{Phase, ProgressEvent, RemoteError, StatusResponse, StatusSource};
use poller_providers::dari::{Dari, DariStatus};
use poller_sim::{DariStage, Script, Simulator, TaskKey};
use serde_json::json;
use std::time::Duration;

const ORG: &str = "my-org";
const ENDPOINT: &str = "contact_form";

fn client(sim: &Simulator, endpoint: &str) -> Dari {
    Dari::new(sim.keys().dari.clone(), ORG, endpoint).base_url(sim.dari_base_url())
}

#[test]
fn vendor_example() {
    let s = DariStatus::parse(&fixture("dari_running.json")).unwrap();
    assert_eq!(
        (s.phase, s.raw_status.as_str()),
        (Phase::Running, "running")
    );
    assert_eq!(s.output, None);
    assert_eq!(s.error, None);
    let p = s.progress.unwrap();
    assert_eq!(p.step.as_deref(), Some("Filling email field"));
    assert_eq!(
        p.events,
        [
            ProgressEvent::new("started")
                .with_message("Job started")
                .with_timestamp("2025-01-15T10:30:00Z")
                .with_data(json!({})),
            ProgressEvent::new("step_completed")
                .with_message("Filled first name")
                .with_timestamp("2025-01-15T10:30:15Z")
                .with_data(json!({"step": "firstName"})),
        ]
    );
    assert_eq!(s.details["total_cost_usd"], 0.12);
    assert_eq!(
        s.details["browser_url"],
        "https://hyperbrowser.ai/view/abc123"
    );
    assert_eq!(s.details["created_at"], "2025-01-15T10:30:00Z");
    assert!(!s.details.contains_key("log_url"), "null is left out");
}

#[test]
fn every_documented_status_value() {
    let cases = [
        ("pending", Phase::Queued),
        ("running", Phase::Running),
        ("paused", Phase::Paused),
        ("waiting_for_input", Phase::NeedsInput),
        ("completed", Phase::Succeeded),
        ("failed", Phase::Failed),
    ];
    for (raw, phase) in cases {
        let body = json!({"status": raw}).to_string();
        let s = DariStatus::parse(body.as_bytes()).unwrap();
        assert_eq!((s.phase, s.raw_status.as_str()), (phase, raw));
    }
    assert!(
        DariStatus::parse(br#"{"status": "cancelled"}"#)
            .unwrap_err()
            .is_permanent()
    );
}

#[test]
fn output_is_final_result_else_result() {
    let both = br#"{"status": "completed", "result": {"a": 1}, "final_result": {"b": 2}}"#;
    assert_eq!(
        DariStatus::parse(both).unwrap().output,
        Some(json!({"b": 2}))
    );
    let result = br#"{"status": "completed", "result": {"a": 1}, "final_result": null}"#;
    assert_eq!(
        DariStatus::parse(result).unwrap().output,
        Some(json!({"a": 1}))
    );
    let none = br#"{"status": "running", "result": null, "final_result": null}"#;
    assert_eq!(DariStatus::parse(none).unwrap().output, None);
}

#[tokio::test(start_paused = true)]
async fn every_status_from_the_simulator() {
    let sim = sim().await;
    let s5 = Duration::from_secs(5);
    sim.add_dari_job(
        ORG,
        ENDPOINT,
        "job-1",
        Script::new(DariStage::pending())
            .then_after(s5, DariStage::running("Opening page").with_cost(0.05))
            .then_after(s5, DariStage::paused("Waiting for the page"))
            .then_after(
                s5,
                DariStage::running("Filling email field").with_result(json!({"filled": 1})),
            )
            .then_after(
                s5,
                DariStage::completed(json!({"submitted": true}))
                    .with_cost(0.12)
                    .with_links("https://d/1.zip", "https://v/1.mp4", "https://l/1.log"),
            ),
    );
    sim.add_dari_job(
        ORG,
        ENDPOINT,
        "job-2",
        Script::dari_steps_then_fail(Duration::ZERO, &[], "Captcha could not be solved"),
    );
    let source = client(&sim, ENDPOINT).source().unwrap();
    assert_eq!(source.name(), "dari");

    let s = source.fetch("job-1").await.unwrap();
    assert_eq!((s.phase, s.raw_status.as_str()), (Phase::Queued, "pending"));
    secs(5.0).await;
    let s = source.fetch("job-1").await.unwrap();
    assert_eq!(s.phase, Phase::Running);
    let p = s.progress.unwrap();
    assert_eq!(p.step.as_deref(), Some("Opening page"));
    assert_eq!(p.events[0].kind, "started");
    assert_eq!(s.details["total_cost_usd"], 0.05);
    assert!(s.details.contains_key("browser_url"));
    secs(5.0).await;
    let s = source.fetch("job-1").await.unwrap();
    assert_eq!((s.phase, s.raw_status.as_str()), (Phase::Paused, "paused"));
    assert!(!s.is_final());
    secs(5.0).await;
    let s = source.fetch("job-1").await.unwrap();
    assert_eq!(s.phase, Phase::Running);
    assert_eq!(
        s.output,
        Some(json!({"filled": 1})),
        "the intermediate result"
    );
    secs(5.0).await;
    let s = source.fetch("job-1").await.unwrap();
    assert_eq!(s.phase, Phase::Succeeded);
    assert_eq!(s.output, Some(json!({"submitted": true})));
    assert_eq!(s.details["total_cost_usd"], 0.12);
    assert_eq!(s.details["downloads_link"], "https://d/1.zip");
    assert_eq!(s.details["video_recording_url"], "https://v/1.mp4");
    assert_eq!(s.details["log_url"], "https://l/1.log");
    let kinds: Vec<String> = s
        .progress
        .unwrap()
        .events
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds.last().map(String::as_str), Some("completed"));

    let s = source.fetch("job-2").await.unwrap();
    assert_eq!(s.phase, Phase::Failed);
    assert_eq!(
        s.error,
        Some(RemoteError::new("Captcha could not be solved"))
    );
}

#[tokio::test(start_paused = true)]
async fn waiting_for_input_on_the_newer_path() {
    let sim = sim().await;
    sim.add_dari_job(
        ORG,
        ENDPOINT,
        "job-1",
        Script::new(DariStage::waiting_for_input("What is the order number?")),
    );
    let dari = client(&sim, ENDPOINT);
    let s = dari.jobs_source().unwrap().fetch("job-1").await.unwrap();
    assert_eq!(
        (s.phase, s.raw_status.as_str()),
        (Phase::NeedsInput, "waiting_for_input")
    );
    assert_eq!(
        s.progress.unwrap().step.as_deref(),
        Some("What is the order number?")
    );
    // The documented path predates the status and shows it as paused.
    let s = dari.source().unwrap().fetch("job-1").await.unwrap();
    assert_eq!((s.phase, s.raw_status.as_str()), (Phase::Paused, "paused"));
    let paths: Vec<String> = sim
        .requests()
        .iter()
        .map(|r| r.path().to_string())
        .collect();
    assert_eq!(
        paths,
        [
            "/jobs/my-org/contact_form/status",
            "/task/my-org/contact_form/status"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn default_policy_schedule() {
    let sim = sim().await;
    sim.add_dari_job(
        ORG,
        ENDPOINT,
        "job-1",
        Script::dari_steps_then_complete(
            Duration::from_secs(1),
            &[("Opening page", Duration::from_secs(10))],
            json!({"ok": true}),
        ),
    );
    // Completed at 11 s; polls at 0, 2, 5, 9.5 and 16.25 s.
    let report = client(&sim, ENDPOINT).wait("job-1").await.unwrap();
    assert!(report.outcome.is_success(), "{}", report.outcome);
    let times: Vec<Duration> = sim.requests().iter().map(|r| r.at).collect();
    assert_eq!(
        times,
        [0, 2000, 5000, 9500, 16_250].map(Duration::from_millis)
    );
}

#[tokio::test(start_paused = true)]
async fn key_header_and_encoded_parameters() {
    let sim = sim().await;
    let endpoint = "contact form/../x";
    let job = "../x&job_id=y";
    sim.add_dari_job(
        ORG,
        endpoint,
        job,
        Script::new(DariStage::completed(json!({}))),
    );
    let s = client(&sim, endpoint)
        .source()
        .unwrap()
        .fetch(job)
        .await
        .unwrap();
    assert_eq!(s.phase, Phase::Succeeded, "the simulator found the job");
    let r = only(sim.requests());
    assert_eq!(r.method, "GET");
    assert_eq!(
        r.uri,
        "/task/my-org/contact%20form%2F..%2Fx/status?job_id=..%2Fx%26job_id%3Dy"
    );
    assert_eq!(r.header("x-api-key"), Some("sim-dari-key"));
    assert_eq!(r.tasks, [TaskKey::dari(ORG, endpoint, job)]);
}

#[tokio::test(start_paused = true)]
async fn api_errors_show_the_detail() {
    let sim = sim().await;
    let err = Dari::new("wrong", ORG, ENDPOINT)
        .base_url(sim.dari_base_url())
        .source()
        .unwrap()
        .fetch("job-1")
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(401));
    assert!(err.is_permanent());
    assert!(err.to_string().contains("Invalid API key"), "{err}");

    let err = Dari::new(sim.keys().dari.clone(), "other-org", ENDPOINT)
        .base_url(sim.dari_base_url())
        .source()
        .unwrap()
        .fetch("job-1")
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(403));
    assert!(err.is_permanent());
    assert!(err.to_string().contains("organization"), "{err}");
}
