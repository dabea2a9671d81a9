use std::time::{Duration, SystemTime};

use poller_sim::{
    Api, Fault, FaultPlan, FaultTarget, RandomFaults, RetryAfter, Script, Simulator, TaskKey,
    VesslStage,
};
use serde_json::{Value, json};

use crate::helpers::*;

const NKEY: (&str, &str) = ("x-api-key", "sim-narada-key");
const RAUTH: (&str, &str) = ("authorization", "Bearer sim-runware-key");

/// A simulator with Narada task `t` (success at 10 s) and Runware task `r` (success at 10 s).
async fn setup() -> (Simulator, String) {
    let sim = Simulator::start().await.unwrap();
    sim.add_narada_task(
        "t",
        Script::narada_success_after(Duration::from_secs(10), json!({"text": "done"})),
    );
    sim.add_runware_task(
        "r",
        Script::runware_success_after(Duration::from_secs(10), 0.1),
    );
    let url = sim.status_url(&TaskKey::narada("t"));
    (sim, url)
}

fn t() -> TaskKey {
    TaskKey::narada("t")
}

async fn runware(sim: &Simulator) -> Resp {
    post_json(
        &sim.runware_base_url(),
        &[RAUTH],
        &json!([{"taskType": "getResponse", "taskUUID": "r"}]),
    )
    .await
}

#[tokio::test(start_paused = true)]
async fn http_error_statuses_in_each_api_style_then_normal() {
    let (sim, url) = setup().await;
    for code in [500, 502, 503, 504] {
        sim.inject_fault(t(), FaultPlan::next(1, Fault::status(code)));
    }
    for code in [500, 502, 503, 504] {
        let r = get(&url, &[NKEY]).await;
        assert_eq!(r.status, code);
        assert!(r.json()["detail"].is_string());
    }
    assert_eq!(get(&url, &[NKEY]).await.status, 200);

    sim.inject_fault(
        TaskKey::runware("r"),
        FaultPlan::next(1, Fault::status(503)),
    );
    let r = runware(&sim).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["errors"][0]["code"], "noAvailableServer");

    sim.add_vessl_request("svc", "v", Script::new(VesslStage::Pending));
    sim.inject_fault(Api::Vessl, FaultPlan::next(1, Fault::status(500)));
    let r = get(
        &sim.status_url(&TaskKey::vessl("svc", "v")),
        &[("authorization", "Bearer sim-vessl-key")],
    )
    .await;
    assert_eq!(r.status, 500);
    assert!(r.json()["message"].is_string());
}

#[tokio::test(start_paused = true)]
async fn too_many_requests_with_retry_after_seconds_date_or_raw() {
    let (sim, url) = setup().await;
    sim.inject_fault(t(), FaultPlan::next(1, Fault::retry_after_secs(7)));
    sim.inject_fault(t(), FaultPlan::next(1, Fault::retry_after_date(120)));
    sim.inject_fault(
        t(),
        FaultPlan::next(
            1,
            Fault::TooManyRequests {
                retry_after: Some(RetryAfter::Raw("soon".into())),
            },
        ),
    );
    sim.inject_fault(
        t(),
        FaultPlan::next(1, Fault::TooManyRequests { retry_after: None }),
    );

    let r = get(&url, &[NKEY]).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("7"));
    assert!(r.json()["detail"].is_string());

    let r = get(&url, &[NKEY]).await;
    assert_eq!(r.status, 429);
    let date = httpdate::parse_http_date(r.header("retry-after").unwrap()).unwrap();
    let ahead = date.duration_since(SystemTime::now()).unwrap();
    assert!(ahead > Duration::from_secs(100) && ahead <= Duration::from_secs(120));

    let r = get(&url, &[NKEY]).await;
    assert_eq!(r.header("retry-after"), Some("soon"));
    let r = get(&url, &[NKEY]).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), None);

    sim.inject_fault(Api::Runware, FaultPlan::next(1, Fault::retry_after_secs(1)));
    let r = runware(&sim).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.json()["errors"][0]["code"], "rateLimitExceeded");
}

