//! Property tests: no response parser of any provider panics, whatever the body.
//!
//! Three kinds of input, each through every parser (`NaradaStatus`, `NaradaResponse`,
//! `DariStatus`, `DariJobsStatus`, `DariResponse`, `VesslStatus`, `VesslResponse` — the
//! `*Response` types are written by `#[derive(StatusResponse)]` — and `RunwareResponse` with
//! `status_of`):
//!
//! - arbitrary bytes;
//! - arbitrary JSON values;
//! - bodies of the documented shape whose fields hold documented values, arbitrary strings
//!   or arbitrary JSON, where the parsed status must also agree with the documented mapping.
//!
//! On top: errors keep their excerpts within 512 bytes, and every strict prefix of a JSON
//! body (a body cut short on the wire) is a transient error, never a panic or a success.

use poller_core::{EXCERPT_LIMIT, FetchError, Phase, Status, StatusResponse};
use poller_providers::dari::{DariJobsStatus, DariResponse, DariStatus};
use poller_providers::narada::{NaradaResponse, NaradaStatus};
use poller_providers::runware::RunwareResponse;
use poller_providers::vessl::{VesslResponse, VesslStatus};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

/// Checks an error: its excerpts are bounded and it can be shown.
fn check_error(e: &FetchError) {
    match e {
        FetchError::Http { excerpt, .. } | FetchError::Decode { excerpt, .. } => {
            assert!(excerpt.len() <= EXCERPT_LIMIT, "{} bytes", excerpt.len());
        }
        FetchError::UnknownStatus { value } => assert!(value.len() <= EXCERPT_LIMIT),
        _ => {}
    }
    let _ = (e.to_string(), format!("{e:?}"), e.class());
}

/// Checks a result of any parser; returns the status when there is one.
fn check<O>(r: Result<Status<O>, FetchError>) -> Option<Status<O>> {
    match r {
        Ok(s) => {
            let _ = s.is_final();
            Some(s)
        }
        Err(e) => {
            check_error(&e);
            None
        }
    }
}

/// Every parser on `body`; Runware's answer also asked about `ids`.
fn parse_all(body: &[u8], ids: &[&str]) {
    check(NaradaStatus::parse(body));
    check(NaradaResponse::parse(body));
    check(DariStatus::parse(body));
    check(DariJobsStatus::parse(body));
    check(DariResponse::parse(body));
    check(VesslStatus::parse(body));
    check(VesslResponse::parse(body));
    match RunwareResponse::parse(body) {
        Ok(answer) => {
            for id in ids {
                check(answer.status_of(id));
            }
        }
        Err(e) => check_error(&e),
    }
}

/// Any JSON value, with object keys often among the providers' documented field names.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        ".{0,24}".prop_map(Value::String),
        select(STATUSES).prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Every field name of the four documented bodies.
const FIELDS: &[&str] = &[
    "status",
    "response",
    "text",
    "createdAt",
    "completedAt",
    "usage",
    "browserWindowId",
    "data",
    "errors",
    "taskUUID",
    "taskType",
    "progress",
    "cost",
    "code",
    "message",
    "job_id",
    "portal_id",
    "browser_url",
    "current_step",
    "events",
    "result",
    "final_result",
    "error",
    "downloads_link",
    "video_recording_url",
    "log_url",
    "total_cost_usd",
    "session_cost_usd",
    "created_at",
    "updated_at",
    "event_type",
    "timestamp",
    "status_code",
    "raw_output",
    "output",
    "fail_reason",
];

/// Every documented status value of the four APIs.
const STATUSES: &[&str] = &[
    "pending",
    "success",
    "error",
    "input-required",
    "processing",
    "queued",
    "scheduled",
    "waiting",
    "running",
    "paused",
    "waiting_for_input",
    "completed",
    "failed",
    "in_progress",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(FIELDS).prop_map(str::to_string),
        1 => ".{0,12}",
    ]
}

