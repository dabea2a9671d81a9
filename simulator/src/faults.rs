//! Fault injection: what can go wrong, when, and how a response is spoiled.

use std::collections::HashMap;
use std::io;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api::{Api, TaskKey};
use crate::reply::{Reply, ReplyBody};
use crate::rng::SplitMix64;
use crate::{dari, narada, runware, vessl};

/// Something that goes wrong with one response.
///
/// JSON form (control API): tagged by `kind` in snake case, e.g. `{"kind": "status", "code": 503}`,
/// `{"kind": "too_many_requests", "retry_after": {"seconds": 5}}`,
/// `{"kind": "slow", "delay": "3s"}`, `{"kind": "html", "code": 200}`,
/// `{"kind": "missing_field", "field": "status"}`, `{"kind": "oversized", "min_bytes": 1048576}`.
///
/// ```
/// use poller_sim::Fault;
/// let f: Fault = serde_json::from_str(r#"{"kind": "status", "code": 503}"#).unwrap();
/// assert_eq!(f, Fault::status(503));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// This HTTP status (e.g. 500, 502, 503, 504) with an error body in the API's style, and
    /// optionally a `Retry-After` (none of the vendors documents one, but a 503 may carry it).
    Status {
        /// The status code.
        code: u16,
        /// The `Retry-After` header, if any.
        #[serde(default)]
        retry_after: Option<RetryAfter>,
    },
    /// 429 with an error body in the API's style and an optional `Retry-After`.
    TooManyRequests {
        /// The `Retry-After` header, if any.
        #[serde(default)]
        retry_after: Option<RetryAfter>,
    },
    /// Waits this long (in the simulator's clock) before answering normally. Task state is
    /// read after the delay.
    Slow {
        /// The delay.
        #[serde(with = "crate::script::dur")]
        delay: Duration,
    },
    /// Processes the request at once (a creation creates its task), then waits this long
    /// before answering: a client whose timeout is shorter gives up on a request that took
    /// effect.
    LateAnswer {
        /// The delay before the answer.
        #[serde(with = "crate::script::dur")]
        delay: Duration,
    },
    /// Runware: processes the request, then leaves the item at `index` (0-based) out of the
    /// answer's `data`: a task created but never acknowledged. No effect when `data` has no
    /// such item.
    LoseAcknowledgement {
        /// Which `data` item to drop.
        #[serde(default)]
        index: usize,
    },
    /// 200, `Content-Type: application/json`, a body that is not JSON.
    MalformedJson,
    /// The normal status and a valid prefix of the normal JSON body (about half of it), with a
    /// matching `Content-Length`: the body arrives complete but does not parse.
    TruncatedJson,
    /// An HTML error page (as a proxy would send) with this status, e.g. 200 or 502.
    Html {
        /// The status code.
        #[serde(default = "bad_gateway")]
        code: u16,
    },
    /// An empty body with this status (default 200).
    EmptyBody {
        /// The status code.
        #[serde(default = "ok")]
        code: u16,
    },
    /// Sends the status line, headers (with the full `Content-Length`) and about half of the
    /// normal body, then drops the connection.
    ResetMidBody,
    /// The normal body with `status` replaced by `value` (on every item for Runware).
    UnknownStatus {
        /// The status value served.
        #[serde(default = "unknown_status")]
        value: String,
    },
    /// The normal body without `field` (removed from the top level when present there,
    /// otherwise from every Runware item).
    MissingField {
        /// The field to drop.
        #[serde(default = "status_field")]
        field: String,
    },
    /// The normal body plus fields nobody documented (`_sim_extra`, `unexpectedField`), at the
    /// top level and on every Runware item.
    ExtraFields,
    /// The normal body padded (with a `_sim_padding` string field) to more than `min_bytes`.
    Oversized {
        /// The body will be strictly larger than this (capped at 256 MiB).
        min_bytes: usize,
    },
}

fn bad_gateway() -> u16 {
    502
}

fn ok() -> u16 {
    200
}

fn unknown_status() -> String {
    "sim-unknown-status".into()
}

fn status_field() -> String {
    "status".into()
}

impl Fault {
    /// `Status { code }` without `Retry-After`.
    pub fn status(code: u16) -> Self {
        Fault::Status {
            code,
            retry_after: None,
        }
    }

