//! The webhook receiver over real loopback HTTP: callbacks as the vendors send them, polls
//! counted at the simulator, in virtual time.

use crate::helpers::sim;
use futures::StreamExt;
use hmac::{Hmac, Mac};
use poller_core::{
    Fixed, OutcomeKind, Phase, PollPolicy, PollPolicyExt, SourceId, StatusSource, Tracker,
    TrackerEvent, TrackerHandle,
};
use poller_providers::dari::Dari;
use poller_providers::narada::{self, Narada, NaradaRequest};
use poller_providers::runware::{Runware, RunwareTask};
use poller_providers::webhook::{Receiver, RunningReceiver, Vendor, callbacks_policy};
use poller_sim::{CreatedScript, DariStage, NaradaStage, Script, Simulator, TaskKey};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

use std::time::Duration;
use tokio::sync::mpsc;

/// Request headers of a test case.
type Headers<'a> = Vec<(&'a str, &'a str)>;

const DARI_SECRET: &str = "whsec-portal-secret-0123";
const RUNWARE_UUID: &str = "50836053-a0ee-4cf5-b9d6-ae7c5d140ada";
const ORG: &str = "my-org";
const ENDPOINT: &str = "contact_form";

/// A policy that never polls by itself within the tests: only callbacks bring polls.
fn callbacks_only() -> impl PollPolicy + 'static {
    Fixed::secs(3600).with_initial_delay(Duration::from_secs(3600))
}

/// A simulator, a receiver on a free port and a tracker (driven in a spawned task, change
/// events on) with one source.
struct Harness<O> {
    sim: Simulator,
    running: RunningReceiver,
    handle: TrackerHandle<O>,
    source: SourceId,
    events: mpsc::UnboundedReceiver<TrackerEvent<O>>,
    http: reqwest::Client,
}

async fn harness<O, S>(
    sim: Simulator,
    receiver: Receiver,
    make: impl FnOnce(&Simulator) -> S,
    policy: impl PollPolicy + 'static,
) -> Harness<O>
where
    O: Clone + Send + Sync + 'static,
    S: StatusSource<Output = O> + 'static,
{
    let running = receiver
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .expect("the receiver binds");
    let mut tracker = Tracker::new().emit_changes(true);
    let source = tracker.add_source(make(&sim), policy);
    let handle = tracker.handle();
    let (tx, events) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(e) = tracker.next().await {
            let _ = tx.send(e);
        }
    });
    Harness {
        sim,
        running,
        handle,
        source,
        events,
        http: reqwest::Client::new(),
    }
}

impl<O: Send + 'static> Harness<O> {
    fn track(&self, vendor: Vendor, id: &str, secret: Option<&str>) {
        let r = self.running.receiver();
        match secret {
            Some(s) => r.expect_narada(id, s, &self.handle, self.source),
            None => r.expect(vendor, id, &self.handle, self.source),
        }
        assert!(self.handle.track(self.source, id));
    }

    /// POSTs `body` to `url` with `headers`; the answer's status and text.
    async fn post_to(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (StatusCode, String) {
        let mut req = self.http.post(url).body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.expect("the receiver answers");
        let status = res.status();
        (status, res.text().await.unwrap())
    }

    async fn post(&self, vendor: Vendor, headers: &[(&str, &str)], body: Vec<u8>) -> StatusCode {
        let url = self.running.receiver().callback_url(vendor).unwrap();
        self.post_to(&url, headers, body).await.0
    }

    fn polls(&self, task: &TaskKey) -> usize {
        self.sim.requests_for_task(task).len()
    }

    /// Lets the tracker act on what it was told (virtual time, far from its own schedule).
    async fn settle(&self) {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    fn events(&mut self) -> Vec<TrackerEvent<O>> {
        std::iter::from_fn(|| self.events.try_recv().ok()).collect()
    }
}

fn finished<O>(events: &[TrackerEvent<O>]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, TrackerEvent::Finished { .. }))
        .count()
}

fn narada_client(sim: &Simulator) -> Narada {
    Narada::new(sim.keys().narada.clone()).base_url(sim.narada_base_url())
}

