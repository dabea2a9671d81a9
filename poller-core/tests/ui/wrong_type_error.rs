use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
struct Job {
    #[status(succeeded = ["done"], failed = ["failed"])]
    status: String,
    #[status(error)]
    errors: Vec<String>,
}

fn main() {}
