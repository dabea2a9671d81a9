//! Shared pieces: the four providers behind one enum, the policies every fault case runs
//! under, the fault table, one case run against a fresh simulator, and a tiny recording
//! HTTP server for what the simulator cannot do (redirects, odd transports).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use poller_core::{
    BoxPolicy, DynSource, ErrorPolicy, Exponential, FetchError, Fixed, HttpOptions, JsonSource,
    Outcome, PollPolicyExt, Poller, Report, Status, StatusSource,
};
use poller_providers::{dari::Dari, narada::Narada, runware::Runware, vessl::Vessl};
use poller_sim::{
    DariStage, Fault, FaultPlan, Keys, NaradaStage, RecordedRequest, RetryAfter, RunwareStage,
    Script, Simulator, TaskKey, VesslStage,
};
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long, in real time, a request on loopback may take before the paused clock is let
/// move again. See [`settle`].
const GRACE: std::time::Duration = std::time::Duration::from_millis(250);

/// Awaits `fut` (a request) without letting tokio's paused clock jump while it is in flight,
/// for up to [`GRACE`] of real time.
///
/// A paused runtime advances its clock as soon as every task waits; a loopback answer is
/// usually readable the moment it is written, but on a loaded machine the kernel may deliver
/// it a little later, and the clock would then jump to the next timer (a request timeout)
/// first: a spurious timeout. Yielding keeps the runtime busy, polling its I/O each time,
/// so the answer is seen before any virtual time passes. A request that is slow on purpose
/// (a simulated delay, a silent server) is given up on after the grace, and virtual time
/// then runs as usual, so the instants asserted stay exact.
pub async fn settle<F: std::future::Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let start = std::time::Instant::now();
    while start.elapsed() < GRACE {
        if let std::task::Poll::Ready(out) = futures::poll!(fut.as_mut()) {
            return out;
        }
        tokio::task::yield_now().await;
    }
    fut.await
}

/// A source whose every fetch is [`settle`]d.
#[derive(Debug, Clone)]
pub struct Settled<S>(pub S);

#[async_trait::async_trait]
impl<S: StatusSource> StatusSource for Settled<S> {
    type Output = S::Output;

    fn name(&self) -> &str {
        self.0.name()
    }

    async fn fetch(&self, task_id: &str) -> Result<Status<S::Output>, FetchError> {
        settle(self.0.fetch(task_id)).await
    }
}

/// The VESSL service every test uses.
pub const SLUG: &str = "svc";
/// The Dari portal endpoint every test uses.
pub const ENDPOINT: &str = "contact_form";
/// The Dari organisation the simulator's key belongs to ([`Keys::default`]).
pub const ORG: &str = "my-org";

/// One of the four providers, so that a table can run against each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Prov {
    Narada,
    Runware,
    Dari,
    Vessl,
}

/// How a scripted task ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Succeed,
    Fail,
}

impl Prov {
    pub const ALL: [Prov; 4] = [Prov::Narada, Prov::Runware, Prov::Dari, Prov::Vessl];

