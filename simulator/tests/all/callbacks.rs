//! Runware callbacks as the simulator sends them, to an axum receiver on loopback: one per
//! finished item with that item's `getResponse` body, retried on a non-2xx answer (bounded),
//! and the loss and wrong-token options.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use bytes::Bytes;
use poller_sim::{CallbackOptions, CreatedScript, RunwareStage, Script, Simulator};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::helpers::{post_json, secs};

const RKEY: (&str, &str) = ("authorization", "Bearer sim-runware-key");
const UUID_A: &str = "50836053-a0ee-4cf5-b9d6-ae7c5d140ada";
const UUID_B: &str = "0d2d1c3e-7c55-4e0b-9a5a-2f4b1d6c8e01";
const UUID_C: &str = "8f4e4a66-3b73-4b0a-9d45-3f4b7a1f2e10";

/// One request the receiver got: when (virtual time), its path and query, its JSON body.
#[derive(Debug)]
struct Delivery {
    at: Instant,
    uri: String,
    body: Value,
}

/// The answers the receiver gives, in order; once used up, `then` for every request.
struct Answers {
    queue: VecDeque<StatusCode>,
    then: StatusCode,
    tx: mpsc::UnboundedSender<Delivery>,
}

/// An axum receiver on a free loopback port: its base URL and what it receives.
struct Receiver {
    url: String,
    rx: mpsc::UnboundedReceiver<Delivery>,
}

impl Receiver {
    async fn start(queue: &[StatusCode], then: StatusCode) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let answers = Arc::new(Mutex::new(Answers {
            queue: queue.iter().copied().collect(),
            then,
            tx,
        }));
        let app = axum::Router::new().fallback(record).with_state(answers);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, rx }
    }

    /// The next delivery (waits for it, up to 10 virtual minutes).
    async fn next(&mut self) -> Delivery {
        tokio::time::timeout(Duration::from_secs(600), self.rx.recv())
            .await
            .expect("a callback within 10 minutes")
            .expect("the receiver runs")
    }

    /// Deliveries already received.
    fn received(&mut self) -> Vec<Delivery> {
        std::iter::from_fn(|| self.rx.try_recv().ok()).collect()
    }
}

async fn record(State(answers): State<Arc<Mutex<Answers>>>, uri: Uri, body: Bytes) -> StatusCode {
    let mut a = answers.lock().unwrap();
    let body = serde_json::from_slice(&body).expect("a callback body is JSON");
    let delivery = Delivery {
        at: Instant::now(),
        uri: uri.to_string(),
        body,
    };
    a.tx.send(delivery).unwrap();
    a.queue.pop_front().unwrap_or(a.then)
}

fn item(uuid: &str, webhook: Option<&str>) -> Value {
    let mut item =
        json!({"taskType": "imageInference", "taskUUID": uuid, "deliveryMethod": "async"});
    if let Some(url) = webhook {
        item["webhookURL"] = json!(url);
    }
    item
}

/// Creates these items in one `POST /v1`, each accepted.
async fn create(sim: &Simulator, items: &[Value]) {
    let r = post_json(&sim.runware_base_url(), &[RKEY], &json!(items)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.json()["errors"].as_array().unwrap().is_empty(),
        "{}",
        r.text()
    );
}

/// What `getResponse` gives for `uuid` now.
async fn get_response(sim: &Simulator, uuid: &str) -> Value {
    let ask = json!([{"taskType": "getResponse", "taskUUID": uuid}]);
    post_json(&sim.runware_base_url(), &[RKEY], &ask)
        .await
        .json()
}

fn success_after(s: u64) -> Script<RunwareStage> {
    Script::runware_success_after(Duration::from_secs(s), 0.1)
}

