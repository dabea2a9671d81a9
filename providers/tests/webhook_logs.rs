//! No secret of the webhook receiver (Dari's portal secret, the Runware token, Narada's
//! per-task secrets) reaches a log line, an answer or a `Debug` output.
//!
//! A binary of its own: `tracing` caches per call site whether anyone listens, so a
//! subscriber set for one test thread misses lines while other tests run the same code.
#![cfg(feature = "webhooks")]

use futures::StreamExt;
use hmac::{Hmac, Mac};
use poller_core::{Fixed, PollPolicyExt, Tracker};
use poller_providers::narada::Narada;
use poller_providers::webhook::{Receiver, Vendor};
use poller_sim::{NaradaStage, Script, Simulator};
use serde_json::json;
use sha2::Sha256;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const DARI_SECRET: &str = "whsec-portal-secret-0123";
const NARADA_SECRET: &str = "narada-secret-xyz";

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

async fn post(url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> (u16, String) {
    let mut req = reqwest::Client::new().post(url).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

fn dari_sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test(start_paused = true)]
async fn secrets_and_tokens_never_reach_logs_answers_or_debug() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sim = Simulator::start().await.unwrap();
    sim.add_narada_task("req_1", Script::new(NaradaStage::Pending));
    let running = Receiver::new()
        .dari_secret(DARI_SECRET)
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let source = Narada::new(sim.keys().narada.clone())
        .base_url(sim.narada_base_url())
        .source()
        .unwrap();
    let mut tracker = Tracker::new();
    let sid = tracker.add_source(
        source,
        Fixed::secs(3600).with_initial_delay(Duration::from_secs(3600)),
    );
    let handle = tracker.handle();
    let receiver = running.receiver();
    receiver.expect_narada("req_1", NARADA_SECRET, &handle, sid);
    receiver.expect(Vendor::Dari, "job-1", &handle, sid);
    handle.track(sid, "req_1");
    tokio::spawn(async move { while tracker.next().await.is_some() {} });

    let body = serde_json::to_vec(&json!({"job_id": "job-1", "status": "completed",
        "event_type": "completed", "timestamp": "2025-01-01T00:00:00Z"}))
    .unwrap();
    let good = dari_sign(DARI_SECRET, &body);
    let forged = dari_sign("another-secret", &body);
    let dari = receiver.callback_url(Vendor::Dari).unwrap();
    let narada = receiver.callback_url(Vendor::Narada).unwrap();
    let runware = receiver.callback_url(Vendor::Runware).unwrap();
    let token = runware.split("token=").nth(1).unwrap().to_owned();
    let mut answers = Vec::new();
    for sig in [&forged, &good] {
        answers.push(post(&dari, &[("X-Webhook-Signature", sig)], body.clone()).await);
    }
    for secret in ["wrong-secret-abc", NARADA_SECRET] {
        let b = json!({"requestId": "req_1", "status": "success", "callbackSecret": secret});
        answers.push(post(&narada, &[], serde_json::to_vec(&b).unwrap()).await);
    }
    let b = json!({"data": [{"taskUUID": "50836053-a0ee-4cf5-b9d6-ae7c5d140ada"}]});
    answers.push(post(&format!("{runware}0"), &[], serde_json::to_vec(&b).unwrap()).await);
    tokio::time::sleep(Duration::from_secs(1)).await;

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    for line in [
        "wrong signature",
        "wrong secret",
        "wrong token",
        "polling now",
    ] {
        assert!(logs.contains(line), "the capture holds `{line}`: {logs}");
    }
    let statuses: Vec<_> = answers.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses, [401, 200, 401, 200, 401]);
    let debug = format!("{running:?} {receiver:?}");
    for secret in [DARI_SECRET, NARADA_SECRET, &token, &good] {
        assert!(!logs.contains(secret), "a secret in the logs: {logs}");
        assert!(!debug.contains(secret), "a secret in Debug: {debug}");
        assert!(answers.iter().all(|(_, text)| !text.contains(secret)));
    }
}
