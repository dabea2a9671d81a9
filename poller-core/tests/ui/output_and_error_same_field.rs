use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
struct Job {
    #[status(succeeded = ["done"], failed = ["failed"])]
    status: String,
    #[status(output, error)]
    result: Option<serde_json::Value>,
}

fn main() {}
