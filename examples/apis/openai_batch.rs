//! OpenAI batches: `GET /v1/batches/{batch_id}`, `Authorization: Bearer`.
//! <https://platform.openai.com/docs/api-reference/batch/retrieve>
//!
//! Shape: progress as counts in a nested object (`request_counts.completed` of `.total`), the
//! error as the first item of a list (`errors.data[0]`), a status with no message of its own
//! (`expired`).

use poller_core::StatusResponse;
use serde_json::Value;

/// The batch object.
#[derive(Debug, serde::Deserialize, StatusResponse)]
#[status(
    name = "openai_batch",
    request(path = "/v1/batches/{task_id}"),
    failed_message = "the batch ended `{status}`"
)]
pub struct Batch {
    #[status(queued = ["validating"], running = ["in_progress", "finalizing", "cancelling"],
             succeeded = ["completed"], failed = ["failed", "expired"], cancelled = ["cancelled"])]
    pub status: String,
    #[status(output)]
    pub output_file_id: Option<String>,
    #[status(error = "data[0]")]
    pub errors: Option<Value>,
    #[status(count = "completed", total = "total")]
    pub request_counts: Option<Value>,
}
