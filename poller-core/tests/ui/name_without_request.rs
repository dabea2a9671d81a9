use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
#[status(name = "jobs")]
struct Job {
    #[status(succeeded = ["done"])]
    status: String,
}

fn main() {}
