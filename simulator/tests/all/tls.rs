//! Serving over TLS: a test CA generated at start, from the library and from the binary.

use std::ffi::OsStr;
use std::time::Duration;

use poller_sim::{Script, Simulator};

use crate::helpers::start_binary;
use serde_json::json;

/// A client that trusts `ca_pem` (when given) and keeps no idle connections.
fn client(ca_pem: Option<&str>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0);
    if let Some(pem) = ca_pem {
        builder =
            builder.add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[tokio::test]
async fn library_serves_https_with_a_fresh_ca_per_start() {
    let sim = Simulator::builder().tls(true).start().await.unwrap();
    let other = Simulator::builder().tls(true).start().await.unwrap();
    assert_ne!(sim.addr().port(), 0, "port 0 binds a free port");
    assert_eq!(sim.base_url(), format!("https://{}", sim.addr()));
    let ca = sim.tls_ca_pem().unwrap();
    assert!(ca.trim_end().ends_with("-----END CERTIFICATE-----"), "{ca}");
    assert_ne!(Some(ca), other.tls_ca_pem(), "every start makes its own CA");
    assert_eq!(Simulator::start().await.unwrap().tls_ca_pem(), None);

    sim.add_narada_task(
        "req_1",
        Script::narada_success_after(Duration::ZERO, json!({"text": "hi"})),
    );
    let url = format!("{}/fast/v2/remote-dispatch/responses/req_1", sim.base_url());
    let r = client(Some(ca))
        .get(&url)
        .header("x-api-key", &sim.keys().narada)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(body["status"], "success");
    // `localhost` is in the certificate too.
    let local = url.replace("127.0.0.1", "localhost");
    let r = client(Some(ca))
        .get(&local)
        .header("x-api-key", &sim.keys().narada)
        .send()
        .await;
    assert_eq!(r.map(|r| r.status().as_u16()).ok(), Some(200));

    // Another start's CA (same name, another key: BadSignature), or none (UnknownIssuer),
    // does not vouch for this server.
    for (untrusted, why) in [
        (client(other.tls_ca_pem()), "BadSignature"),
        (client(None), "UnknownIssuer"),
    ] {
        let err = untrusted.get(&url).send().await.unwrap_err();
        let text = chain(&err);
        assert!(
            text.contains(&format!("invalid peer certificate: {why}")),
            "{text}"
        );
    }
    assert_eq!(
        sim.requests().len(),
        2,
        "refused handshakes never reach the API"
    );
    sim.shutdown().await;
    other.shutdown().await;
}

#[tokio::test]
async fn binary_with_tls_writes_the_ca_and_serves_https() {
    let dir = std::env::temp_dir().join(format!("poller-sim-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_path = dir.join("ca.pem");
    let args = ["--port", "0", "--tls", "--ca-out"].map(OsStr::new);
    let (_child, lines) =
        start_binary(&[&args[..], &[ca_path.as_os_str()]].concat(), "written to").await;
    let base = lines[0]
        .strip_prefix("poller-sim listening on ")
        .expect(&lines[0])
        .to_owned();
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    let ca = std::fs::read_to_string(&ca_path).unwrap();
    let r = client(Some(&ca))
        .get(format!(
            "{base}/fast/v2/remote-dispatch/responses/req_abc123def456"
        ))
        .header("x-api-key", "sim-narada-key")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let _ = std::fs::remove_dir_all(&dir);
}
