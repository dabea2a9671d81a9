use crate::helpers::{fixture, only, secs, sim};
use poller_core::{ConfigError, Phase, RemoteError, SourceConfig, StatusResponse, StatusSource};
use poller_providers::vessl::{self, Vessl, VesslStatus};
use poller_sim::{Script, Simulator, TaskKey, VesslStage};
use serde_json::json;
use std::time::Duration;

const SLUG: &str = "my-service";

fn client(sim: &Simulator) -> Vessl {
    Vessl::new(sim.vessl_base_url(SLUG), sim.keys().vessl.clone())
}

#[test]
fn vendor_example() {
    let s = VesslStatus::parse(&fixture("vessl_completed.json")).unwrap();
    assert_eq!(
        (s.phase, s.raw_status.as_str()),
        (Phase::Succeeded, "completed")
    );
    assert_eq!(s.output, Some(json!({"text": "Hello!"})));
    assert_eq!(s.error, None);
    assert_eq!(s.details["status_code"], 200);
    assert_eq!(s.details["raw_output"], "{\"text\": \"Hello!\"}");
}

#[test]
fn every_documented_status_value() {
    let cases = [
        ("pending", Phase::Queued),
        ("in_progress", Phase::Running),
        ("completed", Phase::Succeeded),
        ("failed", Phase::Failed),
    ];
    for (raw, phase) in cases {
        let body = json!({"status": raw}).to_string();
        let s = VesslStatus::parse(body.as_bytes()).unwrap();
        assert_eq!((s.phase, s.raw_status.as_str()), (phase, raw));
        assert!(s.details.is_empty());
    }
    let s = VesslStatus::parse(br#"{"status": "failed"}"#).unwrap();
    assert_eq!(
        s.error,
        Some(RemoteError::new("the request failed without a reason"))
    );
    assert!(
        VesslStatus::parse(br#"{"status": "done"}"#)
            .unwrap_err()
            .is_permanent()
    );
}

#[tokio::test(start_paused = true)]
async fn every_status_from_the_simulator() {
    let sim = sim().await;
    sim.add_vessl_request(
        SLUG,
        "ok1",
        Script::vessl_completed_after(
            Duration::from_secs(1),
            Duration::from_secs(4),
            &json!({"text": "Hello!"}),
        ),
    );
    sim.add_vessl_request(
        SLUG,
        "bad1",
        Script::vessl_failed_after(
            Duration::ZERO,
            Duration::ZERO,
            500,
            "Internal Server Error",
            "the service answered 500",
        ),
    );
    sim.add_vessl_request(
        SLUG,
        "txt1",
        Script::new(VesslStage::Completed {
            status_code: 200,
            raw_output: "plain text, not JSON".into(),
        }),
    );
    sim.add_vessl_request(
        SLUG,
        "json1",
        Script::new(VesslStage::failed(
            422,
            r#"{"detail": "bad input"}"#,
            "the service answered 422",
        )),
    );
    let source = client(&sim).source().unwrap();
    assert_eq!(source.name(), "vessl");

    let s = source.fetch("ok1").await.unwrap();
    assert_eq!((s.phase, s.raw_status.as_str()), (Phase::Queued, "pending"));
    assert_eq!(s.output, None);
    secs(1.0).await;
    let s = source.fetch("ok1").await.unwrap();
    assert_eq!(
        (s.phase, s.raw_status.as_str()),
        (Phase::Running, "in_progress")
    );
    secs(4.0).await;
    let s = source.fetch("ok1").await.unwrap();
    assert_eq!(s.phase, Phase::Succeeded);
    assert_eq!(s.output, Some(json!({"text": "Hello!"})));
    assert_eq!(s.details["status_code"], 200);

    let s = source.fetch("bad1").await.unwrap();
    assert_eq!(s.phase, Phase::Failed);
    assert_eq!(
        s.error,
        Some(RemoteError::new("the service answered 500").with_code("500"))
    );
    assert_eq!(s.details["status_code"], 500);
    assert_eq!(s.details["raw_output"], "Internal Server Error");
    assert_eq!(
        s.output,
        Some(json!("Internal Server Error")),
        "not JSON: the raw body"
    );

    let s = source.fetch("txt1").await.unwrap();
    assert_eq!(s.phase, Phase::Succeeded);
    assert_eq!(s.output, Some(json!("plain text, not JSON")));

    let s = source.fetch("json1").await.unwrap();
    assert_eq!(s.output, Some(json!({"detail": "bad input"})));
    assert_eq!(s.error.unwrap().code.as_deref(), Some("422"));
}

#[tokio::test(start_paused = true)]
async fn default_policy_schedule() {
    let sim = sim().await;
    sim.add_vessl_request(
        SLUG,
        "abc",
        Script::vessl_completed_after(Duration::from_secs(1), Duration::from_secs(4), &json!(1)),
    );
    // Completed at 5 s; polls at 0, 1, 2.5, 4.75 and 8.125 s.
    let report = client(&sim).wait("abc").await.unwrap();
    assert!(report.outcome.is_success(), "{}", report.outcome);
    let times: Vec<Duration> = sim.requests().iter().map(|r| r.at).collect();
    assert_eq!(
        times,
        [0, 1000, 2500, 4750, 8125].map(Duration::from_millis)
    );
}

#[tokio::test(start_paused = true)]
async fn bearer_token_and_encoded_id() {
    let sim = sim().await;
    sim.add_vessl_request(
        SLUG,
        "../x",
        Script::new(VesslStage::completed_json(&json!({}))),
    );
    let s = client(&sim).source().unwrap().fetch("../x").await.unwrap();
    assert_eq!(s.phase, Phase::Succeeded, "the simulator found the request");
    let r = only(sim.requests());
    assert_eq!(r.method, "GET");
    assert_eq!(r.uri, "/api/v1/services/my-service/async/..%2Fx/output");
    assert_eq!(r.header("authorization"), Some("Bearer sim-vessl-key"));
    assert_eq!(r.tasks, [TaskKey::vessl(SLUG, "../x")]);

    let err = Vessl::new(sim.vessl_base_url(SLUG), "wrong")
        .source()
        .unwrap()
        .fetch("../x")
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(401));
    assert!(err.is_permanent());
}

#[test]
fn a_missing_base_url_is_a_clear_error() {
    let hint = "https://serve-api.dev2.vssl.ai/api/v1/services/<slug>";
    let err = Vessl::new(" ", "token").source().unwrap_err();
    assert_eq!(
        err,
        ConfigError::MissingBaseUrl {
            hint: hint.to_string()
        }
    );
    let err = poller_providers::build(vessl::NAME, SourceConfig::new().api_key("token"))
        .map(drop)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("no base URL; this provider needs one of the form {hint}")
    );
}
