use crate::helpers::{fixture, only, secs, sim};
use poller_core::{
    FetchError, Outcome, Phase, PollPolicyExt, RemoteError, StatusResponse, StatusSource,
};
use poller_providers::narada::{self, Narada, NaradaStatus};
use poller_sim::{Api, Fault, FaultPlan, NaradaStage, Script, TaskKey};
use serde_json::json;
use std::time::Duration;

fn client(sim: &poller_sim::Simulator) -> Narada {
    Narada::new(sim.keys().narada.clone()).base_url(sim.narada_base_url())
}

#[test]
fn vendor_examples() {
    let pending = NaradaStatus::parse(&fixture("narada_pending.json")).unwrap();
    assert_eq!(
        pending.phase,
        Phase::Running,
        "pending: 'Task is still running'"
    );
    assert_eq!(pending.raw_status, "pending");
    assert_eq!(pending.output, None);
    assert_eq!(pending.error, None);
    assert_eq!(
        pending.details["createdAt"],
        "2024-12-19T00:00:00.000000+00:00"
    );
    assert!(
        !pending.details.contains_key("completedAt"),
        "null is left out"
    );

    let error = NaradaStatus::parse(&fixture("narada_error.json")).unwrap();
    assert_eq!(error.phase, Phase::Failed);
    assert_eq!(
        error.error,
        Some(RemoteError::new(
            "Failed to complete the task due to network timeout."
        ))
    );
    assert_eq!(
        error.output,
        Some(json!({"text": "Failed to complete the task due to network timeout."}))
    );
    assert_eq!(
        error.details["completedAt"],
        "2024-12-19T00:02:30.000000+00:00"
    );

    let input = NaradaStatus::parse(&fixture("narada_input_required.json")).unwrap();
    assert_eq!(
        input.phase,
        Phase::NeedsInput,
        "completedAt null: not final"
    );
    assert!(!input.is_final());
    assert_eq!(input.error, None);
    assert_eq!(
        input.progress.unwrap().step.as_deref(),
        Some("The task requires authentication. Please log in to continue.")
    );
}

#[test]
fn input_required_with_completed_at_is_final() {
    let s = NaradaStatus::parse(
        br#"{"status": "input-required", "response": {"text": "Please log in."},
             "createdAt": "2024-12-19T00:00:00.000000+00:00",
             "completedAt": "2024-12-19T00:05:00.000000+00:00"}"#,
    )
    .unwrap();
    assert_eq!(s.phase, Phase::Failed);
    assert_eq!(s.raw_status, "input-required");
    assert_eq!(s.error.unwrap().message, "Please log in.");
}

