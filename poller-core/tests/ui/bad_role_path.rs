use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
struct Job {
    #[status(succeeded = ["done"])]
    status: String,
    #[status(output = "data..result")]
    data: serde_json::Value,
}

fn main() {}
