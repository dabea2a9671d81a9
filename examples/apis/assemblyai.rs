//! AssemblyAI transcripts: `GET /v2/transcript/{transcript_id}`, the key as the whole
//! `Authorization` header (no scheme).
//! <https://www.assemblyai.com/docs/api-reference/transcripts/get>
//!
//! Shape: the key as a bare header value; the output is one text field.

use poller_core::StatusResponse;

/// The transcript object (the fields a wait needs).
#[derive(Debug, serde::Deserialize, StatusResponse)]
#[status(
    name = "assemblyai",
    request(path = "/v2/transcript/{task_id}", auth = header("Authorization"))
)]
pub struct Transcript {
    #[status(queued = ["queued"], running = ["processing"], succeeded = ["completed"], failed = ["error"])]
    pub status: String,
    #[status(output)]
    pub text: Option<String>,
    #[status(error)]
    pub error: Option<String>,
    #[status(detail)]
    pub audio_duration: Option<f64>,
}
