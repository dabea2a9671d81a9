use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
struct Job {
    #[status(field, succeeded = ["done"])]
    state: String,
    #[status(field)]
    phase: String,
}

fn main() {}
