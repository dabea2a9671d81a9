use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
#[status(request(path = "/", body(executionArn = "{task_id}")))]
struct Execution {
    #[status(succeeded = ["SUCCEEDED"])]
    status: String,
}

fn main() {}
