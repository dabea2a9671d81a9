use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
struct Job(String);

fn main() {}
