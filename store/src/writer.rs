//! The task of a worker that owns every store write: progress flushes, outcome writes,
//! heartbeats, lease renewals, claims and give-backs. The poll loop (the task that drives
//! the `Tracker`) never awaits the database: it hands its tracker events over a bounded
//! channel ([`ToWriter`]) and hears back what it must do ([`FromWriter`]: poll claimed
//! tasks, stop polling lost ones, give some back).
//!
//! The writer also owns each held task's claim epoch, so every write it makes is fenced by
//! the epoch of the latest claim, whatever the poll loop has seen yet.

use crate::backend::{Claimed, Finish, Finished, Sample, Save};
use crate::store::{ms, now_ms};
use crate::{Renderer, Result, RunSummary, StoredOutcome, Worker, WorkerOptions, learned};
use poller_core::{Report, TaskState};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::sync::mpsc;

/// How many batches may wait for the writer before the poll loop keeps merging them itself.
pub(crate) const CHANNEL: usize = 64;

/// A held task's latest progress: its state and the wall-clock time of its next poll (ms).
pub(crate) type Progress = (TaskState<Value>, i64);

/// A task that ended in the poll loop, to be written before it is delivered.
pub(crate) struct Done {
    pub id: i64,
    /// The provider's name (what the outcome row and the renderer get).
    pub source: String,
    pub running_at: Option<Duration>,
    pub report: Report<Value>,
}

/// A claimed task whose stored state or spec cannot be read: ended with a `fetch_error`.
pub(crate) struct Unreadable {
    pub id: i64,
    pub source: String,
    pub task_id: String,
    pub what: String,
    pub message: String,
}

/// What the poll loop hands to the writer, in order.
#[derive(Default)]
pub(crate) struct ToWriter {
    /// The latest progress per task id since the last batch.
    pub progress: HashMap<i64, Progress>,
    /// Tasks that ended, in the order they ended.
    pub done: Vec<Done>,
    /// Claimed tasks that cannot be polled.
    pub unreadable: Vec<Unreadable>,
    /// Tasks the loop stopped polling, to give back to the store (after their progress).
    pub give_back: Vec<i64>,
}

impl ToWriter {
    pub(crate) fn is_empty(&self) -> bool {
        self.progress.is_empty()
            && self.done.is_empty()
            && self.unreadable.is_empty()
            && self.give_back.is_empty()
    }
}

/// What the writer tells the poll loop.
#[derive(Debug)]
pub(crate) enum FromWriter {
    /// Newly claimed tasks to poll (or own tasks claimed again).
    Claimed(Vec<Claimed>),
    /// Tasks whose lease another worker took: stop polling them.
    Lost(Vec<i64>),
    /// The number of live workers changed (rate limits are shared by them).
    Live(i64),
    /// Hold fewer tasks: stop polling this many (with a next poll still ahead) and give them back.
    GiveBack(usize),
    /// The store holds nothing left to do (with `exit_when_idle`).
    Idle,
}

/// The writer's state.
pub(crate) struct Writer {
    store: crate::Store,
    name: String,
    options: WorkerOptions,
    render: Renderer,
    deliver: mpsc::UnboundedSender<StoredOutcome>,
    to_loop: mpsc::UnboundedSender<FromWriter>,
    /// The claim epoch of every task this worker holds (polled, or ended and not yet written).
    epochs: HashMap<i64, i64>,
    /// What the poll loop handed over and is not written yet.
    queued: ToWriter,
    samples: Vec<Sample>,
    live: i64,
    last_flush: tokio::time::Instant,
    last_renew: tokio::time::Instant,
    /// When the poll loop was last asked to give tasks back (it answers with a batch).
    asked_back: Option<tokio::time::Instant>,
    summary: RunSummary,
}