    pub fn name(self) -> &'static str {
        match self {
            Prov::Narada => "narada",
            Prov::Runware => "runware",
            Prov::Dari => "dari",
            Prov::Vessl => "vessl",
        }
    }

    /// A task id of the provider's usual shape.
    pub fn task_id(self) -> &'static str {
        match self {
            Prov::Narada => "req_abc123def456",
            Prov::Runware => "50836053-a0ee-4cf5-b9d6-ae7c5d140ada",
            Prov::Dari => "550e8400-e29b-41d4-a716-446655440000",
            Prov::Vessl => "98nlux8b0eu6",
        }
    }

    /// The key the simulator accepts for this provider.
    pub fn key(self, keys: &Keys) -> String {
        match self {
            Prov::Narada => keys.narada.clone(),
            Prov::Runware => keys.runware.clone(),
            Prov::Dari => keys.dari.clone(),
            Prov::Vessl => keys.vessl.clone(),
        }
    }

    /// How the simulator names task `id` of this provider.
    pub fn task_key(self, id: &str) -> TaskKey {
        match self {
            Prov::Narada => TaskKey::narada(id),
            Prov::Runware => TaskKey::runware(id),
            Prov::Dari => TaskKey::dari(ORG, ENDPOINT, id),
            Prov::Vessl => TaskKey::vessl(SLUG, id),
        }
    }

    /// Adds task `id`: running (or queued) for `after`, then ending as `end` with a result
    /// that names the task, so that a wrong result cannot pass for the right one.
    pub fn add_task(self, sim: &Simulator, id: &str, end: End, after: Duration) -> TaskKey {
        let boom = format!("boom {id}");
        match self {
            Prov::Narada => {
                let last = match end {
                    End::Succeed => NaradaStage::success(json!({"text": format!("done {id}")})),
                    End::Fail => NaradaStage::error(boom),
                };
                sim.add_narada_task(
                    id,
                    Script::new(NaradaStage::Pending).then_after(after, last),
                );
            }
            Prov::Runware => {
                let last = match end {
                    End::Succeed => RunwareStage::success(0.25),
                    End::Fail => RunwareStage::error("processingFailed", boom),
                };
                sim.add_runware_task(
                    id,
                    Script::new(RunwareStage::processing()).then_after(after, last),
                );
            }
            Prov::Dari => {
                let last = match end {
                    End::Succeed => DariStage::completed(json!({"job": id})),
                    End::Fail => DariStage::failed(boom),
                };
                sim.add_dari_job(
                    ORG,
                    ENDPOINT,
                    id,
                    Script::new(DariStage::running("working")).then_after(after, last),
                );
            }
            Prov::Vessl => {
                let last = match end {
                    End::Succeed => VesslStage::completed_json(&json!({"answer": id})),
                    End::Fail => VesslStage::failed(500, "oops", boom),
                };
                sim.add_vessl_request(
                    SLUG,
                    id,
                    Script::new(VesslStage::InProgress).then_after(after, last),
                );
            }
        }
        self.task_key(id)
    }

    /// The provider's source against a server at `root` (`http://127.0.0.1:PORT`), each at
    /// its own path below it, through the provider's typed client; [`Settled`].
    pub fn source_at(self, root: &str, key: &str, http: HttpOptions) -> DynSource {
        Arc::new(Settled(self.unsettled_source_at(root, key, http)))
    }

    fn unsettled_source_at(self, root: &str, key: &str, http: HttpOptions) -> DynSource {
        match self {
            Prov::Narada => Arc::new(JsonSource::new(
                Narada::new(key).base_url(root).http(http).source().unwrap(),
            )),
            Prov::Runware => Arc::new(JsonSource::new(
                Runware::new(key)
                    .base_url(format!("{root}/v1"))
                    .http(http)
                    .source()
                    .unwrap(),
            )),
            Prov::Dari => Arc::new(JsonSource::new(
                Dari::new(key, ORG, ENDPOINT)
                    .base_url(root)
                    .http(http)
                    .source()
                    .unwrap(),
            )),
            Prov::Vessl => Arc::new(JsonSource::new(
                Vessl::new(format!("{root}/api/v1/services/{SLUG}"), key)
                    .http(http)
                    .source()
                    .unwrap(),
            )),
        }
    }

    /// The provider's source against the simulator with `key`.
    pub fn source(self, sim: &Simulator, key: &str, http: HttpOptions) -> DynSource {
        self.source_at(sim.base_url(), key, http)
    }

    /// Asserts that `status` is the final status [`add_task`](Self::add_task) scripted.
    pub fn check_result(self, status: &Status, id: &str, end: End) {
        match end {
            End::Succeed => {
                let output = status
                    .output
                    .as_ref()
                    .expect("a successful task has output");
                match self {
                    Prov::Narada => assert_eq!(output, &json!({"text": format!("done {id}")})),
                    Prov::Runware => {
                        assert_eq!(output[0]["taskUUID"], id, "{output}");
                        assert_eq!(output[0]["status"], "success", "{output}");
                    }
                    Prov::Dari => assert_eq!(output, &json!({"job": id})),
                    Prov::Vessl => assert_eq!(output, &json!({"answer": id})),
                }
            }
            End::Fail => {
                let error = status.error.as_ref().expect("a failed task has an error");
                assert!(
                    error.message.contains(&format!("boom {id}")),
                    "{}: {error}",
                    self.name()
                );
            }
        }
    }

    /// Asserts that `outcome` is the scripted end of task `id`, with the scripted result.
    pub fn check_outcome(self, outcome: &Outcome, id: &str, end: End) {
        match (end, outcome) {
            (End::Succeed, Outcome::Succeeded(s)) | (End::Fail, Outcome::Failed(s)) => {
                self.check_result(s, id, end)
            }
            _ => panic!("{} {id}: expected {end:?}, got {outcome:?}", self.name()),
        }
    }
}

/// The schedule every fault case runs under: at once, then every second, at most 10 min,
/// never sooner than a `Retry-After`.
pub fn policy() -> BoxPolicy {
    Fixed::secs(1)
        .with_deadline(Duration::from_secs(600))
        .honor_retry_after()
        .boxed()
}

