//! Shared helpers: fixtures, the simulator, time steps and log checks.

use poller_sim::{RecordedRequest, Simulator};
use std::time::Duration;

/// A vendor example payload, copied verbatim into `tests/fixtures/`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A simulator on a free loopback port.
pub async fn sim() -> Simulator {
    Simulator::start().await.expect("the simulator starts")
}

/// Moves the paused clock forward.
pub async fn secs(s: f64) {
    tokio::time::advance(Duration::from_secs_f64(s)).await;
}

/// The one request the log holds, or a panic showing the log.
pub fn only(requests: Vec<RecordedRequest>) -> RecordedRequest {
    assert_eq!(requests.len(), 1, "expected one request, got {requests:#?}");
    requests.into_iter().next().unwrap()
}
