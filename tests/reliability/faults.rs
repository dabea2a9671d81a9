//! Issue #6, item 1: every fault the simulator injects, against each of the four providers,
//! over real HTTP.
//!
//! Each (fault, provider) case asserts the outcome kind, the error's variant and class, and
//! the number and instants of the requests (from the simulator's log):
//!
//! - transient faults, twice: a burst that the error policy rides out (the wait still ends
//!   with the scripted result), and the fault on every request (the wait ends with that
//!   error after exactly the policy's four tries, at the backoff's instants);
//! - permanent faults: one request, then a fetch error naming the cause (HTTP status, or a
//!   body excerpt of at most 512 bytes);
//! - faults that are no faults (extra fields, a slow answer within the timeout): the
//!   scripted result, on the normal schedule.
//!
//! Under [`helpers::policy`](crate::helpers::policy) (every second, honouring `Retry-After`),
//! [`helpers::errors`](crate::helpers::errors) (3 retries after 2, 4, 8 s) and
//! [`helpers::http`](crate::helpers::http) (5 s timeout, 64 KiB cap); every task ends at 3 s.

use crate::helpers::{
    At, End, FaultCase, Kind, ORG, Prov, Run, at, check_instants, errors, fault_cases, http,
    policy, run,
};
use poller_core::{EXCERPT_LIMIT, ErrorClass, FetchError, Outcome, Poller};
use poller_sim::{DariStage, FaultPlan, Keys, Script, Simulator};
use std::time::Duration;

/// Asserts that a fetch error names its cause and keeps any body excerpt within the limit.
pub fn check_error_names_cause(e: &FetchError) {
    let text = e.to_string();
    match e {
        FetchError::Http {
            status, excerpt, ..
        } => {
            assert!(text.starts_with(&format!("HTTP {status}")), "{text}");
            assert!(excerpt.len() <= EXCERPT_LIMIT, "{} bytes", excerpt.len());
        }
        FetchError::Decode {
            reason, excerpt, ..
        } => {
            assert!(text.contains("not the documented format"), "{text}");
            assert!(text.contains(reason.as_str()), "{text}");
            assert!(excerpt.len() <= EXCERPT_LIMIT, "{} bytes", excerpt.len());
        }
        FetchError::Timeout(_) => assert!(text.contains("timed out"), "{text}"),
        FetchError::Connection(_) => assert!(text.contains("connection"), "{text}"),
        FetchError::UnknownStatus { value } => assert!(text.contains(value.as_str()), "{text}"),
        FetchError::BodyTooLarge { limit } => {
            assert!(text.contains(&format!("{limit}-byte cap")), "{text}")
        }
        other => panic!("unexpected error variant {other:?}"),
    }
}

fn fetch_failed(what: &str, run: &Run) -> (FetchError, u32) {
    match &run.report.outcome {
        Outcome::FetchFailed {
            error,
            consecutive_errors,
            ..
        } => (error.clone(), *consecutive_errors),
        other => panic!("{what}: expected a fetch error, got {other:?}"),
    }
}

async fn check_case(prov: Prov, case: &FaultCase) {
    let keys = Keys::default();
    let id = prov.task_id();
    let what = format!("{} / {}", prov.name(), case.name);
    match &case.kind {
        Kind::Transient {
            burst,
            recovered,
            exhausted,
            error,
        } => {
            let burst = *burst as usize;
            let r = run(
                prov,
                &keys,
                Some(FaultPlan::next(burst as u64, case.fault.clone())),
                End::Succeed,
            )
            .await;
            prov.check_outcome(&r.report.outcome, id, End::Succeed);
            check_instants(&format!("{what} (burst)"), &r.requests, recovered);
            assert_eq!(r.report.attempts as usize, r.requests.len(), "{what}");
            for (i, req) in r.requests.iter().enumerate() {
                // A slow request the client gave up on is still unanswered in the log.
                if req.status.is_some() {
                    let expected = (i < burst).then_some(&case.fault);
                    assert_eq!(req.fault.as_ref(), expected, "{what}: request {i}");
                }
            }

            let r = run(
                prov,
                &keys,
                Some(FaultPlan::always(case.fault.clone())),
                End::Succeed,
            )
            .await;
            let (e, consecutive) = fetch_failed(&what, &r);
            assert!(error(&e), "{what}: wrong error {e:?}");
            assert_eq!(e.class(), ErrorClass::Transient, "{what}: {e:?}");
            assert_eq!(consecutive, errors().max_consecutive() + 1, "{what}");
            check_error_names_cause(&e);
            check_instants(&format!("{what} (always)"), &r.requests, exhausted);
            assert_eq!(r.report.attempts as usize, r.requests.len(), "{what}");
        }
        Kind::Permanent { error } => {
            let r = run(
                prov,
                &keys,
                Some(FaultPlan::always(case.fault.clone())),
                End::Succeed,
            )
            .await;
            let (e, consecutive) = fetch_failed(&what, &r);
            assert!(error(&e), "{what}: wrong error {e:?}");
            assert_eq!(e.class(), ErrorClass::Permanent, "{what}: {e:?}");
            assert_eq!(consecutive, 1, "{what}");
            check_error_names_cause(&e);
            check_instants(&what, &r.requests, &at(&[0.0]));
            assert_eq!(r.report.attempts, 1, "{what}");
        }
        Kind::Accepted { at: instants } => {
            let r = run(
                prov,
                &keys,
                Some(FaultPlan::always(case.fault.clone())),
                End::Succeed,
            )
            .await;
            prov.check_outcome(&r.report.outcome, id, End::Succeed);
            check_instants(&what, &r.requests, instants);
            assert!(r.requests.iter().all(|q| q.fault.is_some()), "{what}");
        }
    }
}

