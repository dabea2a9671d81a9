//! Runway tasks: `GET /v1/tasks/{id}` on `api.dev.runwayml.com`, `Authorization: Bearer` and a
//! required `X-Runway-Version` header.
//! <https://docs.dev.runwayml.com/api/#tag/Task-management/paths/~1v1~1tasks~1%7Bid%7D/get>
//!
//! Shape: a fixed API-version header; progress as a fraction; output a list of URLs; the
//! failure's message and code in two fields.

use poller_core::StatusResponse;

/// The task object.
#[derive(Debug, serde::Deserialize, StatusResponse)]
#[serde(rename_all = "camelCase")]
#[status(name = "runway", request(path = "/v1/tasks/{task_id}", headers("X-Runway-Version" = "2024-11-06")))]
pub struct Task {
    #[status(queued = ["PENDING", "THROTTLED"], running = ["RUNNING"], succeeded = ["SUCCEEDED"],
             failed = ["FAILED"], cancelled = ["CANCELLED"])]
    pub status: String,
    #[status(progress)]
    pub progress: Option<f64>,
    #[status(output)]
    pub output: Option<Vec<String>>,
    #[status(error)]
    pub failure: Option<String>,
    #[status(error_code)]
    pub failure_code: Option<String>,
}
