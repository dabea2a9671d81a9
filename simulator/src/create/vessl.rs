//! `POST /api/v1/services/{slug}/async`: queues a VESSL Serve async request.
//!
//! The body is the request to forward: `{"data": …, "method": "POST", "path": "/"}`. 401
//! `{"message": …}` for a wrong token; 400 `{"message": …}` for a body that is not a JSON
//! object, `data` missing, `method` not an HTTP method, or `path` not starting with `/`. The
//! answer is 201 `{"id": …}` with a 12-character lowercase alphanumeric id.

use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::reply::Reply;
use crate::server::Shared;
use crate::vessl::{VesslEntry, authorised, error};

fn validate(body: &[u8]) -> Result<(), String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("Invalid JSON body: {e}"))?;
    let obj = v.as_object().ok_or("Request body must be a JSON object")?;
    if !obj.contains_key("data") {
        return Err("Field 'data' is required".into());
    }
    if let Some(m) = obj.get("method") {
        let ok = m
            .as_str()
            .is_some_and(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_uppercase()));
        if !ok {
            return Err(format!(
                "Field 'method' must be an HTTP method such as \"POST\", not {m}"
            ));
        }
    }
    if let Some(p) = obj.get("path") {
        if !p.as_str().is_some_and(|p| p.starts_with('/')) {
            return Err(format!(
                "Field 'path' must be a string starting with '/', not {p}"
            ));
        }
    }
    Ok(())
}

/// `POST .../async`.
pub(crate) fn create(shared: &Shared, headers: &HeaderMap, slug: &str, body: &[u8]) -> Reply {
    if !authorised(shared, headers) {
        return error(StatusCode::UNAUTHORIZED, "Invalid or missing token");
    }
    if let Err(message) = validate(body) {
        return error(StatusCode::BAD_REQUEST, &message);
    }
    let now = shared.clock.elapsed();
    let mut state = shared.lock();
    let key = loop {
        let key = (slug.to_owned(), state.ids.alnum(12));
        if !state.vessl.contains_key(&key) {
            break key;
        }
    };
    let id = key.1.clone();
    let script = state.next_vessl_script();
    state.vessl.insert(key, VesslEntry { added: now, script });
    Reply::json(StatusCode::CREATED, json!({ "id": id }))
}