#[test]
fn unknown_status_and_bad_bodies() {
    let err = NaradaStatus::parse(br#"{"status": "exploded"}"#).unwrap_err();
    assert_eq!(
        err,
        FetchError::UnknownStatus {
            value: "exploded".into()
        }
    );
    assert!(
        NaradaStatus::parse(b"<html>502</html>")
            .unwrap_err()
            .is_permanent()
    );
    let err = NaradaStatus::parse(br#"{"status": "error"}"#).unwrap();
    assert_eq!(
        err.error.unwrap().message,
        "Narada reported `error` without a message"
    );
}

#[tokio::test(start_paused = true)]
async fn every_status_from_the_simulator() {
    let sim = sim().await;
    sim.add_narada_task(
        "req_flow",
        Script::new(NaradaStage::Pending)
            .then_after(
                Duration::from_secs(10),
                NaradaStage::input_required("Please log in to continue."),
            )
            .then_after(
                Duration::from_secs(10),
                NaradaStage::success(json!({"text": "Logged in and done."})),
            ),
    );
    sim.add_narada_task(
        "req_err",
        Script::narada_error_after(Duration::ZERO, "network timeout"),
    );
    sim.add_narada_task(
        "req_gave_up",
        Script::new(NaradaStage::InputRequired {
            text: "Nobody logged in.".into(),
            completed: true,
        }),
    );
    let source = client(&sim).source().unwrap();
    assert_eq!(source.name(), "narada");

    let s = source.fetch("req_flow").await.unwrap();
    assert_eq!(
        (s.phase, s.raw_status.as_str()),
        (Phase::Running, "pending")
    );
    assert!(s.details.contains_key("createdAt"));
    secs(10.0).await;
    let s = source.fetch("req_flow").await.unwrap();
    assert_eq!(s.phase, Phase::NeedsInput);
    assert_eq!(
        s.progress.unwrap().step.as_deref(),
        Some("Please log in to continue.")
    );
    assert!(s.details.contains_key("browserWindowId"));
    secs(10.0).await;
    let s = source.fetch("req_flow").await.unwrap();
    assert_eq!(s.phase, Phase::Succeeded);
    assert_eq!(s.output, Some(json!({"text": "Logged in and done."})));
    assert_eq!(s.details["usage"], json!({"actions": 3, "credits": 0.5}));
    assert!(s.details.contains_key("completedAt"));

    let s = source.fetch("req_err").await.unwrap();
    assert_eq!(s.phase, Phase::Failed);
    assert_eq!(s.error, Some(RemoteError::new("network timeout")));

    let s = source.fetch("req_gave_up").await.unwrap();
    assert_eq!(
        (s.phase, s.raw_status.as_str()),
        (Phase::Failed, "input-required")
    );
    assert_eq!(s.error.unwrap().message, "Nobody logged in.");
}

#[tokio::test(start_paused = true)]
async fn default_policy_waits_through_input_required() {
    let sim = sim().await;
    sim.add_narada_task(
        "req_1",
        Script::narada_input_then_success(
            Duration::from_secs(5),
            "Please log in.",
            Duration::from_secs(20),
            json!({"text": "done"}),
        ),
    );
    // Input is required from 5 s to 25 s; the vendor's schedule polls at 0, 5, 12.5, 22.5 and
    // 32.5 s and keeps going through input-required.
    let report = client(&sim).wait("req_1").await.unwrap();
    assert!(report.outcome.is_success(), "{}", report.outcome);
    assert_eq!(report.attempts, 5);
    assert_eq!(report.elapsed, Duration::from_millis(32_500));
    let times: Vec<Duration> = sim.requests().iter().map(|r| r.at).collect();
    assert_eq!(
        times,
        [0, 5000, 12_500, 22_500, 32_500].map(Duration::from_millis)
    );
}

#[tokio::test(start_paused = true)]
async fn stop_on_input_ends_the_wait_with_needs_input() {
    let sim = sim().await;
    sim.add_narada_task(
        "req_1",
        Script::narada_input_then_success(
            Duration::from_secs(5),
            "Please log in.",
            Duration::from_secs(20),
            json!({}),
        ),
    );
    let report = client(&sim)
        .policy(narada::default_policy().stop_on_input())
        .wait("req_1")
        .await
        .unwrap();
    assert!(
        matches!(report.outcome, Outcome::NeedsInput(_)),
        "{}",
        report.outcome
    );
    assert_eq!(report.attempts, 2);
}

#[tokio::test(start_paused = true)]
async fn key_header_and_encoded_id() {
    let sim = sim().await;
    sim.add_narada_task(
        "../x?y#z",
        Script::narada_success_after(Duration::ZERO, json!({})),
    );
    let s = client(&sim)
        .source()
        .unwrap()
        .fetch("../x?y#z")
        .await
        .unwrap();
    assert_eq!(
        s.phase,
        Phase::Succeeded,
        "the simulator found the task by its id"
    );
    let r = only(sim.requests());
    assert_eq!(r.method, "GET");
    assert_eq!(r.uri, "/fast/v2/remote-dispatch/responses/..%2Fx%3Fy%23z");
    assert_eq!(r.header("x-api-key"), Some("sim-narada-key"));
    assert_eq!(r.header("authorization"), None);
    assert_eq!(r.tasks, [TaskKey::narada("../x?y#z")]);
}

#[tokio::test(start_paused = true)]
async fn api_errors() {
    let sim = sim().await;
    let wrong = Narada::new("wrong-key").base_url(sim.narada_base_url());
    let err = wrong.source().unwrap().fetch("req_1").await.unwrap_err();
    assert_eq!(err.http_status(), Some(401));
    assert!(err.is_permanent());
    assert!(!err.to_string().contains("wrong-key"));

    let err = client(&sim)
        .source()
        .unwrap()
        .fetch("nope")
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(404));

    sim.add_narada_task("req_1", Script::new(NaradaStage::Pending));
    sim.inject_fault(
        Api::Narada,
        FaultPlan::next(
            1,
            Fault::UnknownStatus {
                value: "teleported".into(),
            },
        ),
    );
    let err = client(&sim)
        .source()
        .unwrap()
        .fetch("req_1")
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::UnknownStatus { ref value } if value == "teleported"));
    assert!(err.is_permanent());
}

#[tokio::test(start_paused = true)]
async fn transient_errors_are_retried_by_the_poller() {
    let sim = sim().await;
    sim.add_narada_task(
        "req_1",
        Script::narada_success_after(Duration::from_secs(1), json!({"ok": true})),
    );
    sim.inject_fault(
        TaskKey::narada("req_1"),
        FaultPlan::next(2, Fault::status(503)),
    );
    let report = client(&sim).wait("req_1").await.unwrap();
    assert!(report.outcome.is_success(), "{}", report.outcome);
    assert_eq!(sim.requests()[0].status, Some(503));
}
