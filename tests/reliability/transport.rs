//! Issue #6, item 7: the transport. Plain `http://` to a host that is not loopback is refused
//! unless explicitly allowed (the key would travel in clear); bodies are capped (4 MiB by
//! default, configurable), with or without a `Content-Length`; every request has a timeout
//! (30 s by default), whether the server never answers or stalls mid-body; and error
//! excerpts stay within 512 bytes whatever the body.

use crate::helpers::{Prov, Recorder, json_response, streamed, success_body};
use axum::body::Bytes;
use axum::http::StatusCode;
use futures::StreamExt;
use poller_core::{
    ConfigError, EXCERPT_LIMIT, FetchError, HttpOptions, Outcome, SourceConfig, StatusSource,
};
use poller_providers::{dari::Dari, narada::Narada, runware::Runware, vessl::Vessl};
use poller_sim::{Fault, FaultPlan, Simulator};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Each provider's typed client pointed at `root`, built into a source (or not).
fn build_typed(prov: Prov, root: &str, http: HttpOptions) -> Result<(), ConfigError> {
    match prov {
        Prov::Narada => Narada::new("k")
            .base_url(root)
            .http(http)
            .source()
            .map(drop),
        Prov::Runware => Runware::new("k")
            .base_url(format!("{root}/v1"))
            .http(http)
            .source()
            .map(drop),
        Prov::Dari => Dari::new("k", "o", "e")
            .base_url(root)
            .http(http)
            .source()
            .map(drop),
        Prov::Vessl => Vessl::new(format!("{root}/api/v1/services/s"), "k")
            .http(http)
            .source()
            .map(drop),
    }
}

/// Each provider through the registry (what the CLI uses).
fn build_registry(prov: Prov, root: &str, http: HttpOptions) -> Result<(), ConfigError> {
    let base = match prov {
        Prov::Runware => format!("{root}/v1"),
        Prov::Vessl => format!("{root}/api/v1/services/s"),
        _ => root.to_string(),
    };
    let mut config = SourceConfig::new().base_url(base).api_key("k").http(http);
    if prov == Prov::Dari {
        config = config.param("org_id", "o").param("endpoint_name", "e");
    }
    poller_providers::build(prov.name(), config).map(drop)
}

#[test]
fn plain_http_to_a_remote_host_is_refused_unless_allowed() {
    let remote = [
        "http://api.example.com",
        "http://10.0.0.1:8080",
        "http://192.168.1.1",
        "http://0.0.0.0:9000",
        // Look-alikes of loopback that are not.
        "http://127.0.0.1.nip.io",
        "http://localhost.example.com",
        "http://[::ffff:127.0.0.1]",
    ];
    for prov in Prov::ALL {
        for root in remote {
            for build in [build_typed, build_registry] {
                let err = build(prov, root, HttpOptions::default()).unwrap_err();
                assert!(
                    matches!(err, ConfigError::InsecureTransport { .. }),
                    "{} {root}: {err:?}",
                    prov.name()
                );
                assert!(err.to_string().contains("in clear"), "{err}");
                // Explicitly allowed: accepted.
                build(prov, root, HttpOptions::default().allow_insecure_http(true))
                    .unwrap_or_else(|e| panic!("{} {root} allowed: {e}", prov.name()));
            }
        }
        for root in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://localhost:1",
            "http://LOCALHOST",
            "http://[::1]:8080",
            "https://api.example.com",
        ] {
            for build in [build_typed, build_registry] {
                build(prov, root, HttpOptions::default())
                    .unwrap_or_else(|e| panic!("{} {root}: {e}", prov.name()));
            }
        }
        // Credentials in the URL, other schemes: refused even when insecure http is allowed.
        for root in ["https://user:pass@api.example.com", "ftp://api.example.com"] {
            let err = build_typed(prov, root, HttpOptions::default().allow_insecure_http(true))
                .unwrap_err();
            assert!(
                matches!(err, ConfigError::InvalidBaseUrl { .. }),
                "{root}: {err:?}"
            );
            assert!(!err.to_string().contains("pass@"), "{err}");
        }
    }
}

#[test]
fn documented_defaults() {
    let o = HttpOptions::default();
    assert_eq!(o.timeout, Duration::from_secs(30));
    assert_eq!(o.max_body_bytes, 4 * 1024 * 1024);
    assert_eq!(o.max_redirects, 5);
    assert!(!o.allow_insecure_http);
}

