use crate::backend::Claimed;
use crate::store::{ms, now_ms};
use crate::writer::{self, Done, FromWriter, ToWriter, Unreadable, Writer};
use crate::{OutcomeSink, Result, SourceSpec, Store, StoreError, StoredOutcome, learned};
use futures::StreamExt;
use poller_core::{
    AdaptiveStore, BoxPolicy, ConfigError, DynSource, RateLimit, Report, SourceId, SourceOptions,
    TaskState, Tracker, TrackerEvent,
};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// Rebuilds a stored task's source and policy from its [`SourceSpec`] (the API key comes
/// from the worker's environment or configuration, never from the store).
pub type SourceBuilder =
    Arc<dyn Fn(&SourceSpec) -> Result<(DynSource, BoxPolicy), ConfigError> + Send + Sync>;

/// Turns a finished task into the JSON stored and delivered as its outcome.
pub type Renderer = Arc<dyn Fn(&str, &Report) -> Value + Send + Sync>;

/// The outcome JSON a [`Worker`] writes unless given another renderer: `source`, `task_id`,
/// `outcome` (kind), `attempts`, `elapsed_ms`, `last` (the last status) and `message`.
///
/// ```
/// use std::time::Duration;
/// use poller_core::{Outcome, Phase, Report, Status};
/// let report = Report::new("t1", Outcome::Succeeded(Status::new(Phase::Succeeded, "done")), 3, Duration::from_secs(2));
/// let v = poller_store::default_outcome_json("narada", &report);
/// assert_eq!(v["outcome"], "succeeded");
/// assert_eq!(v["elapsed_ms"], 2000);
/// ```
pub fn default_outcome_json(source: &str, report: &Report) -> Value {
    json!({
        "source": source,
        "task_id": report.task_id,
        "outcome": report.outcome.kind().as_str(),
        "attempts": report.attempts,
        "elapsed_ms": ms(report.elapsed),
        "last": report.outcome.last_status(),
        "message": report.outcome.to_string(),
    })
}

/// The settings of a [`Worker`].
///
/// # Default
/// Lease 30 s (renewed every 10 s), a claim and heartbeat every second, progress written
/// every 5 s, claims of 1,000 tasks (repeated while full) and 100,000 held, 64 requests in
/// flight, no rate limit, run until stopped.
///
/// ```
/// use std::time::Duration;
/// let o = poller_store::WorkerOptions::default().lease(Duration::from_secs(10));
/// assert_eq!(o.lease, Duration::from_secs(10));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WorkerOptions {
    /// How long a claim lasts without renewal: a dead worker's tasks are taken over at most
    /// `lease + tick` after its last renewal.
    pub lease: Duration,
    /// How often the worker writes progress, beats, claims and delivers orphaned outcomes.
    pub tick: Duration,
    /// How often held tasks' progress is written (the latest state of each, in one
    /// transaction): what a crash may lose, harmlessly.
    pub flush_every: Duration,
    /// Most tasks claimed per claim query (a tick claims again while batches come back full).
    pub claim_batch: usize,
    /// Most tasks held at once.
    pub max_tasks: usize,
    /// Most requests in flight (the tracker's bound).
    pub max_in_flight: usize,
    /// Rate limits per source name, shared by all live workers (each gets `1/N`).
    pub rate_limits: HashMap<String, RateLimit>,
    /// End [`Worker::run`] once the store holds no pending task and no undelivered outcome.
    pub exit_when_idle: bool,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            lease: Duration::from_secs(30),
            tick: Duration::from_secs(1),
            flush_every: Duration::from_secs(5),
            claim_batch: 1000,
            max_tasks: 100_000,
            max_in_flight: 64,
            rate_limits: HashMap::new(),
            exit_when_idle: false,
        }
    }
}

impl WorkerOptions {
    /// Sets the lease (at least three ticks).
    ///
    /// ```
    /// let _o = poller_store::WorkerOptions::default().lease(std::time::Duration::from_secs(5));
    /// ```
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Sets the tick.
    ///
    /// ```
    /// let _o = poller_store::WorkerOptions::default().tick(std::time::Duration::from_millis(200));
    /// ```
    pub fn tick(mut self, tick: Duration) -> Self {
        self.tick = tick.max(Duration::from_millis(10));
        self
    }

