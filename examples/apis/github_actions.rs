//! GitHub Actions workflow runs: `GET /repos/{owner}/{repo}/actions/runs/{run_id}`,
//! `Authorization: Bearer`, `Accept: application/vnd.github+json` and an API version header.
//! <https://docs.github.com/en/rest/actions/workflow-runs#get-a-workflow-run>
//!
//! Shape: the outcome is `conclusion`, null until the run completes; `status` says what the
//! run is doing; named path parameters; `action_required` needs a human.

use poller_core::StatusResponse;

/// The workflow run object (the fields a wait needs).
#[derive(Debug, serde::Deserialize, StatusResponse)]
#[status(
    name = "github_actions",
    request(path = "/repos/{owner}/{repo}/actions/runs/{task_id}",
            headers(Accept = "application/vnd.github+json", "X-GitHub-Api-Version" = "2022-11-28")),
    failed_message = "the workflow run concluded `{status}`",
)]
pub struct WorkflowRun {
    #[status(field, running = [null], succeeded = ["success", "neutral", "skipped"],
             failed = ["failure", "timed_out", "startup_failure", "stale"],
             cancelled = ["cancelled"], needs_input = ["action_required"])]
    pub conclusion: Option<String>,
    #[status(step)]
    pub status: Option<String>,
    #[status(output)]
    pub html_url: String,
}
