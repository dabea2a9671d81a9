//! AWS Step Functions `DescribeExecution`: `POST /` with the execution's ARN in a JSON body,
//! the action in `X-Amz-Target`, signed per request (SigV4, through
//! [`HttpSource::hook`](poller_core::HttpSource::hook)).
//! <https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html>
//!
//! Shape: a request body carrying the id and a path without it; fixed headers; the output is a
//! string holding JSON; the error is a code (`error`) and a message (`cause`).

use poller_core::StatusResponse;

/// The `DescribeExecution` response (the fields a wait needs).
#[derive(Debug, serde::Deserialize, StatusResponse)]
#[serde(rename_all = "camelCase")]
#[status(name = "step_functions", request(
    method = "POST", path = "/", auth = none,
    headers("X-Amz-Target" = "AWSStepFunctions.DescribeExecution",
            "Content-Type" = "application/x-amz-json-1.0"),
    body(executionArn = "{task_id}"),
))]
pub struct Execution {
    #[status(running = ["RUNNING", "PENDING_REDRIVE"], succeeded = ["SUCCEEDED"],
             failed = ["FAILED", "TIMED_OUT"], cancelled = ["ABORTED"])]
    pub status: String,
    #[status(output, json_string)]
    pub output: Option<String>,
    #[status(error_code)]
    pub error: Option<String>,
    #[status(error)]
    pub cause: Option<String>,
}