fn narada_body(id: &str, secret: Option<&str>, status: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "requestId": id, "status": status, "response": {"text": "done"}, "callbackSecret": secret,
    }))
    .unwrap()
}

fn dari_sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn dari_body(job: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "job_id": job, "status": "completed", "result": {"ok": true},
        "event_type": "completed", "timestamp": "2025-01-01T00:00:00Z",
    }))
    .unwrap()
}

async fn narada_harness(receiver: Receiver) -> Harness<Value> {
    let sim = sim().await;
    sim.add_narada_task("req_1", Script::new(NaradaStage::Pending));
    sim.add_narada_task("req_2", Script::new(NaradaStage::Pending));
    harness(
        sim,
        receiver,
        |s| narada_client(s).source().unwrap(),
        callbacks_only(),
    )
    .await
}

#[tokio::test(start_paused = true)]
async fn narada_valid_callback_polls_once_and_its_claim_of_success_ends_nothing() {
    let mut h = narada_harness(Receiver::new()).await;
    h.track(Vendor::Narada, "req_1", Some("secret-1"));
    let task = TaskKey::narada("req_1");
    let body = narada_body("req_1", Some("secret-1"), "success");
    assert_eq!(
        h.post(Vendor::Narada, &[], body.clone()).await,
        StatusCode::OK
    );
    h.settle().await;
    assert_eq!(h.polls(&task), 1);
    // The poll found it pending: the callback's "success" did not end the wait.
    let events = h.events();
    assert_eq!(finished(&events), 0);
    assert!(
        matches!(&events[..], [TrackerEvent::Changed { status, .. }] if status.phase == Phase::Running)
    );

    // The same body again (a vendor retry or a replay): answered, no poll.
    assert_eq!(h.post(Vendor::Narada, &[], body).await, StatusCode::OK);
    h.settle().await;
    assert_eq!(h.polls(&task), 1);
    // A new callback (another body) brings one more.
    let next = narada_body("req_1", Some("secret-1"), "pending");
    assert_eq!(h.post(Vendor::Narada, &[], next).await, StatusCode::OK);
    h.settle().await;
    assert_eq!(h.polls(&task), 2);
}

#[tokio::test(start_paused = true)]
async fn narada_forged_malformed_oversized_or_unknown_callbacks_poll_nothing() {
    let h = narada_harness(Receiver::new().body_limit(1024)).await;
    h.track(Vendor::Narada, "req_1", Some("secret-1"));
    h.track(Vendor::Narada, "req_2", Some("secret-2"));
    let cases = [
        (
            narada_body("req_1", Some("secret-2"), "success"),
            StatusCode::UNAUTHORIZED,
        ),
        (
            narada_body("req_1", Some("secret-1x"), "success"),
            StatusCode::UNAUTHORIZED,
        ),
        (
            narada_body("req_1", None, "success"),
            StatusCode::UNAUTHORIZED,
        ),
        (
            narada_body("req_9", Some("secret-1"), "success"),
            StatusCode::NOT_FOUND,
        ),
        (b"{not json".to_vec(), StatusCode::BAD_REQUEST),
        (
            br#"{"callbackSecret": "secret-1"}"#.to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (vec![b' '; 2048], StatusCode::PAYLOAD_TOO_LARGE),
    ];
    for (body, expected) in cases {
        assert_eq!(h.post(Vendor::Narada, &[], body).await, expected);
    }
    h.settle().await;
    assert_eq!(h.sim.request_count(), 0, "no poll for any of them");
    // The right one still works afterwards.
    let ok = narada_body("req_2", Some("secret-2"), "success");
    assert_eq!(h.post(Vendor::Narada, &[], ok).await, StatusCode::OK);
    h.settle().await;
    assert_eq!(h.polls(&TaskKey::narada("req_2")), 1);
    assert_eq!(h.polls(&TaskKey::narada("req_1")), 0);
}

async fn runware_harness() -> Harness<Vec<Value>> {
    let sim = sim().await;
    sim.add_runware_task(
        RUNWARE_UUID,
        Script::runware_success_after(Duration::ZERO, 0.1),
    );
    let make = |s: &Simulator| {
        Runware::new(s.keys().runware.clone())
            .base_url(s.runware_base_url())
            .source()
            .unwrap()
    };
    harness(sim, Receiver::new(), make, callbacks_only()).await
}

fn runware_body(uuid: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"data": [{
        "taskType": "imageInference", "taskUUID": uuid, "status": "success",
        "imageUUID": "b7db282d-2943-4f12-992f-77df3ad3ec71", "cost": 0.1,
    }]}))
    .unwrap()
}

