//! Issue #6, item 6: task ids and parameters are single percent-encoded path segments (or
//! query values, or JSON strings for Runware): `../`, `/`, `?`, `#`, `%2F`, spaces, unicode
//! and 10 KB ids cannot change the request's path or query. Asserted from the simulator's
//! log (the raw request line), and round-tripped: the simulator, which decodes each segment
//! once, finds the task under exactly that id. `.` and `..` as a whole segment value are
//! refused before any request.

use crate::helpers::{ENDPOINT, End, ORG, Prov, SLUG};
use poller_core::{
    ConfigError, ErrorClass, FetchError, HttpOptions, Outcome, Poller, StatusSource,
};
use poller_providers::{dari::Dari, narada::Narada, vessl::Vessl};
use poller_sim::{DariStage, Keys, Script, Simulator, TaskKey};
use serde_json::json;
use std::time::Duration;

/// Percent-encodes every byte but RFC 3986's unreserved characters: the expected form of one
/// path segment, written here independently of poller-core's encoder.
fn segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Ids that would move a naive request elsewhere.
fn hostile_ids() -> Vec<String> {
    let mut ids: Vec<String> = [
        "../",
        "../../etc/passwd",
        "/",
        "a/b",
        "/absolute",
        "?",
        "?x=1",
        "#",
        "#frag",
        "id?job_id=other&x=1#y",
        "&job_id=evil",
        "%2F",
        "%2e%2e",
        "%2e%2e%2f",
        "..%2f..%2f",
        "a b",
        " ",
        "+",
        "a+b=c;d,e",
        "back\\slash",
        "...",
        "a..b",
        "./x",
        "ünïcødé",
        "日本語/タスク",
        "🦀?🦀#🦀",
        "\u{202e}rtl",
        "tab\there",
        "new\nline",
        "null\0byte",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    ids.push("x".repeat(10 * 1024));
    ids.push("../?#%2F é🦀".repeat(10 * 1024 / 20));
    ids
}

#[tokio::test(start_paused = true)]
async fn task_ids_stay_one_segment_or_value() {
    let sim = Simulator::builder()
        .max_request_body(1024 * 1024)
        .start()
        .await
        .unwrap();
    let keys = sim.keys().clone();
    let ids = hostile_ids();
    for prov in Prov::ALL {
        let source = prov.source(&sim, &prov.key(&keys), HttpOptions::default());
        for id in &ids {
            let task = prov.add_task(&sim, id, End::Succeed, Duration::ZERO);
            sim.clear_requests();
            let what = format!(
                "{} {:?}",
                prov.name(),
                id.chars().take(40).collect::<String>()
            );
            let status = source
                .fetch(id)
                .await
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            // The simulator found the task under exactly this id.
            prov.check_result(&status, id, End::Succeed);
            let requests = sim.requests();
            assert_eq!(requests.len(), 1, "{what}");
            let r = &requests[0];
            assert_eq!(r.tasks, std::slice::from_ref(&task), "{what}");
            match prov {
                Prov::Narada => {
                    let expected = format!("/fast/v2/remote-dispatch/responses/{}", segment(id));
                    assert_eq!(r.uri, expected, "{what}");
                }
                Prov::Vessl => {
                    let expected = format!("/api/v1/services/{SLUG}/async/{}/output", segment(id));
                    assert_eq!(r.uri, expected, "{what}");
                }
                Prov::Dari => {
                    assert_eq!(r.path(), format!("/task/{ORG}/{ENDPOINT}/status"), "{what}");
                    let query = r.query().unwrap_or_default();
                    // One pair, job_id, its value form-encoded: nothing in it can start another
                    // pair or a fragment.
                    let value = query
                        .strip_prefix("job_id=")
                        .unwrap_or_else(|| panic!("{what}: query {query:?}"));
                    assert!(
                        value
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-._~*%+".contains(&b)),
                        "{what}: query {query:?}"
                    );
                }
                Prov::Runware => {
                    assert_eq!(r.uri, "/v1", "{what}");
                    assert_eq!(
                        r.body_json(),
                        Some(json!([{"taskType": "getResponse", "taskUUID": id}])),
                        "{what}"
                    );
                }
            }
        }
    }
}

/// Values of `.` and `..` would move the request up the path whatever the encoding (URL
/// parsers treat `%2E%2E` as `..`): poller-core refuses them before sending anything.
#[tokio::test(start_paused = true)]
async fn dot_segments_are_refused() {
    let sim = Simulator::start().await.unwrap();
    let keys = sim.keys().clone();
    for dots in [".", ".."] {
        let narada = Narada::new(keys.narada.clone())
            .base_url(sim.narada_base_url())
            .source()
            .unwrap();
        let vessl = Vessl::new(sim.vessl_base_url(SLUG), keys.vessl.clone())
            .source()
            .unwrap();
        let dari = Dari::new(keys.dari.clone(), ORG, ENDPOINT)
            .base_url(sim.dari_base_url())
            .source()
            .unwrap();
        for err in [
            narada.url_for(dots),
            vessl.url_for(dots),
            dari.url_for(dots),
        ] {
            assert!(
                matches!(err, Err(ConfigError::Other(ref m)) if m.contains("`.` or `..`")),
                "{err:?}"
            );
        }
        // The parameters too.
        for (org, endpoint) in [(dots, ENDPOINT), (ORG, dots)] {
            let source = Dari::new(keys.dari.clone(), org, endpoint)
                .base_url(sim.dari_base_url())
                .source()
                .unwrap();
            assert!(matches!(source.url_for("job"), Err(ConfigError::Other(_))));
            let err = source.fetch("job").await.unwrap_err();
            assert!(matches!(err, FetchError::Config(_)), "{err:?}");
        }
        // Through a whole wait: a permanent configuration error, at once.
        for prov in [Prov::Narada, Prov::Dari, Prov::Vessl] {
            let report = Poller::new(
                prov.source(&sim, &prov.key(&keys), HttpOptions::default()),
                crate::helpers::policy(),
            )
            .wait(dots)
            .await;
            match &report.outcome {
                Outcome::FetchFailed { error, .. } => {
                    assert!(matches!(error, FetchError::Config(_)), "{error:?}");
                    assert_eq!(error.class(), ErrorClass::Permanent);
                }
                other => panic!("{}: {other:?}", prov.name()),
            }
            assert_eq!(report.attempts, 1);
        }
        assert_eq!(sim.request_count(), 0, "nothing was sent");

        // Runware sends ids in a JSON body, where dots are just text.
        Prov::Runware.add_task(&sim, dots, End::Succeed, Duration::ZERO);
        let s = Prov::Runware
            .source(&sim, &keys.runware, HttpOptions::default())
            .fetch(dots)
            .await
            .unwrap();
        Prov::Runware.check_result(&s, dots, End::Succeed);
        sim.clear_requests();
    }
}

/// Dari's `org_id` and `endpoint_name` are path segments too.
#[tokio::test(start_paused = true)]
async fn dari_parameters_stay_one_segment() {
    let values = [
        "../admin",
        "a/b",
        "?x=1",
        "#top",
        "%2F",
        "my org",
        "ünï/🦀",
        "...",
        &"o".repeat(2048),
    ];
    for value in values {
        // The simulator's key belongs to this organisation, so the job is visible.
        let keys = Keys {
            dari_org: value.to_string(),
            ..Keys::default()
        };
        let sim = Simulator::builder()
            .keys(keys.clone())
            .start()
            .await
            .unwrap();
        sim.add_dari_job(
            value,
            value,
            "job-1",
            Script::new(DariStage::completed(json!({"ok": value}))),
        );
        let source = Dari::new(keys.dari.clone(), value, value)
            .base_url(sim.dari_base_url())
            .source()
            .unwrap();
        let s = crate::helpers::settle(source.fetch("job-1"))
            .await
            .unwrap_or_else(|e| panic!("{value:?}: {e}"));
        assert_eq!(s.output, Some(json!({"ok": value})));
        let r = &sim.requests()[0];
        assert_eq!(
            r.uri,
            format!(
                "/task/{}/{}/status?job_id=job-1",
                segment(value),
                segment(value)
            )
        );
        assert_eq!(r.tasks, [TaskKey::dari(value, value, "job-1")]);
    }
}

/// An empty id would leave an empty path segment (`/async//output`), which servers and
/// proxies may collapse into another path: refused before sending, where the id is a path
/// segment. In a query value (Dari) or a JSON body (Runware) it is just an empty string.
#[tokio::test(start_paused = true)]
async fn empty_path_segments_are_refused() {
    let sim = Simulator::start().await.unwrap();
    let keys = sim.keys().clone();
    let narada = Narada::new(keys.narada.clone())
        .base_url(sim.narada_base_url())
        .source()
        .unwrap();
    let vessl = Vessl::new(sim.vessl_base_url(SLUG), keys.vessl.clone())
        .source()
        .unwrap();
    for err in [narada.url_for(""), vessl.url_for("")] {
        assert!(
            matches!(err, Err(ConfigError::Other(ref m)) if m.contains("cannot be empty")),
            "{err:?}"
        );
    }
    for prov in [Prov::Narada, Prov::Vessl] {
        let err = prov
            .source(&sim, &prov.key(&keys), HttpOptions::default())
            .fetch("")
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Config(_)), "{err:?}");
        assert!(err.is_permanent());
    }
    assert_eq!(sim.request_count(), 0, "nothing was sent");

    let dari = Dari::new(keys.dari.clone(), ORG, ENDPOINT)
        .base_url(sim.dari_base_url())
        .source()
        .unwrap();
    assert_eq!(
        dari.url_for("").unwrap().as_str(),
        format!(
            "{}/task/{ORG}/{ENDPOINT}/status?job_id=",
            sim.dari_base_url()
        )
    );
    assert!(Dari::new(keys.dari.clone(), "", ENDPOINT).source().is_err());
}
