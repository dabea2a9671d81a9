use poller_core::StatusResponse;

// A type alias hides the type from the derive; the compiler still catches it.
type Percent = String;

#[derive(serde::Deserialize, StatusResponse)]
struct Job {
    #[status(succeeded = ["done"])]
    status: String,
    #[status(percent)]
    pct: Percent,
}

fn main() {}
