use std::time::Duration;

use poller_sim::{Api, Fault, FaultPlan, NaradaStage, Script, Simulator, TaskKey};
use serde_json::json;

use crate::helpers::*;

#[tokio::test(start_paused = true)]
async fn raw_path_and_query_are_recorded_as_received() {
    let sim = Simulator::start().await.unwrap();
    let raw = "/fast/v2/remote-dispatch/responses/..%2Fx";
    let r = get(
        &format!("{}{raw}", sim.base_url()),
        &[("x-api-key", "sim-narada-key")],
    )
    .await;
    assert_eq!(r.status, 404);
    let dari = "/jobs/my-org/contact%5Fform/status?job_id=a%20b&extra=%2F";
    get(
        &format!("{}{dari}", sim.base_url()),
        &[("X-API-Key", "sim-dari-key")],
    )
    .await;

    let log = sim.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].uri, raw);
    assert_eq!(log[0].path(), raw);
    assert_eq!(log[0].query(), None);
    assert_eq!(log[0].api, Some(Api::Narada));
    // The task is named by the decoded id.
    assert_eq!(log[0].tasks, [TaskKey::narada("../x")]);
    assert_eq!(log[0].status, Some(404));

    assert_eq!(log[1].uri, dari);
    assert_eq!(log[1].query(), Some("job_id=a%20b&extra=%2F"));
    assert_eq!(
        log[1].tasks,
        [TaskKey::dari("my-org", "contact_form", "a b")]
    );
}

#[tokio::test(start_paused = true)]
async fn method_headers_body_time_and_fault_are_recorded() {
    let sim = Simulator::start().await.unwrap();
    sim.add_narada_task("n", Script::new(NaradaStage::Pending));
    sim.inject_fault(TaskKey::narada("n"), FaultPlan::next(1, Fault::status(503)));
    secs(5.0).await;
    get(
        &sim.status_url(&TaskKey::narada("n")),
        &[
            ("x-api-key", "sim-narada-key"),
            ("X-Custom-Thing", "Value 1"),
        ],
    )
    .await;
    secs(1.5).await;
    let batch = json!([
        {"taskType": "getResponse", "taskUUID": "u1"},
        {"taskType": "getResponse", "taskUUID": "u2"},
        {"taskType": "getResponse", "taskUUID": "u1"}
    ]);
    post_json(
        &sim.runware_base_url(),
        &[("authorization", "Bearer sim-runware-key")],
        &batch,
    )
    .await;

    let log = sim.requests();
    assert_eq!(log.len(), 2);
    let n = &log[0];
    assert_eq!(n.seq + 1, log[1].seq);
    assert_eq!(n.method, "GET");
    assert_eq!(n.at, Duration::from_secs(5));
    assert_eq!(n.header("x-custom-thing"), Some("Value 1"));
    assert_eq!(n.header("X-API-KEY"), Some("sim-narada-key"));
    assert_eq!(n.status, Some(503));
    assert_eq!(n.fault, Some(Fault::status(503)));

    let r = &log[1];
    assert_eq!(r.method, "POST");
    assert_eq!(r.at, Duration::from_millis(6500));
    assert_eq!(r.body_json(), Some(batch));
    assert_eq!(r.tasks, [TaskKey::runware("u1"), TaskKey::runware("u2")]);
    assert_eq!(r.fault, None);

    // Filters.
    assert_eq!(sim.requests_for_api(Api::Runware).len(), 1);
    assert_eq!(sim.requests_for_task(&TaskKey::runware("u2")).len(), 1);
    assert_eq!(sim.requests_for_task(&TaskKey::narada("zz")).len(), 0);
    assert_eq!(sim.requests_where(|r| r.status == Some(200)).len(), 1);
    assert_eq!(sim.request_count(), 2);

    sim.clear_requests();
    assert!(sim.requests().is_empty());
    get(&format!("{}/nowhere?x=1", sim.base_url()), &[]).await;
    let log = sim.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].api, None);
    assert_eq!(log[0].uri, "/nowhere?x=1");
    assert_eq!(log[0].status, Some(404));
}

#[tokio::test(start_paused = true)]
async fn bounded_log_keeps_the_newest() {
    let sim = Simulator::builder()
        .max_logged_requests(3)
        .start()
        .await
        .unwrap();
    for i in 0..5 {
        get(&format!("{}/x/{i}", sim.base_url()), &[]).await;
    }
    let uris: Vec<String> = sim.requests().into_iter().map(|r| r.uri).collect();
    assert_eq!(uris, ["/x/2", "/x/3", "/x/4"]);
}
