//! The gallery (`examples/apis/`) against local replays of each vendor's documented payloads:
//! the request each provider makes, and the phase, output and error of each documented state.

#[path = "../../examples/apis/assemblyai.rs"]
mod assemblyai;
#[path = "../../examples/apis/fal_queue.rs"]
mod fal_queue;
#[path = "../../examples/apis/github_actions.rs"]
mod github_actions;
#[path = "../../examples/apis/google_operation.rs"]
mod google_operation;
#[path = "../../examples/apis/openai_batch.rs"]
mod openai_batch;
#[path = "../../examples/apis/replicate.rs"]
mod replicate;
#[path = "../../examples/apis/runway.rs"]
mod runway;
#[path = "../../examples/apis/stability.rs"]
mod stability;
#[path = "../../examples/apis/step_functions.rs"]
mod step_functions;

mod replay;
mod result_step;
mod signing;
mod vendors;

use poller_core::{FetchError, HttpEndpoint, HttpSource, Status, StatusSource};

/// A source for `R` against `replay` with the key `KEY`.
fn source<R: HttpEndpoint>(replay: &replay::Replay) -> HttpSource<R> {
    HttpSource::new(&replay.base, KEY).unwrap()
}

const KEY: &str = "sk-test-key";

/// Fetches `id` `n` times (the replay moves to its next scripted answer each time).
async fn fetch_n<S: StatusSource>(
    source: &S,
    id: &str,
    n: usize,
) -> Vec<Result<Status<S::Output>, FetchError>> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(source.fetch(id).await);
    }
    out
}

/// Fetches `id` `n` times, each expected to succeed.
async fn fetch_ok<S: StatusSource>(source: &S, id: &str, n: usize) -> Vec<Status<S::Output>> {
    let all = fetch_n(source, id, n).await;
    all.into_iter()
        .map(|s| s.unwrap_or_else(|e| panic!("fetching {id}: {e}")))
        .collect()
}

/// The phases of `statuses`.
fn phases<O>(statuses: &[Status<O>]) -> Vec<poller_core::Phase> {
    statuses.iter().map(|s| s.phase).collect()
}
