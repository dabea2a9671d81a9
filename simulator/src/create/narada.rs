//! `POST /fast/v2/remote-dispatch`: creates a Narada task.
//!
//! A body that is not JSON, or not an object, is 400 `{"detail": "…"}`. Field validation is a
//! FastAPI-style 422 `{"detail": [{"loc": ["body", field], "msg", "type"}]}` (as Narada's
//! `{"detail": …}` errors suggest): `prompt`
//! missing, not a string or empty; `executionMode` not one of `client`, `cloud`,
//! `cloud_browser`; `browserWindowId` (or the older `sessionId`) missing with `client`; any other documented field of
//! the wrong type. A wrong key is 401.

use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::{check_types, field_error, validation_body};
use crate::narada::{NaradaTask, authorised, error};
use crate::reply::Reply;
use crate::server::Shared;

const MODES: [&str; 3] = ["client", "cloud", "cloud_browser"];

fn validate(body: &Value) -> Vec<Value> {
    let Some(obj) = body.as_object() else {
        return vec![];
    };
    let mut errors = Vec::new();
    match obj.get("prompt") {
        None | Some(Value::Null) => errors.push(field_error("prompt", "missing", "Field required")),
        Some(Value::String(p)) if p.trim().is_empty() => errors.push(field_error(
            "prompt",
            "string_too_short",
            "String should have at least 1 character",
        )),
        Some(Value::String(_)) => {}
        Some(_) => errors.push(super::type_error("prompt", "string")),
    }
    let mode = obj.get("executionMode").filter(|v| !v.is_null());
    if let Some(m) = mode.filter(|m| !m.as_str().is_some_and(|m| MODES.contains(&m))) {
        errors.push(field_error(
            "executionMode",
            "enum",
            &format!("Input should be 'client', 'cloud' or 'cloud_browser', not {m}"),
        ));
    }
    // Older documentation called it `sessionId`.
    let window = obj
        .get("browserWindowId")
        .or_else(|| obj.get("sessionId"))
        .and_then(Value::as_str);
    if mode.and_then(Value::as_str) == Some("client") && window.is_none_or(str::is_empty) {
        errors.push(field_error(
            "browserWindowId",
            "value_error",
            "browserWindowId is required when executionMode is client",
        ));
    }
    errors.extend(check_types(
        obj,
        &[
            ("browserWindowId", "string"),
            ("clearChat", "boolean"),
            ("previousRequestId", "string"),
            ("generateGif", "boolean"),
            ("responseFormat", "object"),
            ("callbackUrl", "string"),
            ("callbackHeaders", "object"),
            ("callbackSecret", "string"),
        ],
    ));
    errors
}

/// `POST /fast/v2/remote-dispatch`.
pub(crate) fn create(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Reply {
    if !authorised(shared, headers) {
        return error(StatusCode::UNAUTHORIZED, "Invalid or missing API key");
    }
    let parsed = match serde_json::from_slice::<Value>(body) {
        Ok(v) if v.is_object() => v,
        Ok(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "Request body must be a JSON object",
            );
        }
        Err(e) => return error(StatusCode::BAD_REQUEST, &format!("Invalid JSON body: {e}")),
    };
    let errors = validate(&parsed);
    if !errors.is_empty() {
        return Reply::json(StatusCode::UNPROCESSABLE_ENTITY, validation_body(errors));
    }
    let now = shared.clock.elapsed();
    let mut state = shared.lock();
    let id = loop {
        let candidate = format!("req_{}", state.ids.alnum(12));
        if !state.narada.contains_key(&candidate) {
            break candidate;
        }
    };
    let script = state.next_narada_script();
    if script.stages().last().is_some_and(|(_, s)| s.is_final()) {
        let final_at = now + script.total_before_last();
        state.callbacks.narada(&id, &parsed, final_at);
    }
    state
        .narada
        .insert(id.clone(), NaradaTask { added: now, script });
    Reply::json(StatusCode::ACCEPTED, json!({ "requestId": id }))
}
