use std::time::Duration;

use poller_sim::{Script, Simulator, VesslStage};
use serde_json::json;

use crate::helpers::*;

const AUTH: (&str, &str) = ("authorization", "Bearer sim-vessl-key");

fn url(sim: &Simulator, slug: &str, id: &str) -> String {
    format!("{}/async/{id}/output", sim.vessl_base_url(slug))
}

#[tokio::test(start_paused = true)]
async fn pending_in_progress_completed_with_fields_only_when_final() {
    let sim = Simulator::start().await.unwrap();
    sim.add_vessl_request(
        "my-svc",
        "98nlux8b0eu6",
        Script::vessl_completed_after(
            Duration::from_secs(2),
            Duration::from_secs(3),
            &json!({"text": "Hello!"}),
        ),
    );
    assert_eq!(
        sim.vessl_base_url("my-svc"),
        format!("{}/api/v1/services/my-svc", sim.base_url())
    );
    let u = url(&sim, "my-svc", "98nlux8b0eu6");

    assert_eq!(get(&u, &[AUTH]).await.json(), json!({"status": "pending"}));
    secs(2.0).await;
    assert_eq!(
        get(&u, &[AUTH]).await.json(),
        json!({"status": "in_progress"})
    );
    secs(3.0).await;
    // The documented example, exactly.
    assert_eq!(
        get(&u, &[AUTH]).await.json(),
        json!({
            "status": "completed",
            "status_code": 200,
            "raw_output": "{\"text\":\"Hello!\"}",
            "output": {"text": "Hello!"}
        })
    );
}

#[tokio::test(start_paused = true)]
async fn failed_has_fail_reason_and_non_json_raw_output_has_no_output() {
    let sim = Simulator::start().await.unwrap();
    sim.add_vessl_request(
        "svc",
        "a1",
        Script::vessl_failed_after(
            Duration::from_secs(1),
            Duration::from_secs(1),
            502,
            "<html>bad gateway</html>",
            "Upstream returned 502",
        ),
    );
    sim.add_vessl_request(
        "svc",
        "a2",
        Script::new(VesslStage::Completed {
            status_code: 204,
            raw_output: "plain text".into(),
        }),
    );
    secs(2.0).await;
    assert_eq!(
        get(&url(&sim, "svc", "a1"), &[AUTH]).await.json(),
        json!({
            "status": "failed",
            "status_code": 502,
            "raw_output": "<html>bad gateway</html>",
            "fail_reason": "Upstream returned 502"
        })
    );
    assert_eq!(
        get(&url(&sim, "svc", "a2"), &[AUTH]).await.json(),
        json!({"status": "completed", "status_code": 204, "raw_output": "plain text"})
    );
}

#[tokio::test(start_paused = true)]
async fn create_gives_201_and_a_short_lowercase_id() {
    let sim = Simulator::start().await.unwrap();
    let create = format!("{}/async", sim.vessl_base_url("svc"));
    let r = post_json(&create, &[AUTH], &json!({"data": {"prompt": "hi"}})).await;
    assert_eq!(r.status, 201);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    assert!(
        (1..=16).contains(&id.len())
            && id
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
        "{id}"
    );
    let u = url(&sim, "svc", &id);
    assert_eq!(get(&u, &[AUTH]).await.json()["status"], "pending");
    secs(5.0).await;
    assert_eq!(
        get(&u, &[AUTH]).await.json()["output"],
        json!({"text": "Hello!"})
    );
    // The id belongs to its service.
    assert_eq!(get(&url(&sim, "other", &id), &[AUTH]).await.status, 404);
    assert_eq!(post(&create, &[], "x").await.status, 401);
}

#[tokio::test(start_paused = true)]
async fn bad_token_401_unknown_404() {
    let sim = Simulator::start().await.unwrap();
    sim.add_vessl_request("svc", "a1", Script::new(VesslStage::Pending));
    let u = url(&sim, "svc", "a1");
    for h in [
        vec![],
        vec![("authorization", "Bearer nope")],
        vec![("authorization", "Basic sim-vessl-key")],
    ] {
        let r = get(&u, &h).await;
        assert_eq!(r.status, 401);
        assert!(r.json()["message"].is_string());
    }
    let r = get(&url(&sim, "svc", "zz"), &[AUTH]).await;
    assert_eq!(r.status, 404);
    assert!(r.json()["message"].is_string());
}
