//! Replicate predictions: `GET /v1/predictions/{prediction_id}`, `Authorization: Bearer`.
//! <https://replicate.com/docs/reference/http#predictions.get>
//!
//! Shape: a plain string status, the output and the error beside it, logs as the step.

use poller_core::StatusResponse;
use serde_json::Value;

/// The prediction object.
#[derive(Debug, serde::Deserialize, StatusResponse)]
#[status(name = "replicate", request(path = "/v1/predictions/{task_id}"))]
pub struct Prediction {
    #[status(queued = ["starting"], running = ["processing"], succeeded = ["succeeded"],
             failed = ["failed"], cancelled = ["canceled"])]
    pub status: String,
    #[status(output)]
    pub output: Option<Value>,
    #[status(error)]
    pub error: Option<Value>,
    #[status(detail)]
    pub metrics: Option<Value>,
}
