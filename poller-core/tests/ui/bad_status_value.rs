use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
struct Job {
    #[status(succeeded = [1.5])]
    status: f64,
}

fn main() {}
