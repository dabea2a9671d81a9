use std::time::Duration;

use poller_sim::{RunwareStage, RunwareTask, Script, Simulator};
use serde_json::{Value, json};

use crate::helpers::*;

const AUTH: (&str, &str) = ("authorization", "Bearer sim-runware-key");
const A: &str = "24cd5dff-cb81-4db5-8506-b72a9425f9d1";
const B: &str = "50836053-a0ee-4cf5-b9d6-ae7c5d140ada";
const C: &str = "00000000-0000-4000-8000-000000000000";

fn get_response(uuid: &str) -> Value {
    json!({"taskType": "getResponse", "taskUUID": uuid})
}

fn items_for<'a>(list: &'a Value, uuid: &str) -> Vec<&'a Value> {
    list.as_array()
        .unwrap()
        .iter()
        .filter(|i| i["taskUUID"] == uuid)
        .collect()
}

#[tokio::test(start_paused = true)]
async fn batch_of_tasks_in_one_request_with_generations_finishing_at_different_times() {
    let sim = Simulator::start().await.unwrap();
    sim.add_runware_task(
        A,
        RunwareTask::video()
            .with_generation(Script::runware_success_after(Duration::from_secs(5), 0.18))
            .with_generation(Script::runware_error_after(
                Duration::from_secs(8),
                "timeoutProvider",
                "The external provider did not respond within the timeout window.",
            )),
    );
    sim.add_runware_task(
        B,
        Script::runware_success_after(Duration::from_secs(3), 0.25),
    );
    let url = sim.runware_base_url();
    let batch = json!([get_response(A), get_response(B), get_response(C)]);

    let r = post_json(&url, &[AUTH], &batch).await;
    assert_eq!(r.status, 200);
    let body = r.json();
    assert_eq!(keys_of(&body), sorted(&["data", "errors"]));
    assert_eq!(items_for(&body["data"], A).len(), 2);
    assert_eq!(items_for(&body["data"], B).len(), 1);
    for item in body["data"].as_array().unwrap() {
        assert_eq!(item["status"], "processing");
        assert_eq!(item["taskType"], "videoInference");
        assert_eq!(item["progress"], 0);
    }
    // The unknown task: one error item.
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["code"], "taskFailedOrNotFound");
    assert_eq!(errors[0]["taskUUID"], C);
    assert_eq!(errors[0]["status"], "error");

    secs(3.0).await;
    let body = post_json(&url, &[AUTH], &batch).await.json();
    let b = items_for(&body["data"], B);
    assert_eq!(b[0]["status"], "success");
    assert_eq!(
        keys_of(b[0]),
        sorted(&[
            "taskType",
            "taskUUID",
            "status",
            "videoUUID",
            "videoURL",
            "cost"
        ])
    );
    assert_eq!(b[0]["cost"], 0.25);
    assert_eq!(b[0]["videoUUID"].as_str().unwrap().len(), 36);
    assert!(
        b[0]["videoURL"]
            .as_str()
            .unwrap()
            .ends_with(&format!("{}.mp4", b[0]["videoUUID"].as_str().unwrap()))
    );
    let a = items_for(&body["data"], A);
    assert_eq!(a.len(), 2);
    assert_eq!(a[0]["progress"], 60, "3 s of 5");
    assert_eq!(a[1]["progress"], 37, "3 s of 8");

    secs(2.0).await;
    let body = post_json(&url, &[AUTH], &batch).await.json();
    let a = items_for(&body["data"], A);
    assert_eq!(a[0]["status"], "success");
    assert_eq!(a[1]["status"], "processing");

    secs(3.0).await;
    let body = post_json(&url, &[AUTH], &batch).await.json();
    // The failed generation moved from data to errors: partial results stay available.
    let a = items_for(&body["data"], A);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["status"], "success");
    let e = items_for(&body["errors"], A);
    assert_eq!(e.len(), 1);
    assert_eq!(
        keys_of(e[0]),
        sorted(&["code", "status", "message", "documentation", "taskUUID"])
    );
    assert_eq!(e[0]["code"], "timeoutProvider");
    assert_eq!(e[0]["documentation"], poller_sim::RUNWARE_ERRORS_DOC);
}

