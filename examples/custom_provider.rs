//! A provider for an API poller does not ship, in one annotated struct.
//!
//! The API: `GET /v1/jobs/{task_id}` with `Authorization: Bearer <key>`, answering
//! `{"state": "QUEUED" | "RUNNING" | "DONE" | "ERROR", "result": …, "error": {"message": …},
//! "progress": 0.4}`. This example starts a small server that plays that API on 127.0.0.1
//! (QUEUED, then RUNNING with progress, then DONE with a result) and waits on one job.
//!
//! ```text
//! cargo run --example custom_provider
//! ```

use poller_core::{Fixed, HttpSource, Outcome, PollPolicyExt, Poller, StatusResponse};
use std::time::Duration;

/// The whole provider: the response body, what its values mean, and how to ask for it.
#[derive(serde::Deserialize, StatusResponse)]
#[status(name = "jobs", request(path = "/v1/jobs/{task_id}", auth = bearer))]
struct Job {
    #[status(field, queued = ["QUEUED"], running = ["RUNNING"], succeeded = ["DONE"], failed = ["ERROR"])]
    state: String,
    #[status(output)]
    result: Option<serde_json::Value>,
    #[status(error)]
    error: Option<serde_json::Value>,
    #[status(progress)]
    progress: Option<f64>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base_url = demo_api::start().await?;

    let source = HttpSource::<Job>::new(&base_url, "demo-key")?;
    let policy = Fixed::new(Duration::from_millis(200)).with_deadline(Duration::from_secs(10));
    let report = Poller::new(source, policy).wait("job-42").await;

    println!(
        "{}: {} after {} requests",
        report.task_id, report.outcome, report.attempts
    );
    match report.outcome {
        Outcome::Succeeded(status) => {
            println!("result: {}", status.output.unwrap_or_default());
            Ok(())
        }
        other => Err(format!("the job did not succeed: {other}").into()),
    }
}

/// A stand-in for the remote API, scripted per job: QUEUED, RUNNING (40 %), RUNNING (80 %),
/// then DONE. Requests without the bearer key get a 401.
mod demo_api {
    use axum::extract::{Path, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::{Json, Router, routing::get};
    use serde_json::{Value, json};
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    type Calls = Arc<Mutex<HashMap<String, usize>>>;

    pub async fn start() -> std::io::Result<String> {
        let app = Router::new()
            .route("/v1/jobs/{task_id}", get(job))
            .with_state(Calls::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(url)
    }

    async fn job(
        State(calls): State<Calls>,
        Path(task_id): Path<String>,
        headers: HeaderMap,
    ) -> Result<Json<Value>, StatusCode> {
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer demo-key") {
            return Err(StatusCode::UNAUTHORIZED);
        }
        let n = {
            let mut calls = calls.lock().unwrap();
            let n = calls.entry(task_id.clone()).or_default();
            *n += 1;
            *n
        };
        let body = match n {
            1 => json!({ "state": "QUEUED" }),
            2 => json!({ "state": "RUNNING", "progress": 0.4 }),
            3 => json!({ "state": "RUNNING", "progress": 0.8 }),
            _ => json!({
                "state": "DONE",
                "progress": 1.0,
                "result": { "task": task_id, "answer": 42 },
            }),
        };
        println!("  server: GET /v1/jobs/{task_id} -> {}", body["state"]);
        Ok(Json(body))
    }
}