    /// Sets how often progress is written.
    ///
    /// ```
    /// let _o = poller_store::WorkerOptions::default().flush_every(std::time::Duration::from_secs(1));
    /// ```
    pub fn flush_every(mut self, every: Duration) -> Self {
        self.flush_every = every;
        self
    }

    /// Sets the most tasks held at once (at least 1).
    ///
    /// ```
    /// let _o = poller_store::WorkerOptions::default().max_tasks(500);
    /// ```
    pub fn max_tasks(mut self, n: usize) -> Self {
        self.max_tasks = n.max(1);
        self
    }

    /// Sets the most tasks claimed per tick (at least 1).
    ///
    /// ```
    /// let _o = poller_store::WorkerOptions::default().claim_batch(100);
    /// ```
    pub fn claim_batch(mut self, n: usize) -> Self {
        self.claim_batch = n.max(1);
        self
    }

    /// Sets the most requests in flight.
    ///
    /// ```
    /// let _o = poller_store::WorkerOptions::default().max_in_flight(16);
    /// ```
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }

    /// Limits the requests of source `name` over all live workers together.
    ///
    /// ```
    /// let _o = poller_store::WorkerOptions::default()
    ///     .rate_limit("narada", poller_core::RateLimit::per_second(10));
    /// ```
    pub fn rate_limit(mut self, name: impl Into<String>, limit: RateLimit) -> Self {
        self.rate_limits.insert(name.into(), limit);
        self
    }

    /// Ends the run once nothing is left to do in the store.
    ///
    /// ```
    /// assert!(poller_store::WorkerOptions::default().exit_when_idle(true).exit_when_idle);
    /// ```
    pub fn exit_when_idle(mut self, yes: bool) -> Self {
        self.exit_when_idle = yes;
        self
    }
}

/// One worker's share of a limit shared by `live` workers.
fn share(limit: RateLimit, live: i64) -> RateLimit {
    let n = u32::try_from(live.max(1)).unwrap_or(u32::MAX);
    RateLimit::every(limit.period().saturating_mul(n)).burst((limit.burst_size() / n).max(1))
}

/// What a [`Worker::run`] did.
///
/// ```
/// let s = poller_store::RunSummary::default();
/// assert_eq!(s.outcomes, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunSummary {
    /// Tasks claimed (a task taken over counts again).
    pub claimed: u64,
    /// Outcomes written by this worker.
    pub outcomes: u64,
    /// Outcomes delivered and acknowledged by this worker.
    pub delivered: u64,
    /// Tasks dropped because another worker took them over.
    pub lost: u64,
    /// Polls whose progress was seen (every poll of a task that went on).
    pub polls: u64,
    /// Progress rows written (at most one per held task per tick, however often it polled).
    pub progress_rows: u64,
    /// Write transactions: progress batches plus one per outcome.
    pub write_transactions: u64,
}

struct Held {
    id: i64,
    running_at: Option<Duration>,
    /// When this worker's tracker polls the task next (wall clock, ms), once it has polled
    /// it; `None` before its first answer here.
    next_poll_ms: Option<i64>,
}

