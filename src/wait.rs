//! `poller wait`: many tasks of one provider through one tracker, with progress, results on
//! stdout, exit codes, signals and early stops. [`prepare`] then [`Prepared::run`] is the
//! whole wait, for any command that waits (`wait`, `submit --wait`).

use crate::cli::{ConnectionArgs, Format, PolicyArgs, Until, WaitArgs, WaitOutput};
use crate::connection::build_source;
use crate::counting::{Counts, counting};
use crate::error::CliError;
use crate::ids;
use crate::listen::{self, Listening, Mode};
use crate::out::{Closed, Stdout, err_line};
use crate::policy_args::build_policy;
use crate::progress::{FRAME_EVERY, ProgressView, RowSpec, SCREENFUL};
use crate::report::{TaskReport, Verdict, code, describe, fetch_error_code, retry_text};
use crate::signals::{Signals, Stop};
use futures::StreamExt;
use poller_core::{
    FetchError, Outcome, Phase, Provider, Report, SourceId, SourceOptions, Status, Tracker,
    TrackerEvent, provider,
};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// After this many tasks fail with the same permanent error, the wait stops (exit 5) unless
/// `--keep-going`: a wrong key or base URL fails every task alike.
pub const STOP_AFTER_IDENTICAL: usize = 3;

/// Runs `poller wait`; returns the exit code.
pub async fn run(args: WaitArgs) -> Result<u8, CliError> {
    let provider = provider(&args.provider)?;
    let ids = ids::collect(&args.task_ids, &args.ids_file, std::io::stdin().lock())?;
    // Every mistake is found before the receiver binds and says where it listens.
    let plan = listen::plan(provider, &args.listen, Mode::Wait)?;
    let how = How {
        connection: &args.connection,
        policy: &args.policy,
        output: &args.output,
    };
    let wait = prepare(provider, ids, how, plan.is_some())?;
    // Before the receiver says where it listens: a signal from then on ends the wait.
    let signals = Signals::install();
    let listening = match plan {
        Some(plan) => Some(listen::bind(plan).await?.for_ids(&wait.ids)),
        None => None,
    };
    Ok(wait.run(listening, signals).await)
}

/// The options of a wait, as given.
pub struct How<'a> {
    pub connection: &'a ConnectionArgs,
    pub policy: &'a PolicyArgs,
    pub output: &'a WaitOutput,
}

/// A wait checked and set up: its tasks tracked, nothing sent yet.
pub struct Prepared<'a> {
    provider: &'static Provider,
    ids: Vec<String>,
    tracker: Tracker,
    source_id: SourceId,
    counts: Arc<Counts>,
    output: &'a WaitOutput,
}

/// Checks every option and id of a wait on `ids` of `provider` and tracks them through one
/// tracker; nothing is sent until [`Prepared::run`]. With `callbacks` (`--listen`), the
/// provider's schedule is the safety net of callbacks expected.
pub fn prepare<'a>(
    provider: &'static Provider,
    ids: Vec<String>,
    how: How<'a>,
    callbacks: bool,
) -> Result<Prepared<'a>, CliError> {
    for id in &ids {
        ids::check(id).map_err(|why| CliError::Usage(format!("task id {id:?} {why}")))?;
    }
    let policy = build_policy(provider, how.policy, callbacks)?;
    let (source, counts) = counting(build_source(provider, how.connection)?);
    let mut tracker = Tracker::new().emit_changes(true).emit_retries(true);
    let source_id = tracker.add_source_with(source, policy, SourceOptions::default());
    for id in &ids {
        tracker.track(source_id, id.clone());
    }
    Ok(Prepared {
        provider,
        ids,
        tracker,
        source_id,
        counts,
        output: how.output,
    })
}

impl Prepared<'_> {
    /// Polls the tasks, showing progress on stderr and results on stdout as `output` says,
    /// until each task met the condition, a stop rule fired, stdout closed, or a signal
    /// came. With `listening` (`--listen`), every task is expected at its receiver, which
    /// stops when the wait ends. Returns the exit code documented in `--help`.
    pub async fn run(self, listening: Option<Listening>, signals: Signals) -> u8 {
        let Prepared {
            provider,
            ids,
            mut tracker,
            source_id,
            counts,
            output,
        } = self;
        if let Some(listening) = &listening {
            listening.expect_all(&tracker.handle(), source_id);
        }
        let mut wait = Wait::new(provider, ids, counts, output);
        let code = wait.drive(&mut tracker, signals).await;
        if let Some(listening) = listening {
            listening.shutdown().await;
        }
        code
    }
}

struct Task {
    id: String,
    last: Option<Status>,
    done: bool,
}

enum Next {
    Continue,
    Exit(u8),
}

struct Wait<'a> {
    provider: &'static Provider,
    tasks: Vec<Task>,
    index: HashMap<String, usize>,
    counts: Arc<Counts>,
    output: &'a WaitOutput,
    view: ProgressView,
    stdout: Stdout,
    start: Instant,
    remaining: usize,
    worst: u8,
    identical: HashMap<(String, String), usize>,
}