#[tokio::test(start_paused = true)]
async fn slow_response_waits_in_virtual_time_and_reads_state_afterwards() {
    let (sim, url) = setup().await;
    sim.inject_fault(
        t(),
        FaultPlan::next(1, Fault::slow(Duration::from_secs(30))),
    );
    let start = tokio::time::Instant::now();
    let r = get(&url, &[NKEY]).await;
    assert!(start.elapsed() >= Duration::from_secs(30));
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "success", "state read after the delay");
    // Arrival time is logged, not answer time.
    let log = sim.requests();
    assert_eq!(log[0].at, Duration::ZERO);
    assert_eq!(log[0].fault, Some(Fault::slow(Duration::from_secs(30))));
}

#[tokio::test(start_paused = true)]
async fn malformed_truncated_html_and_empty_bodies() {
    let (sim, url) = setup().await;
    let normal = get(&url, &[NKEY]).await;

    sim.inject_fault(t(), FaultPlan::next(1, Fault::MalformedJson));
    let r = get(&url, &[NKEY]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());

    sim.inject_fault(t(), FaultPlan::next(1, Fault::TruncatedJson));
    let r = get(&url, &[NKEY]).await;
    assert_eq!(r.status, 200);
    assert!(!r.body.is_empty() && r.body.len() < normal.body.len());
    assert!(normal.body.starts_with(&r.body), "a valid prefix");
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());

    for code in [200, 502] {
        sim.inject_fault(t(), FaultPlan::next(1, Fault::Html { code }));
        let r = get(&url, &[NKEY]).await;
        assert_eq!(r.status, code);
        assert_eq!(r.header("content-type"), Some("text/html"));
        assert!(r.text().starts_with("<!DOCTYPE html>"));
    }

    sim.inject_fault(t(), FaultPlan::next(1, Fault::EmptyBody { code: 200 }));
    let r = get(&url, &[NKEY]).await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());

    assert_eq!(get(&url, &[NKEY]).await.body, normal.body);
}

#[tokio::test(start_paused = true)]
async fn reset_mid_body_sends_headers_and_part_of_the_body_then_drops() {
    let (sim, url) = setup().await;
    let normal = get(&url, &[NKEY]).await;
    sim.inject_fault(t(), FaultPlan::next(1, Fault::ResetMidBody));
    let resp = client()
        .get(&url)
        .header(NKEY.0, NKEY.1)
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.content_length(), Some(normal.body.len() as u64));
    assert!(resp.bytes().await.is_err(), "the body is cut off");
    // The next request is fine (the server survived).
    assert_eq!(get(&url, &[NKEY]).await.status, 200);
}

#[tokio::test(start_paused = true)]
async fn unknown_status_missing_field_extra_fields_oversized() {
    let (sim, url) = setup().await;

    sim.inject_fault(t(), FaultPlan::next(1, Fault::unknown_status()));
    assert_eq!(
        get(&url, &[NKEY]).await.json()["status"],
        "sim-unknown-status"
    );

    sim.inject_fault(t(), FaultPlan::next(1, Fault::missing_field("status")));
    let body = get(&url, &[NKEY]).await.json();
    assert!(body.get("status").is_none());
    assert!(body.get("createdAt").is_some());

    sim.inject_fault(t(), FaultPlan::next(1, Fault::ExtraFields));
    let body = get(&url, &[NKEY]).await.json();
    assert!(body.get("_sim_extra").is_some());
    assert_eq!(body["status"], "pending");

    sim.inject_fault(
        t(),
        FaultPlan::next(1, Fault::Oversized { min_bytes: 100_000 }),
    );
    let r = get(&url, &[NKEY]).await;
    assert!(r.body.len() > 100_000);
    assert_eq!(r.json()["status"], "pending", "still valid JSON");

    // On Runware the status lives on the items.
    sim.inject_fault(
        TaskKey::runware("r"),
        FaultPlan::next(1, Fault::unknown_status()),
    );
    let body = runware(&sim).await.json();
    assert_eq!(body["data"][0]["status"], "sim-unknown-status");
    sim.inject_fault(
        TaskKey::runware("r"),
        FaultPlan::next(1, Fault::missing_field("status")),
    );
    let body = runware(&sim).await.json();
    assert!(body["data"][0].get("status").is_none());
    assert!(body["data"][0].get("taskUUID").is_some());
    sim.inject_fault(
        TaskKey::runware("r"),
        FaultPlan::next(1, Fault::ExtraFields),
    );
    let body = runware(&sim).await.json();
    assert!(body["data"][0].get("_sim_extra").is_some());
}