/// Polls the tasks of a [`Store`]: claims due tasks, feeds them to an in-memory
/// [`Tracker`] from their saved state, writes progress in batches, writes each outcome before
/// the application sees it and delivers it at least once.
///
/// # What is written when
/// The loop that drives the tracker never waits for the database: a task of its own (the
/// writer) makes every write (progress, outcomes, heartbeats, renewals, claims), fed through
/// a bounded channel, so polls, timers and events go on while a write is under way.
///
/// - **Every poll** yields the task's state (attempts, elapsed, last status) and next poll
///   time; these are written **every `flush_every`** (5 s by default) in one transaction, the
///   latest per task. A crash loses at most that much progress: the task then resumes from an
///   older state, with a few attempts uncounted and a few polls made again, which the remote
///   API does not mind. The deadline is not affected: it counts from the first time the
///   task was tracked, which is written once, when the task is added. A claimed task is
///   first polled at its stored next-poll time (at once if that has passed).
/// - **An outcome** is written (the task marked done and one outcome row, fenced; outcomes
///   that come together share one transaction) as soon as the writer gets it, and only
///   then is it handed to the [`OutcomeSink`]; a failed write is logged and retried with the
///   next batch or tick, the outcome held meanwhile. It is acknowledged when the sink
///   accepts it, and delivered again otherwise (by this worker, or, once its delivery
///   lease of one `lease` has passed, by any worker).
/// - **Leases** are renewed every `lease / 3`. A worker whose renewal or write finds the task
///   taken over stops polling it at once.
///
/// # Several workers
/// Each live worker holds at most its share of the pending tasks (`pending / live + 1`), and
/// gives the excess back when a new worker appears, so the work spreads over the workers. A task is held by one worker at a time: claims take only free or expired tasks, and every
/// write is fenced by the claim's epoch. A dead worker's tasks are taken over within
/// `lease + tick` of its last renewal. A source's rate limit is split between the live
/// workers (those that beat within one lease): each gets `1/N` of the rate and burst. A
/// new worker waits one tick after its first beat, so the others have seen it before it
/// sends a request; a dead worker counts until its lease passes, so the others under-use
/// the limit meanwhile, never over-use it.
///
/// ```no_run
/// # async fn run() -> poller_store::Result<()> {
/// use std::sync::Arc;
/// use poller_store::{Store, Worker, WorkerOptions};
///
/// let store = Store::open("watch.db").await?;
/// let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
/// let worker = Worker::new(store, poller_store::registry_builder())
///     .options(WorkerOptions::default().exit_when_idle(true));
/// let summary = worker.run(tx, std::future::pending()).await?;
/// while let Ok(outcome) = rx.try_recv() {
///     println!("{}", outcome.report);
/// }
/// # Ok(()) }
/// ```
pub struct Worker {
    pub(crate) store: Store,
    pub(crate) name: String,
    builder: SourceBuilder,
    pub(crate) render: Renderer,
    pub(crate) options: WorkerOptions,
    adaptive: Option<AdaptiveStore>,
}

impl fmt::Debug for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("store", &self.store)
            .field("name", &self.name)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// A [`SourceBuilder`] from the provider registry: the provider named by the spec, its
/// default policy, the spec's base URL and parameters, and the key from `POLLER_API_KEY` or
/// else the provider's own variable (`NARADA_API_KEY` …).
///
/// ```
/// use poller_store::SourceSpec;
/// let build = poller_store::registry_builder();
/// let err = build(&SourceSpec::new("no-such-provider")).map(drop).unwrap_err();
/// assert!(err.to_string().contains("unknown provider"));
/// ```
pub fn registry_builder() -> SourceBuilder {
    Arc::new(|spec: &SourceSpec| {
        let provider = poller_core::provider(&spec.provider)?;
        let key = ["POLLER_API_KEY", provider.key_env]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|k| !k.is_empty()));
        let mut config = poller_core::SourceConfig::new();
        if let Some(key) = key {
            config = config.api_key(key);
        }
        if let Some(url) = &spec.base_url {
            config = config.base_url(url.clone());
        }
        for (k, v) in &spec.params {
            config = config.param(k.clone(), v.clone());
        }
        Ok((provider.build_source(config)?, provider.policy()))
    })
}

