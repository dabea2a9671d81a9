use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
struct Job {
    #[status(succeeded = ["done"])]
    status: String,
    #[status(output)]
    result: Option<String>,
    #[status(output)]
    images: Option<Vec<String>>,
}

fn main() {}
