use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
struct Job {
    state: String,
    #[status(output)]
    result: Option<String>,
}

fn main() {
    // No second error here: the derive emits a stub impl beside its error.
    let _ = Job::parse(b"{}");
}
