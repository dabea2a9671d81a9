//! The second request of a two-step result: where it goes, what it carries, how its failures
//! count.

use crate::replay::Replay;
use crate::source;
use poller_core::{FetchError, Phase, StatusSource};

type Fal = crate::fal_queue::QueueStatus;

fn completed(response_url: &str) -> String {
    format!(r#"{{"status": "COMPLETED", "response_url": "{response_url}"}}"#)
}

#[tokio::test]
async fn a_result_on_another_origin_gets_neither_the_key_nor_the_hook() {
    let api = Replay::start().await;
    let storage = Replay::start().await; // another port: another origin
    let url = format!("{}/files/out.json?sig=abc", storage.base);
    api.answer("GET /m/requests/r1/status", &[(200, &completed(&url))]);
    storage.answer("GET /files/out.json", &[(200, r#"{"ok": true}"#)]);
    let src = source::<Fal>(&api)
        .param("model_id", "m")
        .hook(|r: &mut reqwest::Request| {
            r.headers_mut().insert("x-signed", "yes".parse().unwrap());
            Ok::<(), FetchError>(())
        });
    let s = src.fetch("r1").await.unwrap();
    assert_eq!(
        (s.phase, s.output),
        (Phase::Succeeded, Some(serde_json::json!({"ok": true})))
    );
    let status = &api.seen()[0];
    assert_eq!(status.header("authorization"), Some("Key sk-test-key"));
    assert_eq!(status.header("x-signed"), Some("yes"));
    let result = &storage.seen()[0];
    assert_eq!(result.uri, "/files/out.json?sig=abc");
    assert_eq!(
        result.header("authorization"),
        None,
        "the key stays with the API's origin"
    );
    assert_eq!(result.header("x-signed"), None, "so does the hook");
}

#[tokio::test]
async fn a_relative_result_url_is_below_the_base_url_and_a_404_fails_the_task() {
    let api = Replay::start().await;
    api.answer(
        "GET /m/requests/r2/status",
        &[(200, &completed("/m/requests/r2"))],
    );
    api.answer(
        "GET /m/requests/r2",
        &[(404, r#"{"detail": "Request not found"}"#)],
    );
    let src = source::<Fal>(&api).param("model_id", "m");
    let s = src.fetch("r2").await.unwrap();
    assert_eq!(s.phase, Phase::Failed);
    let error = s.error.unwrap();
    assert_eq!(error.code.as_deref(), Some("http_404"));
    assert_eq!(
        error.message,
        r#"the task succeeded but its result could not be fetched: HTTP 404: {"detail": "Request not found"}"#
    );
    assert_eq!(
        api.seen()[1].header("authorization"),
        Some("Key sk-test-key")
    );
}

#[tokio::test]
async fn a_result_url_that_is_not_a_url_or_not_https_is_refused() {
    let api = Replay::start().await;
    api.answer(
        "GET /m/requests/r3/status",
        &[(200, &completed("not a url"))],
    );
    api.answer(
        "GET /m/requests/r4/status",
        &[(200, &completed("http://example.com/out"))],
    );
    let src = source::<Fal>(&api).param("model_id", "m");
    for id in ["r3", "r4"] {
        let err = src.fetch(id).await.unwrap_err();
        assert!(err.is_permanent(), "{err}");
        assert!(err.to_string().contains("result URL"), "{err}");
    }
    assert_eq!(
        api.seen().len(),
        2,
        "nothing fetched after the status requests"
    );
}
