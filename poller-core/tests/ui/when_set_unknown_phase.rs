use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
struct Job {
    #[status(needs_input = ["input-required"], succeeded = ["done"])]
    status: String,
    #[status(when_set(needs_input = finished))]
    completed_at: Option<String>,
}

fn main() {}
