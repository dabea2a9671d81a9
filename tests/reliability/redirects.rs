//! Issue #6, item 5: redirects. A redirect to the same origin may be followed, a bounded
//! number of times; a redirect to another origin (another port, another host, another
//! scheme) is not followed at all, so the key never reaches it: the 3xx ends the wait as a
//! permanent HTTP error. Both kinds of key are covered: a header of its own (Narada
//! `x-api-key`, Dari `X-API-Key`) and a bearer token (Runware, VESSL).
//!
//! The simulator does not redirect, so these run against [`Recorder`]s: small loopback
//! servers that record every request with its headers.

use crate::helpers::{Prov, Recorder, Seen, errors, json_response, policy, success_body};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use poller_core::{ErrorClass, FetchError, HttpOptions, Outcome, Poller};
use std::net::{IpAddr, Ipv4Addr};

const KEY: &str = "sk-redirect-test-7c1e9d";

/// Whether a request carries the key, in any header.
fn carries_key(seen: &Seen) -> bool {
    seen.headers
        .values()
        .any(|v| String::from_utf8_lossy(v.as_bytes()).contains(KEY))
}

/// The header the provider sends the key in, as received.
fn key_header(prov: Prov, seen: &Seen) -> Option<String> {
    let name = match prov {
        Prov::Narada | Prov::Dari => "x-api-key",
        Prov::Runware | Prov::Vessl => "authorization",
    };
    seen.headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

fn expected_key_header(prov: Prov) -> String {
    match prov {
        Prov::Narada | Prov::Dari => KEY.to_string(),
        Prov::Runware | Prov::Vessl => format!("Bearer {KEY}"),
    }
}

fn redirect(status: StatusCode, location: String) -> axum::response::Response {
    (status, [("location", location)], "moved").into_response()
}

/// A server that answers `/moved/...` with a success for `prov` and redirects everything
/// else, with 307, to `/moved` + the same path and query on its own origin.
async fn same_origin(prov: Prov) -> Recorder {
    Recorder::local(move |seen, _| {
        if seen.path().starts_with("/moved/") {
            json_response(StatusCode::OK, &success_body(prov, prov.task_id()))
        } else {
            redirect(
                StatusCode::TEMPORARY_REDIRECT,
                format!("/moved{}", seen.uri),
            )
        }
    })
    .await
}

async fn wait(prov: Prov, root: &str, http: HttpOptions) -> poller_core::Report {
    Poller::new(prov.source_at(root, KEY, http), policy())
        .with_error_policy(errors())
        .wait(prov.task_id())
        .await
}

#[tokio::test(start_paused = true)]
async fn same_origin_redirects_are_followed_with_the_key() {
    for prov in Prov::ALL {
        let server = same_origin(prov).await;
        let report = wait(prov, &server.root(), HttpOptions::default()).await;
        prov.check_outcome(
            &report.outcome,
            prov.task_id(),
            crate::helpers::End::Succeed,
        );
        assert_eq!(report.attempts, 1);
        let seen = server.seen();
        assert_eq!(seen.len(), 2, "{}: {seen:?}", prov.name());
        assert!(seen[1].path().starts_with("/moved/"));
        assert_eq!(seen[0].method, seen[1].method, "307 keeps the method");
        for s in &seen {
            assert_eq!(
                key_header(prov, s),
                Some(expected_key_header(prov)),
                "{}",
                prov.name()
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn redirect_loops_are_bounded() {
    for prov in Prov::ALL {
        for max in [0, 2, 5] {
            let server = Recorder::local(|seen, _| {
                redirect(StatusCode::FOUND, format!("/loop{}", seen.uri))
            })
            .await;
            let http = HttpOptions::default().with_max_redirects(max);
            let report = wait(prov, &server.root(), http).await;
            match &report.outcome {
                Outcome::FetchFailed { error, .. } => {
                    assert_eq!(error.class(), ErrorClass::Permanent, "{error:?}");
                    assert!(error.to_string().contains("redirect"), "{error}");
                }
                other => panic!("{}: {other:?}", prov.name()),
            }
            assert_eq!(report.attempts, 1, "a permanent error: no retry");
            assert_eq!(
                server.seen().len(),
                max + 1,
                "{} with max_redirects {max}",
                prov.name()
            );
        }
    }
}

/// Where a cross-origin redirect points, relative to the first server.
#[derive(Clone, Copy, Debug)]
enum Another {
    /// Same host, another port.
    Port,
    /// 127.0.0.2: another host (still loopback).
    Host,
    /// `localhost` instead of `127.0.0.1`, same port: another host name.
    HostName,
    /// `https` instead of `http`, same host and port.
    Scheme,
}

#[tokio::test(start_paused = true)]
async fn cross_origin_redirects_never_carry_the_key() {
    for prov in Prov::ALL {
        for target in [
            Another::Port,
            Another::Host,
            Another::HostName,
            Another::Scheme,
        ] {
            for status in [
                StatusCode::MOVED_PERMANENTLY,
                StatusCode::FOUND,
                StatusCode::SEE_OTHER,
                StatusCode::TEMPORARY_REDIRECT,
                StatusCode::PERMANENT_REDIRECT,
            ] {
                // The other origin would happily answer, and records what reaches it.
                let ip = match target {
                    Another::Host => IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)),
                    _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
                };
                let other = Recorder::start(ip, move |_, _| {
                    json_response(StatusCode::OK, &success_body(prov, prov.task_id()))
                })
                .await;
                let other_root = other.root();
                let first = Recorder::local(move |seen, addr| {
                    if seen.path().starts_with("/moved/") {
                        // Reached only through another host name for the same server.
                        return json_response(StatusCode::OK, &success_body(prov, prov.task_id()));
                    }
                    let origin = match target {
                        Another::Port | Another::Host => other_root.clone(),
                        Another::HostName => format!("http://localhost:{}", addr.port()),
                        Another::Scheme => format!("https://{addr}"),
                    };
                    redirect(status, format!("{origin}/moved{}", seen.uri))
                })
                .await;
                let what = format!("{} {target:?} {status}", prov.name());
                let report = wait(prov, &first.root(), HttpOptions::default()).await;
                match &report.outcome {
                    Outcome::FetchFailed { error, .. } => {
                        assert!(
                            matches!(error, FetchError::Http { status: s, .. } if *s == status.as_u16()),
                            "{what}: {error:?}"
                        );
                        assert!(error.is_permanent());
                    }
                    other => panic!("{what}: {other:?}"),
                }
                assert_eq!(report.attempts, 1, "{what}");
                let seen = first.seen();
                assert_eq!(
                    seen.len(),
                    1,
                    "{what}: the redirect was not followed: {seen:?}"
                );
                assert!(
                    carries_key(&seen[0]),
                    "{what}: the first request had the key"
                );
                assert!(
                    other.seen().iter().all(|s| !carries_key(s)),
                    "{what}: the key reached the other origin"
                );
                assert!(
                    other.seen().is_empty(),
                    "{what}: nothing reached the other origin"
                );
            }
        }
    }
}
