use std::time::{Duration, UNIX_EPOCH};

use poller_sim::{DariStage, Script, Simulator};
use serde_json::json;

use crate::helpers::*;

const KEY: (&str, &str) = ("X-API-Key", "sim-dari-key");
const JOB: &str = "550e8400-e29b-41d4-a716-446655440000";

async fn sim() -> Simulator {
    Simulator::builder()
        // 2025-01-15T10:30:00Z, the document's example date.
        .epoch(UNIX_EPOCH + Duration::from_secs(1_736_937_000))
        .start()
        .await
        .unwrap()
}

fn url(sim: &Simulator, path: &str, org: &str, endpoint: &str, job: &str) -> String {
    format!(
        "{}/{path}/{org}/{endpoint}/status?job_id={job}",
        sim.dari_base_url()
    )
}

const FIELDS: &[&str] = &[
    "job_id",
    "portal_id",
    "status",
    "browser_url",
    "current_step",
    "events",
    "result",
    "final_result",
    "error",
    "downloads_link",
    "video_recording_url",
    "log_url",
    "total_cost_usd",
    "created_at",
    "updated_at",
];

#[tokio::test(start_paused = true)]
async fn steps_move_current_step_and_grow_events_until_completed() {
    let sim = sim().await;
    sim.add_dari_job(
        "my-org",
        "contact_form",
        JOB,
        Script::dari_steps_then_complete(
            Duration::from_secs(2),
            &[
                ("Filling first name", Duration::from_secs(10)),
                ("Filling email field", Duration::from_secs(10)),
            ],
            json!({"submitted": true}),
        ),
    );
    let u = url(&sim, "jobs", "my-org", "contact_form", JOB);

    let body = get(&u, &[KEY]).await.json();
    assert_eq!(keys_of(&body), sorted(FIELDS));
    assert_eq!(body["status"], "pending");
    assert_eq!(body["job_id"], JOB);
    assert_eq!(body["portal_id"], "my-org/contact_form");
    assert_eq!(body["events"], json!([]));
    assert_eq!(body["current_step"], json!(null));
    assert_eq!(body["created_at"], "2025-01-15T10:30:00Z");

    secs(2.0).await;
    let body = get(&u, &[KEY]).await.json();
    assert_eq!(body["status"], "running");
    assert_eq!(body["current_step"], "Filling first name");
    assert_eq!(body["events"].as_array().unwrap().len(), 1);
    assert_eq!(body["events"][0]["event_type"], "started");
    assert_eq!(body["events"][0]["timestamp"], "2025-01-15T10:30:02Z");
    assert!(body["browser_url"].is_string());

    secs(10.0).await;
    let body = get(&u, &[KEY]).await.json();
    assert_eq!(body["current_step"], "Filling email field");
    let events = body["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["event_type"], "step_completed");
    assert_eq!(events[1]["message"], "Filling first name");
    assert_eq!(events[1]["data"], json!({"step": "Filling first name"}));
    assert_eq!(
        keys_of(&events[1]),
        sorted(&["event_type", "message", "data", "timestamp"])
    );
    assert_eq!(body["updated_at"], "2025-01-15T10:30:12Z");

    secs(10.0).await;
    let body = get(&u, &[KEY]).await.json();
    assert_eq!(body["status"], "completed");
    assert_eq!(body["final_result"], json!({"submitted": true}));
    assert_eq!(body["error"], json!(null));
    let types: Vec<&str> = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["started", "step_completed", "step_completed", "completed"]
    );
    assert!(is_dari_time(body["updated_at"].as_str().unwrap()));
}