    /// `Status { code }` with a `Retry-After` header, e.g. a 503 asking for a pause.
    pub fn status_with_retry_after(code: u16, retry_after: RetryAfter) -> Self {
        Fault::Status {
            code,
            retry_after: Some(retry_after),
        }
    }

    /// 429 with `Retry-After: <secs>`.
    pub fn retry_after_secs(secs: u64) -> Self {
        Fault::TooManyRequests {
            retry_after: Some(RetryAfter::Seconds(secs)),
        }
    }

    /// 429 with `Retry-After` as an HTTP date `secs` seconds after the real wall-clock now.
    pub fn retry_after_date(secs: u64) -> Self {
        Fault::TooManyRequests {
            retry_after: Some(RetryAfter::HttpDate(secs)),
        }
    }

    /// `Slow { delay }`.
    pub fn slow(delay: Duration) -> Self {
        Fault::Slow { delay }
    }

    /// `LateAnswer { delay }`: processed at once, answered after `delay`.
    pub fn late_answer(delay: Duration) -> Self {
        Fault::LateAnswer { delay }
    }

    /// `MissingField { field }`.
    pub fn missing_field(field: impl Into<String>) -> Self {
        Fault::MissingField {
            field: field.into(),
        }
    }

    /// `UnknownStatus` with the default value `sim-unknown-status`.
    pub fn unknown_status() -> Self {
        Fault::UnknownStatus {
            value: unknown_status(),
        }
    }

    /// The faults a client should retry through: 500, 502, 503, 504, 429 (`Retry-After: 1`),
    /// a 502 HTML page and a reset mid-body. The default set for [`RandomFaults`].
    pub fn transient_kinds() -> Vec<Fault> {
        vec![
            Fault::status(500),
            Fault::status(502),
            Fault::status(503),
            Fault::status(504),
            Fault::retry_after_secs(1),
            Fault::Html { code: 502 },
            Fault::ResetMidBody,
        ]
    }
}

/// A `Retry-After` header value.
///
/// JSON form: `{"seconds": 5}`, `{"http_date": 5}` (seconds from now), `{"raw": "soon"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryAfter {
    /// `Retry-After: <n>`.
    Seconds(u64),
    /// `Retry-After: <HTTP date>`, this many seconds after the real wall-clock time of the
    /// response (real time, not the simulator's clock, since the client compares it with its
    /// own clock).
    HttpDate(u64),
    /// Any header value, e.g. an invalid one.
    Raw(String),
}

impl RetryAfter {
    fn header_value(&self) -> Option<HeaderValue> {
        match self {
            RetryAfter::Seconds(s) => Some(HeaderValue::from(*s)),
            RetryAfter::HttpDate(s) => {
                let t = SystemTime::now() + Duration::from_secs(*s);
                HeaderValue::from_str(&httpdate::fmt_http_date(t)).ok()
            }
            RetryAfter::Raw(v) => HeaderValue::from_str(v).ok(),
        }
    }
}

/// When a fault plan fires, counted in requests to its target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultWhen {
    /// The next `n` requests to the target, then the plan is used up.
    Next(u64),
    /// Requests number `from` to `to` (inclusive, 1-based) to the target, counted from the
    /// simulator's start (requests before the plan was added count too).
    Requests {
        /// First request number that gets the fault.
        from: u64,
        /// Last request number that gets the fault.
        to: u64,
    },
    /// Every request to the target.
    Always,
}

/// A fault and when it fires.
///
/// ```
/// use poller_sim::{Fault, FaultPlan};
/// let plan = FaultPlan::next(2, Fault::status(503));
/// let other = FaultPlan::requests(3..=4, Fault::ResetMidBody);
/// # let _ = (plan, other);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FaultPlan {
    /// The fault.
    pub fault: Fault,
    /// When it fires.
    pub when: FaultWhen,
}

impl FaultPlan {
    /// `fault` on the next `n` requests to the target.
    pub fn next(n: u64, fault: Fault) -> Self {
        FaultPlan {
            fault,
            when: FaultWhen::Next(n),
        }
    }

    /// `fault` on requests number `k..=m` to the target (1-based, counted from the start).
    pub fn requests(range: std::ops::RangeInclusive<u64>, fault: Fault) -> Self {
        FaultPlan {
            fault,
            when: FaultWhen::Requests {
                from: *range.start(),
                to: *range.end(),
            },
        }
    }

