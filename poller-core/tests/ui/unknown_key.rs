use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
#[status(nmae = "jobs")]
struct Job {
    #[status(succeded = ["done"], failed = ["error"])]
    status: String,
    #[status(result)]
    result: Option<String>,
}

fn main() {}
