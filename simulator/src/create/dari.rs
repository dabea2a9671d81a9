//! `POST /jobs/{org_id}/{endpoint_name}/start`: starts a Dari job.
//!
//! 401 `{"detail": …}` for a wrong key, 403 for an organisation the key does not belong to
//! (Dari's documented errors), 422 FastAPI-style `{"detail": [{"loc", "msg", "type"}]}` for a
//! body that is not a JSON object, `form_data` and `document_bundle_id` both missing,
//! `form_data` not an object, `document_bundle_id` not a string, or `max_turns` /
//! `timeout_minutes` not positive integers. The answer is 200 `{"job_id": "<uuid v4>"}`.

use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::{check_types, field_error, validation_body};
use crate::api::TaskKey;
use crate::dari::{DariEntry, DariStatus, access};
use crate::reply::Reply;
use crate::rng::uuid_from;
use crate::server::Shared;

fn validate(body: &Value) -> Vec<Value> {
    let Some(obj) = body.as_object() else {
        return vec![
            json!({"loc": ["body"], "msg": "Input should be a valid dictionary", "type": "dict_type"}),
        ];
    };
    let present = |k: &str| obj.get(k).is_some_and(|v| !v.is_null());
    let mut errors = Vec::new();
    if !present("form_data") && !present("document_bundle_id") {
        errors.push(field_error(
            "form_data",
            "value_error",
            "Either form_data or document_bundle_id must be provided",
        ));
    }
    errors.extend(check_types(
        obj,
        &[
            ("form_data", "object"),
            ("document_bundle_id", "string"),
            ("max_turns", "integer"),
            ("timeout_minutes", "integer"),
        ],
    ));
    for name in ["max_turns", "timeout_minutes"] {
        if obj.get(name).and_then(Value::as_i64).is_some_and(|n| n < 1) {
            errors.push(field_error(
                name,
                "greater_than_equal",
                "Input should be greater than or equal to 1",
            ));
        }
    }
    errors
}

/// `POST /jobs/{org}/{endpoint}/start`.
pub(crate) fn start(
    shared: &Shared,
    headers: &HeaderMap,
    org: &str,
    endpoint: &str,
    body: &[u8],
) -> Reply {
    if let Err(denied) = access(shared, headers, org) {
        return denied;
    }
    let errors = match serde_json::from_slice::<Value>(body) {
        Ok(v) => validate(&v),
        Err(e) => vec![
            json!({"loc": ["body"], "msg": format!("JSON decode error: {e}"), "type": "json_invalid"}),
        ],
    };
    if !errors.is_empty() {
        return Reply::json(StatusCode::UNPROCESSABLE_ENTITY, validation_body(errors));
    }
    let now = shared.clock.elapsed();
    let mut state = shared.lock();
    let key = loop {
        let id = uuid_from(state.ids.next_u64());
        let key = (org.to_owned(), endpoint.to_owned(), id);
        if !state.dari.contains_key(&key) {
            break key;
        }
    };
    let job_id = key.2.clone();
    let script = state.next_dari_script();
    let last = script.stages().last().map(|(_, s)| s.status);
    if matches!(last, Some(DariStatus::Completed | DariStatus::Failed)) {
        let task = TaskKey::dari(key.0.as_str(), key.1.as_str(), key.2.as_str());
        state.callbacks.dari(task, now + script.total_before_last());
    }
    state.dari.insert(key, DariEntry { added: now, script });
    Reply::json(StatusCode::OK, json!({ "job_id": job_id }))
}
