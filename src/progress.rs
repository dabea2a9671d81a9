//! Live progress on stderr.
//!
//! - **Terminal** (stderr is one and `TERM` is not `dumb`): one frame redrawn by the caller's
//!   single ticker, at most 10 times a second: an aggregate line (done, failed, running of N,
//!   requests, elapsed), then a row per task while they fit the screen, else the most recent
//!   changes. No thread, no timer per task: the cost of a frame is its visible lines.
//! - **Plain** (a pipe, a file, `TERM=dumb`): one line per change or retry; with more than
//!   [`SCREENFUL`] tasks, a summary line every [`SUMMARY_EVERY`] instead.
//! - **Quiet**: nothing.

use crate::counting::Counts;
use crate::out::{err_line, err_raw};
use crate::sanitize::sanitize;
use std::collections::VecDeque;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// More tasks than this, and plain progress prints periodic summaries instead of every change.
pub const SCREENFUL: usize = 50;
/// How often plain progress prints a summary line when there are many tasks.
pub const SUMMARY_EVERY: Duration = Duration::from_secs(5);
/// How often the terminal frame is redrawn (the caller's ticker).
pub const FRAME_EVERY: Duration = Duration::from_millis(100);
/// Recent changes shown under the aggregate line when the rows do not fit.
const RECENT: usize = 6;
const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// One task as progress knows it.
pub struct RowSpec {
    /// What the task is called on screen (`narada req_1`).
    pub label: String,
    /// Its id, to look its fetch count up.
    pub task_id: String,
    /// Its source's counts.
    pub counts: Arc<Counts>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Active,
    Retrying,
    Ok,
    Failed,
}

struct Row {
    spec: RowSpec,
    state: State,
    text: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Terminal,
    Plain,
    Quiet,
}

/// Shows what each task is doing; rows are addressed by their index in the specs.
pub struct ProgressView {
    mode: Mode,
    title: String,
    rows: Vec<Row>,
    start: Instant,
    recent: VecDeque<usize>,
    // Terminal: lines of the frame on screen, frames drawn, colour.
    drawn: usize,
    frames: usize,
    colour: bool,
    stdout_shared: bool,
    // Plain: when the last summary went out, and the latest retry text.
    last_summary: Instant,
    last_trouble: Option<String>,
}

