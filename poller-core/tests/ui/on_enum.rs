use poller_core::StatusResponse;

#[derive(serde::Deserialize, StatusResponse)]
enum Job {
    Running,
    Done,
}

fn main() {}
