//! Helpers that `#[derive(StatusResponse)]`'s generated code calls, re-exported under
//! `poller_core::__private`. Not a public API: they may change in any release.
//!
//! Fields are read through `Serialize` (into a `serde_json::Value`), so a field can be a
//! `String`, a `serde_json::Value`, or any user type deriving `Serialize`, and numbers through
//! [`Number`].

use crate::{FetchError, Progress, ProgressEvent, RemoteError, Status};
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

fn to_json<T: Serialize + ?Sized>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Text for a JSON value: a string as is, a number as written, anything else as JSON; `None`
/// for null and for an empty string.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The raw status: the serde string form of the status field; a number, `true`, `false` or
/// `null` as its JSON text (so `succeeded = [true]` and `running = [null]` can map them). An
/// object or a list is a permanent error naming the field and showing its value.
pub fn raw_status<T: Serialize + ?Sized>(value: &T, field: &str) -> Result<String, FetchError> {
    match serde_json::to_value(value) {
        Ok(value) => status_text(value, field),
        Err(e) => Err(FetchError::Other {
            message: format!("the status field `{field}` could not be serialized: {e}"),
            class: crate::ErrorClass::Permanent,
        }),
    }
}

/// [`raw_status`] of a value already read as JSON (a status at a path).
pub fn status_text(value: Value, field: &str) -> Result<String, FetchError> {
    match value {
        Value::String(s) => Ok(s),
        Value::Null => Ok("null".to_owned()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => {
            let kind = if other.is_array() {
                "a list"
            } else {
                "an object"
            };
            Err(FetchError::Other {
                message: format!(
                    "the status field `{field}` holds {kind}, not a status value: {}",
                    crate::excerpt(other.to_string().as_bytes())
                ),
                class: crate::ErrorClass::Permanent,
            })
        }
    }
}

/// The JSON value at `path` inside `value` (`["data", "status"]`, `["errors", "0"]`): each
/// step is an object key, or a list index; `null` when any step is missing.
pub fn at<T: Serialize + ?Sized>(value: &T, path: &[&str]) -> Value {
    let mut current = to_json(value);
    for step in path {
        current = match current {
            Value::Object(mut map) => map.remove(*step).unwrap_or(Value::Null),
            Value::Array(mut items) => match step.parse::<usize>() {
                Ok(i) if i < items.len() => items.swap_remove(i),
                _ => Value::Null,
            },
            _ => Value::Null,
        };
    }
    current
}

/// `json_string`: a string holding JSON becomes that JSON; any other string stays a string.
pub fn json_string(value: Value) -> Value {
    match value {
        Value::String(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        other => other,
    }
}

/// The output from a JSON value: `None` for null, an error naming `field` when it does not
/// fit the output type.
pub fn output_from<O: serde::de::DeserializeOwned>(
    value: Value,
    field: &str,
) -> Result<Option<O>, FetchError> {
    if value.is_null() {
        return Ok(None);
    }
    let text = value.to_string();
    serde_json::from_value(value).map(Some).map_err(|e| {
        FetchError::decode(
            format!("`{field}` does not fit the output type: {e}"),
            text.as_bytes(),
        )
    })
}

/// The body of a two-step result as the output: JSON, or else the body as a string (for an
/// output of type `serde_json::Value` or `String`).
pub fn parse_result<O: serde::de::DeserializeOwned>(body: &[u8]) -> Result<O, FetchError> {
    match serde_json::from_slice::<O>(body) {
        Ok(output) => Ok(output),
        Err(e) => std::str::from_utf8(body)
            .ok()
            .and_then(|text| serde_json::from_value(Value::String(text.to_owned())).ok())
            .ok_or_else(|| FetchError::from_json(&e, body)),
    }
}

/// The text of a field (a result URL): a string as is, `None` for null or empty.
pub fn text_of<T: Serialize + ?Sized>(value: &T) -> Option<String> {
    text(&to_json(value))
}

/// `true` when `value` is true, a non-zero number, or a non-empty string, list or object
/// (for `when_true`).
pub fn is_true<T: Serialize + ?Sized>(value: &T) -> bool {
    match to_json(value) {
        Value::Null => false,
        Value::Bool(b) => b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// `count` and `total`: the percentage done, when both are known and the total is positive.
pub fn set_counts<O>(status: &mut Status<O>, count: Option<f64>, total: Option<f64>) {
    if let (Some(count), Some(total)) = (count, total) {
        if total > 0.0 {
            set_percent(status, Some((count / total * 100.0).clamp(0.0, 100.0)));
        }
    }
}

/// `failed_message`: the error of a failed task that no field explained; `{status}` is the
/// raw status.
pub fn default_error<O>(status: &mut Status<O>, template: &str) {
    if status.phase == crate::Phase::Failed && status.error.is_none() {
        status.error = Some(RemoteError::new(
            template.replace("{status}", &status.raw_status),
        ));
    }
}

/// `true` unless `value` serializes to JSON null (for `when_set` on a non-`Option` field).
pub fn is_set<T: Serialize + ?Sized>(value: &T) -> bool {
    !to_json(value).is_null()
}

/// A number read from a field: `#[status(percent)]`, `progress`, `retry_after_secs`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a number",
    label = "`percent`, `progress` and `retry_after_secs` take a number",
    note = "use any integer or float type, an `Option` of one, or `serde_json::Value`"
)]
pub trait Number {
    /// The value as `f64`, or `None` when absent or not a number.
    fn to_f64(&self) -> Option<f64>;
}

macro_rules! number {
    ($($t:ty),*) => {$(
        impl Number for $t {
            #[allow(clippy::cast_lossless, clippy::cast_precision_loss)]
            fn to_f64(&self) -> Option<f64> {
                Some(*self as f64)
            }
        }
    )*};
}

number!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64
);

impl<T: Number> Number for Option<T> {
    fn to_f64(&self) -> Option<f64> {
        self.as_ref().and_then(Number::to_f64)
    }
}

impl<T: Number + ?Sized> Number for &T {
    fn to_f64(&self) -> Option<f64> {
        (**self).to_f64()
    }
}

impl<T: Number + ?Sized> Number for Box<T> {
    fn to_f64(&self) -> Option<f64> {
        (**self).to_f64()
    }
}

impl Number for Value {
    fn to_f64(&self) -> Option<f64> {
        self.as_f64()
    }
}

fn progress<O>(status: &mut Status<O>) -> &mut Progress {
    status.progress.get_or_insert_with(Progress::default)
}

/// `#[status(percent)]`: 0-100.
pub fn set_percent<O>(status: &mut Status<O>, percent: Option<f64>) {
    if let Some(p) = percent.filter(|p| p.is_finite()) {
        progress(status).percent = Some(p);
    }
}

/// `#[status(progress)]`: a fraction 0-1, stored as a percentage.
pub fn set_fraction<O>(status: &mut Status<O>, fraction: Option<f64>) {
    set_percent(status, fraction.map(|f| f * 100.0));
}

/// `#[status(retry_after_secs)]`.
pub fn set_retry_after_secs<O>(status: &mut Status<O>, secs: Option<f64>) {
    if let Some(d) = secs
        .filter(|s| *s >= 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
    {
        status.retry_after = Some(d);
    }
}

/// `#[status(step)]`.
pub fn set_step<O, T: Serialize + ?Sized>(status: &mut Status<O>, value: &T) {
    if let Some(step) = text(&to_json(value)) {
        progress(status).step = Some(step);
    }
}

/// `#[status(events)]`: each item of a list becomes a [`ProgressEvent`].
pub fn set_events<O, T: Serialize + ?Sized>(status: &mut Status<O>, value: &T) {
    let items = match to_json(value) {
        Value::Array(items) => items,
        Value::Null => return,
        other => vec![other],
    };
    let events: Vec<ProgressEvent> = items.into_iter().filter_map(event).collect();
    if !events.is_empty() {
        progress(status).events.extend(events);
    }
}

fn first_text(map: &serde_json::Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| map.get(*k).and_then(text))
}

fn event(item: Value) -> Option<ProgressEvent> {
    match item {
        Value::Null => None,
        Value::String(kind) => Some(ProgressEvent::new(kind)),
        Value::Object(map) => {
            let kind =
                first_text(&map, &["event_type", "type", "kind"]).unwrap_or_else(|| "event".into());
            let mut e = ProgressEvent::new(kind);
            e.message = first_text(&map, &["message"]);
            e.timestamp = first_text(&map, &["timestamp", "time", "created_at"]);
            e.data = map.get("data").filter(|d| !d.is_null()).cloned();
            Some(e)
        }
        other => Some(ProgressEvent::new("event").with_data(other)),
    }
}

/// `#[status(error)]`: a string is the message; an object gives `message` and `code`.
pub fn set_error<O, T: Serialize + ?Sized>(status: &mut Status<O>, value: &T) {
    let error = match to_json(value) {
        Value::Object(map) => {
            let code = first_text(&map, &["code"]);
            match (first_text(&map, &["message"]), code) {
                (Some(message), code) => Some(RemoteError { code, message }),
                (None, Some(code)) => Some(RemoteError::new(code.clone()).with_code(code)),
                (None, None) if map.is_empty() => None,
                (None, None) => Some(RemoteError::new(Value::Object(map).to_string())),
            }
        }
        Value::Bool(false) => None,
        Value::Array(items) if items.is_empty() => None,
        other => text(&other).map(RemoteError::new),
    };
    if error.is_some() {
        status.error = error;
    }
}

/// `#[status(error_code)]`: the code of the error; alone, an error only when the phase failed.
pub fn set_error_code<O, T: Serialize + ?Sized>(status: &mut Status<O>, value: &T) {
    let Some(code) = text(&to_json(value)) else {
        return;
    };
    match &mut status.error {
        Some(error) => error.code = Some(code),
        None if status.phase == crate::Phase::Failed => {
            status.error = Some(RemoteError::new(code.clone()).with_code(code));
        }
        None => {}
    }
}

/// `#[status(detail)]`: kept under `name`, unless null.
pub fn add_detail<O, T: Serialize + ?Sized>(status: &mut Status<O>, name: &str, value: &T) {
    let value = to_json(value);
    if !value.is_null() {
        status.details.insert(name.to_owned(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Phase;
    use serde_json::json;

    fn running() -> Status<()> {
        Status::new(Phase::Running, "running")
    }

    #[test]
    fn raw_status_of_every_scalar() {
        assert_eq!(raw_status("done", "status").unwrap(), "done");
        assert_eq!(raw_status(&3, "status").unwrap(), "3");
        assert_eq!(raw_status(&json!(true), "done").unwrap(), "true");
        assert_eq!(raw_status(&None::<bool>, "done").unwrap(), "null");
        let err = raw_status(&json!({"a": 1}), "state").unwrap_err();
        assert!(err.is_permanent());
        assert!(err.to_string().contains("`state` holds an object"), "{err}");
    }

    #[test]
    fn paths_and_conversions() {
        let body = json!({"data": {"items": [{"code": "E1"}]}});
        assert_eq!(at(&body, &["data", "items", "0", "code"]), "E1");
        assert_eq!(at(&body, &["data", "nope", "x"]), Value::Null);
        assert_eq!(at(&body, &["data", "items", "7"]), Value::Null);
        assert_eq!(json_string(json!("{\"a\": 1}")), json!({"a": 1}));
        assert_eq!(json_string(json!("plain")), json!("plain"));
        assert_eq!(output_from::<u8>(json!(null), "x").unwrap(), None);
        assert!(
            output_from::<u8>(json!("no"), "x")
                .unwrap_err()
                .is_permanent()
        );
        assert_eq!(parse_result::<Value>(b"hello").unwrap(), json!("hello"));
        assert_eq!(
            parse_result::<Value>(br#"{"a":1}"#).unwrap(),
            json!({"a": 1})
        );
        assert!(parse_result::<u8>(b"hello").is_err());
        assert!(is_true(&json!(1)) && !is_true(&json!(false)) && !is_true(&json!("")));
        let mut s = running();
        set_counts(&mut s, Some(40.0), Some(0.0));
        assert!(s.progress.is_none());
        set_counts(&mut s, Some(40.0), Some(160.0));
        assert_eq!(s.progress.unwrap().percent, Some(25.0));
        let mut s = Status::<()>::new(Phase::Failed, "error");
        default_error(&mut s, "reported `{status}` without a message");
        assert_eq!(
            s.error.unwrap().message,
            "reported `error` without a message"
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(Some(3u8).to_f64(), Some(3.0));
        assert_eq!(None::<f32>.to_f64(), None);
        assert_eq!(json!(0.5).to_f64(), Some(0.5));
        assert_eq!(json!("x").to_f64(), None);
        let mut s = running();
        set_fraction(&mut s, Some(0.25));
        assert_eq!(s.progress.unwrap().percent, Some(25.0));
        let mut s = running();
        set_percent(&mut s, Some(f64::NAN));
        assert!(s.progress.is_none());
        set_retry_after_secs(&mut s, Some(-1.0));
        assert!(s.retry_after.is_none());
        set_retry_after_secs(&mut s, Some(1.5));
        assert_eq!(s.retry_after, Some(Duration::from_millis(1500)));
    }

    #[test]
    fn errors() {
        let mut s = running();
        set_error(&mut s, &json!({"message": "boom", "code": 42}));
        assert_eq!(s.error, Some(RemoteError::new("boom").with_code("42")));
        let mut s = running();
        set_error(&mut s, &Some(""));
        set_error(&mut s, &json!({}));
        assert!(s.error.is_none());
        set_error_code(&mut s, "E1");
        assert!(
            s.error.is_none(),
            "a code alone is an error only when failed"
        );
        let mut s = Status::<()>::new(Phase::Failed, "error");
        set_error_code(&mut s, "E1");
        assert_eq!(s.error, Some(RemoteError::new("E1").with_code("E1")));
        let mut s = running();
        set_error(&mut s, &json!({"detail": "x"}));
        assert_eq!(s.error.unwrap().message, r#"{"detail":"x"}"#);
    }

    #[test]
    fn events() {
        let mut s = running();
        set_events(
            &mut s,
            &json!([
                {"event_type": "started", "message": "go", "timestamp": "t0", "data": {"a": 1}},
                {"type": "step", "time": "t1"},
                {"kind": "k", "created_at": 5},
                "plain",
                {"message": "no kind"},
            ]),
        );
        let events = s.progress.unwrap().events;
        assert_eq!(events.len(), 5);
        assert_eq!(events[0].kind, "started");
        assert_eq!(events[0].data, Some(json!({"a": 1})));
        assert_eq!(events[1].timestamp.as_deref(), Some("t1"));
        assert_eq!(events[2].timestamp.as_deref(), Some("5"));
        assert_eq!(events[3].kind, "plain");
        assert_eq!(events[4].kind, "event");
    }

    #[test]
    fn details_skip_null() {
        let mut s = running();
        add_detail(&mut s, "a", &None::<u8>);
        add_detail(&mut s, "b", &Some(2));
        assert_eq!(s.details.len(), 1);
        assert!(is_set(&json!(0)));
        assert!(!is_set(&json!(null)));
    }
}
