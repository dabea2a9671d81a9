//! The receiver's axum routes: raw body first (under the body limit), verify, then parse.

use axum::Router;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use bytes::Bytes;
use serde_json::Value;

use super::receiver::{Receiver, Vendor};
use super::verify::{self, Refused};

/// Dari's signature header.
const DARI_SIGNATURE: &str = "x-webhook-signature";

impl Receiver {
    /// The routes (`POST /narada`, `POST /runware`, `POST /dari`), to serve alone or to nest
    /// in a router of your own: then give the full prefix to
    /// [`public_url`](Receiver::public_url).
    ///
    /// ```
    /// use poller_providers::webhook::Receiver;
    /// let receiver = Receiver::new().public_url("https://example.com/hooks");
    /// let app: axum::Router = axum::Router::new().nest("/hooks", receiver.router());
    /// # let _ = app;
    /// ```
    pub fn router(&self) -> Router {
        Router::new()
            .route(Vendor::Narada.route(), post(narada))
            .route(Vendor::Runware.route(), post(runware))
            .route(Vendor::Dari.route(), post(dari))
            .layer(DefaultBodyLimit::max(self.body_limit))
            .with_state(self.clone())
    }
}

type Answer = (StatusCode, &'static str);

fn answer(status: StatusCode) -> Answer {
    let text = match status {
        StatusCode::OK => "ok",
        StatusCode::UNAUTHORIZED => "unverified callback",
        StatusCode::NOT_FOUND => "no such task expected",
        _ => "malformed callback",
    };
    (status, text)
}

fn malformed(vendor: Vendor, what: &'static str) -> Answer {
    tracing::warn!(%vendor, what, "malformed callback: no poll");
    answer(StatusCode::BAD_REQUEST)
}

/// Narada: the JSON body names the task (`requestId`) and carries its `callbackSecret`.
async fn narada(State(r): State<Receiver>, body: Bytes) -> Answer {
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        return malformed(Vendor::Narada, "body is not JSON");
    };
    let Some(id) = payload.get("requestId").and_then(Value::as_str) else {
        return malformed(Vendor::Narada, "no requestId");
    };
    let presented = payload.get("callbackSecret").and_then(Value::as_str);
    answer(r.accept(
        Vendor::Narada,
        id,
        &body,
        |secret| matches!((secret, presented), (Some(s), Some(p)) if verify::same_secret(s, p)),
    ))
}

/// Runware: the token in the query, then the task's JSON response; every `taskUUID` in it.
async fn runware(State(r): State<Receiver>, RawQuery(query): RawQuery, body: Bytes) -> Answer {
    let token = query.as_deref().and_then(|q| {
        url_pairs(q)
            .find(|(k, _)| *k == "token")
            .map(|(_, v)| v.to_owned())
    });
    if !token.is_some_and(|t| verify::same_secret(&r.runware_token, &t)) {
        tracing::warn!(vendor = %Vendor::Runware, "callback with a wrong token: no poll");
        return answer(StatusCode::UNAUTHORIZED);
    }
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        return malformed(Vendor::Runware, "body is not JSON");
    };
    let ids = runware_task_ids(&payload);
    if ids.is_empty() {
        return malformed(Vendor::Runware, "no taskUUID");
    }
    for id in ids {
        // An unexpected task is answered 200 all the same: Runware resends on anything else.
        r.accept(Vendor::Runware, id, &body, |_| true);
    }
    answer(StatusCode::OK)
}

/// The `taskUUID`s of a Runware response (`data` and `errors` items) or of a bare item.
fn runware_task_ids(payload: &Value) -> Vec<&str> {
    let mut ids: Vec<&str> = ["data", "errors"]
        .iter()
        .filter_map(|k| payload.get(k)?.as_array())
        .flatten()
        .chain(std::iter::once(payload))
        .filter_map(|item| item.get("taskUUID")?.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// `k=v` pairs of a query; a token is hex, so no percent-decoding is needed to match it.
fn url_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
}

/// Dari: the signature of the raw body first, then `job_id` from the JSON.
async fn dari(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> Answer {
    let Some(secret) = &r.dari_secret else {
        return answer(StatusCode::NOT_FOUND);
    };
    let header = headers.get(DARI_SIGNATURE).map(|v| v.as_bytes());
    match verify::dari_signature(secret, header, &body) {
        Ok(()) => {}
        Err(Refused::Malformed) => {
            return malformed(Vendor::Dari, "signature is not 64 hex digits");
        }
        Err(Refused::Missing | Refused::Mismatch) => {
            tracing::warn!(vendor = %Vendor::Dari, "callback with a wrong signature: no poll");
            return answer(StatusCode::UNAUTHORIZED);
        }
    }
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        return malformed(Vendor::Dari, "body is not JSON");
    };
    let Some(id) = payload.get("job_id").and_then(Value::as_str) else {
        return malformed(Vendor::Dari, "no job_id");
    };
    answer(r.accept(Vendor::Dari, id, &body, |_| true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn runware_ids_come_from_data_errors_or_a_bare_item() {
        let body = json!({"data": [{"taskUUID": "a"}, {"taskUUID": "b"}, {"taskUUID": "a"}],
                          "errors": [{"taskUUID": "c"}]});
        assert_eq!(runware_task_ids(&body), ["a", "b", "c"]);
        assert_eq!(runware_task_ids(&json!({"taskUUID": "x"})), ["x"]);
        assert!(runware_task_ids(&json!({"data": []})).is_empty());
    }

    #[test]
    fn query_pairs_split_on_ampersands() {
        let pairs: Vec<_> = url_pairs("a=1&token=abc&flag").collect();
        assert_eq!(pairs, [("a", "1"), ("token", "abc"), ("flag", "")]);
    }
}
