use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
struct Job {
    #[status(succeeded = ["done"])]
    status: String,
    #[status(count)]
    completed: Option<u32>,
}

fn main() {}