/// Whether stderr takes a redrawn frame: a terminal that is not `TERM=dumb`.
pub fn stderr_is_interactive() -> bool {
    std::io::stderr().is_terminal() && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

/// Whether colour may be used on stderr: interactive, and `NO_COLOR` unset or empty.
pub fn colour_allowed() -> bool {
    stderr_is_interactive() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

impl ProgressView {
    /// A frame on an interactive terminal, plain lines otherwise, nothing when `quiet`.
    pub fn new(quiet: bool, title: &str, specs: Vec<RowSpec>) -> Self {
        let mode = if quiet {
            Mode::Quiet
        } else if stderr_is_interactive() {
            Mode::Terminal
        } else {
            Mode::Plain
        };
        let now = Instant::now();
        ProgressView {
            mode,
            title: title.to_string(),
            rows: specs
                .into_iter()
                .map(|spec| Row {
                    spec,
                    state: State::Waiting,
                    text: "waiting for the first poll".into(),
                })
                .collect(),
            start: now,
            recent: VecDeque::with_capacity(RECENT + 1),
            drawn: 0,
            frames: 0,
            colour: colour_allowed(),
            stdout_shared: std::io::stdout().is_terminal(),
            last_summary: now,
            last_trouble: None,
        }
    }

    /// Whether the caller should call [`tick`](Self::tick) every [`FRAME_EVERY`].
    pub fn wants_ticks(&self) -> bool {
        self.mode != Mode::Quiet
    }

    fn plain_each(&self) -> bool {
        self.mode == Mode::Plain && self.rows.len() <= SCREENFUL
    }

    fn stamp(&self) -> String {
        format!("[{:>7.1}s]", self.start.elapsed().as_secs_f64())
    }

    fn update(&mut self, index: usize, state: State, text: String) {
        let Some(row) = self.rows.get_mut(index) else {
            return;
        };
        row.state = state;
        row.text = sanitize(&text);
        if self.plain_each() {
            let row = &self.rows[index];
            let count = match state {
                State::Active => format!(" · {} request(s)", self.requests_of(index)),
                _ => String::new(),
            };
            err_line(&format!(
                "{} {}: {}{count}",
                self.stamp(),
                row.spec.label,
                row.text
            ));
        }
        self.recent.retain(|i| *i != index);
        self.recent.push_front(index);
        self.recent.truncate(RECENT);
    }

    /// A task's status changed; `text` describes it.
    pub fn changed(&mut self, index: usize, text: String) {
        self.update(index, State::Active, text);
    }

    /// A fetch failed and will be retried; `text` says what and when.
    pub fn retrying(&mut self, index: usize, text: String) {
        self.last_trouble = Some(text.clone());
        self.update(index, State::Retrying, text);
    }

    /// A task ended (`ok`: as hoped); `text` says how.
    pub fn finished(&mut self, index: usize, ok: bool, text: String) {
        let state = if ok { State::Ok } else { State::Failed };
        self.update(index, state, text);
    }

    fn requests_of(&self, index: usize) -> u32 {
        self.rows
            .get(index)
            .map_or(0, |r| r.spec.counts.of(&r.spec.task_id))
    }

    fn requests(&self) -> u64 {
        let mut seen: Vec<*const Counts> = Vec::new();
        let mut total = 0;
        for row in &self.rows {
            let p = Arc::as_ptr(&row.spec.counts);
            if !seen.contains(&p) {
                seen.push(p);
                total += row.spec.counts.requests();
            }
        }
        total
    }

    /// "3 done, 1 failed, 2 running of 6 · 14 requests · 2.5s" (and retrying when any).
    pub fn aggregate(&self) -> String {
        let (mut ok, mut failed, mut retrying) = (0, 0, 0);
        for row in &self.rows {
            match row.state {
                State::Ok => ok += 1,
                State::Failed => failed += 1,
                State::Retrying => retrying += 1,
                _ => {}
            }
        }
        let n = self.rows.len();
        let mut s = format!(
            "{}: {ok} done, {failed} failed, {} running of {n}",
            self.title,
            n - ok - failed
        );
        if retrying > 0 {
            s.push_str(&format!(" ({retrying} retrying)"));
        }
        s.push_str(&format!(
            " · {} requests · {:.1}s",
            self.requests(),
            self.start.elapsed().as_secs_f64()
        ));
        s
    }

    /// Redraws the frame (terminal) or prints a due summary (plain, many tasks).
    pub fn tick(&mut self) {
        match self.mode {
            Mode::Terminal => self.draw(),
            Mode::Plain if !self.plain_each() && self.last_summary.elapsed() >= SUMMARY_EVERY => {
                self.summary_line()
            }
            _ => {}
        }
    }

    fn summary_line(&mut self) {
        self.last_summary = Instant::now();
        let mut line = format!("{} {}", self.stamp(), self.aggregate());
        if let Some(trouble) = self.last_trouble.take() {
            line.push_str(&format!("; latest trouble: {trouble}"));
        }
        err_line(&line);
    }

    fn paint(&self, state: State, text: &str) -> String {
        if !self.colour {
            return text.to_string();
        }
        let style = console::Style::new().force_styling(true);
        let style = match state {
            State::Ok => style.green(),
            State::Failed => style.red(),
            State::Retrying => style.yellow(),
            _ => return text.to_string(),
        };
        style.apply_to(text).to_string()
    }

    fn row_line(&self, index: usize, width: usize) -> String {
        let row = &self.rows[index];
        let mark = match row.state {
            State::Waiting | State::Active => "·",
            State::Retrying => "!",
            State::Ok => "✓",
            State::Failed => "✗",
        };
        // The count is read at each frame, so it moves with every poll.
        let line = match row.state {
            State::Active => format!(
                "  {mark} {}: {} · {} request(s)",
                row.spec.label,
                row.text,
                self.requests_of(index)
            ),
            _ => format!("  {mark} {}: {}", row.spec.label, row.text),
        };
        self.paint(row.state, &console::truncate_str(&line, width, "…"))
    }

    fn draw(&mut self) {
        let (height, width) = console::Term::stderr().size();
        let (height, width) = (usize::from(height).max(3), usize::from(width).max(20) - 1);
        let mut frame = String::new();
        if self.drawn > 0 {
            frame.push_str(&format!("\r\x1b[{}A\x1b[J", self.drawn));
        }
        let spinner = SPINNER[self.frames % SPINNER.len()];
        self.frames += 1;
        let head = format!("{spinner} {}", self.aggregate());
        frame.push_str(&console::truncate_str(&head, width, "…"));
        frame.push('\n');
        let mut lines = 1;
        let room = height - 2;
        let indices: Vec<usize> = if self.rows.len() <= room {
            (0..self.rows.len()).collect()
        } else {
            self.recent.iter().copied().take(room.min(RECENT)).collect()
        };
        for i in indices {
            frame.push_str(&self.row_line(i, width));
            frame.push('\n');
            lines += 1;
        }
        err_raw(&frame);
        self.drawn = lines;
    }

    fn clear(&mut self) {
        if self.mode == Mode::Terminal && self.drawn > 0 {
            err_raw(&format!("\r\x1b[{}A\x1b[J", self.drawn));
            self.drawn = 0;
        }
    }

    /// Clears the frame when stdout shares the terminal, before something is printed there.
    pub fn before_stdout(&mut self) {
        if self.stdout_shared {
            self.clear();
        }
    }

    /// Ends the display: the frame gives way to a last aggregate line; plain progress with
    /// many tasks prints its final summary.
    pub fn finish(&mut self) {
        match self.mode {
            Mode::Terminal => {
                self.clear();
                err_line(&self.aggregate());
            }
            Mode::Plain if !self.plain_each() => self.summary_line(),
            _ => {}
        }
    }

    /// Removes the frame without a summary (an interruption prints its own).
    pub fn abandon(&mut self) {
        self.clear();
    }
}
