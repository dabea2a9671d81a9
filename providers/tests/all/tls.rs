//! Providers over TLS: the simulator behind rustls with a test CA generated at start. Trusting
//! the CA through `HttpOptions::add_root_certificate` (on a provider's builder or in a registry
//! configuration) gets real handshakes through; without it the server is refused at once with
//! an error that says so.

use futures::StreamExt;
use poller_core::{
    ConfigError, ErrorClass, HttpOptions, Outcome, RootCertificate, SourceConfig, Tracker,
    TrackerEvent,
};
use poller_providers::narada::Narada;
use poller_sim::{Script, Simulator};
use serde_json::json;
use std::time::Duration;

async fn tls_sim() -> Simulator {
    Simulator::builder()
        .tls(true)
        .start()
        .await
        .expect("the simulator starts over TLS")
}

fn trusting(sim: &Simulator) -> HttpOptions {
    let pem = sim.tls_ca_pem().expect("a TLS simulator has a CA");
    HttpOptions::default().add_root_certificate(RootCertificate::from_pem(pem).unwrap())
}

#[tokio::test(start_paused = true)]
async fn narada_waits_over_tls_when_the_ca_is_trusted() {
    let sim = tls_sim().await;
    assert!(sim.narada_base_url().starts_with("https://127.0.0.1:"));
    sim.add_narada_task(
        "req_tls",
        Script::narada_success_after(Duration::from_secs(12), json!({"text": "over TLS"})),
    );
    let report = Narada::new(sim.keys().narada.clone())
        .base_url(sim.narada_base_url())
        .http(trusting(&sim))
        .wait("req_tls")
        .await
        .unwrap();
    let Outcome::Succeeded(status) = &report.outcome else {
        panic!("expected success, got {}", report.outcome);
    };
    assert_eq!(status.output, Some(json!({"text": "over TLS"})));
    // The default policy: at once, 5 s, then 7.5 s (12.5 s): three polls, all served.
    assert_eq!(report.attempts, 3);
    assert_eq!(sim.requests().len(), 3);
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn runware_batches_over_tls_from_a_registry_configuration() {
    let sim = tls_sim().await;
    let ids = ["a1", "a2", "a3", "a4"];
    for id in ids {
        sim.add_runware_task(
            id,
            Script::runware_success_after(Duration::from_secs(3), 0.1),
        );
    }
    let provider = poller_core::provider("runware").unwrap();
    let source = provider
        .build_source(
            SourceConfig::new()
                .base_url(sim.runware_base_url())
                .api_key(sim.keys().runware.clone())
                .http(trusting(&sim)),
        )
        .unwrap();
    let mut tracker = Tracker::new();
    let id = tracker.add_source_with(source, provider.policy(), Default::default());
    for task in ids {
        tracker.track(id, task);
    }
    let mut done = 0;
    while let Some(event) = tracker.next().await {
        if let TrackerEvent::Finished { report, .. } = event {
            assert!(report.outcome.is_success(), "{}", report.outcome);
            done += 1;
        }
    }
    assert_eq!(done, ids.len());
    // Every request asked about all four tasks: one batch per round, over TLS.
    let requests = sim.requests();
    assert!(!requests.is_empty());
    assert!(
        requests.iter().all(|r| r.tasks.len() == ids.len()),
        "{requests:#?}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_with_a_permanent_clear_error() {
    let sim = tls_sim().await;
    sim.add_narada_task(
        "req_tls",
        Script::narada_success_after(Duration::ZERO, json!({"text": "never seen"})),
    );
    // Default options: only the built-in web roots, which did not sign the test CA.
    let report = Narada::new(sim.keys().narada.clone())
        .base_url(sim.narada_base_url())
        .wait("req_tls")
        .await
        .unwrap();
    let Outcome::FetchFailed { error, .. } = &report.outcome else {
        panic!("expected a fetch failure, got {}", report.outcome);
    };
    assert_eq!(error.class(), ErrorClass::Permanent, "{error}");
    let message = error.to_string();
    assert!(message.contains("certificate is not trusted"), "{message}");
    assert!(message.contains("add_root_certificate"), "{message}");
    assert!(message.contains("UnknownIssuer"), "{message}");
    assert!(!message.contains(&sim.keys().narada), "{message}");
    // Refused during the handshake: not retried, and no request reached the server.
    assert_eq!(report.attempts, 1);
    assert!(sim.requests().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn a_certificate_that_is_not_x509_is_a_config_error() {
    let garbage =
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
    let http =
        HttpOptions::default().add_root_certificate(RootCertificate::from_pem(garbage).unwrap());
    let err = Narada::new("key")
        .base_url("https://127.0.0.1:9")
        .http(http)
        .source()
        .unwrap_err();
    assert!(
        matches!(err, ConfigError::InvalidCertificate { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("invalid root certificate"),
        "{err}"
    );
}