impl Worker {
    /// A worker on `store` that rebuilds sources with `builder`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> poller_store::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// let store = poller_store::Store::open(dir.path().join("w.db").to_str().unwrap()).await?;
    /// let worker = poller_store::Worker::new(store, poller_store::registry_builder());
    /// assert!(worker.worker_name().starts_with("worker-"));
    /// # Ok(()) }
    /// ```
    pub fn new(store: Store, builder: SourceBuilder) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Worker {
            store,
            name: format!("worker-{}-{nanos:09}", std::process::id()),
            builder,
            render: Arc::new(default_outcome_json),
            options: WorkerOptions::default(),
            adaptive: None,
        }
    }

    /// Sets the worker's name (unique among the workers of a store).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> poller_store::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let store = poller_store::Store::open(dir.path().join("w.db").to_str().unwrap()).await?;
    /// let w = poller_store::Worker::new(store, poller_store::registry_builder()).name("w1");
    /// assert_eq!(w.worker_name(), "w1");
    /// # Ok(()) }
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the options.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> poller_store::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let store = poller_store::Store::open(dir.path().join("w.db").to_str().unwrap()).await?;
    /// let _w = poller_store::Worker::new(store, poller_store::registry_builder())
    ///     .options(poller_store::WorkerOptions::default().max_tasks(10));
    /// # Ok(()) }
    /// ```
    pub fn options(mut self, options: WorkerOptions) -> Self {
        self.options = options;
        self
    }

    /// Sets how outcomes are rendered to JSON (default: [`default_outcome_json`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> poller_store::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let store = poller_store::Store::open(dir.path().join("w.db").to_str().unwrap()).await?;
    /// use std::sync::Arc;
    /// let _w = poller_store::Worker::new(store, poller_store::registry_builder())
    ///     .renderer(Arc::new(|source: &str, r: &poller_core::Report| serde_json::json!({"id": r.task_id, "source": source})));
    /// # Ok(()) }
    /// ```
    pub fn renderer(mut self, render: Renderer) -> Self {
        self.render = render;
        self
    }

    /// Saves the durations of finished tasks (per source name) and, at start, replays the
    /// saved ones into `adaptive`: give the same store to the `Adaptive` policies your
    /// builder makes, keyed by source name (`Adaptive::with_store(fallback, &store, name)`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> poller_store::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let store = poller_store::Store::open(dir.path().join("w.db").to_str().unwrap()).await?;
    /// let learned = poller_core::AdaptiveStore::new();
    /// let _w = poller_store::Worker::new(store, poller_store::registry_builder()).learn_into(learned.clone());
    /// # Ok(()) }
    /// ```
    pub fn learn_into(mut self, adaptive: AdaptiveStore) -> Self {
        self.adaptive = Some(adaptive);
        self
    }

    /// The worker's name: what its leases carry.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> poller_store::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let store = poller_store::Store::open(dir.path().join("w.db").to_str().unwrap()).await?;
    /// assert_eq!(poller_store::Worker::new(store, poller_store::registry_builder()).name("x").worker_name(), "x");
    /// # Ok(()) }
    /// ```
    pub fn worker_name(&self) -> &str {
        &self.name
    }

    /// Runs until `shutdown` resolves (then gives its leases back, so another worker takes
    /// over at once), until the store is idle with [`WorkerOptions::exit_when_idle`], or
    /// until a task's source cannot be rebuilt ([`StoreError::Source`], leases given back).
    /// Store errors while running (a lost connection, a locked file) are logged and retried
    /// each tick; nothing held in memory is dropped meanwhile.
    ///
    /// ```no_run
    /// # async fn run(worker: poller_store::Worker) -> poller_store::Result<()> {
    /// let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    /// let summary = worker.run(tx, async { tokio::signal::ctrl_c().await.ok(); }).await?;
    /// println!("{} outcomes", summary.outcomes);
    /// # Ok(()) }
    /// ```
    pub async fn run(
        self,
        sink: impl OutcomeSink,
        shutdown: impl Future<Output = ()>,
    ) -> Result<RunSummary> {
        let mut run = Run::new(self);
        let result = run.main(Arc::new(sink), shutdown).await;
        if let Err(e) = run.worker.store.backend.release(&run.worker.name).await {
            tracing::warn!(worker = %run.worker.name, error = %e, "could not give leases back");
        }
        result.map(|()| run.summary)
    }
}

/// The state of one run: the poll loop's side. Every store write happens in the
/// [`Writer`](crate::writer::Writer) task, fed through a bounded channel; this loop never
/// awaits the database, so the tracker's events and timers never wait for a write.
struct Run {
    worker: Worker,
    tracker: Tracker<Value>,
    held: HashMap<(SourceId, String), Held>,
    by_id: HashMap<i64, (SourceId, String)>,
    sources: HashMap<String, SourceId>,
    names: HashMap<SourceId, String>,
    /// What the writer has not taken yet (merged while its channel is full).
    outbox: ToWriter,
    live: i64,
    summary: RunSummary,
}