impl<'a> Wait<'a> {
    fn new(
        provider: &'static Provider,
        ids: Vec<String>,
        counts: Arc<Counts>,
        output: &'a WaitOutput,
    ) -> Self {
        let specs = ids
            .iter()
            .map(|id| RowSpec {
                label: format!("{} {id}", provider.name),
                task_id: id.clone(),
                counts: counts.clone(),
            })
            .collect();
        let view = ProgressView::new(output.quiet, provider.name, specs);
        Wait {
            provider,
            index: ids
                .iter()
                .enumerate()
                .map(|(i, t)| (t.clone(), i))
                .collect(),
            remaining: ids.len(),
            tasks: ids
                .into_iter()
                .map(|id| Task {
                    id,
                    last: None,
                    done: false,
                })
                .collect(),
            counts,
            output,
            view,
            stdout: Stdout::default(),
            start: Instant::now(),
            worst: code::OK,
            identical: HashMap::new(),
        }
    }

    async fn drive(&mut self, tracker: &mut Tracker, mut signals: Signals) -> u8 {
        let mut ticker = tokio::time::interval(FRAME_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let ticks = self.view.wants_ticks();
        while self.remaining > 0 {
            let next = tokio::select! {
                // Signals first, then the frame (due at most every 100 ms), so that a stream
                // of events can delay neither.
                biased;
                stop = signals.next() => Next::Exit(self.interrupted(stop)),
                _ = ticker.tick(), if ticks => {
                    self.view.tick();
                    Next::Continue
                }
                event = tracker.next() => match event {
                    Some(event) => self.on_event(event),
                    None => break,
                },
            };
            if let Next::Exit(code) = next {
                return code;
            }
        }
        self.view.finish();
        self.worst
    }

    fn on_event(&mut self, event: TrackerEvent) -> Next {
        match event {
            TrackerEvent::Changed {
                task_id, status, ..
            } => {
                let Some(&i) = self.index.get(&task_id) else {
                    return Next::Continue;
                };
                self.view.changed(i, describe(&status));
                let started = status.phase != Phase::Queued;
                self.tasks[i].last = Some(status);
                if self.output.until == Until::Running && started && !self.tasks[i].done {
                    return self.in_progress(i);
                }
                Next::Continue
            }
            TrackerEvent::Retrying {
                task_id,
                error,
                attempts,
                retry_in,
                ..
            } => {
                if let Some(&i) = self.index.get(&task_id) {
                    self.view
                        .retrying(i, retry_text(&error, retry_in, attempts));
                }
                Next::Continue
            }
            TrackerEvent::Finished { report, .. } => self.on_finished(report),
            _ => Next::Continue,
        }
    }

    /// `--until running` met for task `i`.
    fn in_progress(&mut self, i: usize) -> Next {
        self.tasks[i].done = true;
        self.remaining -= 1;
        let last_error = self.counts.last_error(&self.tasks[i].id);
        let report = TaskReport {
            provider: self.provider.name,
            task_id: &self.tasks[i].id,
            verdict: Verdict::InProgress,
            last: self.tasks[i].last.as_ref(),
            outcome: None,
            last_error: last_error.as_ref(),
            attempts: self.counts.of(&self.tasks[i].id),
            elapsed: self.start.elapsed(),
        };
        let closed = emit(&mut self.view, &mut self.stdout, self.output, &report).is_err();
        self.view.finished(i, true, "running".into());
        if closed {
            return self.stdout_closed();
        }
        Next::Continue
    }

    fn on_finished(&mut self, report: Report) -> Next {
        let Some(&i) = self.index.get(&report.task_id) else {
            return Next::Continue;
        };
        if self.tasks[i].done {
            return Next::Continue;
        }
        self.tasks[i].done = true;
        self.remaining -= 1;
        let until = self.output.until;
        // Why a wait that gave up could not see the task end: the last fetch's error, as the
        // counting source saw it (the core's `Outcome::GaveUp` may carry it itself later).
        let last_error = match &report.outcome {
            Outcome::GaveUp { .. } => self.counts.last_error(&report.task_id),
            _ => None,
        };
        let task = TaskReport::finished(self.provider.name, &report, last_error.as_ref());
        let code = task.verdict.exit_code(until);
        self.worst = self.worst.max(code);
        let closed = emit(&mut self.view, &mut self.stdout, self.output, &task).is_err();
        self.view.finished(
            i,
            code == code::OK,
            format!("{} · {} request(s)", report.outcome, report.attempts),
        );
        if closed {
            return self.stdout_closed();
        }
        if self.remaining == 0 {
            return Next::Continue;
        }
        if until == Until::AnyFinal {
            return self.stop_waiting("--until any-final: a task ended", code);
        }
        if self.output.fail_fast && code != code::OK {
            let why = format!("--fail-fast: {} {}", report.task_id, report.outcome.kind());
            return self.stop_waiting(&why, self.worst);
        }
        if let (false, Outcome::FetchFailed { error, .. }) =
            (self.output.keep_going, &report.outcome)
        {
            return self.count_identical(error);
        }
        Next::Continue
    }

    /// Counts a permanent fetch error; stops the wait once [`STOP_AFTER_IDENTICAL`] tasks had
    /// the same one.
    fn count_identical(&mut self, error: &FetchError) -> Next {
        if !error.is_permanent() {
            return Next::Continue;
        }
        let key = (fetch_error_code(error), error.to_string());
        let seen = self.identical.entry(key).or_insert(0);
        *seen += 1;
        if *seen < STOP_AFTER_IDENTICAL {
            return Next::Continue;
        }
        let why = format!(
            "{STOP_AFTER_IDENTICAL} tasks failed with the same error ({error}); the others would too \
             (--keep-going waits on them)"
        );
        self.stop_waiting(&why, self.worst.max(code::FETCH_ERROR))
    }

    /// Stops waiting on every task not done: one stderr line, and with `-o json` an
    /// `abandoned` line each.
    fn stop_waiting(&mut self, why: &str, code: u8) -> Next {
        self.view.abandon();
        err_line(&format!(
            "poller: stopped waiting on {} task(s): {why}",
            self.remaining
        ));
        if self.output.format.format() == Format::Json {
            self.print_unfinished(Verdict::Abandoned);
        }
        Next::Exit(code)
    }

    fn stdout_closed(&mut self) -> Next {
        self.view.abandon();
        Next::Exit(self.worst)
    }

    /// A JSON line for every task not done. Returns early if stdout closes.
    fn print_unfinished(&mut self, verdict: Verdict) {
        let elapsed = self.start.elapsed();
        for i in 0..self.tasks.len() {
            if self.tasks[i].done {
                continue;
            }
            let last_error = self.counts.last_error(&self.tasks[i].id);
            let line = TaskReport {
                provider: self.provider.name,
                task_id: &self.tasks[i].id,
                verdict,
                last: self.tasks[i].last.as_ref(),
                outcome: None,
                last_error: last_error.as_ref(),
                attempts: self.counts.of(&self.tasks[i].id),
                elapsed,
            }
            .json()
            .to_string();
            if self.stdout.line(&line).is_err() {
                return;
            }
        }
    }

    /// Ctrl-C or SIGTERM: the last known status of every task not done on stderr (grouped
    /// when there are many), `interrupted` JSON lines, and the signal's exit code.
    fn interrupted(&mut self, stop: Stop) -> u8 {
        self.view.abandon();
        let mut text = format!("{}; last known status:\n", stop.name());
        let describe_task = |t: &Task| match &t.last {
            Some(status) => describe(status),
            None => "no status yet".to_string(),
        };
        if self.remaining <= SCREENFUL {
            for t in self.tasks.iter().filter(|t| !t.done) {
                let trouble = self
                    .counts
                    .last_error(&t.id)
                    .map(|e| format!("; last fetch failed: {e}"))
                    .unwrap_or_default();
                text.push_str(&format!(
                    "  {} {}: {}{trouble}\n",
                    self.provider.name,
                    crate::sanitize::sanitize(&t.id),
                    describe_task(t)
                ));
            }
        } else {
            let mut groups: Vec<(String, usize)> = Vec::new();
            for t in self.tasks.iter().filter(|t| !t.done) {
                let d = describe_task(t);
                match groups.iter_mut().find(|(g, _)| *g == d) {
                    Some((_, n)) => *n += 1,
                    None => groups.push((d, 1)),
                }
            }
            groups.sort_by_key(|g| std::cmp::Reverse(g.1));
            for (d, n) in groups {
                text.push_str(&format!(
                    "  {n} task(s): {}\n",
                    crate::sanitize::sanitize(&d)
                ));
            }
            text.push_str("  (-o json gives a line per task)\n");
        }
        text.push_str(&self.view.aggregate());
        err_line(&text);
        if self.output.format.format() == Format::Json {
            self.print_unfinished(Verdict::Interrupted);
        }
        stop.exit_code()
    }
}

/// Prints one task's result on stdout as `output` says (`id` and `output`: only when it met
/// the condition), clearing the progress frame first when they share the terminal.
fn emit(
    view: &mut ProgressView,
    stdout: &mut Stdout,
    output: &WaitOutput,
    report: &TaskReport<'_>,
) -> Result<(), Closed> {
    let until = output.until;
    let line = match output.format.format() {
        Format::Human => Some(report.human()),
        Format::Json => Some(report.json().to_string()),
        Format::Id => report
            .verdict
            .met(until)
            .then(|| report.task_id.to_string()),
        Format::Output => report.verdict.met(until).then(|| {
            report
                .last
                .and_then(|s| s.output.as_ref())
                .unwrap_or(&Value::Null)
                .to_string()
        }),
    };
    match line {
        Some(line) => {
            view.before_stdout();
            stdout.line(&line)
        }
        None => Ok(()),
    }
}
