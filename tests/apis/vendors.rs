//! One test per API: the documented in-between states, success and failure.

use crate::replay::Replay;
use crate::{KEY, fetch_n, fetch_ok, phases, source};
use poller_core::{Phase, RemoteError, StatusSource};
use serde_json::json;

#[tokio::test]
async fn replicate_prediction() {
    let r = Replay::start().await;
    r.answer("GET /v1/predictions/gm3qorzdhgbfurvjtvhg6dckhu", &[
        (200, r#"{"id": "gm3qorzdhgbfurvjtvhg6dckhu", "model": "replicate/hello-world", "status": "starting", "input": {"text": "Alice"}, "output": null, "error": null, "logs": "", "metrics": {}}"#),
        (200, r#"{"id": "gm3qorzdhgbfurvjtvhg6dckhu", "status": "processing", "output": null, "error": null, "logs": "Using seed: 31415\n", "metrics": {}}"#),
        (200, r#"{"id": "gm3qorzdhgbfurvjtvhg6dckhu", "status": "succeeded", "output": "hello Alice", "error": null, "logs": "", "metrics": {"predict_time": 0.012683}}"#),
    ]);
    r.answer("GET /v1/predictions/failed1", &[(200, r#"{"id": "failed1", "status": "failed", "output": null, "error": "CUDA out of memory", "metrics": {}}"#)]);
    r.answer(
        "GET /v1/predictions/canceled1",
        &[(
            200,
            r#"{"id": "canceled1", "status": "canceled", "output": null, "error": null}"#,
        )],
    );
    let src = source::<crate::replicate::Prediction>(&r);
    let s = fetch_n(&src, "gm3qorzdhgbfurvjtvhg6dckhu", 3).await;
    let phases: Vec<Phase> = s.iter().map(|s| s.as_ref().unwrap().phase).collect();
    assert_eq!(phases, [Phase::Queued, Phase::Running, Phase::Succeeded]);
    let done = s[2].as_ref().unwrap();
    assert_eq!(done.output, Some(json!("hello Alice")));
    assert_eq!(done.details["metrics"]["predict_time"], 0.012683);
    let failed = src.fetch("failed1").await.unwrap();
    assert_eq!(
        (failed.phase, failed.error),
        (Phase::Failed, Some(RemoteError::new("CUDA out of memory")))
    );
    assert_eq!(
        src.fetch("canceled1").await.unwrap().phase,
        Phase::Cancelled
    );
    let seen = r.seen();
    assert_eq!(seen[0].header("authorization"), Some("Bearer sk-test-key"));
}

#[tokio::test]
async fn openai_batch() {
    let r = Replay::start().await;
    let batch = |status: &str, counts: (u32, u32), extra: &str| {
        format!(
            r#"{{"id": "batch_abc123", "object": "batch", "endpoint": "/v1/chat/completions", "errors": null, "input_file_id": "file-abc123", "completion_window": "24h", "status": "{status}", "output_file_id": null, "error_file_id": null, "created_at": 1711471533, "request_counts": {{"total": {}, "completed": {}, "failed": 0}}{extra}}}"#,
            counts.0, counts.1
        )
    };
    let (v, p, f) = (
        batch("validating", (0, 0), ""),
        batch("in_progress", (100, 40), ""),
        batch("finalizing", (100, 100), ""),
    );
    let done = batch("completed", (100, 100), "").replace(
        r#""output_file_id": null"#,
        r#""output_file_id": "file-cvaTdG""#,
    );
    r.answer(
        "GET /v1/batches/batch_abc123",
        &[(200, &v), (200, &p), (200, &f), (200, &done)],
    );
    let failed = batch("failed", (0, 0), "").replace(
        r#""errors": null"#,
        r#""errors": {"object": "list", "data": [{"code": "invalid_json_line", "message": "This line is not parseable as valid JSON.", "param": null, "line": 3}]}"#,
    );
    r.answer("GET /v1/batches/batch_failed", &[(200, &failed)]);
    r.answer(
        "GET /v1/batches/batch_expired",
        &[(200, &batch("expired", (100, 60), ""))],
    );
    let src = source::<crate::openai_batch::Batch>(&r);
    let s = fetch_n(&src, "batch_abc123", 4).await;
    let s: Vec<_> = s.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        phases(&s),
        [
            Phase::Queued,
            Phase::Running,
            Phase::Running,
            Phase::Succeeded
        ]
    );
    assert_eq!(s[1].progress.as_ref().unwrap().percent, Some(40.0));
    assert_eq!(s[0].progress, None, "a total of 0 says nothing");
    assert_eq!(s[3].output.as_deref(), Some("file-cvaTdG"));
    let failed = src.fetch("batch_failed").await.unwrap();
    assert_eq!(failed.phase, Phase::Failed);
    assert_eq!(
        failed.error,
        Some(
            RemoteError::new("This line is not parseable as valid JSON.")
                .with_code("invalid_json_line")
        )
    );
    let expired = src.fetch("batch_expired").await.unwrap();
    assert_eq!(expired.phase, Phase::Failed);
    assert_eq!(expired.error.unwrap().message, "the batch ended `expired`");
}

#[tokio::test]
async fn assemblyai_transcript() {
    let r = Replay::start().await;
    r.answer("GET /v2/transcript/5551722-f677-48a6-9287-39c0aafd9ac1", &[
        (200, r#"{"id": "5551722-f677-48a6-9287-39c0aafd9ac1", "status": "queued", "text": null, "audio_url": "https://assembly.ai/wildfires.mp3"}"#),
        (200, r#"{"id": "5551722-f677-48a6-9287-39c0aafd9ac1", "status": "processing", "text": null}"#),
        (200, r#"{"id": "5551722-f677-48a6-9287-39c0aafd9ac1", "status": "completed", "text": "Smoke from hundreds of wildfires in Canada is triggering air quality alerts.", "audio_duration": 281, "error": null}"#),
    ]);
    r.answer("GET /v2/transcript/bad", &[(200, r#"{"id": "bad", "status": "error", "text": null, "error": "Download error, unable to download https://example.com/missing.mp3"}"#)]);
    let src = source::<crate::assemblyai::Transcript>(&r);
    let s = fetch_ok(&src, "5551722-f677-48a6-9287-39c0aafd9ac1", 3).await;
    assert_eq!(
        phases(&s),
        [Phase::Queued, Phase::Running, Phase::Succeeded]
    );
    assert!(
        s[2].output
            .as_deref()
            .unwrap()
            .starts_with("Smoke from hundreds")
    );
    assert_eq!(s[2].details["audio_duration"], 281.0);
    let bad = src.fetch("bad").await.unwrap();
    assert_eq!(bad.phase, Phase::Failed);
    assert!(bad.error.unwrap().message.starts_with("Download error"));
    assert_eq!(
        r.seen()[0].header("authorization"),
        Some(KEY),
        "the key alone, no scheme"
    );
}

#[tokio::test]
async fn google_operation() {
    let r = Replay::start().await;
    r.answer("GET /v1/operations/7612202767953098924", &[
        (200, r#"{"name": "7612202767953098924", "metadata": {"@type": "type.googleapis.com/google.cloud.speech.v1.LongRunningRecognizeMetadata", "progressPercent": 34, "startTime": "2016-08-30T23:26:29.579144Z"}}"#),
        (200, r#"{"name": "7612202767953098924", "metadata": {"progressPercent": 100}, "done": true, "response": {"@type": "type.googleapis.com/google.cloud.speech.v1.LongRunningRecognizeResponse", "results": [{"alternatives": [{"transcript": "how old is the Brooklyn Bridge", "confidence": 0.98}]}]}}"#),
    ]);
    r.answer("GET /v1/operations/projects/p1/operations/op-2", &[(200, r#"{"name": "projects/p1/operations/op-2", "done": true, "error": {"code": 3, "message": "Invalid recognition 'config': bad encoding.."}}"#)]);
    let src = source::<crate::google_operation::Operation>(&r);
    let s = fetch_ok(&src, "operations/7612202767953098924", 2).await;
    assert_eq!(
        (s[0].phase, s[0].raw_status.as_str()),
        (Phase::Running, "null")
    );
    assert_eq!(s[0].progress.as_ref().unwrap().percent, Some(34.0));
    assert_eq!(
        (s[1].phase, s[1].raw_status.as_str()),
        (Phase::Succeeded, "true")
    );
    assert_eq!(
        s[1].output.as_ref().unwrap()["results"][0]["alternatives"][0]["transcript"],
        "how old is the Brooklyn Bridge"
    );
    let failed = src
        .fetch("operations/projects/p1/operations/op-2")
        .await
        .unwrap();
    assert_eq!(failed.phase, Phase::Failed);
    assert_eq!(
        failed.error,
        Some(RemoteError::new("Invalid recognition 'config': bad encoding..").with_code("3"))
    );
    let seen = r.seen();
    assert_eq!(
        seen[0].uri,
        "/v1/operations/7612202767953098924?key=sk-test-key"
    );
    assert_eq!(seen[0].header("authorization"), None);
    // The `/`s of an operation name are kept, but a `..` in it is refused before sending.
    assert!(
        src.fetch("operations/../../admin")
            .await
            .unwrap_err()
            .is_permanent()
    );
    assert_eq!(r.seen().len(), 3);
}

#[tokio::test]
async fn step_functions_execution() {
    let r = Replay::start().await;
    let arn = "arn:aws:states:us-east-1:123456789012:execution:HelloWorld:my-execution";
    let body = |status: &str, extra: &str| {
        format!(
            r#"{{"executionArn": "{arn}", "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:HelloWorld", "name": "my-execution", "status": "{status}", "startDate": 1.700000000E9, "input": "{{}}"{extra}}}"#
        )
    };
    r.answer("POST /", &[
        (200, &body("RUNNING", "")),
        (200, &body("SUCCEEDED", r#", "stopDate": 1.700000100E9, "output": "{\"result\": \"Hello World!\"}""#)),
        (200, &body("FAILED", r#", "error": "States.TaskFailed", "cause": "Lambda function raised ValueError""#)),
        (200, &body("ABORTED", "")),
    ]);
    let src = source::<crate::step_functions::Execution>(&r);
    let s = fetch_ok(&src, arn, 4).await;
    assert_eq!(
        phases(&s),
        [
            Phase::Running,
            Phase::Succeeded,
            Phase::Failed,
            Phase::Cancelled
        ]
    );
    assert_eq!(
        s[1].output,
        Some(json!({"result": "Hello World!"})),
        "the output string holds JSON"
    );
    assert_eq!(
        s[2].error,
        Some(RemoteError::new("Lambda function raised ValueError").with_code("States.TaskFailed"))
    );
    let seen = &r.seen()[0];
    assert_eq!(
        seen.header("x-amz-target"),
        Some("AWSStepFunctions.DescribeExecution")
    );
    assert_eq!(
        seen.header("content-type"),
        Some("application/x-amz-json-1.0")
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&seen.body).unwrap(),
        json!({"executionArn": arn})
    );
}

#[tokio::test]
async fn fal_queue_two_steps() {
    let r = Replay::start().await;
    let base = r.base.clone();
    let status_route =
        "GET /fal-ai/flux/schnell/requests/764cabcf-b745-4b3e-ae38-1200304cf45b/status";
    let completed = format!(
        r#"{{"status": "COMPLETED", "request_id": "764cabcf-b745-4b3e-ae38-1200304cf45b", "response_url": "{base}/fal-ai/flux/requests/764cabcf-b745-4b3e-ae38-1200304cf45b", "logs": [{{"message": "Generating", "timestamp": "2024-11-05T10:00:01Z"}}]}}"#
    );
    r.answer(status_route, &[
        (202, r#"{"status": "IN_QUEUE", "queue_position": 2, "response_url": "https://queue.fal.run/fal-ai/flux/requests/764cabcf-b745-4b3e-ae38-1200304cf45b"}"#),
        (202, r#"{"status": "IN_PROGRESS", "logs": [{"message": "Loading model", "level": "INFO", "timestamp": "2024-11-05T10:00:00Z"}]}"#),
        (200, &completed),
    ]);
    // The result, fetched once the queue says COMPLETED; first a 502 (transient), then the body.
    r.answer("GET /fal-ai/flux/requests/764cabcf-b745-4b3e-ae38-1200304cf45b", &[
        (502, "<html>Bad gateway</html>"),
        (200, r#"{"images": [{"url": "https://fal.media/files/rabbit.png", "width": 1024, "height": 768, "content_type": "image/jpeg"}], "seed": 42, "has_nsfw_concepts": [false]}"#),
    ]);
    let src = source::<crate::fal_queue::QueueStatus>(&r).param("model_id", "fal-ai/flux/schnell");
    let id = "764cabcf-b745-4b3e-ae38-1200304cf45b";
    let s = fetch_n(&src, id, 4).await;
    let queued = s[0].as_ref().unwrap();
    assert_eq!(
        (queued.phase, queued.output.as_ref()),
        (Phase::Queued, None),
        "no result before COMPLETED"
    );
    assert_eq!(queued.details["queue_position"], 2);
    assert_eq!(
        s[1].as_ref().unwrap().progress.as_ref().unwrap().events[0]
            .message
            .as_deref(),
        Some("Loading model")
    );
    let err = s[2].as_ref().unwrap_err();
    assert!(
        err.is_transient(),
        "a 502 on the result is worth asking again: {err}"
    );
    let done = s[3].as_ref().unwrap();
    assert_eq!(done.phase, Phase::Succeeded);
    assert_eq!(
        done.output.as_ref().unwrap()["images"][0]["url"],
        "https://fal.media/files/rabbit.png"
    );
    let seen = r.seen();
    assert_eq!(seen.len(), 6, "status ×4, result ×2: {seen:#?}");
    assert!(
        seen.iter()
            .all(|s| s.header("authorization") == Some("Key sk-test-key"))
    );

    // A failed model run: the result URL answers 422 with the error, so the task failed.
    let failed_route = "GET /fal-ai/flux/schnell/requests/bad-1/status";
    let completed = format!(
        r#"{{"status": "COMPLETED", "response_url": "{base}/fal-ai/flux/requests/bad-1"}}"#
    );
    r.answer(failed_route, &[(200, &completed)]);
    r.answer("GET /fal-ai/flux/requests/bad-1", &[(422, r#"{"detail": [{"loc": ["body", "prompt"], "msg": "field required", "type": "value_error.missing"}]}"#)]);
    let failed = src.fetch("bad-1").await.unwrap();
    assert_eq!(failed.phase, Phase::Failed);
    let error = failed.error.unwrap();
    assert_eq!(error.code.as_deref(), Some("http_422"));
    assert!(error.message.contains("field required"), "{error}");
}

#[tokio::test]
async fn runway_task() {
    let r = Replay::start().await;
    r.answer("GET /v1/tasks/17f20503-6c24-4c16-946b-35dbbce2af2f", &[
        (200, r#"{"id": "17f20503-6c24-4c16-946b-35dbbce2af2f", "status": "PENDING", "createdAt": "2024-06-27T19:49:32.334Z"}"#),
        (200, r#"{"id": "17f20503-6c24-4c16-946b-35dbbce2af2f", "status": "THROTTLED", "createdAt": "2024-06-27T19:49:32.334Z"}"#),
        (200, r#"{"id": "17f20503-6c24-4c16-946b-35dbbce2af2f", "status": "RUNNING", "createdAt": "2024-06-27T19:49:32.334Z", "progress": 0.42}"#),
        (200, r#"{"id": "17f20503-6c24-4c16-946b-35dbbce2af2f", "status": "SUCCEEDED", "createdAt": "2024-06-27T19:49:32.334Z", "output": ["https://dnznrvs05pmza.cloudfront.net/output.mp4"]}"#),
    ]);
    r.answer("GET /v1/tasks/failed-1", &[(200, r#"{"id": "failed-1", "status": "FAILED", "createdAt": "2024-06-27T19:49:32.334Z", "failure": "The input image was flagged by our content moderation system.", "failureCode": "SAFETY.INPUT.IMAGE"}"#)]);
    let src = source::<crate::runway::Task>(&r);
    let s = fetch_ok(&src, "17f20503-6c24-4c16-946b-35dbbce2af2f", 4).await;
    assert_eq!(
        phases(&s),
        [
            Phase::Queued,
            Phase::Queued,
            Phase::Running,
            Phase::Succeeded
        ]
    );
    assert_eq!(s[2].progress.as_ref().unwrap().percent, Some(42.0));
    assert_eq!(
        s[3].output,
        Some(vec![
            "https://dnznrvs05pmza.cloudfront.net/output.mp4".to_string()
        ])
    );
    let failed = src.fetch("failed-1").await.unwrap();
    assert_eq!(
        failed.error,
        Some(
            RemoteError::new("The input image was flagged by our content moderation system.")
                .with_code("SAFETY.INPUT.IMAGE")
        )
    );
    assert!(
        r.seen()
            .iter()
            .all(|s| s.header("x-runway-version") == Some("2024-11-06"))
    );
}

#[tokio::test]
async fn github_workflow_run() {
    let r = Replay::start().await;
    let run = |status: &str, conclusion: &str| {
        format!(
            r#"{{"id": 30433642, "name": "Build", "head_branch": "main", "run_number": 562, "event": "push", "status": "{status}", "conclusion": {conclusion}, "workflow_id": 159038, "html_url": "https://github.com/octo-org/octo-repo/actions/runs/30433642"}}"#
        )
    };
    let route = "GET /repos/octo-org/octo-repo/actions/runs/30433642";
    let (queued, running, ok, fail, approve) = (
        run("queued", "null"),
        run("in_progress", "null"),
        run("completed", r#""success""#),
        run("completed", r#""failure""#),
        run("completed", r#""action_required""#),
    );
    r.answer(
        route,
        &[
            (200, &queued),
            (200, &running),
            (200, &ok),
            (200, &fail),
            (200, &approve),
        ],
    );
    let src = source::<crate::github_actions::WorkflowRun>(&r)
        .param("owner", "octo-org")
        .param("repo", "octo-repo");
    let s = fetch_ok(&src, "30433642", 5).await;
    assert_eq!(
        phases(&s),
        [
            Phase::Running,
            Phase::Running,
            Phase::Succeeded,
            Phase::Failed,
            Phase::NeedsInput
        ]
    );
    assert_eq!(
        s[1].progress.as_ref().unwrap().step.as_deref(),
        Some("in_progress")
    );
    assert_eq!(
        s[2].output.as_deref(),
        Some("https://github.com/octo-org/octo-repo/actions/runs/30433642")
    );
    assert_eq!(
        s[3].error,
        Some(RemoteError::new("the workflow run concluded `failure`"))
    );
    let seen = &r.seen()[0];
    assert_eq!(seen.header("accept"), Some("application/vnd.github+json"));
    assert_eq!(seen.header("x-github-api-version"), Some("2022-11-28"));
}

#[tokio::test]
async fn stability_result_by_http_code() {
    let r = Replay::start().await;
    r.answer("GET /v2beta/results/a6dc6c6e20acda010fe14d71f180658f2896ed9b4ec25aa99a6ff06c796987c4", &[
        (202, r#"{"id": "a6dc6c6e20acda010fe14d71f180658f2896ed9b4ec25aa99a6ff06c796987c4", "status": "in-progress"}"#),
        (200, r#"{"image": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB", "finish_reason": "SUCCESS", "seed": 343940597}"#),
    ]);
    r.answer(
        "GET /v2beta/results/filtered",
        &[(
            200,
            r#"{"image": "", "finish_reason": "CONTENT_FILTERED", "seed": 7}"#,
        )],
    );
    let src = source::<crate::stability::GenerationResult>(&r);
    let s = fetch_ok(
        &src,
        "a6dc6c6e20acda010fe14d71f180658f2896ed9b4ec25aa99a6ff06c796987c4",
        2,
    )
    .await;
    assert_eq!(
        (s[0].phase, s[0].raw_status.as_str()),
        (Phase::Running, "202")
    );
    assert_eq!(
        (s[1].phase, s[1].raw_status.as_str()),
        (Phase::Succeeded, "200")
    );
    assert_eq!(
        s[1].output.as_deref(),
        Some("iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB")
    );
    let filtered = src.fetch("filtered").await.unwrap();
    assert_eq!(
        (filtered.phase, filtered.raw_status.as_str()),
        (Phase::Failed, "200")
    );
    assert_eq!(
        filtered.error.unwrap().message,
        "the result was withheld by the content filter"
    );
    assert_eq!(r.seen()[0].header("accept"), Some("application/json"));
}