impl Run {
    fn new(worker: Worker) -> Self {
        let tracker = Tracker::new()
            .emit_polled(true)
            .max_in_flight(worker.options.max_in_flight);
        Run {
            worker,
            tracker,
            held: HashMap::new(),
            by_id: HashMap::new(),
            sources: HashMap::new(),
            names: HashMap::new(),
            outbox: ToWriter::default(),
            live: 1,
            summary: RunSummary::default(),
        }
    }

    async fn main(
        &mut self,
        sink: Arc<dyn OutcomeSink>,
        shutdown: impl Future<Output = ()>,
    ) -> Result<()> {
        let store = self.worker.store.clone();
        let name = self.worker.name.clone();
        let opts = self.worker.options.clone();
        // Keeps the tracker's stream open while it holds no task.
        let _keep_open = self.tracker.handle();

        if let Some(adaptive) = &self.worker.adaptive {
            let samples = store.backend.learned().await?;
            let n = learned::restore(adaptive, &samples);
            tracing::info!(worker = %name, samples = n, "restored learned durations");
        }
        self.live = store
            .backend
            .heartbeat(&name, now_ms(), ms(opts.lease))
            .await?;
        // The others see this worker at their next beat: only then is its share of a rate
        // limit free to use.
        if !opts.rate_limits.is_empty() {
            tokio::time::sleep(opts.tick).await;
        }

        let (deliver_tx, deliver_rx) = mpsc::unbounded_channel::<StoredOutcome>();
        let delivered = Arc::new(AtomicU64::new(0));
        let delivery = tokio::spawn(deliver_loop(
            delivered.clone(),
            store.clone(),
            name.clone(),
            opts.lease,
            opts.tick,
            sink,
            deliver_rx,
        ));
        let (to_writer, writer_rx) = writer::channel();
        let (from_writer_tx, mut from_writer) = mpsc::unbounded_channel();
        let writer = tokio::spawn(
            Writer::new(&self.worker, deliver_tx, from_writer_tx, self.live).run(writer_rx),
        );
        tokio::pin!(shutdown);
        // Why the loop ended: `true` when the store is idle (every outcome acknowledged).
        let mut idle = false;
        let result = loop {
            tokio::select! {
                biased;
                () = &mut shutdown => break Ok(()),
                permit = to_writer.reserve(), if !self.outbox.is_empty() => match permit {
                    Ok(permit) => permit.send(std::mem::take(&mut self.outbox)),
                    Err(_) => break Err(StoreError::WriterEnded),
                },
                msg = from_writer.recv() => match msg {
                    Some(FromWriter::Claimed(claimed)) => {
                        if let Err(e) = self.resume_all(claimed) {
                            break Err(e);
                        }
                    }
                    Some(FromWriter::Lost(ids)) => {
                        for id in ids {
                            self.drop_task(id);
                        }
                    }
                    Some(FromWriter::Live(live)) => self.set_live(live),
                    Some(FromWriter::GiveBack(n)) => self.give_back(n),
                    Some(FromWriter::Idle) => {
                        idle = true;
                        break Ok(());
                    }
                    None => break Err(StoreError::WriterEnded),
                },
                event = self.tracker.next() => {
                    // Take every event already there, so that outcomes finished together are
                    // written in one transaction.
                    let mut next = event;
                    for _ in 0..4096 {
                        match next {
                            Some(TrackerEvent::Polled { source, state, next_in }) => self.polled(source, state, next_in),
                            Some(TrackerEvent::Finished { source, report }) => self.finished(source, report),
                            _ => {}
                        }
                        match futures::FutureExt::now_or_never(self.tracker.next()) {
                            Some(event) => next = event,
                            None => break,
                        }
                    }
                }
            }
        };
        // The last progress goes to the writer, which writes it before it ends (best effort:
        // what is not written is redone by the next holder).
        if !self.outbox.is_empty() {
            let _ = to_writer.send(std::mem::take(&mut self.outbox)).await;
        }
        drop(to_writer);
        match writer.await {
            Ok(written) => self.add_written(&written),
            Err(e) => tracing::warn!(worker = %name, error = %e, "writer task failed"),
        }
        if !idle {
            // Outcomes not delivered yet are in the store: once their delivery lease passes
            // (at once, after `release`), any worker delivers them. A sink that keeps failing
            // must not keep this worker from stopping.
            delivery.abort();
        }
        match delivery.await {
            Ok(()) => {}
            Err(e) if e.is_cancelled() => {}
            Err(e) => tracing::warn!(worker = %name, error = %e, "delivery task failed"),
        }
        self.summary.delivered = delivered.load(Ordering::Relaxed);
        result
    }

