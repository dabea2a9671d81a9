use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
#[status(request(path = "/v1/jobs", query(name = "{+task_id}")))]
struct Job {
    #[status(succeeded = ["done"])]
    status: String,
}

fn main() {}
