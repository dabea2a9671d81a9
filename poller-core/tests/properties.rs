//! Property tests of the parts every provider relies on: the parsing that
//! `#[derive(StatusResponse)]` generates, error excerpts and classification, `Retry-After`
//! parsing, and URL building (one segment per value, base URL checks). None may panic, on
//! any input.
#![cfg(all(feature = "derive", feature = "http"))]

use poller_core::http::{check_base_url, encode_segment, parse_retry_after, render_template};
use poller_core::{
    EXCERPT_LIMIT, FetchError, HttpEndpoint, HttpSource, Phase, Status, StatusResponse, excerpt,
};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

/// Every attribute the derive knows, on `serde_json::Value` fields where it allows them so
/// that any JSON reaches the generated code.
#[derive(Debug, serde::Deserialize, StatusResponse)]
#[status(request(
    path = "/v1/{org}/jobs/{task_id}",
    query(job_id = "{task_id}", org = "{org}"),
    auth = header("X-Key"),
))]
#[allow(dead_code)]
struct Everything {
    #[status(
        queued = ["queued"],
        running = ["running"],
        needs_input = ["input"],
        paused = ["paused"],
        succeeded = ["done"],
        failed = ["error"],
        cancelled = ["cancelled"],
    )]
    status: String,
    #[status(output)]
    result: Option<Value>,
    #[status(error)]
    error: Option<Value>,
    #[status(error_code)]
    code: Option<Value>,
    #[status(percent)]
    pct: Option<f64>,
    #[status(progress)]
    fraction: Option<Value>,
    #[status(step)]
    step: Option<Value>,
    #[status(events)]
    events: Option<Value>,
    #[status(retry_after_secs)]
    retry_in: Option<f64>,
    #[status(detail)]
    cost: Option<Value>,
    #[status(detail = "finishedAt", when_set(needs_input = failed))]
    finished_at: Option<String>,
}

/// A status field of any JSON, any value accepted.
#[derive(Debug, serde::Deserialize, StatusResponse)]
struct Loose {
    #[status(succeeded = ["done"], failed = ["error"], case_insensitive, unknown = running)]
    status: Value,
    #[status(percent)]
    pct: Value,
}

/// A typed status.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum State {
    Queued,
    Done,
    Error,
}

#[derive(Debug, serde::Deserialize, StatusResponse)]
struct Typed {
    #[status(field, queued = ["QUEUED"], succeeded = ["DONE"], failed = ["ERROR"])]
    state: State,
    #[status(output)]
    images: Option<Vec<String>>,
    #[status(percent)]
    pct: Option<u8>,
}

fn check_error(e: &FetchError) {
    match e {
        FetchError::Http { excerpt, .. } | FetchError::Decode { excerpt, .. } => {
            assert!(excerpt.len() <= EXCERPT_LIMIT, "{} bytes", excerpt.len())
        }
        FetchError::UnknownStatus { value } => assert!(value.len() <= EXCERPT_LIMIT),
        _ => {}
    }
    let _ = (e.to_string(), format!("{e:?}"), e.class(), e.retry_after());
}

fn check_status<O>(s: &Status<O>) {
    if let Some(p) = &s.progress {
        if let Some(percent) = p.percent {
            assert!(percent.is_finite(), "{percent}");
        }
    }
    let _ = (s.is_final(), s.phase.to_string());
}

fn parse_all(body: &[u8]) {
    for r in [
        Everything::parse(body).map(|s| check_status(&s)),
        Loose::parse(body).map(|s| check_status(&s)),
        Typed::parse(body).map(|s| check_status(&s)),
    ] {
        if let Err(e) = r {
            check_error(&e);
        }
    }
}

const KEYS: &[&str] = &[
    "status",
    "state",
    "result",
    "error",
    "code",
    "pct",
    "fraction",
    "step",
    "events",
    "retry_in",
    "cost",
    "finished_at",
    "message",
    "event_type",
    "type",
    "kind",
    "timestamp",
    "data",
    "images",
];

const VALUES: &[&str] = &[
    "queued",
    "running",
    "input",
    "paused",
    "done",
    "error",
    "cancelled",
    "DONE",
    "QUEUED",
    "ERROR",
    "Done",
];

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        select(&[0.0, -1.0, 1e308, -1e308, 1e-308, 100.0, 0.5][..]).prop_map(|f| json!(f)),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        ".{0,16}".prop_map(Value::String),
        select(VALUES).prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![select(KEYS).prop_map(str::to_string), ".{0,8}"],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// An object with the derive's fields, each absent, plausible or anything.
