//! Creating tasks against the simulator's create endpoints: every endpoint end to end, the
//! vendors' errors, and the retry rules, counted in the create requests the simulator saw.

use crate::helpers::sim;
use poller_core::{HttpOptions, SourceConfig, StatusSource};
use poller_providers::dari::{Dari, DariRequest};
use poller_providers::narada::{ExecutionMode, Narada, NaradaRequest};
use poller_providers::runware::{Runware, RunwareTask};
use poller_providers::vessl::{Vessl, VesslRequest};
use poller_providers::{CONNECT_ATTEMPTS, SubmitError};
use poller_sim::{Api, CreatedScript, Fault, FaultPlan, RecordedRequest, Script, Simulator};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(5);

fn http() -> HttpOptions {
    HttpOptions::default().with_timeout(TIMEOUT)
}

fn narada(sim: &Simulator) -> Narada {
    Narada::new(sim.keys().narada.clone())
        .base_url(sim.narada_base_url())
        .http(http())
}

fn runware(sim: &Simulator) -> Runware {
    Runware::new(sim.keys().runware.clone())
        .base_url(sim.runware_base_url())
        .http(http())
}

/// The create requests (not status requests) the simulator saw for `api`.
fn creates(sim: &Simulator, api: Api) -> Vec<RecordedRequest> {
    sim.requests_for_api(api)
        .into_iter()
        .filter(|r| r.method == "POST")
        .filter(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            !body
                .as_array()
                .is_some_and(|items| items.iter().all(|i| i["taskType"] == "getResponse"))
        })
        .collect()
}

