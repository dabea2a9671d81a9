use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
struct Job {
    #[status(running = ["running", "done"], succeeded = ["done"])]
    status: String,
}

#[derive(serde::Deserialize, StatusResponse)]
struct Insensitive {
    #[status(succeeded = ["DONE"], failed = ["Done"], case_insensitive)]
    status: String,
}

fn main() {}
