use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
struct Job {
    #[status(succeeded = ["done"])]
    status: String,
    #[status(output = 3)]
    data: serde_json::Value,
}

fn main() {}
