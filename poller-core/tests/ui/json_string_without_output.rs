use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
struct Job {
    #[status(succeeded = ["done"], failed = ["error"])]
    status: String,
    #[status(error, json_string)]
    error: Option<String>,
}

fn main() {}
