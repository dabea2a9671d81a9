use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
struct Job {
    #[status(http_status, running = [202], succeeded = [200])]
    #[serde(skip)]
    code: String,
}

fn main() {}
