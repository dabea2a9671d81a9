use poller_core::StatusResponse;

// One syntax error, reported once: the keys after it are not known, so no "no final phase".
#[derive(serde::Deserialize, StatusResponse)]
struct Job {
    #[status(queued = pending, succeeded = ["done"])]
    status: String,
}

// A path that is not a string.
#[derive(serde::Deserialize, StatusResponse)]
#[status(request(path = /v1/jobs))]
struct NoPath {
    #[status(succeeded = ["done"])]
    status: String,
}

fn main() {}