/// The `taskUUID`s of each Runware create request, in order.
fn uuids_per_request(sim: &Simulator) -> Vec<Vec<String>> {
    creates(sim, Api::Runware)
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            body.as_array()
                .unwrap()
                .iter()
                .map(|i| i["taskUUID"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

fn assert_no_key(text: &str, key: &str) {
    assert!(!text.contains(key), "the key leaked: {text}");
}

#[tokio::test(start_paused = true)]
async fn narada_submit_and_wait_round_trip() {
    let sim = sim().await;
    let request = NaradaRequest::new("Find the weather in Lisbon")
        .execution_mode(ExecutionMode::Client)
        .browser_window_id("win_1")
        .callback_secret("cb-secret")
        .extra_field("newFlag", true);
    let report = narada(&sim).submit_and_wait(&request).await.unwrap();
    assert!(report.task_id.starts_with("req_"), "{}", report.task_id);
    assert!(report.outcome.is_success(), "{}", report.outcome);
    // The default script: pending for 10 s, then success.
    assert_eq!(
        report.outcome.last_status().unwrap().output,
        Some(json!({"text": "Task completed (simulated)."}))
    );
    let sent = creates(&sim, Api::Narada);
    assert_eq!(sent.len(), 1);
    let body: Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(
        body,
        json!({"prompt": "Find the weather in Lisbon", "executionMode": "client",
               "browserWindowId": "win_1", "callbackSecret": "cb-secret", "newFlag": true})
    );
    assert_eq!(sent[0].header("x-api-key"), Some("sim-narada-key"));
}

#[tokio::test(start_paused = true)]
async fn narada_bad_requests_are_named_before_anything_is_sent() {
    let sim = sim().await;
    let client = narada(&sim);
    let err = client
        .submit(&NaradaRequest::new("x").execution_mode(ExecutionMode::Client))
        .await
        .unwrap_err();
    assert!(matches!(err, SubmitError::Invalid { ref field, .. } if field == "browserWindowId"));
    let err = client.submit(&NaradaRequest::new("")).await.unwrap_err();
    assert!(matches!(err, SubmitError::Invalid { ref field, .. } if field == "prompt"));
    let err = client
        .submit(&NaradaRequest::new("x").extra_field("prompt", "again"))
        .await
        .unwrap_err();
    assert!(matches!(err, SubmitError::Invalid { ref field, .. } if field == "prompt"));
    assert_eq!(sim.request_count(), 0);
    assert!(!err.may_have_started());
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_narada_create_is_sent_once_and_may_have_started() {
    let sim = sim().await;
    sim.inject_fault(
        Api::Narada,
        FaultPlan::next(1, Fault::late_answer(Duration::from_secs(60))),
    );
    let err = narada(&sim)
        .submit(&NaradaRequest::new("Book a table"))
        .await
        .unwrap_err();
    assert!(err.may_have_started(), "{err}");
    assert!(
        matches!(
            err,
            SubmitError::MayHaveStarted {
                provider: "narada",
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("may have started") && text.contains("timed out"),
        "{text}"
    );
    let sent = creates(&sim, Api::Narada);
    assert_eq!(sent.len(), 1, "sent exactly once");
    assert_eq!(
        sent[0].status,
        Some(202),
        "and the simulator did create the task"
    );
    assert_no_key(&format!("{text} {err:?}"), "sim-narada-key");
}

#[tokio::test(start_paused = true)]
async fn a_cut_connection_after_a_create_is_not_repeated() {
    let sim = sim().await;
    sim.inject_fault(Api::Narada, FaultPlan::next(1, Fault::ResetMidBody));
    let err = narada(&sim)
        .submit(&NaradaRequest::new("Book a table"))
        .await
        .unwrap_err();
    assert!(matches!(err, SubmitError::MayHaveStarted { .. }), "{err:?}");
    assert!(err.to_string().contains("connection"), "{err}");
    let sent = creates(&sim, Api::Narada);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].status,
        Some(202),
        "the task was created before the cut"
    );
}

#[tokio::test(start_paused = true)]
async fn an_unreadable_create_answer_may_have_started() {
    let sim = sim().await;
    // The task is created, then half of its `{"requestId": …}` answer arrives.
    sim.inject_fault(Api::Vessl, FaultPlan::next(1, Fault::TruncatedJson));
    let vessl = Vessl::new(sim.vessl_base_url("svc"), sim.keys().vessl.clone());
    let err = vessl
        .submit(&VesslRequest::new(json!({})))
        .await
        .unwrap_err();
    assert!(matches!(err, SubmitError::MayHaveStarted { .. }), "{err:?}");
    assert!(
        err.to_string().contains("HTTP 201: the answer has no `id`"),
        "{err}"
    );
    assert_eq!(creates(&sim, Api::Vessl).len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_5xx_on_create_may_have_started_and_a_4xx_did_not() {
    let sim = sim().await;
    sim.inject_fault(Api::Narada, FaultPlan::next(1, Fault::status(503)));
    let err = narada(&sim)
        .submit(&NaradaRequest::new("x"))
        .await
        .unwrap_err();
    assert!(err.may_have_started(), "{err}");
    assert_eq!(creates(&sim, Api::Narada).len(), 1, "a 503 is not resent");

    let wrong = Narada::new("wrong-key-123").base_url(sim.narada_base_url());
    let err = wrong.submit(&NaradaRequest::new("x")).await.unwrap_err();
    assert!(matches!(err, SubmitError::Rejected { .. }), "{err:?}");
    assert!(!err.may_have_started());
    assert!(err.to_string().contains("HTTP 401"), "{err}");
    assert_no_key(&format!("{err} {err:?} {wrong:?}"), "wrong-key-123");
}

/// A loopback address nothing listens on (yet).
async fn free_addr() -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap()
}

#[tokio::test(start_paused = true)]
async fn connection_refused_is_retried_until_the_server_is_up() {
    let addr = free_addr().await;
    // The server comes up 700 ms in: the first attempt (0 ms) and the second (500 ms) are
    // refused, the third (1500 ms) gets through.
    let server = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(700)).await;
        Simulator::builder().bind(addr).start().await.unwrap()
    });
    let client = Narada::new("sim-narada-key").base_url(format!("http://{addr}"));
    let id = client.submit(&NaradaRequest::new("x")).await.unwrap();
    let sim = server.await.unwrap();
    assert!(id.starts_with("req_"));
    assert_eq!(creates(&sim, Api::Narada).len(), 1);
}

#[tokio::test(start_paused = true)]
async fn connection_refused_every_time_is_not_sent() {
    let addr = free_addr().await;
    let client = Narada::new("k").base_url(format!("http://{addr}"));
    let err = client.submit(&NaradaRequest::new("x")).await.unwrap_err();
    assert!(
        matches!(
            err,
            SubmitError::NotSent {
                attempts: CONNECT_ATTEMPTS,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.may_have_started());
    assert!(err.to_string().contains("never reached the API"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn runware_resends_only_the_unacknowledged_task_with_its_uuid() {
    let sim = sim().await;
    sim.inject_fault(
        Api::Runware,
        FaultPlan::next(1, Fault::LoseAcknowledgement { index: 1 }),
    );
    let tasks: Vec<RunwareTask> = ["waves", "dunes", "snow"]
        .map(|p| RunwareTask::new("videoInference").field("positivePrompt", p))
        .to_vec();
    let want: Vec<String> = tasks.iter().map(|t| t.task_uuid.clone()).collect();
    let reports = runware(&sim).submit_and_wait(&tasks).await.unwrap();
    let ids: Vec<&str> = reports.iter().map(|r| r.task_id.as_str()).collect();
    assert_eq!(ids, want);
    assert!(reports.iter().all(|r| r.outcome.is_success()));
    let sent = uuids_per_request(&sim);
    assert_eq!(sent, vec![want.clone(), vec![want[1].clone()]]);
    // The wait asked about the three tasks together, one getResponse request per round.
    let polls: Vec<usize> = sim
        .requests_for_api(Api::Runware)
        .iter()
        .filter(|r| r.body.windows(11).any(|w| w == b"getResponse"))
        .map(|r| r.tasks.len())
        .collect();
    assert!(polls.len() >= 2, "{polls:?}");
    assert!(polls.iter().all(|n| *n == 3), "{polls:?}");
}

#[tokio::test(start_paused = true)]
async fn runware_resends_a_timed_out_batch_with_the_same_uuids_and_creates_each_once() {
    let sim = sim().await;
    sim.set_created_default(CreatedScript::runware(vec![Script::runware_success_after(
        Duration::from_secs(30),
        0.1,
    )]));
    sim.inject_fault(
        Api::Runware,
        FaultPlan::next(1, Fault::late_answer(Duration::from_secs(60))),
    );
    let start = tokio::time::Instant::now();
    let tasks = vec![
        RunwareTask::new("imageInference"),
        RunwareTask::new("imageInference"),
    ];
    let client = runware(&sim);
    let ids = client.submit(&tasks).await.unwrap();
    let sent = uuids_per_request(&sim);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0], ids);
    assert_eq!(sent[0], sent[1], "the same taskUUIDs both times");
    // The resend went out after the 5 s timeout and a pause; the tasks were created by the
    // first request and not restarted: 30 s after it, both have succeeded.
    assert!(start.elapsed() >= TIMEOUT);
    tokio::time::sleep_until(start + Duration::from_secs(30)).await;
    let source = client.source().unwrap();
    for id in &ids {
        let status = source.fetch(id).await.unwrap();
        assert_eq!(status.raw_status, "success", "{id}");
    }
}

#[tokio::test(start_paused = true)]
async fn runware_reports_refused_tasks_and_keeps_the_created_ones() {
    let sim = sim().await;
    let good = RunwareTask::new("imageInference");
    let bad = RunwareTask::new("imageInference").field("numberResults", 0);
    let err = runware(&sim)
        .submit(&[good.clone(), bad.clone()])
        .await
        .unwrap_err();
    let SubmitError::Incomplete(batch) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(batch.created, [good.task_uuid.as_str()]);
    assert_eq!(batch.rejected.len(), 1);
    assert_eq!(batch.rejected[0].task_uuid, bad.task_uuid);
    assert_eq!(
        batch.rejected[0].error.code.as_deref(),
        Some("invalidNumberResults")
    );
    assert!(batch.unknown.is_empty());
    assert_eq!(err.known_ids(), [good.task_uuid.as_str()]);
    assert_eq!(
        uuids_per_request(&sim).len(),
        1,
        "a refusal is final: not resent"
    );
}

#[tokio::test(start_paused = true)]
async fn runware_gives_up_after_its_attempts_and_lists_what_may_exist() {
    let sim = sim().await;
    sim.inject_fault(Api::Runware, FaultPlan::always(Fault::status(503)));
    let task = RunwareTask::new("imageInference");
    let err = runware(&sim)
        .submit(std::slice::from_ref(&task))
        .await
        .unwrap_err();
    assert!(err.may_have_started());
    assert_eq!(err.known_ids(), [task.task_uuid.as_str()]);
    assert!(err.to_string().contains("HTTP 503"), "{err}");
    assert_eq!(
        uuids_per_request(&sim).len(),
        poller_providers::RUNWARE_ATTEMPTS as usize
    );

    let wrong = Runware::new("nope-key-42").base_url(sim.runware_base_url());
    sim.clear_faults();
    let err = wrong
        .submit(&[RunwareTask::new("imageInference")])
        .await
        .unwrap_err();
    assert!(matches!(err, SubmitError::Rejected { .. }), "{err:?}");
    assert_no_key(&format!("{err} {err:?} {wrong:?}"), "nope-key-42");
}

#[tokio::test(start_paused = true)]
async fn dari_submit_and_wait_and_its_documented_errors() {
    let sim = sim().await;
    let dari = Dari::new(sim.keys().dari.clone(), "my-org", "contact_form")
        .base_url(sim.dari_base_url())
        .http(http());
    let request = DariRequest::form(json!({"email": "a@b.c"})).max_turns(20);
    let report = dari.submit_and_wait(&request).await.unwrap();
    assert!(report.outcome.is_success(), "{}", report.outcome);
    assert_eq!(
        report.outcome.last_status().unwrap().output,
        Some(json!({"submitted": true}))
    );
    let sent = creates(&sim, Api::Dari);
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].uri.ends_with("/jobs/my-org/contact_form/start"),
        "{}",
        sent[0].uri
    );

    let other = Dari::new(sim.keys().dari.clone(), "someone-else", "contact_form")
        .base_url(sim.dari_base_url());
    let err = other
        .submit(&DariRequest::document_bundle("b1"))
        .await
        .unwrap_err();
    assert!(matches!(err, SubmitError::Rejected { .. }), "{err:?}");
    assert!(
        err.to_string().contains("HTTP 403") && err.to_string().contains("organization"),
        "{err}"
    );

    let err = dari
        .submit(&DariRequest::form(json!("x")))
        .await
        .unwrap_err();
    assert!(matches!(err, SubmitError::Invalid { ref field, .. } if field == "form_data"));
}

#[tokio::test(start_paused = true)]
async fn vessl_submit_and_wait_round_trip() {
    let sim = sim().await;
    let vessl = Vessl::new(sim.vessl_base_url("svc"), sim.keys().vessl.clone()).http(http());
    let report = vessl
        .submit_and_wait(&VesslRequest::new(json!({"prompt": "a cat"})).path("/generate"))
        .await
        .unwrap();
    assert!(report.outcome.is_success(), "{}", report.outcome);
    assert_eq!(
        report.outcome.last_status().unwrap().output,
        Some(json!({"text": "Hello!"}))
    );
    let body: Value = serde_json::from_slice(&creates(&sim, Api::Vessl)[0].body).unwrap();
    assert_eq!(
        body,
        json!({"data": {"prompt": "a cat"}, "method": "POST", "path": "/generate"})
    );

    let wrong = Vessl::new(sim.vessl_base_url("svc"), "tok-secret-9");
    let err = wrong
        .submit(&VesslRequest::new(json!({})))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("HTTP 401"), "{err}");
    assert_no_key(&format!("{err} {err:?} {wrong:?}"), "tok-secret-9");
}

#[tokio::test(start_paused = true)]
async fn submit_by_name_from_json() {
    let sim = sim().await;
    let config = SourceConfig::new()
        .api_key(sim.keys().dari.clone())
        .base_url(sim.dari_base_url())
        .param("org_id", "my-org")
        .param("endpoint_name", "contact_form");
    let ids = poller_providers::submit("dari", config, json!({"document_bundle_id": "b1"}))
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);

    let config = SourceConfig::new()
        .api_key(sim.keys().runware.clone())
        .base_url(sim.runware_base_url());
    let uuid = "50836053-a0ee-4cf5-b9d6-ae7c5d140ada";
    let ids = poller_providers::submit(
        "runware",
        config.clone(),
        json!([{"taskType": "imageInference", "taskUUID": uuid}, {"taskType": "videoInference"}]),
    )
    .await
    .unwrap();
    assert_eq!((ids.len(), ids[0].as_str()), (2, uuid));

    let err = poller_providers::submit(
        "runware",
        config,
        json!([{"taskType": "imageInference", "taskUUID": "x"}]),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, SubmitError::Invalid { ref field, .. } if field == "taskUUID"));
    let err = poller_providers::submit(
        "dari",
        SourceConfig::new().api_key("k"),
        json!({"form_data": {}}),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("org_id"), "{err}");
    let err = poller_providers::submit("nope", SourceConfig::new(), json!({}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unknown provider"), "{err}");
}
