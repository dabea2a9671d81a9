use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
#[status(request(path = "/v1/jobs/{task_id"))]
struct Unclosed {
    #[status(succeeded = ["done"])]
    status: String,
}

#[derive(serde::Deserialize, StatusResponse)]
#[status(request(path = "/v1/jobs/{}"))]
struct Empty {
    #[status(succeeded = ["done"])]
    status: String,
}

#[derive(serde::Deserialize, StatusResponse)]
#[status(request(path = "/v1/{org-id}/jobs/{task_id}"))]
struct NotAnIdentifier {
    #[status(succeeded = ["done"])]
    status: String,
}

fn main() {
    // The stub impls keep these from failing again.
    let _ = poller_core::HttpSource::<Unclosed>::new("https://h", "k");
}
