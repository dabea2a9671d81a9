//! Test utilities (feature `test-util`): a scripted source for testing policies and code in
//! virtual time.

use crate::{FetchError, Status, StatusSource};
use async_trait::async_trait;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// A [`StatusSource`] that answers from a script: each fetch takes the next entry (a status or
/// an error); once the script is used up, the last entry repeats. It records the instant of
/// every fetch (in tokio's clock, so virtual time under `tokio::time::pause`).
///
/// ```
/// use poller_core::{FetchError, Phase, Status, StatusSource, testing::ScriptedSource};
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let s = ScriptedSource::<()>::new("scripted")
///     .then_error(FetchError::http(503, b"busy"))
///     .then_status(Status::new(Phase::Running, "running"));
/// assert!(s.fetch("t").await.is_err());
/// assert_eq!(s.fetch("t").await.unwrap().phase, Phase::Running);
/// assert_eq!(s.fetch("t").await.unwrap().phase, Phase::Running); // the last entry repeats
/// assert_eq!(s.fetch_count(), 3);
/// # }
/// ```
#[derive(Debug)]
pub struct ScriptedSource<O = serde_json::Value> {
    name: String,
    script: Vec<Result<Status<O>, FetchError>>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    next: usize,
    fetches: Vec<(Instant, String)>,
    epoch: Option<Instant>,
}

