//! The four creation endpoints: success, each documented error in the vendor's shape, the
//! scripts created tasks follow, and the faults that keep an answer from the client.

use std::time::Duration;

use poller_sim::{
    Api, CreatedScript, Fault, FaultPlan, NaradaStage, RunwareStage, Script, Simulator, TaskKey,
    VesslStage,
};
use serde_json::{Value, json};

use crate::helpers::{error_codes, get, post, post_json, secs};

const NKEY: (&str, &str) = ("x-api-key", "sim-narada-key");
const RKEY: (&str, &str) = ("authorization", "Bearer sim-runware-key");
const DKEY: (&str, &str) = ("x-api-key", "sim-dari-key");
const VKEY: (&str, &str) = ("authorization", "Bearer sim-vessl-key");
const UUID_A: &str = "50836053-a0ee-4cf5-b9d6-ae7c5d140ada";
const UUID_B: &str = "0d2d1c3e-7c55-4e0b-9a5a-2f4b1d6c8e01";

fn narada_create(sim: &Simulator) -> String {
    format!("{}/fast/v2/remote-dispatch", sim.narada_base_url())
}

fn dari_start(sim: &Simulator, org: &str) -> String {
    format!("{}/jobs/{org}/contact_form/start", sim.dari_base_url())
}

/// The `loc` field names of a FastAPI-style 422 body.
fn locs(body: &Value) -> Vec<String> {
    body["detail"]
        .as_array()
        .unwrap_or_else(|| panic!("a detail list: {body}"))
        .iter()
        .map(|d| d["loc"][1].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn narada_create_validates_the_documented_fields() {
    let sim = Simulator::start().await.unwrap();
    let url = narada_create(&sim);
    let full = json!({
        "prompt": "/Operator book a table", "executionMode": "client", "browserWindowId": "win_1",
        "clearChat": true, "previousRequestId": "req_0", "generateGif": false,
        "responseFormat": {"type": "object"}, "callbackUrl": "https://me.example/hook",
        "callbackHeaders": {"Authorization": "Bearer t"}, "callbackSecret": "s",
    });
    let r = post_json(&url, &[NKEY], &full).await;
    assert_eq!(r.status, 202, "{}", r.text());
    assert!(r.json()["requestId"].as_str().unwrap().starts_with("req_"));

    let cases = [
        (json!({}), "prompt", "missing"),
        (json!({"prompt": ""}), "prompt", "string_too_short"),
        (json!({"prompt": 3}), "prompt", "string_type"),
        (
            json!({"prompt": "x", "executionMode": "moon"}),
            "executionMode",
            "enum",
        ),
        (
            json!({"prompt": "x", "executionMode": "client"}),
            "browserWindowId",
            "value_error",
        ),
        (
            json!({"prompt": "x", "clearChat": "yes"}),
            "clearChat",
            "bool_type",
        ),
        (
            json!({"prompt": "x", "responseFormat": "schema"}),
            "responseFormat",
            "dict_type",
        ),
    ];
    for (body, field, kind) in cases {
        let r = post_json(&url, &[NKEY], &body).await;
        assert_eq!(r.status, 422, "{body}");
        let j = r.json();
        assert_eq!(locs(&j), [field], "{body}: {j}");
        assert_eq!(j["detail"][0]["type"], kind, "{j}");
    }
    let legacy = json!({"prompt": "x", "executionMode": "client", "sessionId": "win_1"});
    assert_eq!(post_json(&url, &[NKEY], &legacy).await.status, 202);
    assert_eq!(post(&url, &[NKEY], "{oops").await.status, 400);
    assert_eq!(
        post_json(&url, &[], &json!({"prompt": "x"})).await.status,
        401
    );
    // Only the two valid requests created tasks.
    let statuses: Vec<Option<u16>> = sim
        .requests_for_api(Api::Narada)
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses.len(), 11);
    assert_eq!(statuses.iter().filter(|s| **s == Some(202)).count(), 2);
}

#[tokio::test(start_paused = true)]
async fn created_tasks_follow_queued_scripts_then_the_default() {
    let sim = Simulator::start().await.unwrap();
    sim.script_next_created(CreatedScript::narada(Script::narada_error_after(
        Duration::from_secs(2),
        "no luck",
    )));
    sim.set_created_default(CreatedScript::narada(Script::new(NaradaStage::success(
        json!({"text": "at once"}),
    ))));
    let url = narada_create(&sim);
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = post_json(&url, &[NKEY], &json!({"prompt": "x"})).await;
        ids.push(r.json()["requestId"].as_str().unwrap().to_owned());
    }
    let status = |id: &str| sim.status_url(&TaskKey::narada(id));
    secs(2.0).await;
    let first = get(&status(&ids[0]), &[NKEY]).await.json();
    assert_eq!(
        (first["status"].as_str(), first["response"]["text"].as_str()),
        (Some("error"), Some("no luck"))
    );
    let second = get(&status(&ids[1]), &[NKEY]).await.json();
    assert_eq!(second["response"], json!({"text": "at once"}));
}