#[tokio::test(start_paused = true)]
async fn runware_batch_gets_one_callback_per_finished_item_with_its_own_body() {
    let sim = Simulator::start().await.unwrap();
    let mut hook = Receiver::start(&[], StatusCode::OK).await;
    let url = format!("{}/hook?token=t0k3n", hook.url);
    // A: two generations, ending at 5 s and 7 s; B: fails at 3 s; C: no webhookURL.
    sim.script_next_created(CreatedScript::runware(vec![
        success_after(5),
        success_after(7),
    ]));
    sim.script_next_created(CreatedScript::runware(vec![Script::runware_error_after(
        Duration::from_secs(3),
        "timeoutProvider",
        "The provider timed out.",
    )]));
    sim.script_next_created(CreatedScript::runware(vec![success_after(1)]));
    let start = Instant::now();
    create(
        &sim,
        &[
            item(UUID_A, Some(&url)),
            item(UUID_B, Some(&url)),
            item(UUID_C, None),
        ],
    )
    .await;
    secs(2.0).await;
    assert!(hook.received().is_empty(), "nothing has ended but C");

    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(hook.next().await);
    }
    secs(60.0).await;
    assert!(hook.received().is_empty(), "one callback per item");

    let a = get_response(&sim, UUID_A).await;
    let b = get_response(&sim, UUID_B).await;
    // In the order the items ended, each at (or after) its end, each to the URL given.
    let expected = [
        (3, json!({"errors": [b["errors"][0].clone()]})),
        (5, json!({"data": [a["data"][0].clone()]})),
        (7, json!({"data": [a["data"][1].clone()]})),
    ];
    for (delivery, (end, body)) in got.iter().zip(expected) {
        assert_eq!(delivery.uri, "/hook?token=t0k3n");
        assert_eq!(delivery.body, body);
        assert!(
            delivery.at >= start + Duration::from_secs(end),
            "{delivery:?}"
        );
    }
    assert_eq!(got[0].body["errors"][0]["code"], "timeoutProvider");
    assert_eq!(got[1].body["data"][0]["status"], "success");
    // Two images, each its own (these are imageInference tasks).
    let image = |i: usize| {
        got[i].body["data"][0]["imageUUID"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_ne!(image(1), image(2));
}

#[tokio::test(start_paused = true)]
async fn runware_callbacks_are_retried_after_a_non_2xx_answer_a_bounded_number_of_times() {
    let sim = Simulator::start().await.unwrap();
    // The first receiver fails once then takes it; the second always fails.
    let mut flaky = Receiver::start(&[StatusCode::INTERNAL_SERVER_ERROR], StatusCode::OK).await;
    let mut down = Receiver::start(&[], StatusCode::SERVICE_UNAVAILABLE).await;
    sim.script_next_created(CreatedScript::runware(vec![success_after(2)]));
    sim.script_next_created(CreatedScript::runware(vec![success_after(2)]));
    let start = Instant::now();
    create(
        &sim,
        &[
            item(UUID_A, Some(&format!("{}/a", flaky.url))),
            item(UUID_B, Some(&format!("{}/b", down.url))),
        ],
    )
    .await;

    let first = flaky.next().await;
    let retry = flaky.next().await;
    assert_eq!(first.body, retry.body, "a retry resends the same body");
    assert_eq!(first.body["data"][0]["taskUUID"], UUID_A);
    assert!(retry.at >= first.at + Duration::from_secs(1));

    // The always-failing receiver: the first attempt and 3 retries, 1 s, 2 s, 4 s apart.
    let mut tries = Vec::new();
    for _ in 0..4 {
        tries.push(down.next().await);
    }
    secs(120.0).await;
    assert!(flaky.received().is_empty(), "answered 200: no more");
    assert!(down.received().is_empty(), "gave up after 3 retries");
    assert!(tries[0].at >= start + Duration::from_secs(2));
    for (pair, wait) in tries.windows(2).zip([1, 2, 4]) {
        assert!(
            pair[1].at >= pair[0].at + Duration::from_secs(wait),
            "{tries:?}"
        );
        assert_eq!(pair[1].body, tries[0].body);
    }
}

#[tokio::test(start_paused = true)]
async fn runware_callbacks_all_lost_send_nothing_while_the_task_ends() {
    let sim = Simulator::start().await.unwrap();
    sim.set_callbacks(CallbackOptions {
        loss_rate: 1.0,
        duplicates: 2,
        ..Default::default()
    });
    let mut hook = Receiver::start(&[], StatusCode::OK).await;
    sim.script_next_created(CreatedScript::runware(vec![success_after(2)]));
    create(&sim, &[item(UUID_A, Some(&hook.url))]).await;
    secs(60.0).await;
    assert_eq!(
        get_response(&sim, UUID_A).await["data"][0]["status"],
        "success"
    );
    secs(60.0).await;
    assert!(hook.received().is_empty());
}

#[tokio::test(start_paused = true)]
async fn runware_wrong_signature_alters_the_token_and_duplicates_repeat_the_callback() {
    let sim = Simulator::start().await.unwrap();
    sim.set_callbacks(CallbackOptions {
        wrong_signature: true,
        duplicates: 1,
        delay_ms: 500,
        ..Default::default()
    });
    let mut hook = Receiver::start(&[], StatusCode::OK).await;
    sim.script_next_created(CreatedScript::runware(vec![success_after(2)]));
    sim.script_next_created(CreatedScript::runware(vec![success_after(2)]));
    let start = Instant::now();
    create(
        &sim,
        &[
            item(UUID_A, Some(&format!("{}/hook?a=1&token=abc", hook.url))),
            item(UUID_B, Some(&format!("{}/hook", hook.url))),
        ],
    )
    .await;
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(hook.next().await);
    }
    secs(60.0).await;
    assert!(hook.received().is_empty());
    let uris_of = |uuid: &str| -> Vec<&str> {
        got.iter()
            .filter(|d| d.body["data"][0]["taskUUID"] == uuid)
            .map(|d| d.uri.as_str())
            .collect()
    };
    assert_eq!(uris_of(UUID_A), ["/hook?a=1&token=abc-wrong"; 2]);
    assert_eq!(uris_of(UUID_B), ["/hook?token=wrong"; 2]);
    assert!(
        got.iter()
            .all(|d| d.at >= start + Duration::from_millis(2_500))
    );
}