/// A status value: documented, near-documented, or anything.
fn status_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => select(STATUSES).prop_map(|s| json!(s)),
        2 => select(STATUSES).prop_map(|s| json!(s.to_uppercase())),
        2 => ".{0,16}".prop_map(Value::String),
        1 => "x{600,700}".prop_map(Value::String),
        1 => json_value(),
    ]
}

/// A field's value: usually the documented kind, sometimes anything.
fn field(plausible: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    prop_oneof![4 => plausible, 1 => json_value()].boxed()
}

fn opt_string() -> BoxedStrategy<Value> {
    prop_oneof![Just(Value::Null), ".{0,32}".prop_map(Value::String)].boxed()
}

fn opt_number() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        any::<u16>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
    ]
    .boxed()
}

/// An object with some of `fields` (each present or not) and a status.
fn object(fields: Vec<(&'static str, BoxedStrategy<Value>)>) -> impl Strategy<Value = Value> {
    let status = prop::option::weighted(0.95, status_value());
    let fields: Vec<_> = fields
        .into_iter()
        .map(|(name, s)| prop::option::of(s).prop_map(move |v| v.map(|v| (name, v))))
        .collect();
    let extra = prop::collection::vec((".{1,10}", json_value()), 0..3);
    (status, fields, extra).prop_map(|(status, fields, extra)| {
        let mut map = Map::new();
        if let Some(s) = status {
            map.insert("status".into(), s);
        }
        for (name, value) in fields.into_iter().flatten() {
            map.insert(name.into(), value);
        }
        for (name, value) in extra {
            map.entry(name).or_insert(value);
        }
        Value::Object(map)
    })
}

fn narada_body() -> impl Strategy<Value = Value> {
    let text = ".{0,40}".prop_map(|t| json!({"text": t})).boxed();
    object(vec![
        (
            "response",
            field(prop_oneof![Just(Value::Null), text].boxed()),
        ),
        ("createdAt", field(opt_string())),
        ("completedAt", field(opt_string())),
        (
            "usage",
            field(Just(json!({"actions": 3, "credits": 0.5})).boxed()),
        ),
        ("browserWindowId", field(opt_string())),
    ])
}

fn dari_body() -> impl Strategy<Value = Value> {
    let event = (".{0,10}", ".{0,20}")
        .prop_map(|(t, m)| json!({"event_type": t, "message": m, "timestamp": "t"}));
    object(vec![
        ("job_id", field(opt_string())),
        ("portal_id", field(opt_string())),
        ("browser_url", field(opt_string())),
        ("current_step", field(opt_string())),
        (
            "events",
            field(
                prop::collection::vec(event, 0..4)
                    .prop_map(Value::Array)
                    .boxed(),
            ),
        ),
        ("result", field(json_value().boxed())),
        ("final_result", field(json_value().boxed())),
        ("error", field(opt_string())),
        ("downloads_link", field(opt_string())),
        ("total_cost_usd", field(opt_number())),
        ("session_cost_usd", field(opt_number())),
        ("created_at", field(opt_string())),
        ("updated_at", field(opt_string())),
    ])
}

fn vessl_body() -> impl Strategy<Value = Value> {
    let raw = prop_oneof![
        ".{0,40}".prop_map(Value::String),
        json_value().prop_map(|v| Value::String(v.to_string())),
        Just(Value::Null),
    ]
    .boxed();
    object(vec![
        ("status_code", field(opt_number())),
        ("raw_output", field(raw)),
        ("output", field(json_value().boxed())),
        ("fail_reason", field(opt_string())),
    ])
}

/// The task ids a Runware body and its questions are drawn from.
const IDS: &[&str] = &["t1", "t2", "t3"];

fn runware_item() -> impl Strategy<Value = Value> {
    object(vec![
        (
            "taskUUID",
            field(select(IDS).prop_map(|s| json!(s)).boxed()),
        ),
        ("taskType", field(Just(json!("videoInference")).boxed())),
        ("progress", field(opt_number())),
        ("cost", field(opt_number())),
        ("code", field(opt_string())),
        ("message", field(opt_string())),
    ])
}

fn runware_body() -> impl Strategy<Value = Value> {
    (
        prop::option::weighted(0.9, prop::collection::vec(runware_item(), 0..6)),
        prop::option::weighted(0.7, prop::collection::vec(runware_item(), 0..3)),
    )
        .prop_map(|(data, errors)| {
            let mut map = Map::new();
            if let Some(d) = data {
                map.insert("data".into(), Value::Array(d));
            }
            if let Some(e) = errors {
                map.insert("errors".into(), Value::Array(e));
            }
            Value::Object(map)
        })
}

/// The documented phase of a known status value of one API, `None` for an unknown one.
fn documented(api: &str, status: &str) -> Option<Phase> {
    use Phase::*;
    Some(match (api, status) {
        ("narada", "pending") => Running,
        ("narada", "input-required") => NeedsInput,
        ("narada", "success") => Succeeded,
        ("narada", "error") => Failed,
        ("dari", "pending") => Queued,
        ("dari", "running") => Running,
        ("dari", "paused") => Paused,
        ("dari", "waiting_for_input") => NeedsInput,
        ("dari", "completed") => Succeeded,
        ("dari", "failed") => Failed,
        ("vessl", "pending") => Queued,
        ("vessl", "in_progress") => Running,
        ("vessl", "completed") => Succeeded,
        ("vessl", "failed") => Failed,
        _ => return None,
    })
}

/// A parsed status agrees with the documented mapping of the body's `status`.
fn agrees(api: &str, body: &Value, parsed: Result<Status, FetchError>) {
    let status = body.get("status").and_then(Value::as_str);
    match (parsed, status) {
        (Ok(s), Some(raw)) => {
            assert_eq!(s.raw_status, raw);
            let expected =
                documented(api, raw).unwrap_or_else(|| panic!("{api}: {raw:?} accepted"));
            if api == "narada" && raw == "input-required" {
                // Final (failed) once completedAt is set.
                let completed = body.get("completedAt").is_some_and(|c| !c.is_null());
                let phase = if completed {
                    Phase::Failed
                } else {
                    Phase::NeedsInput
                };
                assert_eq!(s.phase, phase);
            } else {
                assert_eq!(s.phase, expected, "{api}: {raw:?}");
            }
            if s.phase == Phase::Failed {
                assert!(s.error.is_some(), "{api}: a failure without an error");
            }
        }
        (Ok(s), None) => panic!("{api}: a status without a status field: {s:?}"),
        (Err(FetchError::UnknownStatus { value }), Some(raw)) => {
            assert!(documented(api, raw).is_none(), "{api}: {raw:?} refused");
            assert!(raw.starts_with(value.trim_end_matches('…')));
            assert!(value.len() <= EXCERPT_LIMIT);
        }
        (Err(e), _) => {
            check_error(&e);
            // Anything else the body got wrong is a permanent format error.
            assert!(e.is_permanent(), "{api}: {e:?}");
        }
    }
}

type Parser = fn(&[u8]) -> Result<(), FetchError>;

/// The parsers whose truncation behaviour is checked.
const PARSERS: &[(&str, Parser)] = &[
    ("narada", |b| NaradaStatus::parse(b).map(drop)),
    ("dari", |b| DariStatus::parse(b).map(drop)),
    ("vessl", |b| VesslStatus::parse(b).map(drop)),
    ("runware", |b| RunwareResponse::parse(b).map(drop)),
];

/// For every parser that accepts `body` whole, every strict prefix of it that is not blank
/// (the body cut short on the wire) fails as a transient, truncated-body error.
fn prefixes_are_transient(body: &[u8], cuts: &[prop::sample::Index]) {
    for (name, parse) in PARSERS {
        if parse(body).is_err() {
            // A body that is wrong before the cut is rightly a permanent error.
            continue;
        }
        for cut in cuts {
            let prefix = &body[..cut.index(body.len())];
            if prefix.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let e = parse(prefix).expect_err("a strict prefix of a JSON object is not a body");
            assert!(
                matches!(
                    e,
                    FetchError::Decode {
                        truncated: true,
                        ..
                    }
                ) && e.is_transient(),
                "{name}: {:?}: {e:?}",
                String::from_utf8_lossy(prefix)
            );
        }
    }
}

/// `cases` cases (or `PROPTEST_CASES`), and no failure files: the cases are cheap to find
/// again, and the tree stays clean.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn arbitrary_bytes(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        parse_all(&body, IDS);
    }

    #[test]
    fn arbitrary_json(value in json_value()) {
        parse_all(&serde_json::to_vec(&value).unwrap(), IDS);
    }

    #[test]
    fn arbitrary_text_around_json(before in ".{0,4}", value in json_value(), after in ".{0,4}") {
        let body = format!("{before}{value}{after}");
        parse_all(body.as_bytes(), IDS);
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn narada_documented_shapes(body in narada_body(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 8)) {
        let bytes = serde_json::to_vec(&body).unwrap();
        agrees("narada", &body, NaradaStatus::parse(&bytes));
        check(NaradaResponse::parse(&bytes));
        prefixes_are_transient(&bytes, &cuts);
    }

    #[test]
    fn dari_documented_shapes(body in dari_body(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 8)) {
        let bytes = serde_json::to_vec(&body).unwrap();
        agrees("dari", &body, DariStatus::parse(&bytes));
        agrees("dari", &body, DariJobsStatus::parse(&bytes));
        check(DariResponse::parse(&bytes));
        prefixes_are_transient(&bytes, &cuts);
    }

    #[test]
    fn vessl_documented_shapes(body in vessl_body(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 8)) {
        let bytes = serde_json::to_vec(&body).unwrap();
        agrees("vessl", &body, VesslStatus::parse(&bytes));
        check(VesslResponse::parse(&bytes));
        prefixes_are_transient(&bytes, &cuts);
    }

    #[test]
    fn runware_documented_shapes(body in runware_body(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 8)) {
        let bytes = serde_json::to_vec(&body).unwrap();
        let answer = RunwareResponse::parse(&bytes).expect("an object is an answer");
        for id in IDS {
            let (data, errors) = answer.items_of(id);
            match answer.status_of(id) {
                Ok(s) => {
                    let processing = data.iter().any(|i| i["status"] == "processing");
                    assert_eq!(s.phase == Phase::Running, processing, "{id}: {s:?}");
                    if s.phase == Phase::Succeeded {
                        assert!(errors.is_empty());
                        assert!(data.iter().all(|i| i["status"] == "success"));
                    }
                    if s.phase == Phase::Failed {
                        assert!(!errors.is_empty() && s.error.is_some());
                    }
                    if let Some(p) = s.progress.and_then(|p| p.percent) {
                        assert!((0.0..=100.0).contains(&p), "{p}");
                    }
                    assert_eq!(s.output.map_or(0, |o| o.len()), data.len());
                }
                Err(e) => {
                    check_error(&e);
                    assert!(e.is_permanent(), "{e:?}");
                }
            }
        }
        prefixes_are_transient(&bytes, &cuts);
    }
}

/// Bodies nested far deeper than any API nests (a stack-exhaustion attempt): refused as
/// permanent format errors, without overflowing the stack.
#[test]
fn deeply_nested_bodies() {
    for depth in [127, 128, 129, 100_000] {
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let nested = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            for body in [
                nested.clone(),
                format!("{{\"status\": \"success\", \"response\": {nested}}}"),
                format!("{{\"status\": \"completed\", \"final_result\": {nested}}}"),
                format!("{{\"status\": \"completed\", \"output\": {nested}}}"),
                format!(
                    "{{\"data\": [{{\"taskUUID\": \"t1\", \"status\": \"success\", \"x\": {nested}}}]}}"
                ),
            ] {
                parse_all(body.as_bytes(), IDS);
            }
        }
    }
}
