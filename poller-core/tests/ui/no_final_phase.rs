use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
struct Job {
    #[status(queued = ["pending"], running = ["running"])]
    status: String,
}

fn main() {}
