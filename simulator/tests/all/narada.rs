use std::time::{Duration, UNIX_EPOCH};

use poller_sim::{NaradaStage, Script, Simulator};
use serde_json::json;

use crate::helpers::*;

const KEY: (&str, &str) = ("x-api-key", "sim-narada-key");

async fn sim() -> Simulator {
    Simulator::builder()
        // 2024-12-19T00:00:00Z, the documents' example date.
        .epoch(UNIX_EPOCH + Duration::from_secs(1_734_566_400))
        .start()
        .await
        .unwrap()
}

fn url(sim: &Simulator, id: &str) -> String {
    format!(
        "{}/fast/v2/remote-dispatch/responses/{id}",
        sim.narada_base_url()
    )
}

#[tokio::test(start_paused = true)]
async fn pending_then_input_required_then_success_at_the_right_instants() {
    let sim = sim().await;
    sim.add_narada_task(
        "req_1",
        Script::narada_input_then_success(
            Duration::from_secs(5),
            "The task requires authentication. Please log in to continue.",
            Duration::from_secs(5),
            json!({"text": "done", "n": 1}),
        ),
    );
    let u = url(&sim, "req_1");

    let body = get(&u, &[KEY]).await.json();
    assert_eq!(
        keys_of(&body),
        sorted(&[
            "status",
            "response",
            "createdAt",
            "completedAt",
            "usage",
            "browserWindowId"
        ])
    );
    assert_eq!(body["status"], "pending");
    assert_eq!(body["response"], json!(null));
    assert_eq!(body["completedAt"], json!(null));
    assert_eq!(body["usage"], json!(null));
    assert_eq!(body["createdAt"], "2024-12-19T00:00:00.000000+00:00");

    secs(4.9).await;
    assert_eq!(get(&u, &[KEY]).await.json()["status"], "pending");

    secs(0.1).await;
    let body = get(&u, &[KEY]).await.json();
    assert_eq!(body["status"], "input-required");
    assert_eq!(
        body["response"],
        json!({"text": "The task requires authentication. Please log in to continue."})
    );
    assert_eq!(
        body["completedAt"],
        json!(null),
        "input-required is not final"
    );

    secs(5.0).await;
    let body = get(&u, &[KEY]).await.json();
    assert_eq!(body["status"], "success");
    assert_eq!(body["response"], json!({"text": "done", "n": 1}));
    assert_eq!(body["completedAt"], "2024-12-19T00:00:10.000000+00:00");
    assert!(is_narada_time(body["createdAt"].as_str().unwrap()));
    assert!(body["usage"]["actions"].is_u64());
    assert!(body["usage"]["credits"].is_f64());
    assert!(body["browserWindowId"].is_string());

    // The last stage holds forever.
    secs(10_000.0).await;
    assert_eq!(get(&u, &[KEY]).await.json()["status"], "success");
}

#[tokio::test(start_paused = true)]
async fn error_and_final_input_required_set_completed_at() {
    let sim = sim().await;
    sim.add_narada_task(
        "req_err",
        Script::narada_error_after(
            Duration::from_secs(150),
            "Failed to complete the task due to network timeout.",
        ),
    );
    sim.add_narada_task(
        "req_stuck",
        Script::new(NaradaStage::InputRequired {
            text: "Give up".into(),
            completed: true,
        }),
    );
    secs(150.0).await;
    let body = get(&url(&sim, "req_err"), &[KEY]).await.json();
    assert_eq!(body["status"], "error");
    assert_eq!(
        body["response"],
        json!({"text": "Failed to complete the task due to network timeout."})
    );
    assert_eq!(body["createdAt"], "2024-12-19T00:00:00.000000+00:00");
    assert_eq!(body["completedAt"], "2024-12-19T00:02:30.000000+00:00");

    let body = get(&url(&sim, "req_stuck"), &[KEY]).await.json();
    assert_eq!(body["status"], "input-required");
    assert!(body["completedAt"].is_string());
}

#[tokio::test(start_paused = true)]
async fn wrong_or_missing_key_is_401_and_unknown_id_is_404() {
    let sim = sim().await;
    sim.add_narada_task("req_1", Script::new(NaradaStage::Pending));
    let u = url(&sim, "req_1");

    let r = get(&u, &[]).await;
    assert_eq!(r.status, 401);
    assert!(r.json()["detail"].is_string());
    let r = get(&u, &[("x-api-key", "nope")]).await;
    assert_eq!(r.status, 401);
    // The key of another API does not open this one.
    let r = get(&u, &[("x-api-key", "sim-dari-key")]).await;
    assert_eq!(r.status, 401);

    let r = get(&url(&sim, "req_unknown"), &[KEY]).await;
    assert_eq!(r.status, 404);
    assert!(r.json()["detail"].is_string());

    let r = post(&u, &[KEY], "").await;
    assert_eq!(r.status, 405);
}

#[tokio::test(start_paused = true)]
async fn create_returns_202_and_the_task_follows_the_default_script() {
    let sim = sim().await;
    let create = format!("{}/fast/v2/remote-dispatch", sim.narada_base_url());
    let r = post_json(&create, &[KEY], &json!({"prompt": "Find the weather"})).await;
    assert_eq!(r.status, 202);
    let id = r.json()["requestId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("req_"), "{id}");

    assert_eq!(
        get(&url(&sim, &id), &[KEY]).await.json()["status"],
        "pending"
    );
    secs(10.0).await;
    assert_eq!(
        get(&url(&sim, &id), &[KEY]).await.json()["status"],
        "success"
    );

    // Bad input: 400 in Narada's style, no panic.
    let r = post(&create, &[KEY], "{not json").await;
    assert_eq!(r.status, 400);
    assert!(r.json()["detail"].is_string());
    let r = post_json(&create, &[KEY], &json!([1, 2])).await;
    assert_eq!(r.status, 400);
    let r = post_json(&create, &[], &json!({"prompt": "x"})).await;
    assert_eq!(r.status, 401);
}
