//! Waiting with callbacks expected: the slow safety-net policy, and the clients' helpers that
//! submit with a callback URL and wait through one [`Tracker`].

use futures::StreamExt;
use poller_core::{BoxPolicy, PollPolicyExt, Report, StatusSource, Tracker, TrackerEvent};
use serde_json::Value;

use super::receiver::{Receiver, Vendor};
use super::submit::CallbackTask;
use crate::SubmitError;
use crate::narada::{Narada, NaradaRequest};
use crate::runware::{Runware, RunwareTask};

/// How many times slower the safety-net schedule of [`callbacks_policy`] polls than the
/// provider's own: 10.
pub const CALLBACK_STRETCH: f64 = 10.0;

/// The policy for a wait where callbacks are expected: `policy`'s delays after the first poll
/// stretched [`CALLBACK_STRETCH`] times ([`PollPolicyExt::stretched`]), its deadline kept. The
/// first poll still comes when `policy` says; later ones are the safety net for a callback
/// that never comes, and each callback brings the next poll forward.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Observation, PollPolicy};
/// use poller_providers::{narada, webhook::callbacks_policy};
/// let p = callbacks_policy(narada::default_policy());
/// assert_eq!(p.deadline(), narada::default_policy().deadline());
/// let d = |n| p.decide(&Observation::new(n, Duration::ZERO)).delay().unwrap();
/// assert_eq!((d(0), d(1)), (Duration::ZERO, Duration::from_secs(50))); // Narada: at once, then 5 s x 10
/// ```
pub fn callbacks_policy(policy: BoxPolicy) -> BoxPolicy {
    policy.stretched(CALLBACK_STRETCH).boxed()
}

/// Tracks `tasks` of `source` under `policy`, each expected at `receiver`, until every one
/// has ended; the reports come in the tasks' order, and the tasks are forgotten afterwards.
async fn wait_expected<O, S>(
    receiver: &Receiver,
    vendor: Vendor,
    source: S,
    policy: BoxPolicy,
    tasks: Vec<CallbackTask>,
) -> Vec<Report<O>>
where
    O: Clone + Send + Sync + 'static,
    S: StatusSource<Output = O> + 'static,
{
    let mut tracker = Tracker::new();
    let sid = tracker.add_source(source, callbacks_policy(policy));
    let handle = tracker.handle();
    for task in &tasks {
        receiver.expect_task(task, &handle, sid);
        tracker.track(sid, task.id().to_owned());
    }
    drop(handle);
    let mut reports: Vec<Option<Report<O>>> = tasks.iter().map(|_| None).collect();
    let mut left = tasks.len();
    // The receiver holds handles to the tracker, so its stream does not end by itself.
    while left > 0 {
        let Some(event) = tracker.next().await else {
            break;
        };
        if let TrackerEvent::Finished { report, .. } = event {
            receiver.forget(vendor, &report.task_id);
            if let Some(i) = tasks.iter().position(|t| t.id() == report.task_id)
                && reports[i].is_none()
            {
                reports[i] = Some(report);
                left -= 1;
            }
        }
    }
    for task in &tasks {
        receiver.forget(vendor, task.id());
    }
    reports.into_iter().flatten().collect()
}

impl Narada {
    /// Creates a task with `callbackUrl` set to `receiver`'s Narada route and a fresh random
    /// `callbackSecret` (kept by the receiver for this task only, never logged), then waits
    /// on it under [`callbacks_policy`] of this client's policy: each verified callback
    /// brings the next poll forward, and the poll's answer alone ends the wait.
    ///
    /// A callback that arrives before the create request has answered is not expected yet
    /// (404); the first poll, which comes at once, covers it.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use poller_providers::narada::{Narada, NaradaRequest};
    /// use poller_providers::webhook::Receiver;
    /// let running = Receiver::new().public_url("https://hooks.example.com").bind("0.0.0.0:8080".parse()?).await?;
    /// let report = Narada::from_env()?
    ///     .submit_and_wait_with_callbacks(&NaradaRequest::new("Book a table"), running.receiver())
    ///     .await?;
    /// println!("{}", report.outcome);
    /// # Ok(()) }
    /// ```
    pub async fn submit_and_wait_with_callbacks(
        &self,
        request: &NaradaRequest,
        receiver: &Receiver,
    ) -> Result<Report<Value>, SubmitError> {
        let (request, secret) = receiver.narada_callbacks(request.clone())?;
        let id = self.submit(&request).await?;
        let tasks = vec![CallbackTask::narada(id, secret)];
        let policy = self.current_policy().clone();
        let mut reports =
            wait_expected(receiver, Vendor::Narada, self.source()?, policy, tasks).await;
        Ok(reports.remove(0))
    }
}

impl Runware {
    /// Creates these tasks with `webhookURL` set to `receiver`'s Runware route (its token in
    /// the query), then waits on all of them through one tracker under [`callbacks_policy`]
    /// of this client's policy; the reports come in the tasks' order.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use poller_providers::runware::{Runware, RunwareTask};
    /// use poller_providers::webhook::Receiver;
    /// let running = Receiver::new().public_url("https://hooks.example.com").bind("0.0.0.0:8080".parse()?).await?;
    /// let tasks = [RunwareTask::new("imageInference").field("positivePrompt", "a fox")];
    /// let reports = Runware::from_env()?.submit_and_wait_with_callbacks(&tasks, running.receiver()).await?;
    /// println!("{}", reports[0].outcome);
    /// # Ok(()) }
    /// ```
    pub async fn submit_and_wait_with_callbacks(
        &self,
        tasks: &[RunwareTask],
        receiver: &Receiver,
    ) -> Result<Vec<Report<Vec<Value>>>, SubmitError> {
        let tasks = tasks
            .iter()
            .map(|t| receiver.runware_callbacks(t.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let ids = self.submit(&tasks).await?;
        let expected = ids
            .into_iter()
            .map(|id| CallbackTask::new(Vendor::Runware, id))
            .collect();
        let policy = self.current_policy().clone();
        Ok(wait_expected(receiver, Vendor::Runware, self.source()?, policy, expected).await)
    }
}
