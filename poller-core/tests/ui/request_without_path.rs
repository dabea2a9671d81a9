use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
#[status(request(auth = bearer))]
struct Job {
    #[status(succeeded = ["done"])]
    status: String,
}

fn main() {}