/// Failed fetches: up to 3 transient failures in a row, waiting 2 s, 4 s, 8 s (no jitter, so
/// the instants can be asserted exactly); a permanent failure ends the wait at once.
pub fn errors() -> ErrorPolicy {
    ErrorPolicy::new(
        3,
        Exponential::new(Duration::from_secs(2), 2.0, Duration::from_secs(60)),
    )
}

/// The per-request timeout of the fault cases.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// The body cap of the fault cases.
pub const CAP: usize = 64 * 1024;

/// Transport settings of the fault cases: 5 s per request, bodies up to 64 KiB.
pub fn http() -> HttpOptions {
    HttpOptions::default()
        .with_timeout(TIMEOUT)
        .with_max_body_bytes(CAP)
}

/// When the scripted tasks of the fault cases end.
pub const TASK_ENDS_AFTER: Duration = Duration::from_secs(3);

/// An instant in the simulator's log, exact or within a window (for `Retry-After` dates,
/// which have a one-second resolution against the real clock).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct At(pub f64, pub f64);

/// Exact instants, in seconds.
pub fn at(secs: &[f64]) -> Vec<At> {
    secs.iter().map(|s| At(*s, *s)).collect()
}

/// Asserts the instants of `requests` (from the simulator's log).
pub fn check_instants(what: &str, requests: &[RecordedRequest], expected: &[At]) {
    let got: Vec<f64> = requests.iter().map(|r| r.at.as_secs_f64()).collect();
    let ok = got.len() == expected.len()
        && got
            .iter()
            .zip(expected)
            .all(|(g, At(lo, hi))| *g >= lo - 1e-9 && *g <= hi + 1e-9);
    assert!(
        ok,
        "{what}: requests at {got:?} s, expected {expected:?} (statuses {:?})",
        requests.iter().map(|r| r.status).collect::<Vec<_>>()
    );
}

/// What a fault does to a wait.
#[derive(Clone, Debug)]
pub enum Kind {
    /// Retried. A burst of `burst` faults: the wait still ends with the scripted result, with
    /// requests at `recovered`. The fault on every request: the wait ends with a fetch error
    /// matching `error` after the error policy's 4 tries, at `exhausted`.
    Transient {
        burst: u64,
        recovered: Vec<At>,
        exhausted: Vec<At>,
        error: fn(&FetchError) -> bool,
    },
    /// Not retried: one request, then a fetch error matching `error`.
    Permanent { error: fn(&FetchError) -> bool },
    /// Accepted as if nothing were wrong: the scripted result, requests at `at`.
    Accepted { at: Vec<At> },
}

/// One row of the fault table.
#[derive(Clone, Debug)]
pub struct FaultCase {
    pub name: &'static str,
    pub fault: Fault,
    pub kind: Kind,
}

fn is_http(e: &FetchError, code: u16) -> bool {
    matches!(e, FetchError::Http { status, .. } if *status == code)
}

