use poller_core::StatusResponse;

// Three unrelated mistakes: all three are reported in one build.
#[derive(serde::Deserialize, StatusResponse)]
#[status(request(method = "PATCH", path = "/v1/jobs/{task_id}"))]
struct Job {
    #[status(running = ["running"])]
    status: String,
    #[status(percent)]
    pct: bool,
}

fn main() {}
