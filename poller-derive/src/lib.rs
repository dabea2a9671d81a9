//! `#[derive(StatusResponse)]` for poller. Use it through `poller-core` with the `derive` feature.
