use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
#[status(request(path = "/v1/jobs/{task_id}", auth = scheme("Api Key")))]
struct Job {
    #[status(succeeded = ["done"])]
    status: String,
}

fn main() {}
