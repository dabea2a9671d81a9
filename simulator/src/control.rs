//! The JSON control API under `/_sim`, so the binary can be driven from a shell.
//!
//! The routes and JSON forms are documented in the crate docs (`lib.rs`).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use bytes::Bytes;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::api::{Api, TaskKey};
use crate::create::CreatedScript;
use crate::dari::DariStage;
use crate::faults::{Fault, FaultId, FaultPlan, FaultTarget, FaultWhen, RandomFaults};
use crate::log::RequestView;
use crate::narada::NaradaStage;
use crate::route::query_param;
use crate::runware::RunwareTask;
use crate::script::Script;
use crate::server::Shared;
use crate::vessl::VesslStage;

type S = State<Arc<Shared>>;

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/info", get(info))
        .route("/tasks", post(add_tasks).delete(remove_task))
        .route("/created-scripts", post(add_created_script))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/faults", post(add_fault).delete(clear_faults))
        .route("/faults/{id}", delete(remove_fault))
        .route("/callbacks", post(set_callbacks))
        .route(
            "/dari-webhook",
            post(set_dari_webhook).delete(clear_dari_webhook),
        )
        .route(
            "/random-faults",
            post(set_random_faults).delete(clear_random_faults),
        )
}

fn bad(status: StatusCode, msg: impl std::fmt::Display) -> Response {
    (status, axum::Json(json!({ "error": msg.to_string() }))).into_response()
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| Box::new(bad(StatusCode::BAD_REQUEST, e)))
}

async fn info(State(shared): S) -> Response {
    let base = &shared.base_url;
    axum::Json(json!({
        "base_url": base,
        "narada_base_url": base,
        "runware_base_url": format!("{base}/v1"),
        "dari_base_url": base,
        "vessl_base_url": format!("{base}/api/v1/services/{{slug}}"),
        "keys": shared.keys,
        "elapsed_secs": shared.clock.elapsed().as_secs_f64(),
    }))
    .into_response()
}