    /// Adds the writer's counts to the loop's.
    fn add_written(&mut self, w: &RunSummary) {
        let s = &mut self.summary;
        s.claimed += w.claimed;
        s.outcomes += w.outcomes;
        s.lost += w.lost;
        s.progress_rows += w.progress_rows;
        s.write_transactions += w.write_transactions;
    }

    fn polled(&mut self, source: SourceId, state: TaskState<Value>, next_in: Duration) {
        self.summary.polls += 1;
        let Some(held) = self.held.get_mut(&(source, state.task_id.clone())) else {
            return;
        };
        held.running_at = state.running_at;
        let next_poll_ms = now_ms().saturating_add(ms(next_in));
        held.next_poll_ms = Some(next_poll_ms);
        self.outbox.progress.insert(held.id, (state, next_poll_ms));
    }

    /// Hands an ended task to the writer, which writes its outcome before delivering it.
    fn finished(&mut self, source: SourceId, report: Report) {
        let Some(held) = self.held.remove(&(source, report.task_id.clone())) else {
            return;
        };
        self.by_id.remove(&held.id);
        self.outbox.progress.remove(&held.id);
        self.outbox.done.push(Done {
            id: held.id,
            source: self.names.get(&source).cloned().unwrap_or_default(),
            running_at: held.running_at,
            report,
        });
    }

    /// Shares each rate limit between `live` workers.
    fn set_live(&mut self, live: i64) {
        self.live = live;
        for (source, provider) in &self.names {
            if let Some(limit) = self.worker.options.rate_limits.get(provider) {
                self.tracker
                    .set_rate_limit(*source, Some(share(*limit, live)));
            }
        }
    }

    /// Stops polling `n` held tasks and hands them to the writer to give back (their
    /// progress first), for workers that joined later.
    ///
    /// Only tasks whose poll here has been answered and whose next poll is still ahead are
    /// given back: the new holder resumes at that stored next-poll time, while a task polled
    /// but not yet answered (or due now) would be polled again at once by the new holder, two
    /// holders polling one task back to back. Fewer than `n` may go; the writer asks again.
    fn give_back(&mut self, n: usize) {
        let now = now_ms();
        let ids: Vec<i64> = self
            .held
            .values()
            .filter(|h| h.next_poll_ms.is_some_and(|at| at > now))
            .take(n)
            .map(|h| h.id)
            .collect();
        for id in &ids {
            if let Some(key) = self.by_id.remove(id) {
                self.tracker.untrack(key.0, &key.1);
                self.held.remove(&key);
            }
        }
        self.outbox.give_back.extend(ids);
    }

    /// Stops polling a task whose lease another worker took.
    fn drop_task(&mut self, id: i64) {
        if let Some(key) = self.by_id.remove(&id) {
            self.tracker.untrack(key.0, &key.1);
            self.held.remove(&key);
            self.outbox.progress.remove(&id);
            self.summary.lost += 1;
            tracing::info!(worker = %self.worker.name, task_id = %key.1, "lease lost; stopped polling");
        }
    }