/// Every fault the simulator can inject, and what each must lead to under [`policy`],
/// [`errors`] and [`http`].
pub fn fault_cases() -> Vec<FaultCase> {
    // A burst of 3 (the error policy's limit): retried after 2, 4 and 8 s; the task ended at
    // 3 s, so the fourth request sees the result. On every request: 4 tries, then the error.
    let three = || at(&[0.0, 2.0, 6.0, 14.0]);
    let two = || at(&[0.0, 2.0, 6.0]);
    let transient5xx = |name, code: u16, error| FaultCase {
        name,
        fault: Fault::status(code),
        kind: Kind::Transient {
            burst: 3,
            recovered: three(),
            exhausted: three(),
            error,
        },
    };
    let permanent = |name, fault, error| FaultCase {
        name,
        fault,
        kind: Kind::Permanent { error },
    };
    vec![
        transient5xx("500", 500, |e| is_http(e, 500)),
        transient5xx("502", 502, |e| is_http(e, 502)),
        transient5xx("503", 503, |e| is_http(e, 503)),
        transient5xx("504", 504, |e| is_http(e, 504)),
        FaultCase {
            // Retry-After 5 s beats the 2 s and 4 s backoff, not the 8 s one.
            name: "429 Retry-After: 5",
            fault: Fault::retry_after_secs(5),
            kind: Kind::Transient {
                burst: 2,
                recovered: at(&[0.0, 5.0, 10.0]),
                exhausted: at(&[0.0, 5.0, 10.0, 18.0]),
                error: |e| is_http(e, 429) && e.retry_after() == Some(Duration::from_secs(5)),
            },
        },
        FaultCase {
            // An HTTP date 10 s ahead of the real clock, in whole seconds: 9 to 10 s from
            // now as the client reads it (a second more of slack for a loaded machine).
            name: "429 Retry-After: <HTTP date +10 s>",
            fault: Fault::TooManyRequests {
                retry_after: Some(RetryAfter::HttpDate(10)),
            },
            kind: Kind::Transient {
                burst: 1,
                recovered: vec![At(0.0, 0.0), At(8.0, 10.0)],
                exhausted: vec![At(0.0, 0.0), At(8.0, 10.0), At(16.0, 20.0), At(24.0, 30.0)],
                error: |e| {
                    is_http(e, 429)
                        && e.retry_after().is_some_and(|d| {
                            d > Duration::from_secs(7) && d <= Duration::from_secs(10)
                        })
                },
            },
        },
        FaultCase {
            name: "503 Retry-After: 7",
            fault: Fault::status_with_retry_after(503, RetryAfter::Seconds(7)),
            kind: Kind::Transient {
                burst: 1,
                recovered: at(&[0.0, 7.0]),
                exhausted: at(&[0.0, 7.0, 14.0, 22.0]),
                error: |e| is_http(e, 503) && e.retry_after() == Some(Duration::from_secs(7)),
            },
        },
        FaultCase {
            name: "connection reset mid-body",
            fault: Fault::ResetMidBody,
            kind: Kind::Transient {
                burst: 2,
                recovered: two(),
                exhausted: three(),
                error: |e| matches!(e, FetchError::Connection(_)),
            },
        },
        FaultCase {
            // Each slow request is cut at the 5 s timeout, then the backoff runs.
            name: "slower than the request timeout",
            fault: Fault::slow(Duration::from_secs(10)),
            kind: Kind::Transient {
                burst: 1,
                recovered: at(&[0.0, 7.0]),
                exhausted: at(&[0.0, 7.0, 16.0, 29.0]),
                error: |e| matches!(e, FetchError::Timeout(t) if *t == TIMEOUT),
            },
        },
        FaultCase {
            name: "truncated JSON",
            fault: Fault::TruncatedJson,
            kind: Kind::Transient {
                burst: 2,
                recovered: two(),
                exhausted: three(),
                error: |e| {
                    matches!(
                        e,
                        FetchError::Decode {
                            truncated: true,
                            ..
                        }
                    )
                },
            },
        },
        FaultCase {
            name: "HTML error page with 502",
            fault: Fault::Html { code: 502 },
            kind: Kind::Transient {
                burst: 2,
                recovered: two(),
                exhausted: three(),
                error: |e| {
                    is_http(e, 502)
                        && matches!(e, FetchError::Http { excerpt, .. } if excerpt.contains("<html>"))
                },
            },
        },
        FaultCase {
            name: "empty body with 503",
            fault: Fault::EmptyBody { code: 503 },
            kind: Kind::Transient {
                // Retried at 2 s, still running; done at 3 s.
                burst: 1,
                recovered: at(&[0.0, 2.0, 3.0]),
                exhausted: three(),
                error: |e| matches!(e, FetchError::Http { status: 503, excerpt, .. } if excerpt.is_empty()),
            },
        },
        FaultCase {
            // The answer, read after the 4 s delay, is already the end.
            name: "slow but within the timeout",
            fault: Fault::slow(Duration::from_secs(4)),
            kind: Kind::Accepted { at: at(&[0.0]) },
        },
        permanent(
            "HTML error page with 200",
            Fault::Html { code: 200 },
            |e| matches!(e, FetchError::Decode { truncated: false, excerpt, .. } if excerpt.contains("<html>")),
        ),
        permanent("empty body with 200", Fault::EmptyBody { code: 200 }, |e| {
            matches!(
                e,
                FetchError::Decode {
                    truncated: false,
                    ..
                }
            )
        }),
        permanent("malformed JSON", Fault::MalformedJson, |e| {
            matches!(
                e,
                FetchError::Decode {
                    truncated: false,
                    ..
                }
            )
        }),
        permanent(
            "unknown status value",
            Fault::unknown_status(),
            |e| matches!(e, FetchError::UnknownStatus { value } if value == "sim-unknown-status"),
        ),
        permanent(
            "missing required field `status`",
            Fault::missing_field("status"),
            |e| matches!(e, FetchError::Decode { truncated: false, reason, .. } if reason.contains("status")),
        ),
        permanent(
            "body larger than the cap",
            Fault::Oversized { min_bytes: 2 * CAP },
            |e| matches!(e, FetchError::BodyTooLarge { limit } if *limit == CAP),
        ),
        permanent("401", Fault::status(401), |e| is_http(e, 401)),
        permanent("403", Fault::status(403), |e| is_http(e, 403)),
        permanent("404", Fault::status(404), |e| is_http(e, 404)),
        FaultCase {
            name: "extra unknown fields",
            fault: Fault::ExtraFields,
            kind: Kind::Accepted {
                at: at(&[0.0, 1.0, 2.0, 3.0]),
            },
        },
    ]
}