fn shaped() -> impl Strategy<Value = Value> {
    let field = || prop::option::of(prop_oneof![2 => json_value(), 1 => number()]);
    let status = prop_oneof![
        3 => select(VALUES).prop_map(|s| json!(s)),
        1 => ".{0,10}".prop_map(Value::String),
        1 => json_value(),
    ];
    (
        prop::option::weighted(0.9, status),
        prop::collection::vec((select(KEYS), field()), 0..12),
    )
        .prop_map(|(status, fields)| {
            let mut map = Map::new();
            if let Some(s) = status {
                map.insert("status".into(), s.clone());
                map.insert("state".into(), s);
            }
            for (k, v) in fields {
                if let Some(v) = v {
                    map.insert(k.to_string(), v);
                }
            }
            Value::Object(map)
        })
}

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

/// Decodes `%XX` escapes (and nothing else).
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn unreserved_or_escape(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => i += 1,
            b'%' if i + 2 < b.len()
                && b[i + 1].is_ascii_hexdigit()
                && b[i + 2].is_ascii_hexdigit() =>
            {
                i += 3
            }
            _ => return false,
        }
    }
    true
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn derived_parsers_take_any_bytes(body in prop::collection::vec(any::<u8>(), 0..1024)) {
        parse_all(&body);
    }

    #[test]
    fn derived_parsers_take_any_json(value in json_value()) {
        parse_all(value.to_string().as_bytes());
    }

    #[test]
    fn derived_parsers_follow_the_mapping(body in shaped()) {
        let bytes = body.to_string().into_bytes();
        parse_all(&bytes);
        let raw = body.get("status").and_then(Value::as_str);
        match (Everything::parse(&bytes), raw) {
            (Ok(s), Some(raw)) => {
                assert_eq!(s.raw_status, raw);
                let mapped = match raw {
                    "queued" => Phase::Queued,
                    "running" => Phase::Running,
                    "input" => Phase::NeedsInput,
                    "paused" => Phase::Paused,
                    "done" => Phase::Succeeded,
                    "error" => Phase::Failed,
                    "cancelled" => Phase::Cancelled,
                    other => panic!("{other:?} accepted"),
                };
                let finished = body.get("finished_at").is_some_and(|f| !f.is_null());
                let expected = if mapped == Phase::NeedsInput && finished { Phase::Failed } else { mapped };
                assert_eq!(s.phase, expected);
                if let Some(d) = s.retry_after {
                    assert!(body["retry_in"].as_f64().is_some_and(|r| r >= 0.0 && (r - d.as_secs_f64()).abs() < 1e-6 * r.max(1.0)));
                }
            }
            (Ok(s), None) => panic!("no status, yet {s:?}"),
            (Err(FetchError::UnknownStatus { value }), Some(raw)) => {
                assert!(raw.starts_with(value.trim_end_matches('…')));
            }
            (Err(e), _) => {
                check_error(&e);
                assert!(e.is_permanent(), "{e:?}");
            }
        }
        // `unknown = running` and case-insensitivity: any string status is accepted.
        if let (Some(raw), Ok(s)) = (raw, Loose::parse(&bytes)) {
            let expected = match raw.to_lowercase().as_str() {
                "done" => Phase::Succeeded,
                "error" => Phase::Failed,
                _ => Phase::Running,
            };
            assert_eq!(s.phase, expected, "{raw:?}");
        }
    }

    #[test]
    fn excerpts_stay_within_the_limit(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        let e = excerpt(&body);
        assert!(e.len() <= EXCERPT_LIMIT);
        if let Ok(text) = std::str::from_utf8(&body) {
            if body.len() <= EXCERPT_LIMIT {
                assert_eq!(e, text, "a body that fits is kept whole");
            } else {
                assert!(text.starts_with(e.trim_end_matches('…')));
            }
        }
        check_error(&FetchError::http(500, &body));
        check_error(&FetchError::decode("r", &body));
        check_error(&FetchError::unknown_status(String::from_utf8_lossy(&body)));
        if let Err(err) = serde_json::from_slice::<Value>(&body) {
            check_error(&FetchError::from_json(&err, &body));
        }
    }

    #[test]
    fn retry_after_takes_any_header(value in ".{0,40}", secs in any::<u32>()) {
        let now = SystemTime::now();
        let _ = parse_retry_after(&value, now);
        assert_eq!(parse_retry_after(&secs.to_string(), now), Some(Duration::from_secs(secs.into())));
        let date = httpdate_fmt(now + Duration::from_secs(secs.into()));
        let d = parse_retry_after(&date, now).unwrap();
        assert!(d <= Duration::from_secs(secs.into()) && d + Duration::from_secs(1) >= Duration::from_secs(secs.into()));
        let past = httpdate_fmt(now - Duration::from_secs(secs.min(1_000_000_000).into()));
        assert!(parse_retry_after(&past, now).unwrap() <= Duration::from_secs(1));
    }

    #[test]
    fn every_value_stays_one_segment(id in ".{0,64}", org in ".{1,32}") {
        let encoded = encode_segment(&id);
        assert!(unreserved_or_escape(&encoded), "{encoded}");
        assert_eq!(percent_decode(&encoded), id.as_bytes());
        let params = BTreeMap::from([("org".to_string(), org.clone())]);
        // `.`, `..` and empty segments are refused.
        let refused = |v: &str| v.is_empty() || v == "." || v == "..";
        match render_template(Everything::REQUEST.path, &id, &params) {
            Ok(path) => {
                assert!(!refused(&id) && !refused(&org));
                assert_eq!(path.matches('/').count(), 4, "{path}");
            }
            Err(_) => assert!(refused(&id) || refused(&org)),
        }
        let source = HttpSource::<Everything>::new("https://api.example.com/base", "k").unwrap().param("org", org.clone());
        match source.url_for(&id) {
            Ok(url) => {
                assert_eq!(url.host_str(), Some("api.example.com"));
                let segments: Vec<&str> = url.path_segments().unwrap().collect();
                assert_eq!(segments.len(), 5, "{url}");
                assert_eq!(segments[0], "base");
                assert_eq!(percent_decode(segments[2]), org.as_bytes());
                assert_eq!(percent_decode(segments[4]), id.as_bytes());
                let pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
                assert_eq!(pairs, [("job_id".to_string(), id.clone()), ("org".to_string(), org.clone())]);
                assert_eq!(url.fragment(), None);
            }
            Err(_) => assert!(refused(&id) || refused(&org)),
        }
    }

    #[test]
    fn a_slash_keeping_placeholder_keeps_only_slashes(id in "[a-z./ %?#]{0,40}") {
        // `{+task_id}`: the `/`s of the id stay, each part is one encoded segment, and an
        // empty, `.` or `..` part is refused.
        let params = BTreeMap::new();
        let parts: Vec<&str> = id.split('/').collect();
        let refused = parts.iter().any(|p| p.is_empty() || *p == "." || *p == "..");
        match render_template("/v1/{+task_id}/x", &id, &params) {
            Ok(path) => {
                assert!(!refused, "{id:?} gave {path}");
                let segments: Vec<&str> = path.split('/').collect();
                assert_eq!(segments.len(), parts.len() + 3, "{path}");
                assert_eq!((segments[1], *segments.last().unwrap()), ("v1", "x"));
                for (segment, part) in segments[2..segments.len() - 1].iter().zip(&parts) {
                    assert!(unreserved_or_escape(segment), "{segment}");
                    assert_eq!(percent_decode(segment), part.as_bytes());
                }
            }
            Err(_) => assert!(refused, "{id:?} refused"),
        }
    }

    #[test]
    fn base_urls_are_checked(url in prop_oneof![
        ".{0,40}",
        ("(http|https|ftp|HTTP)", "(://)", "[a-z0-9.:\\[\\]@-]{0,30}", "(/[a-z]{0,5})?").prop_map(|(a, b, c, d)| format!("{a}{b}{c}{d}")),
    ]) {
        if let Ok(u) = check_base_url(&url, false) {
            assert!(u.username().is_empty() && u.password().is_none());
            assert!(u.query().is_none() && u.fragment().is_none());
            match u.scheme() {
                "https" => {}
                "http" => {
                    let host = u.host_str().unwrap();
                    let bare = host.trim_start_matches('[').trim_end_matches(']');
                    assert!(
                        host.eq_ignore_ascii_case("localhost")
                            || bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()),
                        "plain http to {host}"
                    );
                }
                other => panic!("scheme {other}"),
            }
        }
        let _ = check_base_url(&url, true);
    }
}

fn httpdate_fmt(t: SystemTime) -> String {
    // RFC 7231 IMF-fixdate, written here rather than borrowed from the crate under test.
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, rem / 60 % 60, rem % 60);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if mo <= 2 { y + 1 } else { y };
    let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let mon = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(mo - 1) as usize];
    format!("{wd}, {d:02} {mon} {y} {h:02}:{m:02}:{s:02} GMT")
}