/// A task to add, tagged by `api`.
#[derive(Deserialize)]
#[serde(tag = "api", rename_all = "lowercase")]
enum TaskSpec {
    Narada {
        id: String,
        script: Script<NaradaStage>,
    },
    Runware {
        id: String,
        #[serde(flatten)]
        task: RunwareTask,
    },
    Dari {
        #[serde(default)]
        org: Option<String>,
        endpoint: String,
        id: String,
        script: Script<DariStage>,
    },
    Vessl {
        slug: String,
        id: String,
        script: Script<VesslStage>,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    Many(Vec<T>),
    One(T),
}

async fn add_tasks(State(shared): S, body: Bytes) -> Response {
    let specs = match parse::<OneOrMany<TaskSpec>>(&body) {
        Ok(OneOrMany::Many(v)) => v,
        Ok(OneOrMany::One(s)) => vec![s],
        Err(e) => return *e,
    };
    let mut out = Vec::new();
    for spec in specs {
        let key = match spec {
            TaskSpec::Narada { id, script } => {
                shared.add_narada(id.clone(), script);
                TaskKey::narada(id)
            }
            TaskSpec::Runware { id, task } => {
                shared.add_runware(id.clone(), task);
                TaskKey::runware(id)
            }
            TaskSpec::Dari {
                org,
                endpoint,
                id,
                script,
            } => {
                let org = org.unwrap_or_else(|| shared.keys.dari_org.clone());
                shared.add_dari((org.clone(), endpoint.clone(), id.clone()), script);
                TaskKey::dari(org, endpoint, id)
            }
            TaskSpec::Vessl { slug, id, script } => {
                shared.add_vessl((slug.clone(), id.clone()), script);
                TaskKey::vessl(slug, id)
            }
        };
        out.push(json!({ "url": shared.status_url(&key), "task": key }));
    }
    (StatusCode::CREATED, axum::Json(out)).into_response()
}

/// Queues a script for the next created task of its API, or with `"default": true` makes it
/// that API's default.
async fn add_created_script(State(shared): S, body: Bytes) -> Response {
    let mut value: Value = match parse(&body) {
        Ok(v) => v,
        Err(e) => return *e,
    };
    let default = match value.as_object_mut().and_then(|o| o.remove("default")) {
        None | Some(Value::Bool(false)) => false,
        Some(Value::Bool(true)) => true,
        Some(other) => {
            return bad(
                StatusCode::BAD_REQUEST,
                format!("\"default\" must be true or false, not {other}"),
            );
        }
    };
    let script = match serde_json::from_value::<CreatedScript>(value) {
        Ok(s) => s,
        Err(e) => return bad(StatusCode::BAD_REQUEST, e),
    };
    let mut state = shared.lock();
    if default {
        state.set_created_default(script);
    } else {
        state.created.queue(script);
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn remove_task(State(shared): S, body: Bytes) -> Response {
    match parse::<TaskKey>(&body) {
        Ok(key) if shared.remove(&key) => StatusCode::NO_CONTENT.into_response(),
        Ok(key) => bad(StatusCode::NOT_FOUND, format!("no task {key}")),
        Err(e) => *e,
    }
}

async fn requests(State(shared): S, RawQuery(q): RawQuery) -> Response {
    let api = query_param(q.as_deref(), "api");
    let id = query_param(q.as_deref(), "id");
    let log = shared.log();
    let views: Vec<RequestView<'_>> = log
        .iter()
        .filter(|r| {
            api.as_deref()
                .is_none_or(|a| r.api.is_some_and(|x| x.name() == a))
        })
        .filter(|r| {
            id.as_deref()
                .is_none_or(|id| r.tasks.iter().any(|t| t.id() == id))
        })
        .map(RequestView::from)
        .collect();
    axum::Json(views).into_response()
}

async fn clear_requests(State(shared): S) -> StatusCode {
    shared.log().clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct FaultSpec {
    #[serde(default)]
    target: Option<Value>,
    fault: Fault,
    #[serde(default)]
    next: Option<u64>,
    #[serde(default)]
    requests: Option<(u64, u64)>,
}

fn target(v: Option<Value>) -> Result<FaultTarget, String> {
    match v {
        None | Some(Value::Null) => Ok(FaultTarget::Global),
        Some(Value::String(s)) if s == "global" => Ok(FaultTarget::Global),
        Some(Value::Object(o)) if o.len() == 1 && o.contains_key("api") => {
            serde_json::from_value::<Api>(o["api"].clone())
                .map(FaultTarget::Api)
                .map_err(|e| e.to_string())
        }
        Some(v) => serde_json::from_value::<TaskKey>(v)
            .map(FaultTarget::Task)
            .map_err(|e| format!("target: {e}")),
    }
}

async fn add_fault(State(shared): S, body: Bytes) -> Response {
    let spec: FaultSpec = match parse(&body) {
        Ok(s) => s,
        Err(e) => return *e,
    };
    let target = match target(spec.target) {
        Ok(t) => t,
        Err(e) => return bad(StatusCode::BAD_REQUEST, e),
    };
    let when = match (spec.next, spec.requests) {
        (Some(_), Some(_)) => {
            return bad(
                StatusCode::BAD_REQUEST,
                "give \"next\" or \"requests\", not both",
            );
        }
        (Some(n), None) => FaultWhen::Next(n),
        (None, Some((from, to))) => FaultWhen::Requests { from, to },
        (None, None) => FaultWhen::Always,
    };
    let id = shared.lock().faults.add(
        target,
        FaultPlan {
            fault: spec.fault,
            when,
        },
    );
    (StatusCode::CREATED, axum::Json(json!({ "id": id.0 }))).into_response()
}

async fn clear_faults(State(shared): S) -> StatusCode {
    shared.lock().faults.clear();
    StatusCode::NO_CONTENT
}

async fn remove_fault(State(shared): S, Path(id): Path<u64>) -> Response {
    if shared.lock().faults.remove(FaultId(id)) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        bad(StatusCode::NOT_FOUND, format!("no fault plan {id}"))
    }
}

async fn set_random_faults(State(shared): S, body: Bytes) -> Response {
    match parse::<RandomFaults>(&body) {
        Ok(r) if (0.0..=1.0).contains(&r.rate) => {
            shared.lock().faults.set_random(Some(r));
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(_) => bad(StatusCode::BAD_REQUEST, "rate must be between 0 and 1"),
        Err(e) => *e,
    }
}

async fn clear_random_faults(State(shared): S) -> StatusCode {
    shared.lock().faults.set_random(None);
    StatusCode::NO_CONTENT
}

/// `POST /_sim/callbacks`: a [`CallbackOptions`](crate::CallbackOptions) in its JSON form.
async fn set_callbacks(State(shared): S, body: Bytes) -> Response {
    match parse::<crate::CallbackOptions>(&body) {
        Ok(options) => {
            shared.lock().callbacks.set_options(options);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => *e,
    }
}

#[derive(Deserialize)]
struct DariWebhook {
    url: String,
    secret: String,
}

/// `POST /_sim/dari-webhook` `{"url", "secret"}`: Dari's portal webhook.
async fn set_dari_webhook(State(shared): S, body: Bytes) -> Response {
    match parse::<DariWebhook>(&body) {
        Ok(w) => {
            shared.lock().callbacks.set_dari(Some((w.url, w.secret)));
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => *e,
    }
}

async fn clear_dari_webhook(State(shared): S) -> StatusCode {
    shared.lock().callbacks.set_dari(None);
    StatusCode::NO_CONTENT
}