/// The default cap, through the simulator: a body over 4 MiB is refused (permanent), one
/// under it is read.
#[tokio::test(start_paused = true)]
async fn default_cap_is_4_mib() {
    const MIB: usize = 1024 * 1024;
    for prov in Prov::ALL {
        let sim = Simulator::start().await.unwrap();
        let id = prov.task_id();
        let task = prov.add_task(&sim, id, crate::helpers::End::Succeed, Duration::ZERO);
        let source = prov.source(&sim, &prov.key(sim.keys()), HttpOptions::default());

        sim.inject_fault(
            task.clone(),
            FaultPlan::next(1, Fault::Oversized { min_bytes: 4 * MIB }),
        );
        let err = source.fetch(id).await.unwrap_err();
        assert_eq!(
            err,
            FetchError::BodyTooLarge { limit: 4 * MIB },
            "{}",
            prov.name()
        );
        assert!(err.is_permanent());

        sim.inject_fault(
            task,
            FaultPlan::next(1, Fault::Oversized { min_bytes: 3 * MIB }),
        );
        let s = source.fetch(id).await.unwrap();
        prov.check_result(&s, id, crate::helpers::End::Succeed);
    }
}

/// A configured cap, on a body that arrives in chunks without a `Content-Length`: the
/// client stops reading at the cap, even when the body never ends.
#[tokio::test(start_paused = true)]
async fn cap_holds_without_content_length() {
    for prov in Prov::ALL {
        let id = prov.task_id();
        let endless = Recorder::local(|_, _| {
            let chunk = Bytes::from(vec![b' '; 16 * 1024]);
            streamed(
                StatusCode::OK,
                futures::stream::repeat(chunk).map(Ok::<_, std::io::Error>),
            )
        })
        .await;
        let http = HttpOptions::default().with_max_body_bytes(64 * 1024);
        let err = prov
            .source_at(&endless.root(), "k", http.clone())
            .fetch(id)
            .await
            .unwrap_err();
        assert_eq!(err, FetchError::BodyTooLarge { limit: 64 * 1024 });

        // The same transport with a body within the cap: read whole, chunk by chunk.
        let body = success_body(prov, id).to_string().into_bytes();
        let chunked = Recorder::local(move |_, _| {
            let chunks: Vec<Result<Bytes, std::io::Error>> = body
                .chunks(7)
                .map(|c| Ok(Bytes::copy_from_slice(c)))
                .collect();
            streamed(StatusCode::OK, futures::stream::iter(chunks))
        })
        .await;
        let s = prov
            .source_at(&chunked.root(), "k", http)
            .fetch(id)
            .await
            .unwrap();
        prov.check_result(&s, id, crate::helpers::End::Succeed);
    }
}

/// A server that accepts connections and never answers: the request ends with a timeout
/// at the configured limit (the default, 30 s, in virtual time).
#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let root = format!("http://{}", listener.local_addr().unwrap());
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = held.clone();
    let server = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            keep.lock().unwrap().push(socket);
        }
    });
    for prov in Prov::ALL {
        let start = Instant::now();
        let err = prov
            .source_at(&root, "k", HttpOptions::default())
            .fetch(prov.task_id())
            .await
            .unwrap_err();
        assert_eq!(
            err,
            FetchError::Timeout(Duration::from_secs(30)),
            "{}",
            prov.name()
        );
        assert!(err.is_transient());
        assert_eq!(start.elapsed(), Duration::from_secs(30), "virtual time");
    }
    assert_eq!(
        held.lock().unwrap().len(),
        4,
        "each request reached the server"
    );
    server.abort();
}

/// Headers, then a body that never comes: the timeout covers the body too.
#[tokio::test(start_paused = true)]
async fn a_body_that_stalls_times_out() {
    let stall = Recorder::local(|_, _| {
        streamed(
            StatusCode::OK,
            futures::stream::once(async { Ok::<_, std::io::Error>(Bytes::from_static(b"{\"st")) })
                .chain(futures::stream::pending()),
        )
    })
    .await;
    for prov in Prov::ALL {
        let http = HttpOptions::default().with_timeout(Duration::from_secs(7));
        let start = Instant::now();
        let err = prov
            .source_at(&stall.root(), "k", http)
            .fetch(prov.task_id())
            .await
            .unwrap_err();
        assert_eq!(
            err,
            FetchError::Timeout(Duration::from_secs(7)),
            "{}",
            prov.name()
        );
        assert_eq!(start.elapsed(), Duration::from_secs(7), "virtual time");
    }
}