    /// `fault` on every request to the target.
    pub fn always(fault: Fault) -> Self {
        FaultPlan {
            fault,
            when: FaultWhen::Always,
        }
    }
}

/// What a fault plan applies to.
///
/// A request matches a task target when it names that task (a Runware request may name many:
/// it matches each). When several plans match, a task plan wins over an API plan, which wins
/// over a global plan; among equals, the earliest added. At most one fault per request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultTarget {
    /// Every request to any of the four APIs.
    Global,
    /// Every request to one API.
    Api(Api),
    /// Requests naming one task.
    Task(TaskKey),
}

impl From<TaskKey> for FaultTarget {
    fn from(key: TaskKey) -> Self {
        FaultTarget::Task(key)
    }
}

impl From<Api> for FaultTarget {
    fn from(api: Api) -> Self {
        FaultTarget::Api(api)
    }
}

/// The handle of an injected fault plan, to remove it early.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct FaultId(pub u64);

/// Random faults on a share of all API requests, reproducible from a seed.
///
/// Applies only to requests no fault plan matched.
///
/// ```
/// use poller_sim::RandomFaults;
/// let r = RandomFaults::new(0.1, 42);
/// assert_eq!(r.kinds.len(), 7); // Fault::transient_kinds()
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct RandomFaults {
    /// Probability (0-1) that a request gets a fault.
    pub rate: f64,
    /// Seed of the dice.
    pub seed: u64,
    /// Faults to draw from, uniformly.
    ///
    /// # Default
    ///
    /// [`Fault::transient_kinds`].
    #[serde(default = "Fault::transient_kinds")]
    pub kinds: Vec<Fault>,
}

impl RandomFaults {
    /// `rate` of requests get one of [`Fault::transient_kinds`].
    pub fn new(rate: f64, seed: u64) -> Self {
        RandomFaults {
            rate,
            seed,
            kinds: Fault::transient_kinds(),
        }
    }

    /// Draws from these kinds instead.
    #[must_use]
    pub fn with_kinds(mut self, kinds: Vec<Fault>) -> Self {
        self.kinds = kinds;
        self
    }
}

#[derive(Debug)]
struct ActivePlan {
    id: FaultId,
    target: FaultTarget,
    plan: FaultPlan,
}

/// All fault plans and request counters.
#[derive(Debug, Default)]
pub(crate) struct FaultBook {
    plans: Vec<ActivePlan>,
    next_id: u64,
    global: u64,
    per_api: HashMap<Api, u64>,
    per_task: HashMap<TaskKey, u64>,
    random: Option<(RandomFaults, SplitMix64)>,
}

impl FaultBook {
    pub(crate) fn add(&mut self, target: FaultTarget, plan: FaultPlan) -> FaultId {
        self.next_id += 1;
        let id = FaultId(self.next_id);
        self.plans.push(ActivePlan { id, target, plan });
        id
    }

    pub(crate) fn remove(&mut self, id: FaultId) -> bool {
        let before = self.plans.len();
        self.plans.retain(|p| p.id != id);
        before != self.plans.len()
    }

    pub(crate) fn clear(&mut self) {
        self.plans.clear();
    }

    pub(crate) fn set_random(&mut self, random: Option<RandomFaults>) {
        self.random = random.map(|r| {
            let rng = SplitMix64::new(r.seed);
            (r, rng)
        });
    }

