//! Google long-running operations (here Cloud Speech-to-Text's `operations.get`):
//! `GET /v1/operations/{name}`, an API key in the `key` query parameter.
//! <https://cloud.google.com/speech-to-text/docs/reference/rest/v1/operations/get>
//! and <https://cloud.google.com/speech-to-text/docs/reference/rest/v1/operations#Operation>
//!
//! Shape: the status is a boolean `done` that is absent while running; done with an `error`
//! is a failure; the id is an operation name that may contain `/`; the progress is inside
//! `metadata`.

use poller_core::StatusResponse;
use serde_json::Value;

/// The `Operation` resource.
#[derive(Debug, serde::Deserialize, StatusResponse)]
#[status(name = "google_operation", request(path = "/v1/{+task_id}", auth = query("key")))]
pub struct Operation {
    #[status(field, running = [false, null], succeeded = [true])]
    #[serde(default)]
    pub done: Option<bool>,
    #[status(error, when_set(succeeded = failed))]
    pub error: Option<Value>,
    #[status(output)]
    pub response: Option<Value>,
    #[status(percent = "progressPercent")]
    pub metadata: Option<Value>,
}
