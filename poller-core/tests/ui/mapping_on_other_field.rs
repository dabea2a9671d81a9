use poller_core::StatusResponse;

// The status field is not named `status` and not marked `field`.
#[derive(serde::Deserialize, StatusResponse)]
struct Unmarked {
    #[status(succeeded = ["DONE"], failed = ["ERROR"])]
    state: String,
}

// `case_insensitive` on a field other than the status field.
#[derive(serde::Deserialize, StatusResponse)]
struct Misplaced {
    #[status(succeeded = ["done"])]
    status: String,
    #[status(case_insensitive)]
    message: String,
}

fn main() {}
