use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
#[status(request(method = "PUT", path = "/v1/jobs/{task_id}"))]
struct Job {
    #[status(succeeded = ["done"])]
    status: String,
}

fn main() {}