    /// Counts one request to `api` naming `tasks`, and picks its fault, if any.
    pub(crate) fn select(&mut self, api: Api, tasks: &[TaskKey]) -> Option<Fault> {
        self.global += 1;
        let global = self.global;
        let api_n = {
            let n = self.per_api.entry(api).or_default();
            *n += 1;
            *n
        };
        let task_ns: Vec<(&TaskKey, u64)> = tasks
            .iter()
            .map(|k| {
                let n = self.per_task.entry(k.clone()).or_default();
                *n += 1;
                (k, *n)
            })
            .collect();

        let count_for = |target: &FaultTarget, pass: u8| -> Option<u64> {
            match (target, pass) {
                (FaultTarget::Task(k), 0) => task_ns.iter().find(|(t, _)| *t == k).map(|p| p.1),
                (FaultTarget::Api(a), 1) if *a == api => Some(api_n),
                (FaultTarget::Global, 2) => Some(global),
                _ => None,
            }
        };
        let chosen = (0..3u8).find_map(|pass| {
            self.plans.iter().position(|p| {
                count_for(&p.target, pass).is_some_and(|n| match p.plan.when {
                    FaultWhen::Next(left) => left > 0,
                    FaultWhen::Requests { from, to } => (from..=to).contains(&n),
                    FaultWhen::Always => true,
                })
            })
        });
        if let Some(i) = chosen {
            let fault = self.plans[i].plan.fault.clone();
            if let FaultWhen::Next(left) = &mut self.plans[i].plan.when {
                *left -= 1;
                if *left == 0 {
                    self.plans.remove(i);
                }
            }
            return Some(fault);
        }
        let (random, rng) = self.random.as_mut()?;
        if random.kinds.is_empty() || rng.next_f64() >= random.rate {
            return None;
        }
        Some(random.kinds[rng.below(random.kinds.len())].clone())
    }
}

/// An error body in the API's own style.
pub(crate) fn api_error(api: Api, status: StatusCode, message: &str) -> Value {
    match api {
        Api::Narada => narada::error_body(message),
        Api::Dari => dari::error_body(message),
        Api::Vessl => vessl::error_body(message),
        Api::Runware => {
            let code = match status.as_u16() {
                429 => "rateLimitExceeded",
                503 => "noAvailableServer",
                504 => "gatewayTimeout",
                _ => "internalServerError",
            };
            runware::error_body(code, message)
        }
    }
}

fn code(c: u16) -> StatusCode {
    StatusCode::from_u16(c).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn html_page(status: StatusCode) -> String {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    format!(
        "<!DOCTYPE html>\n<html>\n<head><title>{title}</title></head>\n<body>\n\
         <center><h1>{title}</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n"
    )
}

fn with_retry_after(reply: Reply, retry_after: &Option<RetryAfter>) -> Reply {
    match retry_after.as_ref().and_then(RetryAfter::header_value) {
        Some(v) => reply.with_header(header::RETRY_AFTER, v),
        None => reply,
    }
}

/// The reply for faults that replace the response outright; `None` for the others.
pub(crate) fn replacement(fault: &Fault, api: Api) -> Option<Reply> {
    Some(match fault {
        Fault::Status {
            code: c,
            retry_after,
        } => {
            let s = code(*c);
            let message = format!("Simulated fault: HTTP {}", s.as_u16());
            with_retry_after(Reply::json(s, api_error(api, s, &message)), retry_after)
        }
        Fault::TooManyRequests { retry_after } => {
            let s = StatusCode::TOO_MANY_REQUESTS;
            let reply = Reply::json(s, api_error(api, s, "Too many requests, slow down"));
            with_retry_after(reply, retry_after)
        }
        Fault::MalformedJson => Reply::raw(
            StatusCode::OK,
            "application/json",
            Bytes::from_static(b"{\"status\": pending, \"response\": [nul"),
        ),
        Fault::Html { code: c } => {
            let s = code(*c);
            Reply::raw(s, "text/html", Bytes::from(html_page(s)))
        }
        Fault::EmptyBody { code: c } => Reply::raw(code(*c), "application/json", Bytes::new()),
        _ => return None,
    })
}

/// Applies `f` to the top-level object if it has `key`, else to every item of
/// `data` and `errors` (Runware).
fn for_each_target(
    v: &mut Value,
    key: &str,
    mut f: impl FnMut(&mut serde_json::Map<String, Value>),
) {
    if let Some(obj) = v.as_object_mut() {
        if obj.contains_key(key) {
            f(obj);
            return;
        }
        for list in ["data", "errors"] {
            if let Some(items) = obj.get_mut(list).and_then(Value::as_array_mut) {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    if item.contains_key(key) {
                        f(item);
                    }
                }
            }
        }
    }
}

/// The largest padding [`Fault::Oversized`] will build.
const MAX_OVERSIZE: usize = 256 * 1024 * 1024;