#[tokio::test(start_paused = true)]
async fn plans_stop_after_n_and_request_ranges_are_honoured() {
    let (sim, url) = setup().await;
    sim.inject_fault(t(), FaultPlan::next(2, Fault::status(503)));
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(get(&url, &[NKEY]).await.status);
    }
    assert_eq!(got, [503, 503, 200, 200]);

    // Requests 6 and 7 to this task (4 happened already).
    sim.inject_fault(t(), FaultPlan::requests(6..=7, Fault::status(502)));
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(get(&url, &[NKEY]).await.status);
    }
    assert_eq!(got, [200, 502, 502, 200]);
}

#[tokio::test(start_paused = true)]
async fn task_plans_beat_api_plans_beat_global_plans() {
    let (sim, url) = setup().await;
    sim.inject_fault(FaultTarget::Global, FaultPlan::always(Fault::status(500)));
    sim.inject_fault(Api::Narada, FaultPlan::next(1, Fault::status(502)));
    sim.inject_fault(t(), FaultPlan::next(1, Fault::status(503)));
    assert_eq!(get(&url, &[NKEY]).await.status, 503);
    assert_eq!(get(&url, &[NKEY]).await.status, 502);
    assert_eq!(get(&url, &[NKEY]).await.status, 500);
    assert_eq!(runware(&sim).await.status, 500);
    sim.clear_faults();
    assert_eq!(get(&url, &[NKEY]).await.status, 200);
}

async fn random_outcomes(seed: u64) -> Vec<String> {
    let (sim, url) = setup().await;
    sim.set_random_faults(0.3, seed);
    let mut out = Vec::new();
    for _ in 0..150 {
        let resp = client().get(&url).header(NKEY.0, NKEY.1).send().await;
        out.push(match resp {
            Err(e) => format!("send error {e}"),
            Ok(r) => {
                let s = r.status().as_u16();
                match r.bytes().await {
                    Ok(_) => s.to_string(),
                    Err(_) => format!("{s} cut"),
                }
            }
        });
    }
    sim.disable_random_faults();
    assert_eq!(get(&url, &[NKEY]).await.status, 200);
    out
}

#[tokio::test(start_paused = true)]
async fn random_faults_hit_about_the_rate_and_repeat_with_the_seed() {
    let a = random_outcomes(42).await;
    let b = random_outcomes(42).await;
    assert_eq!(a, b, "same seed, same faults");
    let faulted = a.iter().filter(|o| *o != "200").count();
    assert!((25..=70).contains(&faulted), "{faulted} of 150");
    assert!(
        a.iter().any(|o| o == "200 cut"),
        "resets are among the kinds"
    );
    assert!(a.iter().any(|o| o == "429"));
    assert_ne!(a, random_outcomes(7).await);
}

#[tokio::test(start_paused = true)]
async fn random_faults_with_chosen_kinds() {
    let (sim, url) = setup().await;
    sim.set_random_faults_with(RandomFaults::new(1.0, 1).with_kinds(vec![Fault::status(504)]));
    assert_eq!(get(&url, &[NKEY]).await.status, 504);
    // A plan still wins over the dice.
    sim.inject_fault(t(), FaultPlan::next(1, Fault::status(500)));
    assert_eq!(get(&url, &[NKEY]).await.status, 500);
}
