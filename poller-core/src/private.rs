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

/// The raw status: the serde string form of the status field.
pub fn raw_status<T: Serialize + ?Sized>(value: &T) -> Result<String, FetchError> {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => Ok(s),
        Ok(other) => {
            let json = other.to_string();
            Err(FetchError::decode(
                "the status field did not serialize to a string",
                json.as_bytes(),
            ))
        }
        Err(e) => Err(FetchError::decode(
            format!("the status field could not be serialized: {e}"),
            b"",
        )),
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
    fn raw_status_needs_a_string() {
        assert_eq!(raw_status("done").unwrap(), "done");
        assert!(raw_status(&3).unwrap_err().is_permanent());
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