#[tokio::test(start_paused = true)]
async fn paused_waiting_for_input_and_failed() {
    let sim = sim().await;
    let s = Duration::from_secs;
    sim.add_dari_job(
        "my-org",
        "portal",
        "j1",
        Script::new(DariStage::running("Opening page").with_result(json!({"page": 1})))
            .then_after(s(5), DariStage::paused("Opening page"))
            .then_after(s(5), DariStage::waiting_for_input("Need a code"))
            .then_after(s(5), DariStage::running("Typing code").with_cost(0.5))
            .then_after(s(5), DariStage::failed("Captcha not solved")),
    );
    let jobs = url(&sim, "jobs", "my-org", "portal", "j1");
    let task = url(&sim, "task", "my-org", "portal", "j1");

    assert_eq!(
        get(&jobs, &[KEY]).await.json()["result"],
        json!({"page": 1})
    );
    secs(5.0).await;
    assert_eq!(get(&jobs, &[KEY]).await.json()["status"], "paused");
    secs(5.0).await;
    assert_eq!(
        get(&jobs, &[KEY]).await.json()["status"],
        "waiting_for_input"
    );
    // The older path predates waiting_for_input.
    assert_eq!(get(&task, &[KEY]).await.json()["status"], "paused");
    secs(5.0).await;
    let body = get(&task, &[KEY]).await.json();
    assert_eq!(body["status"], "running");
    assert_eq!(body["total_cost_usd"], 0.5);
    // Intermediate result carries forward.
    assert_eq!(body["result"], json!({"page": 1}));
    secs(5.0).await;
    let body = get(&task, &[KEY]).await.json();
    assert_eq!(body["status"], "failed");
    assert_eq!(body["error"], "Captcha not solved");
    assert_eq!(body["final_result"], json!(null));
    assert_eq!(
        body["events"].as_array().unwrap().last().unwrap()["event_type"],
        "failed"
    );
}

#[tokio::test(start_paused = true)]
async fn bad_key_401_wrong_org_403_unknown_job_404_no_job_id_422() {
    let sim = sim().await;
    sim.add_dari_job("my-org", "portal", "j1", Script::new(DariStage::pending()));
    sim.add_dari_job(
        "other-org",
        "portal",
        "j2",
        Script::new(DariStage::pending()),
    );

    let check = |r: Resp, status: u16| {
        assert_eq!(r.status, status, "{}", r.text());
        let body = r.json();
        assert_eq!(keys_of(&body), ["detail"]);
        assert!(body["detail"].is_string());
    };
    for path in ["task", "jobs"] {
        let u = url(&sim, path, "my-org", "portal", "j1");
        check(get(&u, &[]).await, 401);
        check(get(&u, &[("X-API-Key", "wrong")]).await, 401);
        check(
            get(&url(&sim, path, "other-org", "portal", "j2"), &[KEY]).await,
            403,
        );
        check(
            get(&url(&sim, path, "my-org", "portal", "nope"), &[KEY]).await,
            404,
        );
        check(
            get(&url(&sim, path, "my-org", "other", "j1"), &[KEY]).await,
            404,
        );
        let no_job = format!("{}/{path}/my-org/portal/status", sim.dari_base_url());
        check(get(&no_job, &[KEY]).await, 422);
        assert_eq!(get(&u, &[KEY]).await.status, 200);
    }
}

#[tokio::test(start_paused = true)]
async fn the_documented_example_is_served_at_15_seconds() {
    let sim = sim().await;
    sim.seed_examples();
    secs(15.0).await;
    let u = url(&sim, "task", "my-org", "contact_form", JOB);
    let body = get(&u, &[KEY]).await.json();
    assert_eq!(
        body,
        json!({
          "job_id": "550e8400-e29b-41d4-a716-446655440000",
          "portal_id": "my-org/contact_form",
          "status": "running",
          "browser_url": "https://hyperbrowser.ai/view/abc123",
          "current_step": "Filling email field",
          "events": [
            {
              "event_type": "started",
              "message": "Job started",
              "data": {},
              "timestamp": "2025-01-15T10:30:00Z"
            },
            {
              "event_type": "step_completed",
              "message": "Filled first name",
              "data": {"step": "firstName"},
              "timestamp": "2025-01-15T10:30:15Z"
            }
          ],
          "result": null,
          "final_result": null,
          "error": null,
          "downloads_link": null,
          "video_recording_url": null,
          "log_url": null,
          "total_cost_usd": 0.12,
          "created_at": "2025-01-15T10:30:00Z",
          "updated_at": "2025-01-15T10:30:15Z"
        })
    );
}
