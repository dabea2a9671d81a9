//! Stability AI generation results: `GET /v2beta/results/{id}`, `Authorization: Bearer`,
//! `Accept: application/json` (without it the 200 answer is the raw file).
//! <https://platform.stability.ai/docs/api-reference#tag/Results>
//!
//! Shape: the status is the HTTP code (202 while running, 200 with the result, and the 200
//! body has no status field); a success that is really a failure (`finish_reason` is
//! `CONTENT_FILTERED`).

use poller_core::StatusResponse;

/// The 202 body (`{"id", "status": "in-progress"}`) or the 200 body (the result).
#[derive(Debug, serde::Deserialize, StatusResponse)]
#[status(
    name = "stability",
    request(
        path = "/v2beta/results/{task_id}",
        headers(Accept = "application/json")
    ),
    failed_message = "the result was withheld by the content filter"
)]
pub struct GenerationResult {
    #[status(http_status, running = [202], succeeded = [200])]
    #[serde(skip)]
    pub code: u16,
    #[status(detail, when_is("CONTENT_FILTERED", succeeded = failed))]
    pub finish_reason: Option<String>,
    #[status(output)]
    pub image: Option<String>,
    #[status(detail)]
    pub seed: Option<u64>,
}
