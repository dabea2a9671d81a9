//! Example tasks with the ids from the vendors' documents, so their curl examples work.

use std::time::Duration;

use serde_json::json;

use crate::dari::{DariEvent, DariStage};
use crate::narada::NaradaStage;
use crate::runware::RunwareTask;
use crate::script::Script;
use crate::server::Simulator;
use crate::vessl::VesslStage;

/// Narada's example `requestId`: pending for 30 s, then success.
pub const NARADA_EXAMPLE_ID: &str = "req_abc123def456";
/// A Narada task that asks for input after 5 s, then succeeds at 20 s.
pub const NARADA_INPUT_EXAMPLE_ID: &str = "req_input_required";
/// A Narada task that fails after 5 s with the documented error text.
pub const NARADA_ERROR_EXAMPLE_ID: &str = "req_error";
/// Runware's request example `taskUUID`: one generation, success after 20 s.
pub const RUNWARE_EXAMPLE_UUID: &str = "50836053-a0ee-4cf5-b9d6-ae7c5d140ada";
/// Runware's response example `taskUUID`: three generations (success at 5 s, `timeoutProvider`
/// error at 10 s, success at 60 s), as in the documented response.
pub const RUNWARE_BATCH_EXAMPLE_UUID: &str = "24cd5dff-cb81-4db5-8506-b72a9425f9d1";
/// Dari's example organisation.
pub const DARI_EXAMPLE_ORG: &str = "my-org";
/// Dari's example endpoint name.
pub const DARI_EXAMPLE_ENDPOINT: &str = "contact_form";
/// Dari's example `job_id`: running through two steps, completed at 45 s.
pub const DARI_EXAMPLE_JOB_ID: &str = "550e8400-e29b-41d4-a716-446655440000";
/// The VESSL service slug used for the example.
pub const VESSL_EXAMPLE_SLUG: &str = "example-service";
/// VESSL's example request id: pending 2 s, in progress 8 s, then completed with
/// `{"text": "Hello!"}`.
pub const VESSL_EXAMPLE_ID: &str = "98nlux8b0eu6";

impl Simulator {
    /// Adds one or more tasks per API with the ids from the vendors' documents (see the
    /// `*_EXAMPLE_*` constants), so their curl examples work against the simulator.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), poller_sim::Error> {
    /// let sim = poller_sim::Simulator::start().await?;
    /// sim.seed_examples();
    /// # Ok(())
    /// # }
    /// ```
    pub fn seed_examples(&self) {
        let s = Duration::from_secs;
        self.add_narada_task(
            NARADA_EXAMPLE_ID,
            Script::narada_success_after(
                s(30),
                json!({"text": "Example task finished.", "items": [1, 2, 3]}),
            ),
        );
        self.add_narada_task(
            NARADA_INPUT_EXAMPLE_ID,
            Script::new(NaradaStage::Pending)
                .then_after(
                    s(5),
                    NaradaStage::input_required(
                        "The task requires authentication. Please log in to continue.",
                    ),
                )
                .then_after(s(15), NaradaStage::success(json!({"text": "Logged in."}))),
        );
        self.add_narada_task(
            NARADA_ERROR_EXAMPLE_ID,
            Script::narada_error_after(s(5), "Failed to complete the task due to network timeout."),
        );

        self.add_runware_task(
            RUNWARE_EXAMPLE_UUID,
            Script::runware_success_after(s(20), 0.18),
        );
        self.add_runware_task(
            RUNWARE_BATCH_EXAMPLE_UUID,
            RunwareTask::video()
                .with_generation(Script::runware_success_after(s(60), 0.18))
                .with_generation(Script::runware_success_after(s(5), 0.18))
                .with_generation(Script::runware_error_after(
                    s(10),
                    "timeoutProvider",
                    "The external provider did not respond within the timeout window. \
                     The request was automatically terminated.",
                )),
        );

        self.add_dari_job(
            DARI_EXAMPLE_ORG,
            DARI_EXAMPLE_ENDPOINT,
            DARI_EXAMPLE_JOB_ID,
            Script::new(
                DariStage::running("Filling first name")
                    .with_browser_url("https://hyperbrowser.ai/view/abc123")
                    .with_event(DariEvent::new("started", "Job started")),
            )
            .then_after(
                s(15),
                DariStage::running("Filling email field")
                    .with_cost(0.12)
                    .with_event(
                        DariEvent::new("step_completed", "Filled first name")
                            .with_data(json!({"step": "firstName"})),
                    ),
            )
            .then_after(
                s(30),
                DariStage::completed(json!({"submitted": true, "confirmation": "ABC-123"}))
                    .with_cost(0.31),
            ),
        );

        self.add_vessl_request(
            VESSL_EXAMPLE_SLUG,
            VESSL_EXAMPLE_ID,
            Script::new(VesslStage::Pending)
                .then_after(s(2), VesslStage::InProgress)
                .then_after(s(8), VesslStage::completed_json(&json!({"text": "Hello!"}))),
        );
    }
}
