//! Shared helpers: a client without idle connections, response capture, time steps.

use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

/// A response read to the end.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// No pooled connections: hyper's pool would arm an idle timer, which paused-time tokio
/// could jump to while a test waits on a socket.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .pool_idle_timeout(None)
        .build()
        .unwrap()
}

pub async fn send(req: reqwest::RequestBuilder) -> Resp {
    let r = req.send().await.expect("request failed");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.bytes().await.expect("body failed");
    Resp {
        status,
        headers,
        body,
    }
}

pub async fn get(url: &str, headers: &[(&str, &str)]) -> Resp {
    let mut req = client().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    send(req).await
}

pub async fn post(url: &str, headers: &[(&str, &str)], body: impl Into<reqwest::Body>) -> Resp {
    let mut req = client().post(url).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    send(req).await
}

pub async fn post_json(url: &str, headers: &[(&str, &str)], body: &Value) -> Resp {
    post(url, headers, body.to_string()).await
}

pub async fn secs(s: f64) {
    tokio::time::advance(Duration::from_secs_f64(s)).await;
}

pub fn keys_of(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

pub fn sorted(keys: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
    k.sort();
    k
}

/// `2024-12-19T00:00:00.000000+00:00`
pub fn is_narada_time(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 32
        && b[4] == b'-'
        && b[10] == b'T'
        && b[19] == b'.'
        && s.ends_with("+00:00")
        && s[20..26].bytes().all(|c| c.is_ascii_digit())
}

/// `2025-01-15T10:30:00Z`
pub fn is_dari_time(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 20 && b[4] == b'-' && b[10] == b'T' && s.ends_with('Z')
}

/// The `code` of each item of a Runware answer's `errors`, in order.
pub fn error_codes(body: &Value) -> Vec<&str> {
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors array: {body}"))
        .iter()
        .map(|e| e["code"].as_str().unwrap_or(""))
        .collect()
}

/// The `poller-sim` binary, killed when the test ends, pass or fail.
pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the `poller-sim` binary with `args` and reads its output up to (not including) the
/// first line that contains `until`; the first line read is `poller-sim listening on URL`.
pub async fn start_binary(args: &[&std::ffi::OsStr], until: &'static str) -> (Child, Vec<String>) {
    use std::io::{BufRead, BufReader};
    let mut child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_poller-sim"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let lines: Vec<String> = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .take_while(|l| !l.contains(until))
            .collect()
    })
    .await
    .unwrap();
    (child, lines)
}
