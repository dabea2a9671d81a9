use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
struct Job {
    #[status(succeeded = ["done"], failed = ["error"])]
    status: String,
    #[status(detail, when = failed)]
    reason: Option<String>,
}

fn main() {}
