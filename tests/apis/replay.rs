//! A local replay of a vendor's documented payloads: an axum server on port 0 that answers
//! each `METHOD /path` with the next of the answers scripted for it (the last one repeats),
//! and records every request.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// One request the replay received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub uri: String,
    pub headers: HeaderMap,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

type Answers = HashMap<String, VecDeque<(u16, String)>>;

#[derive(Clone, Default)]
struct Shared {
    answers: Arc<Mutex<Answers>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    verify: Option<fn(&Seen) -> bool>,
}

/// A running replay server.
pub struct Replay {
    pub base: String,
    shared: Shared,
}

impl Replay {
    pub async fn start() -> Replay {
        Self::start_with(None).await
    }

    /// A replay that answers 401 to every request `verify` refuses.
    pub async fn start_verifying(verify: fn(&Seen) -> bool) -> Replay {
        Self::start_with(Some(verify)).await
    }

    async fn start_with(verify: Option<fn(&Seen) -> bool>) -> Replay {
        let shared = Shared {
            verify,
            ..Shared::default()
        };
        let app = Router::new().fallback(answer).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Replay { base, shared }
    }

    /// Scripts the answers to `route` (`"GET /v1/jobs/1"`), in order; the last one repeats.
    pub fn answer(&self, route: &str, answers: &[(u16, &str)]) -> &Self {
        let list = answers.iter().map(|(c, b)| (*c, (*b).to_owned())).collect();
        self.shared
            .answers
            .lock()
            .unwrap()
            .insert(route.to_owned(), list);
        self
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }
}

async fn answer(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let seen = Seen {
        method: method.to_string(),
        uri: uri.to_string(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    shared.seen.lock().unwrap().push(seen.clone());
    if shared.verify.is_some_and(|verify| !verify(&seen)) {
        return (
            StatusCode::UNAUTHORIZED,
            r#"{"message": "bad signature"}"#.into(),
        );
    }
    let route = format!("{method} {}", uri.path());
    let mut answers = shared.answers.lock().unwrap();
    let Some(list) = answers.get_mut(&route) else {
        return (
            StatusCode::NOT_FOUND,
            format!("no answer scripted for {route}"),
        );
    };
    let (code, body) = if list.len() > 1 {
        list.pop_front().unwrap()
    } else {
        list.front().cloned().unwrap()
    };
    (StatusCode::from_u16(code).unwrap(), body)
}