/// A finished wait and what the simulator saw.
pub struct Run {
    pub report: Report,
    pub requests: Vec<RecordedRequest>,
}

/// Waits on one task of `prov` (ending as `end` after [`TASK_ENDS_AFTER`]) against a fresh
/// simulator accepting `keys`, with `plan` injected for that task, under [`policy`],
/// [`errors`] and [`http`]. A wait that would not end fails after an hour of virtual time.
pub async fn run(prov: Prov, keys: &Keys, plan: Option<FaultPlan>, end: End) -> Run {
    let sim = Simulator::builder()
        .keys(keys.clone())
        .start()
        .await
        .expect("the simulator starts");
    let id = prov.task_id();
    let task = prov.add_task(&sim, id, end, TASK_ENDS_AFTER);
    if let Some(plan) = plan {
        sim.inject_fault(task, plan);
    }
    let poller = Poller::new(prov.source(&sim, &prov.key(keys), http()), policy())
        .with_error_policy(errors());
    let report = tokio::time::timeout(Duration::from_secs(3600), poller.wait(id))
        .await
        .unwrap_or_else(|_| panic!("{}: the wait did not end within an hour", prov.name()));
    drop(poller);
    let requests = sim.requests();
    Run { report, requests }
}

/// One request as the [`Recorder`] saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    /// Path and query, as received.
    pub uri: String,
    pub headers: HeaderMap,
}

impl Seen {
    pub fn path(&self) -> &str {
        self.uri.split_once('?').map_or(&self.uri, |(p, _)| p)
    }
}

type Responder = dyn Fn(&Seen, SocketAddr) -> Response + Send + Sync;

struct RecorderState {
    log: Mutex<Vec<Seen>>,
    respond: Box<Responder>,
    addr: SocketAddr,
}

/// A tiny HTTP server on loopback that records every request (headers included) and answers
/// with `respond`: for redirects and transports the simulator does not offer.
pub struct Recorder {
    state: Arc<RecorderState>,
    server: tokio::task::JoinHandle<()>,
}

impl Recorder {
    /// Starts on `ip`, port 0.
    pub async fn start(
        ip: IpAddr,
        respond: impl Fn(&Seen, SocketAddr) -> Response + Send + Sync + 'static,
    ) -> Recorder {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, 0))
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(RecorderState {
            log: Mutex::new(Vec::new()),
            respond: Box::new(respond),
            addr,
        });
        let app = axum::Router::new()
            .fallback(record)
            .with_state(state.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Recorder { state, server }
    }

    /// On 127.0.0.1.
    pub async fn local(
        respond: impl Fn(&Seen, SocketAddr) -> Response + Send + Sync + 'static,
    ) -> Recorder {
        Recorder::start(IpAddr::V4(Ipv4Addr::LOCALHOST), respond).await
    }

    /// `http://IP:PORT`.
    pub fn root(&self) -> String {
        format!("http://{}", self.state.addr)
    }

    /// Every request so far, oldest first.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.log.lock().unwrap().clone()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn record(State(state): State<Arc<RecorderState>>, req: Request) -> Response {
    let (parts, _body) = req.into_parts();
    let seen = Seen {
        method: parts.method.to_string(),
        uri: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned()),
        headers: parts.headers,
    };
    state.log.lock().unwrap().push(seen.clone());
    (state.respond)(&seen, state.addr)
}

/// A minimal successful body of `prov` for task `id`, as the simulator would send it.
pub fn success_body(prov: Prov, id: &str) -> Value {
    match prov {
        Prov::Narada => json!({"status": "success", "response": {"text": format!("done {id}")}}),
        Prov::Runware => json!({"data": [{"taskUUID": id, "status": "success"}], "errors": []}),
        Prov::Dari => json!({"status": "completed", "final_result": {"job": id}}),
        Prov::Vessl => json!({
            "status": "completed",
            "status_code": 200,
            "raw_output": json!({"answer": id}).to_string(),
            "output": {"answer": id},
        }),
    }
}

/// A JSON response.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// A response with a streamed body of unknown length (chunked).
pub fn streamed(
    status: StatusCode,
    chunks: impl futures::Stream<Item = Result<axum::body::Bytes, std::io::Error>> + Send + 'static,
) -> Response {
    (status, Body::from_stream(chunks)).into_response()
}
