//! fal.ai queue: `GET /{model_id}/requests/{request_id}/status` on `queue.fal.run`, then the
//! result at the `response_url` it gives; `Authorization: Key <key>`.
//! <https://docs.fal.ai/model-apis/model-endpoints/queue>
//!
//! Shape: a two-step result (the status says `COMPLETED`, the result is at a second URL, and a
//! failed model run shows as an error answer there); a model id with `/` in the path; an auth
//! scheme other than Bearer.

use poller_core::StatusResponse;
use serde_json::Value;

/// The queue status object.
#[derive(Debug, serde::Deserialize, StatusResponse)]
#[status(name = "fal_queue", request(
    path = "/{+model_id}/requests/{task_id}/status",
    auth = scheme("Key"),
))]
pub struct QueueStatus {
    #[status(queued = ["IN_QUEUE"], running = ["IN_PROGRESS"], succeeded = ["COMPLETED"])]
    pub status: String,
    #[status(result_url)]
    pub response_url: Option<String>,
    #[status(detail)]
    pub queue_position: Option<u64>,
    #[status(events)]
    pub logs: Option<Vec<Value>>,
}