/// The whole table against one provider, then the faults the API itself produces: a wrong
/// key, an unknown task, and a burst of 503s before a task that fails remotely.
async fn matrix(prov: Prov) {
    let cases = fault_cases();
    assert!(cases.len() >= 20, "the table lost rows");
    for case in &cases {
        check_case(prov, case).await;
    }
    natural_errors(prov).await;

    // Transient faults do not turn a remote failure into something else.
    let r = run(
        prov,
        &Keys::default(),
        Some(FaultPlan::next(2, poller_sim::Fault::status(503))),
        End::Fail,
    )
    .await;
    prov.check_outcome(&r.report.outcome, prov.task_id(), End::Fail);
    check_instants(prov.name(), &r.requests, &at(&[0.0, 2.0, 6.0]));
}

/// A wrong key (the API's own 401) and an unknown task (its own 404; for Runware an error
/// item, which is the task's failure): one request each, permanent.
async fn natural_errors(prov: Prov) {
    let sim = Simulator::start().await.unwrap();
    let keys = sim.keys().clone();
    prov.add_task(&sim, prov.task_id(), End::Succeed, Duration::ZERO);

    let wait = |key: String, id: &'static str| {
        let poller =
            Poller::new(prov.source(&sim, &key, http()), policy()).with_error_policy(errors());
        async move { poller.wait(id).await }
    };

    let report = wait("wrong-key".into(), prov.task_id()).await;
    match &report.outcome {
        Outcome::FetchFailed { error, .. } => {
            assert_eq!(error.http_status(), Some(401), "{}: {error}", prov.name());
            assert!(error.is_permanent());
            check_error_names_cause(error);
        }
        other => panic!("{}: wrong key gave {other:?}", prov.name()),
    }
    assert_eq!(report.attempts, 1);

    let report = wait(prov.key(&keys), "no-such-task").await;
    match (prov, &report.outcome) {
        (Prov::Runware, Outcome::Failed(s)) => {
            let e = s.error.as_ref().unwrap();
            assert_eq!(e.code.as_deref(), Some("taskFailedOrNotFound"), "{e}");
        }
        (_, Outcome::FetchFailed { error, .. }) => {
            assert_eq!(error.http_status(), Some(404), "{}: {error}", prov.name());
            assert!(error.is_permanent());
            check_error_names_cause(error);
        }
        (_, other) => panic!("{}: unknown task gave {other:?}", prov.name()),
    }
    assert_eq!(report.attempts, 1);
    assert_eq!(sim.request_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn narada() {
    matrix(Prov::Narada).await;
}

#[tokio::test(start_paused = true)]
async fn runware() {
    matrix(Prov::Runware).await;
}

#[tokio::test(start_paused = true)]
async fn dari() {
    matrix(Prov::Dari).await;
}

#[tokio::test(start_paused = true)]
async fn vessl() {
    matrix(Prov::Vessl).await;
}

/// Dari's own 403: a job of another organisation than the key's.
#[tokio::test(start_paused = true)]
async fn dari_other_organisation_is_403() {
    let sim = Simulator::start().await.unwrap();
    assert_ne!(ORG, "other-org");
    sim.add_dari_job(
        "other-org",
        "contact_form",
        "job-1",
        Script::new(DariStage::completed(serde_json::json!({}))),
    );
    let source =
        poller_providers::dari::Dari::new(sim.keys().dari.clone(), "other-org", "contact_form")
            .base_url(sim.dari_base_url())
            .http(http())
            .source()
            .unwrap();
    let report = Poller::new(crate::helpers::Settled(source), policy())
        .with_error_policy(errors())
        .wait("job-1")
        .await;
    match &report.outcome {
        Outcome::FetchFailed { error, .. } => {
            assert_eq!(error.http_status(), Some(403), "{error}");
            assert!(error.is_permanent());
            check_error_names_cause(error);
        }
        other => panic!("{other:?}"),
    }
    check_instants("dari 403", &sim.requests(), &[At(0.0, 0.0)]);
}

/// A body cut short inside a number (after `-`, `.`, `e` or `e+`) is as truncated as one
/// cut anywhere else: retried, not a permanent format error. serde_json reports these as
/// "invalid number" rather than an unexpected end of input.
#[tokio::test(start_paused = true)]
async fn a_body_cut_inside_a_number_is_retried() {
    use crate::helpers::{Recorder, success_body};
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use std::sync::atomic::{AtomicUsize, Ordering};

    for cut in ["-", "0.", "1e", "1e+", "2.5E-"] {
        for prov in Prov::ALL {
            let id = prov.task_id();
            let calls = std::sync::Arc::new(AtomicUsize::new(0));
            let n = calls.clone();
            let server = Recorder::local(move |_, _| {
                let mut body = success_body(prov, id).to_string();
                if n.fetch_add(1, Ordering::SeqCst) == 0 {
                    // The documented body, cut inside a number it would have held.
                    body.truncate(body.len() - 1);
                    body.push_str(&format!(",\"cost\":{cut}"));
                }
                (StatusCode::OK, [("content-type", "application/json")], body).into_response()
            })
            .await;
            let report = Poller::new(prov.source_at(&server.root(), "k", http()), policy())
                .with_error_policy(errors())
                .wait(id)
                .await;
            prov.check_outcome(&report.outcome, id, End::Succeed);
            assert_eq!(report.attempts, 2, "{} {cut:?}", prov.name());
        }
    }
}

/// `Retry-After` values no sane server sends (centuries; `u64::MAX` seconds) must not crash
/// the poll loop: with a deadline the wait gives up at once (the server asks for more time
/// than is left), and a tracker without a deadline waits, its timer cut to a year.
#[tokio::test(start_paused = true)]
async fn absurd_retry_after_values_do_not_crash() {
    use futures::StreamExt;
    use poller_core::{
        Fixed, OutcomeKind, PollPolicyExt, SourceConfig, StopReason, Tracker, TrackerEvent,
    };
    use poller_sim::{Fault, RetryAfter};

    let absurd = |secs: &str| Fault::TooManyRequests {
        retry_after: Some(RetryAfter::Raw(secs.to_string())),
    };
    let prov = Prov::Narada;
    let id = prov.task_id();
    for value in ["18446744073709551615", "99999999999", "100000000"] {
        // One task, with a deadline: the second request (at 1 s) gets the absurd value.
        let sim = Simulator::start().await.unwrap();
        let task = prov.add_task(&sim, id, End::Succeed, Duration::from_secs(3));
        sim.inject_fault(task.clone(), FaultPlan::requests(2..=2, absurd(value)));
        let report = Poller::new(prov.source(&sim, &prov.key(sim.keys()), http()), policy())
            .with_error_policy(errors())
            .wait(id)
            .await;
        assert!(
            matches!(
                report.outcome,
                Outcome::GaveUp {
                    reason: StopReason::Deadline,
                    ..
                }
            ),
            "{value}: {:?}",
            report.outcome
        );
        check_instants(value, &sim.requests(), &at(&[0.0, 1.0]));

        // Many tasks, the provider's own policy (with its deadline).
        let sim = Simulator::start().await.unwrap();
        let task = prov.add_task(&sim, id, End::Succeed, Duration::from_secs(3));
        sim.inject_fault(task, FaultPlan::requests(2..=2, absurd(value)));
        let provider = poller_providers::get(prov.name()).unwrap();
        let config = SourceConfig::new()
            .base_url(sim.base_url())
            .api_key(prov.key(sim.keys()));
        let mut tracker = Tracker::new();
        let s = tracker.add_source(
            crate::helpers::Settled(provider.build_source(config.clone()).unwrap()),
            provider.policy(),
        );
        tracker.track(s, id);
        match tracker.next().await {
            Some(TrackerEvent::Finished { report, .. }) => {
                assert_eq!(report.outcome.kind(), OutcomeKind::GaveUp, "{value}")
            }
            other => panic!("{value}: {other:?}"),
        }

        // Many tasks, no deadline: the task waits (a year at most), then ends normally.
        let sim = Simulator::start().await.unwrap();
        let task = prov.add_task(&sim, id, End::Succeed, Duration::from_secs(3));
        sim.inject_fault(task, FaultPlan::requests(2..=2, absurd(value)));
        let config = SourceConfig::new()
            .base_url(sim.base_url())
            .api_key(prov.key(sim.keys()));
        let mut tracker = Tracker::new();
        let s = tracker.add_source(
            crate::helpers::Settled(provider.build_source(config).unwrap()),
            Fixed::secs(1).honor_retry_after(),
        );
        tracker.track(s, id);
        let year = Duration::from_secs(365 * 24 * 3600);
        let event = tokio::time::timeout(year * 2, tracker.next())
            .await
            .expect("polled again within a year");
        match event {
            Some(TrackerEvent::Finished { report, .. }) => {
                prov.check_outcome(&report.outcome, id, End::Succeed)
            }
            other => panic!("{value}: {other:?}"),
        }
        let at_secs = 1.0 + year.as_secs_f64();
        check_instants(value, &sim.requests(), &at(&[0.0, 1.0, at_secs]));
    }
}