#[tokio::test(start_paused = true)]
async fn control_api_queues_created_scripts() {
    let sim = Simulator::start().await.unwrap();
    let control = format!("{}/_sim/created-scripts", sim.base_url());
    let r = post_json(
        &control,
        &[],
        &json!({"api": "vessl", "script": [{"status": "failed", "status_code": 500, "raw_output": "boom", "fail_reason": "OOM"}]}),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text());
    let r = post_json(
        &control,
        &[],
        &json!({"api": "vessl", "script": [], "default": true}),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains("at least one stage")
    );
    assert_eq!(
        post_json(&control, &[], &json!({"api": "x"})).await.status,
        400
    );

    let create = format!("{}/async", sim.vessl_base_url("svc"));
    let id = post_json(&create, &[VKEY], &json!({"data": {}}))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = get(&sim.status_url(&TaskKey::vessl("svc", &id)), &[VKEY])
        .await
        .json();
    assert_eq!(
        (out["status"].as_str(), out["fail_reason"].as_str()),
        (Some("failed"), Some("OOM"))
    );
}

#[tokio::test(start_paused = true)]
async fn runware_creates_acknowledges_and_refuses_per_item() {
    let sim = Simulator::start().await.unwrap();
    let url = sim.runware_base_url();
    let task = |uuid: &str| json!({"taskType": "videoInference", "taskUUID": uuid, "deliveryMethod": "async", "positivePrompt": "waves"});
    let r = post_json(
        &url,
        &[RKEY],
        &json!([
            task(UUID_A),
            {"taskType": "imageInference", "deliveryMethod": "async"},
            {"taskType": "imageInference", "taskUUID": "not-a-uuid", "deliveryMethod": "async"},
            {"taskType": "imageInference", "taskUUID": "50836053-a0ee-1cf5-b9d6-ae7c5d140ada", "deliveryMethod": "async"},
            {"taskType": "imageInference", "taskUUID": UUID_B, "deliveryMethod": "sync"},
            {"taskType": "imageInference", "taskUUID": UUID_B, "deliveryMethod": "async", "webhookURL": "ftp://x"},
            {"taskType": "imageInference", "taskUUID": UUID_B, "deliveryMethod": "async", "numberResults": 0},
        ]),
    )
    .await;
    assert_eq!(r.status, 200);
    let body = r.json();
    assert_eq!(
        body["data"],
        json!([{"taskType": "videoInference", "taskUUID": UUID_A}])
    );
    let codes = error_codes(&body);
    assert_eq!(
        codes,
        [
            "missingTaskUUID",
            "invalidTaskUUID",
            "invalidTaskUUID",
            "unsupportedDeliveryMethod",
            "invalidWebhookURL",
            "invalidNumberResults"
        ]
    );
    assert_eq!(body["errors"][1]["taskUUID"], "not-a-uuid");

    // Resending the same task is idempotent: acknowledged, not restarted.
    secs(4.0).await;
    let again = post_json(&url, &[RKEY], &json!([task(UUID_A)]))
        .await
        .json();
    assert_eq!(
        again["data"],
        json!([{"taskType": "videoInference", "taskUUID": UUID_A}])
    );
    secs(6.0).await;
    let status = post_json(
        &url,
        &[RKEY],
        &json!([{"taskType": "getResponse", "taskUUID": UUID_A}]),
    )
    .await
    .json();
    assert_eq!(
        status["data"][0]["status"], "success",
        "10 s after the first create: {status}"
    );
    // Reusing the UUID for another task type is refused.
    let clash =
        json!([{"taskType": "imageInference", "taskUUID": UUID_A, "deliveryMethod": "async"}]);
    let r = post_json(&url, &[RKEY], &clash).await;
    assert_eq!(r.status, 400, "no task of the request was accepted");
    assert_eq!(r.json()["errors"][0]["code"], "duplicateTaskUUID");
    // A wrong key refuses the whole batch.
    let r = post_json(
        &url,
        &[("authorization", "Bearer nope")],
        &json!([task(UUID_B)]),
    )
    .await;
    assert_eq!(
        (r.status, r.json()["errors"][0]["code"].as_str()),
        (401, Some("invalidApiKey"))
    );
}

