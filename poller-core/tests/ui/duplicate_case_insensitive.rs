use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
struct Job {
    #[status(succeeded = ["done"], case_insensitive, case_insensitive)]
    status: String,
}

fn main() {}
