use crate::helpers::{fixture, only, secs, sim};
use futures::StreamExt;
use poller_core::{
    BatchStatusSource, ErrorClass, FetchError, Fixed, JsonSource, Phase, PollPolicyExt,
    RemoteError, StatusSource, Tracker, TrackerEvent,
};
use poller_providers::runware::{self, Runware, RunwareResponse, RunwareSource};
use poller_sim::{
    Api, Fault, FaultPlan, Progress as SimProgress, RunwareStage, RunwareTask, Script, Simulator,
    TaskKey,
};
use serde_json::{Value, json};
use std::time::Duration;

fn client(sim: &Simulator) -> Runware {
    Runware::new(sim.keys().runware.clone()).base_url(sim.runware_base_url())
}

fn source(sim: &Simulator) -> RunwareSource {
    client(sim).source().unwrap()
}

fn generation(stage: RunwareStage) -> Script<RunwareStage> {
    Script::new(stage)
}

#[test]
fn vendor_example_response() {
    let answer = RunwareResponse::parse(&fixture("runware_response.json")).unwrap();
    let s = answer
        .status_of("24cd5dff-cb81-4db5-8506-b72a9425f9d1")
        .unwrap();
    // One generation still processing: not final, whatever the others did.
    assert_eq!(
        (s.phase, s.raw_status.as_str()),
        (Phase::Running, "processing")
    );
    let output = s.output.unwrap();
    assert_eq!(output.len(), 2, "the data items, partial results included");
    assert_eq!(
        output[1]["videoURL"],
        "https://im.runware.ai/video/ws/0.5/vi/b7db282d-2943-4f12-992f-77df3ad3ec71.mp4"
    );
    assert_eq!(s.details["cost"], 0.18);
    assert_eq!(s.details["errors"][0]["code"], "timeoutProvider");
    assert_eq!(s.progress, None, "no item reports progress");

    // Once the processing generation is gone, the error decides.
    let mut done = answer.clone();
    done.data.remove(0);
    let s = done
        .status_of("24cd5dff-cb81-4db5-8506-b72a9425f9d1")
        .unwrap();
    assert_eq!(s.phase, Phase::Failed);
    assert_eq!(
        s.error,
        Some(
            RemoteError::new("The external provider did not respond within the timeout window. The request was automatically terminated.")
                .with_code("timeoutProvider")
        )
    );
    assert_eq!(
        s.output.unwrap().len(),
        1,
        "the successful generation is kept"
    );

    let err = answer
        .status_of("50836053-a0ee-4cf5-b9d6-ae7c5d140ada")
        .unwrap_err();
    assert!(err.is_permanent());
    assert!(err.to_string().contains("no item for taskUUID"), "{err}");
}

#[test]
fn vendor_example_request_item() {
    let item: Value = serde_json::from_slice(&fixture("runware_request_item.json")).unwrap();
    assert_eq!(
        RunwareSource::request_body(&["50836053-a0ee-4cf5-b9d6-ae7c5d140ada"]),
        json!([item])
    );
}

#[test]
fn unknown_item_status_and_bad_bodies() {
    let a: RunwareResponse =
        serde_json::from_value(json!({"data": [{"taskUUID": "t", "status": "melting"}]})).unwrap();
    assert_eq!(
        a.status_of("t").unwrap_err(),
        FetchError::UnknownStatus {
            value: "melting".into()
        }
    );
    let a: RunwareResponse = serde_json::from_value(json!({"data": [{"taskUUID": "t"}]})).unwrap();
    assert!(a.status_of("t").unwrap_err().is_permanent());
    assert!(RunwareResponse::parse(b"[]").unwrap_err().is_permanent());
}

