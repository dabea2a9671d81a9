use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
struct Job {
    #[status(succeeded = ["done"])]
    status: String,
    #[status(percent)]
    pct: Option<String>,
}

fn main() {}
