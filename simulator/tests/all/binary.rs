//! The `poller-sim` binary: starts, prints its URLs and keys, serves the vendors' examples.

use std::ffi::OsStr;

use crate::helpers::*;

#[tokio::test]
async fn binary_prints_urls_and_serves_the_curl_examples() {
    let (_child, lines) = start_binary(&[OsStr::new("--port"), OsStr::new("0")], "/async/").await;
    let first = &lines[0];
    let base = first
        .strip_prefix("poller-sim listening on ")
        .expect(first)
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"));
    let all = lines.join("\n");
    for key in [
        "sim-narada-key",
        "sim-runware-key",
        "sim-dari-key",
        "sim-vessl-key",
    ] {
        assert!(all.contains(key), "{all}");
    }

    let r = get(
        &format!("{base}/fast/v2/remote-dispatch/responses/req_abc123def456"),
        &[("x-api-key", "sim-narada-key")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "pending");
    let r = get(
        &format!(
            "{base}/task/my-org/contact_form/status?job_id=550e8400-e29b-41d4-a716-446655440000"
        ),
        &[("X-API-Key", "sim-dari-key")],
    )
    .await;
    assert_eq!(r.json()["status"], "running");
    let r = get(
        &format!("{base}/api/v1/services/example-service/async/98nlux8b0eu6/output"),
        &[("authorization", "Bearer sim-vessl-key")],
    )
    .await;
    assert_eq!(r.status, 200);
    let r = post(
        &format!("{base}/v1"),
        &[("authorization", "Bearer sim-runware-key")],
        r#"[{"taskType":"getResponse","taskUUID":"50836053-a0ee-4cf5-b9d6-ae7c5d140ada"}]"#,
    )
    .await;
    assert_eq!(r.json()["data"][0]["status"], "processing");
}