fn mutate(fault: &Fault, v: &mut Value) {
    match fault {
        Fault::UnknownStatus { value } => {
            for_each_target(v, "status", |o| {
                o.insert("status".into(), json!(value));
            });
        }
        Fault::MissingField { field } => {
            for_each_target(v, field, |o| {
                o.remove(field);
            });
        }
        Fault::ExtraFields => {
            let extra = |o: &mut serde_json::Map<String, Value>| {
                o.insert(
                    "_sim_extra".into(),
                    json!({"note": "an undocumented field", "n": 1}),
                );
                o.insert("unexpectedField".into(), json!([1, "two", null]));
            };
            if let Some(obj) = v.as_object_mut() {
                extra(obj);
            }
            for_each_target(v, "taskUUID", extra);
        }
        Fault::LoseAcknowledgement { index } => {
            let data = v.get_mut("data").and_then(Value::as_array_mut);
            if let Some(items) = data.filter(|items| *index < items.len()) {
                items.remove(*index);
            }
        }
        Fault::Oversized { min_bytes } => {
            let len = v.to_string().len();
            let pad = (*min_bytes).min(MAX_OVERSIZE).saturating_sub(len) + 1;
            if let Some(obj) = v.as_object_mut() {
                obj.insert("_sim_padding".into(), json!("x".repeat(pad)));
            }
        }
        _ => {}
    }
}

/// Turns a reply into the HTTP response, spoiling it as `fault` says.
pub(crate) fn finish(fault: Option<&Fault>, mut reply: Reply) -> Response {
    let Some(fault) = fault else {
        return reply.into_response();
    };
    if let ReplyBody::Json(v) = &mut reply.body {
        mutate(fault, v);
    }
    match fault {
        Fault::TruncatedJson => {
            let (ct, bytes) = reply.encoded();
            let cut = (bytes.len() / 2).max(1).min(bytes.len().saturating_sub(1));
            reply.with_raw_body(ct, bytes.slice(..cut)).into_response()
        }
        Fault::ResetMidBody => {
            let (_, bytes) = reply.encoded();
            let full = bytes.len();
            let first = bytes.slice(..full / 2);
            let stream = futures::stream::iter([Ok::<Bytes, io::Error>(first)]).chain(
                futures::stream::once(async {
                    // Let hyper flush the first half before the error aborts the connection.
                    tokio::task::yield_now().await;
                    tokio::task::yield_now().await;
                    Err(io::Error::new(
                        io::ErrorKind::ConnectionReset,
                        "simulated connection reset",
                    ))
                }),
            );
            reply.into_response_with(Body::from_stream(stream), Some(full.max(1)))
        }
        _ => reply.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_n_is_used_up_and_task_beats_global() {
        let mut book = FaultBook::default();
        let k = TaskKey::narada("a");
        book.add(FaultTarget::Global, FaultPlan::always(Fault::status(500)));
        book.add(k.clone().into(), FaultPlan::next(2, Fault::status(503)));
        assert_eq!(
            book.select(Api::Narada, std::slice::from_ref(&k)),
            Some(Fault::status(503))
        );
        assert_eq!(
            book.select(Api::Narada, std::slice::from_ref(&k)),
            Some(Fault::status(503))
        );
        assert_eq!(book.select(Api::Narada, &[k]), Some(Fault::status(500)));
    }

    #[test]
    fn request_ranges_count_per_target() {
        let mut book = FaultBook::default();
        let k = TaskKey::vessl("s", "x");
        book.add(
            k.clone().into(),
            FaultPlan::requests(2..=3, Fault::ResetMidBody),
        );
        let got: Vec<bool> = (0..5)
            .map(|_| {
                // Requests to other tasks do not move this task's counter.
                book.select(Api::Vessl, &[TaskKey::vessl("s", "other")]);
                book.select(Api::Vessl, std::slice::from_ref(&k)).is_some()
            })
            .collect();
        assert_eq!(got, [false, true, true, false, false]);
    }

    #[test]
    fn random_faults_are_reproducible() {
        let run = || {
            let mut book = FaultBook::default();
            book.set_random(Some(RandomFaults::new(0.3, 9)));
            (0..1000)
                .map(|_| book.select(Api::Dari, &[]))
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let hits = a.iter().filter(|f| f.is_some()).count();
        assert!((200..400).contains(&hits), "{hits}");
    }

    #[test]
    fn oversized_is_larger() {
        let mut v = json!({"status": "pending"});
        mutate(&Fault::Oversized { min_bytes: 1000 }, &mut v);
        assert!(v.to_string().len() > 1000);
    }
}
