use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
struct Job {
    #[status(http_status, running = [202], succeeded = [200])]
    code: u16,
}

fn main() {}