#[tokio::test(start_paused = true)]
async fn runware_number_results_and_queued_generations() {
    let sim = Simulator::start().await.unwrap();
    sim.script_next_created(CreatedScript::runware(vec![Script::new(
        RunwareStage::error("processingFailed", "nope"),
    )]));
    let url = sim.runware_base_url();
    let body = json!([
        {"taskType": "imageInference", "taskUUID": UUID_A, "deliveryMethod": "async"},
        {"taskType": "imageInference", "taskUUID": UUID_B, "deliveryMethod": "async", "numberResults": 3},
    ]);
    assert_eq!(post_json(&url, &[RKEY], &body).await.status, 200);
    secs(10.0).await;
    let ask = json!([{"taskType": "getResponse", "taskUUID": UUID_A}, {"taskType": "getResponse", "taskUUID": UUID_B}]);
    let r = post_json(&url, &[RKEY], &ask).await.json();
    assert_eq!(r["errors"][0]["code"], "processingFailed");
    assert_eq!(r["errors"][0]["taskUUID"], UUID_A);
    let b: Vec<&Value> = r["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["taskUUID"] == UUID_B)
        .collect();
    assert_eq!(b.len(), 3);
    assert!(
        b.iter()
            .all(|i| i["status"] == "success" && i["taskType"] == "imageInference")
    );
    // An image task's result is an image: imageUUID and imageURL, no video fields.
    assert!(
        b.iter().all(|i| i["imageURL"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("{}.jpg", i["imageUUID"].as_str().unwrap())))
            && i.get("videoURL").is_none()),
        "{b:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn dari_start_checks_org_key_and_body() {
    let sim = Simulator::start().await.unwrap();
    let url = dari_start(&sim, "my-org");
    let r = post_json(
        &url,
        &[DKEY],
        &json!({"form_data": {"email": "a@b.c"}, "max_turns": 20}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let job = r.json()["job_id"].as_str().unwrap().to_owned();
    assert_eq!(uuid::Uuid::parse_str(&job).unwrap().get_version_num(), 4);
    let status = sim.status_url(&TaskKey::dari("my-org", "contact_form", &job));
    assert_eq!(get(&status, &[DKEY]).await.json()["status"], "pending");
    secs(4.0).await;
    let done = get(&status, &[DKEY]).await.json();
    assert_eq!(
        (done["status"].as_str(), &done["final_result"]),
        (Some("completed"), &json!({"submitted": true}))
    );

    let ok = post_json(&url, &[DKEY], &json!({"document_bundle_id": "bundle_1"})).await;
    assert_eq!(ok.status, 200);
    for (body, field) in [
        (json!({}), "form_data"),
        (json!({"max_turns": 5}), "form_data"),
        (json!({"form_data": [1]}), "form_data"),
        (json!({"document_bundle_id": 7}), "document_bundle_id"),
        (
            json!({"form_data": {}, "timeout_minutes": 0}),
            "timeout_minutes",
        ),
        (json!({"form_data": {}, "max_turns": "many"}), "max_turns"),
    ] {
        let r = post_json(&url, &[DKEY], &body).await;
        assert_eq!(r.status, 422, "{body}");
        assert_eq!(locs(&r.json()), [field], "{body}");
    }
    let r = post(&url, &[DKEY], "nope").await;
    assert_eq!(
        (r.status, r.json()["detail"][0]["type"].as_str()),
        (422, Some("json_invalid"))
    );
    let r = post_json(
        &dari_start(&sim, "other-org"),
        &[DKEY],
        &json!({"form_data": {}}),
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .contains("organization")
    );
    let r = post_json(&url, &[("x-api-key", "wrong")], &json!({"form_data": {}})).await;
    assert_eq!(
        (r.status, r.json()["detail"].as_str()),
        (401, Some("Invalid API key"))
    );
    assert_eq!(get(&url, &[DKEY]).await.status, 405);
}

#[tokio::test(start_paused = true)]
async fn vessl_create_checks_the_forwarded_request() {
    let sim = Simulator::start().await.unwrap();
    sim.set_created_default(CreatedScript::vessl(Script::new(VesslStage::Pending)));
    let url = format!("{}/async", sim.vessl_base_url("svc"));
    let r = post_json(
        &url,
        &[VKEY],
        &json!({"data": {"prompt": "a cat"}, "method": "POST", "path": "/generate"}),
    )
    .await;
    assert_eq!(r.status, 201);
    for (body, word) in [
        (json!({"method": "POST"}), "data"),
        (json!({"data": 1, "method": "post"}), "method"),
        (json!({"data": 1, "path": "generate"}), "path"),
        (json!([1]), "object"),
    ] {
        let r = post_json(&url, &[VKEY], &body).await;
        assert_eq!(r.status, 400, "{body}");
        assert!(
            r.json()["message"].as_str().unwrap().contains(word),
            "{body}: {}",
            r.text()
        );
    }
}

#[tokio::test(start_paused = true)]
async fn late_answer_creates_the_task_before_the_client_gives_up() {
    let sim = Simulator::start().await.unwrap();
    sim.inject_fault(
        Api::Narada,
        FaultPlan::next(1, Fault::late_answer(Duration::from_secs(60))),
    );
    let url = narada_create(&sim);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let err = client
        .post(&url)
        .header(NKEY.0, NKEY.1)
        .body(json!({"prompt": "x"}).to_string())
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    // The request was processed: the task exists although the client never learnt its id.
    let log = sim.requests_for_api(Api::Narada);
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, Some(202));
    assert_eq!(
        log[0].fault,
        Some(Fault::late_answer(Duration::from_secs(60)))
    );
}

#[tokio::test(start_paused = true)]
async fn lose_acknowledgement_drops_one_item_but_creates_every_task() {
    let sim = Simulator::start().await.unwrap();
    sim.inject_fault(
        Api::Runware,
        FaultPlan::next(1, Fault::LoseAcknowledgement { index: 1 }),
    );
    let url = sim.runware_base_url();
    let body = json!([
        {"taskType": "imageInference", "taskUUID": UUID_A, "deliveryMethod": "async"},
        {"taskType": "imageInference", "taskUUID": UUID_B, "deliveryMethod": "async"},
    ]);
    let r = post_json(&url, &[RKEY], &body).await.json();
    assert_eq!(
        r["data"],
        json!([{"taskType": "imageInference", "taskUUID": UUID_A}])
    );
    // Both exist.
    let ask = json!([{"taskType": "getResponse", "taskUUID": UUID_B}]);
    let r = post_json(&url, &[RKEY], &ask).await.json();
    assert_eq!(r["data"][0]["status"], "processing", "{r}");
    // Create requests name their tasks, so a fault can target one of them.
    assert_eq!(sim.requests_for_task(&TaskKey::runware(UUID_B)).len(), 2);
}