#[tokio::test(start_paused = true)]
async fn runware_token_callback_polls_once_and_ends_the_task_from_the_poll() {
    let mut h = runware_harness().await;
    h.track(Vendor::Runware, RUNWARE_UUID, None);
    let url = h.running.receiver().callback_url(Vendor::Runware).unwrap();
    let base = url.split('?').next().unwrap().to_owned();
    let task = TaskKey::runware(RUNWARE_UUID);
    let cases = [
        (
            base.clone(),
            runware_body(RUNWARE_UUID),
            StatusCode::UNAUTHORIZED,
        ),
        (
            format!("{base}?token=0123"),
            runware_body(RUNWARE_UUID),
            StatusCode::UNAUTHORIZED,
        ),
        (
            format!("{url}x"),
            runware_body(RUNWARE_UUID),
            StatusCode::UNAUTHORIZED,
        ),
        (url.clone(), b"[]".to_vec(), StatusCode::BAD_REQUEST),
        // A task not expected: 200 (Runware resends anything else), no poll.
        (
            url.clone(),
            runware_body("8f4e4a66-3b73-4b0a-9d45-3f4b7a1f2e10"),
            StatusCode::OK,
        ),
    ];
    for (to, body, expected) in cases {
        assert_eq!(h.post_to(&to, &[], body).await.0, expected, "{to}");
    }
    h.settle().await;
    assert_eq!(h.sim.request_count(), 0);

    assert_eq!(
        h.post_to(&url, &[], runware_body(RUNWARE_UUID)).await.0,
        StatusCode::OK
    );
    h.settle().await;
    assert_eq!(h.polls(&task), 1);
    let events = h.events();
    let report = events
        .iter()
        .find_map(|e| match e {
            TrackerEvent::Finished { report, .. } => Some(report),
            _ => None,
        })
        .expect("the poll ended the task");
    assert_eq!(report.outcome.kind(), OutcomeKind::Succeeded);
    assert_eq!(report.task_id, RUNWARE_UUID);
}

fn dari_source(s: &Simulator) -> poller_core::HttpSource<poller_providers::dari::DariStatus> {
    dari_client(s).source().unwrap()
}

fn dari_client(s: &Simulator) -> Dari {
    Dari::new(s.keys().dari.clone(), ORG, ENDPOINT).base_url(s.dari_base_url())
}

async fn dari_harness(secret: &str) -> Harness<Value> {
    let sim = sim().await;
    sim.add_dari_job(
        ORG,
        ENDPOINT,
        "job-1",
        Script::new(DariStage::running("Opening page")),
    );
    let receiver = Receiver::new().dari_secret(secret);
    harness(sim, receiver, dari_source, callbacks_only()).await
}