impl Writer {
    /// The writer of `worker`'s run: written outcomes go to `deliver`, news to `to_loop`.
    pub(crate) fn new(
        worker: &Worker,
        deliver: mpsc::UnboundedSender<StoredOutcome>,
        to_loop: mpsc::UnboundedSender<FromWriter>,
        live: i64,
    ) -> Self {
        Writer {
            store: worker.store.clone(),
            name: worker.name.clone(),
            options: worker.options.clone(),
            render: worker.render.clone(),
            deliver,
            to_loop,
            epochs: HashMap::new(),
            queued: ToWriter::default(),
            samples: Vec::new(),
            live,
            last_flush: tokio::time::Instant::now(),
            last_renew: tokio::time::Instant::now(),
            asked_back: None,
            summary: RunSummary::default(),
        }
    }

    /// Runs until the poll loop closes its end, then writes the last progress (best effort:
    /// what is not written is redone by the next holder) and returns what it wrote.
    pub(crate) async fn run(mut self, mut from_loop: mpsc::Receiver<ToWriter>) -> RunSummary {
        let mut ticker = tokio::time::interval(self.options.tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                batch = from_loop.recv() => {
                    let Some(batch) = batch else { break };
                    self.take(batch);
                    // Everything already waiting goes into the same transactions.
                    while let Ok(batch) = from_loop.try_recv() {
                        self.take(batch);
                    }
                    self.write_urgent().await;
                }
                _ = ticker.tick() => {
                    if let Err(e) = self.tick().await {
                        tracing::warn!(worker = %self.name, error = %e, "store unavailable; retrying next tick");
                    }
                }
            }
        }
        self.write_urgent().await;
        if let Err(e) = self.flush().await {
            tracing::warn!(worker = %self.name, error = %e, "could not write the last progress");
        }
        self.summary
    }

    /// Queues a batch after the ones queued (the later progress of a task wins).
    fn take(&mut self, batch: ToWriter) {
        let q = &mut self.queued;
        q.progress.extend(batch.progress);
        q.done.extend(batch.done);
        q.unreadable.extend(batch.unreadable);
        q.give_back.extend(batch.give_back);
    }

    /// Writes what must not wait for the next tick: outcomes (the application waits for
    /// them) and give-backs (another worker waits for them). On a store error they stay
    /// queued, reported, and are tried again with the next batch or tick.
    async fn write_urgent(&mut self) {
        if let Err(e) = self.write_done().await {
            tracing::warn!(worker = %self.name, queued = self.queued.done.len(), error = %e, "could not write outcomes; retrying");
        }
        if let Err(e) = self.write_unreadable().await {
            tracing::warn!(worker = %self.name, queued = self.queued.unreadable.len(), error = %e, "could not end unreadable tasks; retrying");
        }
        if let Err(e) = self.write_give_back().await {
            tracing::warn!(worker = %self.name, queued = self.queued.give_back.len(), error = %e, "could not give tasks back; retrying");
        }
    }

    /// Writes every queued outcome in one transaction (fenced by each task's epoch), then
    /// hands the written ones to the delivery task.
    async fn write_done(&mut self) -> Result<()> {
        // Outcomes of tasks no longer held (taken over meanwhile) are not this worker's.
        let epochs = &self.epochs;
        let before = self.queued.done.len();
        self.queued.done.retain(|d| epochs.contains_key(&d.id));
        self.summary.lost += (before - self.queued.done.len()) as u64;
        if self.queued.done.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let deliver_until_ms = now.saturating_add(ms(self.options.lease));
        let mut rendered = Vec::with_capacity(self.queued.done.len());
        for d in &self.queued.done {
            let value = (self.render)(&d.source, &d.report);
            let text =
                serde_json::to_string(&value).map_err(|e| crate::error::corrupt("outcome", e))?;
            rendered.push((value, text));
        }
        let batch: Vec<Finish<'_>> = self
            .queued
            .done
            .iter()
            .zip(&rendered)
            .map(|(d, (_, text))| Finish {
                id: d.id,
                epoch: self.epochs[&d.id],
                source: &d.source,
                task_id: &d.report.task_id,
                kind: d.report.outcome.kind().as_str(),
                report: text,
                now_ms: now,
                deliver_until_ms,
            })
            .collect();
        let written = self.store.backend.finish(&self.name, &batch).await?;
        drop(batch);
        self.summary.write_transactions += 1;
        for ((d, (value, _)), written) in std::mem::take(&mut self.queued.done)
            .into_iter()
            .zip(rendered)
            .zip(written)
        {
            self.epochs.remove(&d.id);
            self.queued.progress.remove(&d.id);
            match written {
                Finished::Written(id) => {
                    self.summary.outcomes += 1;
                    if let Some(phase) = d.report.outcome.last_status().map(|s| s.phase) {
                        self.samples.extend(learned::sample(
                            &d.source,
                            phase,
                            d.running_at,
                            d.report.elapsed,
                        ));
                    }
                    let _ = self.deliver.send(StoredOutcome {
                        id,
                        source: d.source,
                        task_id: d.report.task_id,
                        kind: d.report.outcome.kind().as_str().to_string(),
                        report: value,
                        finished_ms: now,
                        acked_ms: None,
                    });
                }
                Finished::LeaseLost => {
                    self.summary.lost += 1;
                    tracing::info!(worker = %self.name, task_id = %d.report.task_id, "task taken over by another worker; outcome left to it");
                }
            }
        }
        Ok(())
    }

    /// Ends tasks whose stored state or spec cannot be read, each with a `fetch_error`
    /// outcome that says so: one outcome, never a task stuck with this worker.
    async fn write_unreadable(&mut self) -> Result<()> {
        while let Some(u) = self.queued.unreadable.last() {
            let Some(&epoch) = self.epochs.get(&u.id) else {
                self.queued.unreadable.pop();
                continue;
            };
            tracing::error!(worker = %self.name, task_id = %u.task_id, what = %u.what, message = %u.message, "stored task unreadable; ending it");
            let report = json!({
                "source": u.source,
                "task_id": u.task_id,
                "outcome": "fetch_error",
                "error": {"code": "unreadable_state", "message": format!("stored {} is not valid: {}", u.what, u.message)},
            });
            let now = now_ms();
            let text = report.to_string();
            let finish = Finish {
                id: u.id,
                epoch,
                source: &u.source,
                task_id: &u.task_id,
                kind: "fetch_error",
                report: &text,
                now_ms: now,
                deliver_until_ms: now,
            };
            let written = self
                .store
                .backend
                .finish(&self.name, std::slice::from_ref(&finish))
                .await?;
            self.summary.write_transactions += 1;
            if written
                .first()
                .is_some_and(|w| matches!(w, Finished::Written(_)))
            {
                self.summary.outcomes += 1;
            }
            self.epochs.remove(&u.id);
            self.queued.unreadable.pop();
        }
        Ok(())
    }

    /// Gives back the tasks the poll loop stopped polling, their progress written first.
    async fn write_give_back(&mut self) -> Result<()> {
        if self.queued.give_back.is_empty() {
            return Ok(());
        }
        self.flush().await?;
        let tasks: Vec<(i64, i64)> = self
            .queued
            .give_back
            .iter()
            .filter_map(|id| Some((*id, *self.epochs.get(id)?)))
            .collect();
        self.store.backend.give_back(&self.name, &tasks).await?;
        for id in std::mem::take(&mut self.queued.give_back) {
            self.epochs.remove(&id);
        }
        tracing::info!(worker = %self.name, given = tasks.len(), "gave tasks back for other workers");
        Ok(())
    }

    /// Writes the latest progress of every task polled since the last flush, in one
    /// transaction, and the learned durations.
    async fn flush(&mut self) -> Result<()> {
        if !self.queued.progress.is_empty() {
            let saves: Vec<Save> = self
                .queued
                .progress
                .iter()
                .filter_map(|(id, (state, next_poll_ms))| {
                    Some(Save {
                        id: *id,
                        epoch: *self.epochs.get(id)?,
                        state: serde_json::to_string(state).ok()?,
                        attempts: i64::from(state.attempts),
                        next_poll_ms: *next_poll_ms,
                    })
                })
                .collect();
            let lost = self.store.backend.save(&self.name, &saves).await?;
            self.summary.progress_rows += saves.len() as u64;
            self.summary.write_transactions += 1;
            self.queued.progress.clear();
            self.lose(lost);
        }
        if !self.samples.is_empty() {
            self.store
                .backend
                .learn(&self.samples, learned::KEEP)
                .await?;
            self.samples.clear();
        }
        Ok(())
    }

    /// Forgets tasks another worker took, and tells the poll loop to stop polling them.
    fn lose(&mut self, ids: Vec<i64>) {
        let ids: Vec<i64> = ids
            .into_iter()
            .filter(|id| self.epochs.remove(id).is_some())
            .collect();
        if ids.is_empty() {
            return;
        }
        let gone: HashSet<i64> = ids.iter().copied().collect();
        self.queued.progress.retain(|id, _| !gone.contains(id));
        let _ = self.to_loop.send(FromWriter::Lost(ids));
    }

    /// One tick: progress, queued outcomes, heartbeat, renewals, claims.
    async fn tick(&mut self) -> Result<()> {
        let backend = self.store.backend.clone();
        let opts = self.options.clone();
        if self.last_flush.elapsed() >= opts.flush_every {
            self.flush().await?;
            self.last_flush = tokio::time::Instant::now();
        }
        self.write_urgent().await;

        let live = backend
            .heartbeat(&self.name, now_ms(), ms(opts.lease))
            .await?;
        if live != self.live {
            self.live = live;
            let _ = self.to_loop.send(FromWriter::Live(live));
        }
        let renew_every = (opts.lease / 3).max(opts.tick);
        if self.last_renew.elapsed() >= renew_every {
            let kept: HashMap<i64, i64> = backend
                .renew(&self.name, now_ms(), ms(opts.lease))
                .await?
                .into_iter()
                .collect();
            self.last_renew = tokio::time::Instant::now();
            let lost: Vec<i64> = self
                .epochs
                .iter()
                .filter(|(id, epoch)| kept.get(id) != Some(epoch))
                .map(|(id, _)| *id)
                .collect();
            self.lose(lost);
        }

        // With several live workers, each holds at most its share of the pending tasks, so
        // that the first to start does not take everything.
        let cap = if live > 1 {
            let (tasks, _) = backend.remaining().await?;
            let share = usize::try_from(tasks.max(0)).unwrap_or(usize::MAX);
            opts.max_tasks
                .min(share.div_ceil(usize::try_from(live).unwrap_or(1)) + 1)
        } else {
            opts.max_tasks
        };
        let held = self.epochs.len();
        // Asked at most every other tick: the loop's answer comes with its next batch.
        let asked_lately = self
            .asked_back
            .is_some_and(|at| at.elapsed() < opts.tick * 2);
        if held > cap.saturating_add(opts.claim_batch)
            && self.queued.give_back.is_empty()
            && !asked_lately
        {
            self.asked_back = Some(tokio::time::Instant::now());
            let _ = self.to_loop.send(FromWriter::GiveBack(held - cap));
        }
        loop {
            let room = cap.saturating_sub(self.epochs.len());
            if room == 0 {
                break;
            }
            let limit = room.min(opts.claim_batch);
            let claimed = backend
                .claim(
                    &self.name,
                    now_ms(),
                    ms(opts.lease),
                    i64::try_from(limit).unwrap_or(i64::MAX),
                )
                .await?;
            let full = claimed.len() == limit;
            if !claimed.is_empty() {
                self.summary.claimed += claimed.len() as u64;
                for c in &claimed {
                    self.epochs.insert(c.id, c.epoch);
                }
                let _ = self.to_loop.send(FromWriter::Claimed(claimed));
            }
            if !full {
                break;
            }
        }
        if opts.exit_when_idle
            && self.epochs.is_empty()
            && self.queued.done.is_empty()
            && self.queued.unreadable.is_empty()
        {
            let (tasks, unacked) = backend.remaining().await?;
            if tasks == 0 && unacked == 0 {
                let _ = self.to_loop.send(FromWriter::Idle);
            }
        }
        Ok(())
    }
}

/// The bounded channel from the poll loop to the writer.
pub(crate) fn channel() -> (mpsc::Sender<ToWriter>, mpsc::Receiver<ToWriter>) {
    mpsc::channel(CHANNEL)
}
