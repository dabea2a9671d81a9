//! A gallery of real public async-job APIs, each a provider in one derived struct written from
//! the vendor's documentation (linked at the top of each file). `cargo run --example apis`
//! prints the request each one makes; `tests/apis/` replays the documented payloads against
//! each of them.

mod assemblyai;
mod fal_queue;
mod github_actions;
mod google_operation;
mod openai_batch;
mod replicate;
mod runway;
mod stability;
mod step_functions;

use poller_core::{HttpEndpoint, RequestSpec};

fn show(name: &str, spec: RequestSpec) {
    println!(
        "{name:<18} {} {}{}",
        spec.method.as_str(),
        spec.path,
        if spec.result.is_some() {
            " (then the result)"
        } else {
            ""
        }
    );
}

fn main() {
    show(replicate::Prediction::NAME, replicate::Prediction::REQUEST);
    show(openai_batch::Batch::NAME, openai_batch::Batch::REQUEST);
    show(
        assemblyai::Transcript::NAME,
        assemblyai::Transcript::REQUEST,
    );
    show(
        google_operation::Operation::NAME,
        google_operation::Operation::REQUEST,
    );
    show(
        step_functions::Execution::NAME,
        step_functions::Execution::REQUEST,
    );
    show(
        fal_queue::QueueStatus::NAME,
        fal_queue::QueueStatus::REQUEST,
    );
    show(runway::Task::NAME, runway::Task::REQUEST);
    show(
        github_actions::WorkflowRun::NAME,
        github_actions::WorkflowRun::REQUEST,
    );
    show(
        stability::GenerationResult::NAME,
        stability::GenerationResult::REQUEST,
    );
}