#[tokio::test(start_paused = true)]
async fn every_item_status_from_the_simulator() {
    let sim = sim().await;
    let cases: [(&str, RunwareStage, Phase); 7] = [
        (
            "processing",
            RunwareStage::Processing {
                progress: SimProgress::Fixed(40),
            },
            Phase::Running,
        ),
        ("queued", RunwareStage::Queued, Phase::Queued),
        ("pending", RunwareStage::Pending, Phase::Queued),
        ("scheduled", RunwareStage::Scheduled, Phase::Queued),
        ("waiting", RunwareStage::Waiting, Phase::Queued),
        ("success", RunwareStage::success(0.18), Phase::Succeeded),
        (
            "error",
            RunwareStage::error("processingFailed", "the model crashed"),
            Phase::Failed,
        ),
    ];
    for (raw, stage, _) in &cases {
        sim.add_runware_task(format!("task-{raw}"), generation(stage.clone()));
    }
    let source = source(&sim);
    for (raw, _, phase) in &cases {
        let s = source.fetch(&format!("task-{raw}")).await.unwrap();
        assert_eq!((s.phase, s.raw_status.as_str()), (*phase, *raw));
        match *raw {
            "processing" => assert_eq!(s.progress.unwrap().percent, Some(40.0)),
            "success" => {
                let out = s.output.unwrap();
                assert_eq!(out[0]["status"], "success");
                assert!(out[0]["videoURL"].as_str().unwrap().ends_with(".mp4"));
                assert_eq!(s.details["cost"], 0.18);
            }
            "error" => {
                assert_eq!(
                    s.error,
                    Some(RemoteError::new("the model crashed").with_code("processingFailed"))
                );
                assert_eq!(s.output, None, "no generation succeeded");
            }
            _ => {}
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_batch_is_one_request_split_back_per_task() {
    let sim = sim().await;
    sim.add_runware_task("a", Script::runware_success_after(Duration::ZERO, 0.1));
    sim.add_runware_task(
        "b",
        generation(RunwareStage::Processing {
            progress: SimProgress::Fixed(25),
        }),
    );
    sim.add_runware_task(
        "c",
        generation(RunwareStage::error("timeoutProvider", "too slow")),
    );
    sim.add_runware_task("empty", RunwareTask::video());
    let source = source(&sim);
    let batch = source.as_batch().unwrap();
    assert_eq!(batch.max_batch(), runware::MAX_BATCH);

    let ids = ["a", "b", "c", "missing", "empty", "a"];
    let results = batch.fetch_many(&ids).await.unwrap();
    assert_eq!(results.len(), ids.len());
    let phase = |i: usize| results[i].as_ref().map(|s| s.phase).map_err(Clone::clone);
    assert_eq!(phase(0), Ok(Phase::Succeeded));
    assert_eq!(phase(1), Ok(Phase::Running));
    assert_eq!(phase(2), Ok(Phase::Failed));
    // Runware answers an unknown taskUUID with an error item: the task failed or is gone.
    let missing = results[3].as_ref().unwrap();
    assert_eq!(missing.phase, Phase::Failed);
    assert_eq!(
        missing.error.as_ref().unwrap().code.as_deref(),
        Some("taskFailedOrNotFound")
    );
    // No item at all: a clear, permanent error for that task only.
    let empty = results[4].as_ref().unwrap_err();
    assert!(empty.is_permanent());
    assert!(empty.to_string().contains("\"empty\""), "{empty}");
    assert_eq!(
        phase(5),
        Ok(Phase::Succeeded),
        "a repeated id gets its answer too"
    );

    let r = only(sim.requests());
    assert_eq!((r.method.as_str(), r.path()), ("POST", "/v1"));
    assert_eq!(r.header("authorization"), Some("Bearer sim-runware-key"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.body_json().unwrap(),
        json!([
            {"taskType": "getResponse", "taskUUID": "a"},
            {"taskType": "getResponse", "taskUUID": "b"},
            {"taskType": "getResponse", "taskUUID": "c"},
            {"taskType": "getResponse", "taskUUID": "missing"},
            {"taskType": "getResponse", "taskUUID": "empty"},
        ])
    );
    assert_eq!(r.tasks.len(), 5);
}

#[tokio::test(start_paused = true)]
async fn batches_larger_than_the_limit_are_split() {
    let sim = sim().await;
    for id in ["a", "b", "c"] {
        sim.add_runware_task(id, Script::runware_success_after(Duration::ZERO, 0.1));
    }
    let source = client(&sim).max_batch(2).source().unwrap();
    let results = source.fetch_many(&["a", "b", "c"]).await.unwrap();
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().unwrap().phase == Phase::Succeeded)
    );
    let sizes: Vec<usize> = sim.requests().iter().map(|r| r.tasks.len()).collect();
    assert_eq!(sizes, [2, 1]);
}

#[tokio::test(start_paused = true)]
async fn partial_results_while_other_generations_run() {
    let sim = sim().await;
    sim.add_runware_task(
        "t",
        RunwareTask::video()
            .with_generation(Script::runware_success_after(Duration::from_secs(5), 0.18))
            .with_generation(Script::runware_success_after(Duration::from_secs(20), 0.18))
            .with_generation(Script::runware_error_after(
                Duration::from_secs(10),
                "timeoutProvider",
                "The external provider did not respond within the timeout window.",
            )),
    );
    let source = source(&sim);

    let s = source.fetch("t").await.unwrap();
    assert_eq!(s.phase, Phase::Running);
    assert_eq!(s.progress.unwrap().percent, Some(0.0));

    secs(6.0).await;
    let s = source.fetch("t").await.unwrap();
    assert_eq!(s.phase, Phase::Running);
    let out = s.output.unwrap();
    let done: Vec<&Value> = out.iter().filter(|i| i["status"] == "success").collect();
    assert_eq!(
        done.len(),
        1,
        "the first video is there before the task ends"
    );
    assert!(done[0]["videoURL"].is_string());
    // success 100, 6 s of 20 s (30), 6 s of 10 s (60): mean 63.3
    let percent = s.progress.unwrap().percent.unwrap();
    assert!((percent - 190.0 / 3.0).abs() < 1e-9, "{percent}");

    secs(6.0).await;
    let s = source.fetch("t").await.unwrap();
    assert_eq!(
        s.phase,
        Phase::Running,
        "an error does not end the task while others run"
    );
    assert_eq!(s.details["errors"].as_array().unwrap().len(), 1);

    secs(10.0).await;
    let s = source.fetch("t").await.unwrap();
    assert_eq!((s.phase, s.raw_status.as_str()), (Phase::Failed, "error"));
    let e = s.error.unwrap();
    assert_eq!(e.code.as_deref(), Some("timeoutProvider"));
    assert!(e.message.starts_with("The external provider"));
    assert_eq!(s.output.unwrap().len(), 2, "both videos are kept");
    assert_eq!(s.details["cost"], 0.36);
}

#[tokio::test(start_paused = true)]
async fn default_policy_and_several_generations() {
    let sim = sim().await;
    sim.add_runware_task(
        "t",
        RunwareTask::video()
            .with_generation(Script::runware_success_after(Duration::from_secs(2), 0.1))
            .with_generation(Script::runware_success_after(Duration::from_secs(3), 0.2)),
    );
    // Wait 1 s, then 0.5 s, 0.75 s, 1.125 s: polls at 1, 1.5, 2.25 and 3.375 s.
    let report = client(&sim).wait("t").await.unwrap();
    assert!(report.outcome.is_success(), "{}", report.outcome);
    assert_eq!(report.attempts, 4);
    let times: Vec<Duration> = sim.requests().iter().map(|r| r.at).collect();
    assert_eq!(times, [1000, 1500, 2250, 3375].map(Duration::from_millis));
    let status = report.outcome.into_last_status().unwrap();
    assert_eq!(status.output.unwrap().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_tracker_asks_about_many_tasks_in_one_request() {
    let sim = sim().await;
    let ids = ["t1", "t2", "t3"];
    for (i, id) in ids.iter().enumerate() {
        sim.add_runware_task(
            *id,
            Script::runware_success_after(Duration::from_secs(2 + i as u64), 0.1),
        );
    }
    let mut tracker = Tracker::new();
    let src = tracker.add_source(
        JsonSource::new(source(&sim)),
        Fixed::secs(1).with_deadline(Duration::from_secs(60)),
    );
    for id in ids {
        tracker.track(src, id);
    }
    let mut finished = Vec::new();
    while let Some(event) = tracker.next().await {
        if let TrackerEvent::Finished { report, .. } = event {
            assert!(report.outcome.is_success(), "{}", report.outcome);
            finished.push(report.task_id);
        }
    }
    finished.sort();
    assert_eq!(finished, ids);
    // Polls at 0, 1, 2, 3 and 4 s, each one request for every task still running.
    let sizes: Vec<usize> = sim.requests().iter().map(|r| r.tasks.len()).collect();
    assert_eq!(sizes, [3, 3, 3, 2, 1]);
}

#[tokio::test(start_paused = true)]
async fn whole_call_errors() {
    let sim = sim().await;
    sim.add_runware_task("a", Script::runware_success_after(Duration::ZERO, 0.1));
    let wrong = Runware::new("wrong-key")
        .base_url(sim.runware_base_url())
        .source()
        .unwrap();
    let err = wrong.fetch_many(&["a", "b"]).await.unwrap_err();
    assert_eq!(err.http_status(), Some(401));
    assert!(err.is_permanent());
    assert!(err.to_string().contains("invalidApiKey"), "{err}");

    let source = source(&sim);
    for (code, transient) in [(429, true), (503, true), (504, true), (400, false)] {
        sim.inject_fault(
            Api::Runware,
            FaultPlan::next(
                1,
                Fault::status_with_retry_after(code, poller_sim::RetryAfter::Seconds(7)),
            ),
        );
        let err = source.fetch_many(&["a"]).await.unwrap_err();
        assert_eq!(err.http_status(), Some(code));
        assert_eq!(err.class() == ErrorClass::Transient, transient, "{code}");
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    }
    sim.inject_fault(
        TaskKey::runware("a"),
        FaultPlan::next(1, Fault::TruncatedJson),
    );
    assert!(source.fetch("a").await.unwrap_err().is_transient());
    assert_eq!(source.fetch("a").await.unwrap().phase, Phase::Succeeded);
}