#[tokio::test(start_paused = true)]
async fn dari_signed_callback_polls_once_forged_or_replayed_ones_do_not() {
    let mut h = dari_harness(DARI_SECRET).await;
    h.track(Vendor::Dari, "job-1", None);
    let task = TaskKey::dari(ORG, ENDPOINT, "job-1");
    let body = dari_body("job-1");
    let good = dari_sign(DARI_SECRET, &body);
    let forged = dari_sign("another-secret", &body);
    let prefixed = format!("sha256={good}");
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    let cases: Vec<(Headers, Vec<u8>, StatusCode)> = vec![
        (
            vec![("X-Webhook-Signature", &forged)],
            body.clone(),
            StatusCode::UNAUTHORIZED,
        ),
        (
            vec![("X-Webhook-Signature", &good)],
            tampered,
            StatusCode::UNAUTHORIZED,
        ),
        (vec![], body.clone(), StatusCode::UNAUTHORIZED),
        (
            vec![("X-Webhook-Signature", &prefixed)],
            body.clone(),
            StatusCode::BAD_REQUEST,
        ),
        (
            vec![("X-Webhook-Signature", "zz")],
            body.clone(),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (headers, body, expected) in cases {
        assert_eq!(h.post(Vendor::Dari, &headers, body).await, expected);
    }
    // Signed, but for a job not expected.
    let other = dari_body("job-9");
    let signed = dari_sign(DARI_SECRET, &other);
    assert_eq!(
        h.post(Vendor::Dari, &[("X-Webhook-Signature", &signed)], other)
            .await,
        StatusCode::NOT_FOUND
    );
    h.settle().await;
    assert_eq!(h.sim.request_count(), 0);

    let headers = [("X-Webhook-Signature", good.as_str())];
    assert_eq!(
        h.post(Vendor::Dari, &headers, body.clone()).await,
        StatusCode::OK
    );
    h.settle().await;
    assert_eq!(h.polls(&task), 1);
    // Replayed: no second poll. The job is still running: nothing ended.
    assert_eq!(h.post(Vendor::Dari, &headers, body).await, StatusCode::OK);
    h.settle().await;
    assert_eq!(h.polls(&task), 1);
    assert_eq!(finished(&h.events()), 0);
}

#[tokio::test(start_paused = true)]
async fn a_lost_callback_is_caught_by_the_safety_net_before_the_deadline() {
    let sim = sim().await;
    sim.add_narada_task(
        "req_1",
        Script::narada_success_after(Duration::from_secs(30), json!({"text": "done"})),
    );
    let policy = callbacks_policy(narada::default_policy());
    let deadline = policy.deadline().unwrap();
    let mut h = harness(
        sim,
        Receiver::new(),
        |s| narada_client(s).source().unwrap(),
        policy,
    )
    .await;
    h.track(Vendor::Narada, "req_1", Some("secret-1"));
    let start = tokio::time::Instant::now();
    // No callback ever comes.
    let report = loop {
        match h.events.recv().await.expect("the task ends") {
            TrackerEvent::Finished { report, .. } => break report,
            _ => continue,
        }
    };
    assert_eq!(report.outcome.kind(), OutcomeKind::Succeeded);
    assert!(start.elapsed() <= deadline);
    // At once, then 50 s (5 s stretched x10): two polls, not the seven of Narada's schedule.
    assert_eq!(h.polls(&TaskKey::narada("req_1")), 2);
    assert_eq!(start.elapsed(), Duration::from_secs(50));
}

#[tokio::test(start_paused = true)]
async fn narada_submit_with_callbacks_sends_the_url_and_a_secret_and_the_callback_ends_the_wait_early()
 {
    let sim = sim().await;
    sim.script_next_created(CreatedScript::narada(Script::narada_success_after(
        Duration::from_secs(20),
        json!({"text": "booked"}),
    )));
    let running = Receiver::new()
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let receiver = running.receiver().clone();
    let client = narada_client(&sim);
    let start = tokio::time::Instant::now();
    let wait = tokio::spawn(async move {
        client
            .submit_and_wait_with_callbacks(&NaradaRequest::new("Book a table"), &receiver)
            .await
    });
    // Act as Narada: read what the create request carried, call back once the task is done.
    let create = loop {
        let found = sim.requests_where(|r| r.method == "POST");
        if let Some(r) = found.into_iter().next() {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let sent: Value = serde_json::from_slice(&create.body).unwrap();
    let url = sent["callbackUrl"].as_str().unwrap().to_owned();
    let secret = sent["callbackSecret"].as_str().unwrap().to_owned();
    assert_eq!(
        url,
        running.receiver().callback_url(Vendor::Narada).unwrap()
    );
    assert_eq!(secret.len(), 64);
    let id = sim
        .requests_where(|r| r.method == "GET")
        .first()
        .map(|r| r.tasks[0].clone());
    let id = match id {
        Some(TaskKey::Narada { id }) => id,
        other => panic!("expected the first poll, got {other:?}"),
    };
    tokio::time::sleep_until(start + Duration::from_secs(20)).await;
    let res = reqwest::Client::new()
        .post(&url)
        .body(narada_body(&id, Some(&secret), "success"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let report = wait.await.unwrap().unwrap();
    assert_eq!(report.outcome.kind(), OutcomeKind::Succeeded);
    // Detected at the callback (20 s), not at the safety net's next poll (50 s).
    assert!(
        start.elapsed() < Duration::from_secs(21),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(sim.requests_where(|r| r.method == "GET").len(), 2);
    // The wait is over: the task is no longer expected.
    assert!(!running.receiver().forget(Vendor::Narada, &id));
}

/// Narada's submit with callbacks, against the simulator sending the callback itself; the
/// report and the elapsed (virtual) time.
async fn narada_round_trip(options: poller_sim::CallbackOptions) -> (OutcomeKind, Duration, usize) {
    let sim = sim().await;
    sim.set_callbacks(options);
    sim.script_next_created(CreatedScript::narada(Script::narada_success_after(
        Duration::from_secs(20),
        json!({"text": "booked"}),
    )));
    let running = Receiver::new()
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let start = tokio::time::Instant::now();
    let report = narada_client(&sim)
        .submit_and_wait_with_callbacks(&NaradaRequest::new("Book a table"), running.receiver())
        .await
        .unwrap();
    let polls = sim.requests_where(|r| r.method == "GET").len();
    (report.outcome.kind(), start.elapsed(), polls)
}

/// Callbacks all lost, and callbacks all with a wrong secret, signature or token.
fn lost_or_forged() -> [poller_sim::CallbackOptions; 2] {
    let lost = poller_sim::CallbackOptions {
        loss_rate: 1.0,
        ..Default::default()
    };
    let forged = poller_sim::CallbackOptions {
        wrong_signature: true,
        ..Default::default()
    };
    [lost, forged]
}

#[tokio::test(start_paused = true)]
async fn simulator_callbacks_end_the_wait_when_they_come_and_the_safety_net_when_not() {
    use poller_sim::CallbackOptions;
    // Delivered 200 ms after the task ends, twice: one poll at once, one at the callback.
    let on_time = CallbackOptions {
        delay_ms: 200,
        duplicates: 1,
        ..Default::default()
    };
    let (kind, elapsed, polls) = narada_round_trip(on_time).await;
    assert_eq!(kind, OutcomeKind::Succeeded);
    assert_eq!(polls, 2);
    assert!(
        elapsed >= Duration::from_millis(20_200) && elapsed < Duration::from_secs(21),
        "{elapsed:?}"
    );

    // Lost, or with a wrong secret: the safety net's poll at 50 s ends it, same result.
    for options in lost_or_forged() {
        let (kind, elapsed, polls) = narada_round_trip(options).await;
        assert_eq!(
            (kind, elapsed, polls),
            (OutcomeKind::Succeeded, Duration::from_secs(50), 2)
        );
    }
}

#[tokio::test(start_paused = true)]
async fn simulator_dari_portal_webhook_is_signed_and_brings_the_poll_forward() {
    let sim = sim().await;
    sim.script_next_created(CreatedScript::dari(Script::dari_steps_then_complete(
        Duration::from_secs(2),
        &[("Filling form", Duration::from_secs(30))],
        json!({"ok": true}),
    )));
    let policy = callbacks_policy(poller_providers::dari::default_policy());
    let mut h = harness(
        sim,
        Receiver::new().dari_secret(DARI_SECRET),
        dari_source,
        policy,
    )
    .await;
    let url = h.running.receiver().callback_url(Vendor::Dari).unwrap();
    h.sim.set_dari_webhook(Some((&url, DARI_SECRET)));
    let client = dari_client(&h.sim);
    let job = client
        .submit(&poller_providers::dari::DariRequest::form(
            json!({"email": "a@b.c"}),
        ))
        .await
        .unwrap();
    let start = tokio::time::Instant::now();
    h.track(Vendor::Dari, &job, None);
    let report = loop {
        if let TrackerEvent::Finished { report, .. } = h.events.recv().await.unwrap() {
            break report;
        }
    };
    assert_eq!(report.outcome.kind(), OutcomeKind::Succeeded);
    // Complete at 32 s; Dari's safety net (2 s x 10) would have polled at 20 s and 50 s.
    assert!(
        start.elapsed() < Duration::from_secs(33),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(h.polls(&TaskKey::dari(ORG, ENDPOINT, job.as_str())), 3);
}

/// One Runware task's end: how, the `getResponse` requests naming it, and when (virtual
/// time since submit).
type RunwareEnd = (OutcomeKind, usize, Duration);

/// Two Runware tasks (one succeeds at 3 s, one fails at 4 s) submitted in one request with
/// callbacks, the simulator sending them under `options`: each task's end, and the
/// `getResponse` requests made in all (batched: one request may ask about both). Checks
/// that each task ended with its own result.
async fn runware_round_trip(options: poller_sim::CallbackOptions) -> (Vec<RunwareEnd>, usize) {
    let sim = sim().await;
    sim.set_callbacks(options);
    sim.script_next_created(CreatedScript::runware(vec![Script::runware_success_after(
        Duration::from_secs(3),
        0.1,
    )]));
    sim.script_next_created(CreatedScript::runware(vec![Script::runware_error_after(
        Duration::from_secs(4),
        "processingFailed",
        "The generation failed.",
    )]));
    let running = Receiver::new()
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = Runware::new(sim.keys().runware.clone()).base_url(sim.runware_base_url());
    let tasks = [
        RunwareTask::new("imageInference").field("positivePrompt", "a fox"),
        RunwareTask::new("imageInference").field("positivePrompt", "a hen"),
    ];
    let reports = client
        .submit_and_wait_with_callbacks(&tasks, running.receiver())
        .await
        .unwrap();
    assert_ne!(reports[0].task_id, reports[1].task_id);
    // The first succeeded with its own item; the second failed with its own error.
    let done = reports[0].outcome.last_status().unwrap();
    let items = done.output.as_ref().expect("the items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["taskUUID"], reports[0].task_id.as_str());
    let failed = reports[1].outcome.last_status().unwrap();
    let code = failed.error.as_ref().and_then(|e| e.code.as_deref());
    assert_eq!(code, Some("processingFailed"));
    let ends = reports
        .iter()
        .map(|r| {
            let key = TaskKey::runware(&r.task_id);
            let polls = sim.requests_where(|q| is_get_response(q) && q.tasks.contains(&key));
            (r.outcome.kind(), polls.len(), r.elapsed)
        })
        .collect();
    (ends, sim.requests_where(is_get_response).len())
}

fn is_get_response(r: &poller_sim::RecordedRequest) -> bool {
    serde_json::from_slice::<Value>(&r.body)
        .ok()
        .and_then(|b| b.as_array().cloned())
        .is_some_and(|items| items.iter().any(|i| i["taskType"] == "getResponse"))
}

#[tokio::test(start_paused = true)]
async fn runware_submit_with_simulator_callbacks_ends_each_task_at_its_callback() {
    use poller_sim::CallbackOptions;
    // Runware's schedule: first poll at 1 s (both tasks, one request), then each callback
    // brings one poll for its own task, before the safety net's second poll (6 s).
    let (ends, requests) = runware_round_trip(CallbackOptions::default()).await;
    let expected = [
        (OutcomeKind::Succeeded, 2, Duration::from_secs(3)),
        (OutcomeKind::Failed, 2, Duration::from_secs(4)),
    ];
    assert_eq!(ends, expected);
    assert_eq!(requests, 3, "1 s (batched), 3 s, 4 s");
}

#[tokio::test(start_paused = true)]
async fn runware_lost_or_wrong_token_callbacks_are_caught_by_the_safety_net() {
    // A wrong token gets 401 from the receiver: the simulator retries 3 times, each
    // refused, no poll. The safety net (Runware's schedule stretched x10): 1 s, then 6 s ends both.
    let expected = [
        (OutcomeKind::Succeeded, 2, Duration::from_secs(6)),
        (OutcomeKind::Failed, 2, Duration::from_secs(6)),
    ];
    for options in lost_or_forged() {
        let (ends, requests) = runware_round_trip(options).await;
        assert_eq!(ends, expected);
        assert_eq!(requests, 2, "1 s and 6 s, both batched");
    }
}