#[tokio::test(start_paused = true)]
async fn processing_like_statuses_and_fixed_or_omitted_progress() {
    let sim = Simulator::start().await.unwrap();
    sim.add_runware_task(
        A,
        RunwareTask::new("imageInference")
            .with_generation(
                Script::new(RunwareStage::Queued)
                    .then_after(Duration::from_secs(2), RunwareStage::processing()),
            )
            .with_generation(Script::new(RunwareStage::Processing {
                progress: poller_sim::Progress::Fixed(42),
            }))
            .with_generation(Script::new(RunwareStage::Processing {
                progress: poller_sim::Progress::Omitted,
            })),
    );
    let body = post_json(&sim.runware_base_url(), &[AUTH], &json!([get_response(A)]))
        .await
        .json();
    let d = body["data"].as_array().unwrap();
    assert_eq!(d[0]["status"], "queued");
    assert_eq!(d[0]["taskType"], "imageInference");
    assert_eq!(d[1]["progress"], 42);
    assert!(d[2].get("progress").is_none());
}

#[tokio::test(start_paused = true)]
async fn auth_by_header_or_authentication_item() {
    let sim = Simulator::start().await.unwrap();
    sim.add_runware_task(
        B,
        Script::runware_success_after(Duration::from_secs(1), 0.1),
    );
    let url = sim.runware_base_url();
    let batch = json!([get_response(B)]);

    for headers in [
        vec![],
        vec![("authorization", "Bearer wrong")],
        vec![("authorization", "sim-runware-key")],
    ] {
        let r = post_json(&url, &headers, &batch).await;
        assert_eq!(r.status, 401, "{headers:?}");
        let body = r.json();
        assert_eq!(body["errors"][0]["code"], "invalidApiKey");
    }

    // A leading authentication item instead of the header.
    let with_item = json!([
        {"taskType": "authentication", "apiKey": "sim-runware-key"},
        get_response(B)
    ]);
    let r = post_json(&url, &[], &with_item).await;
    assert_eq!(r.status, 200);
    let body = r.json();
    assert_eq!(body["data"][0]["taskType"], "authentication");
    assert!(body["data"][0]["connectionSessionUUID"].is_string());
    assert_eq!(body["data"][1]["taskUUID"], B);

    let wrong_item = json!([{"taskType": "authentication", "apiKey": "nope"}, get_response(B)]);
    assert_eq!(post_json(&url, &[], &wrong_item).await.status, 401);

    // Scheme is case-insensitive.
    let r = post_json(&url, &[("authorization", "bearer sim-runware-key")], &batch).await;
    assert_eq!(r.status, 200);
}

#[tokio::test(start_paused = true)]
async fn malformed_bodies_get_400_in_runware_style_and_odd_items_get_error_items() {
    let sim = Simulator::start().await.unwrap();
    let url = sim.runware_base_url();
    for body in ["{not json", "{\"taskType\": \"getResponse\"}", ""] {
        let r = post(&url, &[AUTH], body).await;
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(r.json()["errors"][0]["code"], "invalidPayload");
    }
    let body = post_json(
        &url,
        &[AUTH],
        &json!([{"taskType": "getResponse"}, {"taskType": "imageInference"}, 7]),
    )
    .await
    .json();
    let codes = error_codes(&body);
    assert_eq!(
        codes,
        ["missingTaskUUID", "missingTaskUUID", "unsupportedTaskType"]
    );
    // An empty batch is fine.
    let body = post(&url, &[AUTH], "[]").await.json();
    assert_eq!(body, json!({"data": [], "errors": []}));
    // Only POST.
    assert_eq!(get(&url, &[AUTH]).await.status, 405);
}

#[tokio::test(start_paused = true)]
async fn the_documented_example_response_is_served() {
    let sim = Simulator::start().await.unwrap();
    sim.seed_examples();
    secs(10.0).await;
    let body = post_json(
        &sim.runware_base_url(),
        &[AUTH],
        &json!([get_response(poller_sim::RUNWARE_BATCH_EXAMPLE_UUID)]),
    )
    .await
    .json();
    // As in the document: one processing, one success, one timeoutProvider error.
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["status"], "processing");
    assert_eq!(data[1]["status"], "success");
    assert_eq!(data[1]["cost"], 0.18);
    assert_eq!(body["errors"][0]["code"], "timeoutProvider");
}