impl<O> ScriptedSource<O> {
    /// An empty script; fetching from it fails with a permanent error until entries are added.
    ///
    /// ```
    /// let s = poller_core::testing::ScriptedSource::<()>::new("empty");
    /// assert_eq!(s.fetch_count(), 0);
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        ScriptedSource {
            name: name.into(),
            script: Vec::new(),
            state: Mutex::new(State {
                next: 0,
                fetches: Vec::new(),
                epoch: None,
            }),
        }
    }

    /// Appends a status.
    ///
    /// ```
    /// use poller_core::{Phase, Status, testing::ScriptedSource};
    /// let s = ScriptedSource::<()>::new("s").then_status(Status::new(Phase::Queued, "queued"));
    /// # let _ = s;
    /// ```
    pub fn then_status(mut self, status: Status<O>) -> Self {
        self.script.push(Ok(status));
        self
    }

    /// Appends `status` `n` times.
    ///
    /// ```
    /// use poller_core::{Phase, Status, testing::ScriptedSource};
    /// let s = ScriptedSource::<()>::new("s").then_status_times(Status::new(Phase::Running, "r"), 3);
    /// # let _ = s;
    /// ```
    pub fn then_status_times(mut self, status: Status<O>, n: usize) -> Self
    where
        O: Clone,
    {
        self.script.extend(std::iter::repeat_n(Ok(status), n));
        self
    }

    /// Appends an error.
    ///
    /// ```
    /// use poller_core::{FetchError, testing::ScriptedSource};
    /// let s = ScriptedSource::<()>::new("s").then_error(FetchError::http(500, b""));
    /// # let _ = s;
    /// ```
    pub fn then_error(mut self, error: FetchError) -> Self {
        self.script.push(Err(error));
        self
    }

    /// How many fetches were made.
    ///
    /// ```
    /// assert_eq!(poller_core::testing::ScriptedSource::<()>::new("s").fetch_count(), 0);
    /// ```
    pub fn fetch_count(&self) -> usize {
        self.lock().fetches.len()
    }

    /// The instant of each fetch, as an offset from [`start_clock`](Self::start_clock) (or from
    /// the first fetch, when the clock was never started).
    ///
    /// ```
    /// assert!(poller_core::testing::ScriptedSource::<()>::new("s").fetch_times().is_empty());
    /// ```
    pub fn fetch_times(&self) -> Vec<Duration> {
        let state = self.lock();
        let Some(epoch) = state.epoch.or(state.fetches.first().map(|f| f.0)) else {
            return Vec::new();
        };
        state
            .fetches
            .iter()
            .map(|(t, _)| t.duration_since(epoch))
            .collect()
    }

    /// The task ids asked about, in order.
    ///
    /// ```
    /// assert!(poller_core::testing::ScriptedSource::<()>::new("s").fetched_ids().is_empty());
    /// ```
    pub fn fetched_ids(&self) -> Vec<String> {
        self.lock()
            .fetches
            .iter()
            .map(|(_, id)| id.clone())
            .collect()
    }

    /// Marks now as time zero for [`fetch_times`](Self::fetch_times).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let s = poller_core::testing::ScriptedSource::<()>::new("s");
    /// s.start_clock();
    /// # }
    /// ```
    pub fn start_clock(&self) {
        self.lock().epoch = Some(Instant::now());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl<O> StatusSource for ScriptedSource<O>
where
    O: Clone + Send + Sync + 'static,
{
    type Output = O;

    fn name(&self) -> &str {
        &self.name
    }

    async fn fetch(&self, task_id: &str) -> Result<Status<O>, FetchError> {
        let mut state = self.lock();
        state.fetches.push((Instant::now(), task_id.to_owned()));
        let i = state.next.min(self.script.len().saturating_sub(1));
        state.next += 1;
        match self.script.get(i) {
            Some(entry) => entry.clone(),
            None => Err(FetchError::Config(
                "the scripted source has an empty script".into(),
            )),
        }
    }
}

/// A small hand-written [`HttpEndpoint`](crate::HttpEndpoint) used in documentation examples:
/// `GET /v1/jobs/{task_id}` with a bearer key, answering `{"state": "RUNNING"|"DONE"|"ERROR"}`.
///
/// ```
/// use poller_core::{Phase, StatusResponse, testing::ExampleEndpoint};
/// assert_eq!(ExampleEndpoint::parse(br#"{"state":"DONE"}"#).unwrap().phase, Phase::Succeeded);
/// ```
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ExampleEndpoint {
    /// The job's state.
    pub state: String,
}

impl crate::StatusResponse for ExampleEndpoint {
    type Output = ();

    fn into_status(self) -> Result<Status<()>, FetchError> {
        let phase = match self.state.as_str() {
            "RUNNING" => crate::Phase::Running,
            "DONE" => crate::Phase::Succeeded,
            "ERROR" => crate::Phase::Failed,
            other => return Err(FetchError::unknown_status(other)),
        };
        Ok(Status::new(phase, self.state))
    }
}

impl crate::HttpEndpoint for ExampleEndpoint {
    const NAME: &'static str = "example";
    const REQUEST: crate::RequestSpec = crate::RequestSpec {
        method: crate::HttpMethod::Get,
        path: "/v1/jobs/{task_id}",
        query: &[],
        auth: crate::Auth::Bearer,
        params: &[],
    };
}

/// A source whose tasks finish at known instants: each task registered with
/// [`add_task`](TimedSource::add_task) reports `running` until its duration has passed (in
/// tokio's clock) and `succeeded` after; unknown ids are a permanent 404. It can answer in
/// batches, and it records every call, for testing trackers and measuring policies.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Phase, StatusSource, testing::TimedSource};
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let src = TimedSource::new("timed").with_batch(10);
/// src.add_task("a", Duration::from_secs(5));
/// assert_eq!(src.fetch("a").await.unwrap().phase, Phase::Running);
/// tokio::time::sleep(Duration::from_secs(5)).await;
/// assert_eq!(src.fetch("a").await.unwrap().phase, Phase::Succeeded);
/// assert!(src.fetch("nope").await.unwrap_err().is_permanent());
/// assert_eq!(src.calls().len(), 3);
/// # }
/// ```
#[derive(Debug)]
pub struct TimedSource {
    name: String,
    max_batch: usize,
    /// The share of calls that fail with a transient 503, and the seed of the dice.
    faults: Option<(f64, u64)>,
    state: Mutex<TimedState>,
}

#[derive(Debug, Default)]
struct TimedState {
    done_at: std::collections::HashMap<String, Instant>,
    calls: Vec<(Instant, usize)>,
    failed: usize,
}

impl TimedSource {
    /// A source with no tasks, answering one task per call.
    ///
    /// ```
    /// assert!(poller_core::testing::TimedSource::new("t").calls().is_empty());
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        TimedSource {
            name: name.into(),
            max_batch: 0,
            faults: None,
            state: Mutex::default(),
        }
    }

    /// Fails a share `rate` (0 to 1) of calls, drawn at random but reproducibly from `seed`,
    /// with a transient error (HTTP 503); a failed batch call fails as a whole, as a
    /// request-level fault of a real API does.
    ///
    /// ```
    /// use poller_core::{StatusSource, testing::TimedSource};
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let src = TimedSource::new("t").with_faults(1.0, 7);
    /// src.add_task("a", std::time::Duration::from_secs(5));
    /// assert!(src.fetch("a").await.unwrap_err().is_transient());
    /// assert_eq!(src.failed_calls(), 1);
    /// # }
    /// ```
    pub fn with_faults(mut self, rate: f64, seed: u64) -> Self {
        self.faults = Some((rate, seed));
        self
    }

    /// How many calls failed with an injected fault.
    ///
    /// ```
    /// assert_eq!(poller_core::testing::TimedSource::new("t").failed_calls(), 0);
    /// ```
    pub fn failed_calls(&self) -> usize {
        self.lock().failed
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TimedState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a call of `n` task ids; `Err` when the dice say it fails.
    fn call(&self, state: &mut TimedState, now: Instant, n: usize) -> Result<(), FetchError> {
        state.calls.push((now, n));
        let Some((rate, seed)) = self.faults else {
            return Ok(());
        };
        let draw = crate::policy::mix64(seed ^ state.calls.len() as u64);
        if ((draw >> 11) as f64 / (1u64 << 53) as f64) < rate {
            state.failed += 1;
            return Err(FetchError::http(503, b"injected fault"));
        }
        Ok(())
    }

    /// Also answers up to `max` tasks per call as a [`BatchStatusSource`](crate::BatchStatusSource).
    ///
    /// ```
    /// use poller_core::{StatusSource, testing::TimedSource};
    /// assert!(TimedSource::new("t").with_batch(5).as_batch().is_some());
    /// ```
    pub fn with_batch(mut self, max: usize) -> Self {
        self.max_batch = max;
        self
    }

    /// Registers `task_id`, finishing `duration` from now.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// poller_core::testing::TimedSource::new("t").add_task("x", std::time::Duration::from_secs(1));
    /// # }
    /// ```
    pub fn add_task(&self, task_id: impl Into<String>, duration: Duration) {
        let mut state = self.lock();
        state
            .done_at
            .insert(task_id.into(), Instant::now() + duration);
    }

    /// Every call so far: when, and how many task ids it carried.
    ///
    /// ```
    /// assert!(poller_core::testing::TimedSource::new("t").calls().is_empty());
    /// ```
    pub fn calls(&self) -> Vec<(Instant, usize)> {
        self.lock().calls.clone()
    }

    fn answer(
        &self,
        state: &TimedState,
        task_id: &str,
        now: Instant,
    ) -> Result<Status<()>, FetchError> {
        match state.done_at.get(task_id) {
            Some(at) if *at <= now => Ok(Status::new(crate::Phase::Succeeded, "succeeded")),
            Some(_) => Ok(Status::new(crate::Phase::Running, "running")),
            None => Err(FetchError::http(
                404,
                format!("unknown task {task_id}").as_bytes(),
            )),
        }
    }
}

#[async_trait]
impl StatusSource for TimedSource {
    type Output = ();

    fn name(&self) -> &str {
        &self.name
    }

    async fn fetch(&self, task_id: &str) -> Result<Status<()>, FetchError> {
        let now = Instant::now();
        let mut state = self.lock();
        self.call(&mut state, now, 1)?;
        self.answer(&state, task_id, now)
    }

    fn as_batch(&self) -> Option<&dyn crate::BatchStatusSource<Output = ()>> {
        if self.max_batch > 0 { Some(self) } else { None }
    }
}

#[async_trait]
impl crate::BatchStatusSource for TimedSource {
    fn max_batch(&self) -> usize {
        self.max_batch.max(1)
    }

    async fn fetch_many(
        &self,
        task_ids: &[&str],
    ) -> Result<Vec<Result<Status<()>, FetchError>>, FetchError> {
        let now = Instant::now();
        let mut state = self.lock();
        self.call(&mut state, now, task_ids.len())?;
        Ok(task_ids
            .iter()
            .map(|id| self.answer(&state, id, now))
            .collect())
    }
}