/// The simulator's slow answer against the default timeout, through a whole wait: each try
/// is cut at 30 s and the wait still ends (transient errors, then the error policy's limit).
#[tokio::test(start_paused = true)]
async fn default_timeout_applies_to_every_request_of_a_wait() {
    let sim = Simulator::start().await.unwrap();
    let prov = Prov::Narada;
    let task = prov.add_task(
        &sim,
        prov.task_id(),
        crate::helpers::End::Succeed,
        Duration::ZERO,
    );
    sim.inject_fault(
        task,
        FaultPlan::always(Fault::slow(Duration::from_secs(3600))),
    );
    let report = poller_core::Poller::new(
        prov.source(&sim, &prov.key(sim.keys()), HttpOptions::default()),
        crate::helpers::policy(),
    )
    .with_error_policy(crate::helpers::errors())
    .wait(prov.task_id())
    .await;
    match &report.outcome {
        Outcome::FetchFailed {
            error,
            consecutive_errors,
            ..
        } => {
            assert_eq!(error, &FetchError::Timeout(Duration::from_secs(30)));
            assert_eq!(*consecutive_errors, 4);
        }
        other => panic!("{other:?}"),
    }
    // 30 s each, then 2, 4 and 8 s of backoff.
    crate::helpers::check_instants(
        "slow",
        &sim.requests(),
        &crate::helpers::at(&[0.0, 32.0, 66.0, 104.0]),
    );
}

/// Huge error bodies, huge non-JSON bodies, bodies of invalid UTF-8 and a huge status value:
/// every error keeps at most [`EXCERPT_LIMIT`] bytes of them.
#[tokio::test(start_paused = true)]
async fn error_excerpts_are_at_most_512_bytes() {
    let bodies: Vec<(StatusCode, Vec<u8>)> = vec![
        (StatusCode::INTERNAL_SERVER_ERROR, vec![b'x'; 100_000]),
        (StatusCode::BAD_REQUEST, "é".repeat(50_000).into_bytes()),
        (StatusCode::UNAUTHORIZED, vec![0xFF; 400]),
        (StatusCode::OK, vec![b'<'; 100_000]),
        (StatusCode::OK, vec![0xC3; 600]),
        (StatusCode::OK, "€".repeat(1000).into_bytes()),
    ];
    for (status, body) in bodies {
        let body = Arc::new(body);
        let b = body.clone();
        let server = Recorder::local(move |_, _| {
            (status, [("content-type", "text/plain")], (*b).clone()).into_response()
        })
        .await;
        for prov in Prov::ALL {
            let err = prov
                .source_at(&server.root(), "k", HttpOptions::default())
                .fetch(prov.task_id())
                .await
                .unwrap_err();
            let excerpt = match &err {
                FetchError::Http { excerpt, .. } | FetchError::Decode { excerpt, .. } => excerpt,
                other => panic!("{}: {other:?}", prov.name()),
            };
            assert!(
                excerpt.len() <= EXCERPT_LIMIT,
                "{} {status}: a {}-byte excerpt of a {}-byte body",
                prov.name(),
                excerpt.len(),
                body.len()
            );
            assert!(!excerpt.is_empty());
        }
    }

    let huge = "z".repeat(10_000);
    let value = huge.clone();
    let server = Recorder::local(move |seen, _| {
        let status = json!(value);
        let body = if seen.path() == "/v1" {
            json!({"data": [{"taskUUID": Prov::Runware.task_id(), "status": status}]})
        } else {
            json!({"status": status})
        };
        json_response(StatusCode::OK, &body)
    })
    .await;
    for prov in Prov::ALL {
        let err = prov
            .source_at(&server.root(), "k", HttpOptions::default())
            .fetch(prov.task_id())
            .await
            .unwrap_err();
        match &err {
            FetchError::UnknownStatus { value } => {
                assert!(
                    value.len() <= EXCERPT_LIMIT,
                    "{}: {} bytes",
                    prov.name(),
                    value.len()
                );
                assert!(huge.starts_with(value.trim_end_matches('…')));
            }
            other => panic!("{}: {other:?}", prov.name()),
        }
        assert!(err.to_string().len() < 1024, "{}", prov.name());
    }
}

use axum::response::IntoResponse;
