use poller_sim::Simulator;
use serde_json::json;

use crate::helpers::*;

#[tokio::test(start_paused = true)]
async fn tasks_faults_and_log_through_the_control_api() {
    let sim = Simulator::start().await.unwrap();
    let base = sim.base_url().to_owned();

    let info = get(&format!("{base}/_sim/info"), &[]).await.json();
    assert_eq!(info["runware_base_url"], format!("{base}/v1"));
    assert_eq!(info["keys"]["narada"], "sim-narada-key");
    assert_eq!(info["keys"]["dari_org"], "my-org");

    let r = post_json(
        &format!("{base}/_sim/tasks"),
        &[],
        &json!([
            {"api": "narada", "id": "req_1", "script": [
                {"status": "pending", "for": "5s"},
                {"status": "input-required", "text": "Log in", "for": 3},
                {"status": "success", "response": {"ok": true}}
            ]},
            {"api": "runware", "id": "u1", "generations": [
                [{"status": "processing", "for": "2s"}, {"status": "success", "cost": 0.5}],
                [{"status": "queued", "for": "1s"},
                 {"status": "error", "code": "processingFailed", "message": "boom"}]
            ]},
            {"api": "dari", "endpoint": "portal", "id": "j1", "script": [
                {"status": "running", "current_step": "Step 1", "for": "2s"},
                {"status": "completed", "final_result": {"x": 1}}
            ]},
            {"api": "vessl", "slug": "svc", "id": "abc", "script": [
                {"status": "in_progress", "for": "1s"},
                {"status": "completed", "raw_output": "{\"a\":1}"}
            ]}
        ]),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let created = r.json();
    let narada_url = created[0]["url"].as_str().unwrap().to_owned();
    assert_eq!(created[2]["task"]["org"], "my-org");

    let nk = [("x-api-key", "sim-narada-key")];
    assert_eq!(get(&narada_url, &nk).await.json()["status"], "pending");
    secs(5.0).await;
    assert_eq!(
        get(&narada_url, &nk).await.json()["status"],
        "input-required"
    );
    secs(3.0).await;
    assert_eq!(
        get(&narada_url, &nk).await.json()["response"],
        json!({"ok": true})
    );

    let body = post_json(
        &format!("{base}/v1"),
        &[("authorization", "Bearer sim-runware-key")],
        &json!([{"taskType": "getResponse", "taskUUID": "u1"}]),
    )
    .await
    .json();
    assert_eq!(body["data"][0]["cost"], 0.5);
    assert_eq!(body["errors"][0]["code"], "processingFailed");

    let dari = get(
        created[2]["url"].as_str().unwrap(),
        &[("X-API-Key", "sim-dari-key")],
    )
    .await
    .json();
    assert_eq!(dari["final_result"], json!({"x": 1}));
    let vessl = get(
        created[3]["url"].as_str().unwrap(),
        &[("authorization", "Bearer sim-vessl-key")],
    )
    .await
    .json();
    assert_eq!(vessl["output"], json!({"a": 1}));

    // A fault on the next request to req_1.
    let r = post_json(
        &format!("{base}/_sim/faults"),
        &[],
        &json!({"target": {"api": "narada", "id": "req_1"},
                "fault": {"kind": "too_many_requests", "retry_after": {"seconds": 3}},
                "next": 1}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = get(&narada_url, &nk).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("3"));
    assert_eq!(get(&narada_url, &nk).await.status, 200);

    // A global fault, removed by id.
    let id = post_json(
        &format!("{base}/_sim/faults"),
        &[],
        &json!({"fault": {"kind": "html", "code": 502}}),
    )
    .await
    .json()["id"]
        .as_u64()
        .unwrap();
    assert_eq!(get(&narada_url, &nk).await.status, 502);
    let r = client()
        .delete(format!("{base}/_sim/faults/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(get(&narada_url, &nk).await.status, 200);

    // Random faults on, then off.
    let r = post_json(
        &format!("{base}/_sim/random-faults"),
        &[],
        &json!({"rate": 1.0, "seed": 3, "kinds": [{"kind": "status", "code": 500}]}),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(get(&narada_url, &nk).await.status, 500);
    client()
        .delete(format!("{base}/_sim/random-faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(get(&narada_url, &nk).await.status, 200);

    // The log, filtered; control requests are not in it.
    let log = get(&format!("{base}/_sim/requests?api=narada&id=req_1"), &[])
        .await
        .json();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 9);
    assert!(
        log.iter()
            .all(|r| r["uri"] == "/fast/v2/remote-dispatch/responses/req_1")
    );
    assert_eq!(log[0]["headers"][0][0], "x-api-key");
    assert_eq!(
        log.iter().filter(|r| !r["fault"].is_null()).count(),
        3,
        "429, html, 500"
    );
    assert_eq!(sim.requests().len(), 12);
    let r = client()
        .delete(format!("{base}/_sim/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(sim.requests().is_empty());

    // Removing a task.
    let r = client()
        .delete(format!("{base}/_sim/tasks"))
        .body(json!({"api": "narada", "id": "req_1"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(get(&narada_url, &nk).await.status, 404);
}

#[tokio::test(start_paused = true)]
async fn bad_control_requests_get_400() {
    let sim = Simulator::start().await.unwrap();
    let base = sim.base_url();
    for (path, body) in [
        ("tasks", "{not json"),
        ("tasks", r#"{"api": "narada", "id": "x", "script": []}"#),
        (
            "tasks",
            r#"{"api": "narada", "id": "x", "script": [{"status": "pending"}, {"status": "pending"}]}"#,
        ),
        (
            "tasks",
            r#"{"api": "narada", "id": "x", "script": [{"status": "done"}]}"#,
        ),
        ("faults", r#"{"fault": {"kind": "nope"}}"#),
        (
            "faults",
            r#"{"fault": {"kind": "malformed_json"}, "next": 1, "requests": [1, 2]}"#,
        ),
        ("random-faults", r#"{"rate": 2, "seed": 1}"#),
    ] {
        let r = post(&format!("{base}/_sim/{path}"), &[], body).await;
        assert_eq!(r.status, 400, "{path} {body}: {}", r.text());
        assert!(r.json()["error"].is_string());
    }
}