    /// Starts polling claimed tasks; one whose stored state or spec cannot be read goes to
    /// the writer to be ended with a clear outcome.
    fn resume_all(&mut self, claimed: Vec<Claimed>) -> Result<()> {
        for c in claimed {
            let (id, source, task_id) = (c.id, c.source.clone(), c.task_id.clone());
            match self.resume(c) {
                Err(StoreError::Corrupt { what, message }) => {
                    self.outbox.unreadable.push(Unreadable {
                        id,
                        source,
                        task_id,
                        what,
                        message,
                    });
                }
                other => other?,
            }
        }
        Ok(())
    }

    fn resume(&mut self, c: Claimed) -> Result<()> {
        if self.by_id.contains_key(&c.id) {
            // Our own lease had run out and we took the task again: same task, and the
            // writer fences its writes with the new epoch.
            return Ok(());
        }
        let source = self.source_for(&c.spec)?;
        let mut state: TaskState<Value> = serde_json::from_str(&c.state)
            .map_err(|e| crate::error::corrupt(format!("state of task #{}", c.id), e))?;
        // The deadline counts from the first time the task was tracked, across restarts.
        let since = now_ms().saturating_sub(c.first_seen_ms).max(0);
        state.elapsed = state
            .elapsed
            .max(Duration::from_millis(u64::try_from(since).unwrap_or(0)));
        let key = (source, state.task_id.clone());
        self.held.insert(
            key.clone(),
            Held {
                id: c.id,
                running_at: state.running_at,
                next_poll_ms: None,
            },
        );
        self.by_id.insert(c.id, key);
        // Its first poll here comes at its stored next-poll time (`state.next_poll_at`).
        self.tracker.track_resumed(source, state);
        Ok(())
    }

    fn source_for(&mut self, spec_json: &str) -> Result<SourceId> {
        if let Some(id) = self.sources.get(spec_json) {
            return Ok(*id);
        }
        let spec: SourceSpec =
            serde_json::from_str(spec_json).map_err(|e| crate::error::corrupt("source spec", e))?;
        let (source, policy) = (self.worker.builder)(&spec).map_err(|e| StoreError::Source {
            provider: spec.provider.clone(),
            message: e.to_string(),
        })?;
        let mut options = SourceOptions::default();
        if let Some(limit) = self.worker.options.rate_limits.get(&spec.provider) {
            options = options.rate_limit(share(*limit, self.live));
        }
        let id = self.tracker.add_source_with(source, policy, options);
        self.sources.insert(spec_json.to_string(), id);
        self.names.insert(id, spec.provider);
        Ok(id)
    }
}

/// Delivers outcomes in order, acknowledging each once the sink took it; retries a failed
/// delivery with back-off, and picks up outcomes whose delivery lease ran out. Counts those
/// it acknowledged in `delivered`.
async fn deliver_loop(
    delivered: Arc<AtomicU64>,
    store: Store,
    worker: String,
    lease: Duration,
    tick: Duration,
    sink: Arc<dyn OutcomeSink>,
    mut rx: mpsc::UnboundedReceiver<StoredOutcome>,
) {
    let mut orphans = tokio::time::interval(tick.max(Duration::from_millis(100)));
    orphans.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut open = true;
    loop {
        let batch: Vec<StoredOutcome> = tokio::select! {
            msg = rx.recv(), if open => match msg {
                Some(o) => vec![o],
                None => { open = false; Vec::new() }
            },
            _ = orphans.tick() => match store.backend.claim_outcomes(&worker, now_ms(), ms(lease), 100).await {
                Ok(list) => list,
                Err(e) => { tracing::warn!(%worker, error = %e, "could not claim outcomes"); Vec::new() }
            },
        };
        for outcome in batch {
            let mut backoff = Duration::from_millis(100);
            loop {
                match sink.deliver(&outcome).await {
                    Ok(()) => break,
                    Err(message) => {
                        tracing::warn!(%worker, task_id = %outcome.task_id, %message, "delivery failed; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(30));
                    }
                }
            }
            let mut backoff = Duration::from_millis(100);
            while let Err(e) = store.ack(outcome.id).await {
                tracing::warn!(%worker, error = %e, "could not acknowledge an outcome; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
            delivered.fetch_add(1, Ordering::Relaxed);
        }
        if !open && rx.is_empty() {
            return;
        }
    }
}
