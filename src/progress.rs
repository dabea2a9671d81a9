//! Live progress on stderr: a line per task on a terminal (indicatif), plain log lines
//! otherwise, nothing when quiet.

use crate::report::describe;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use poller_core::{Report, Status};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

enum Mode {
    Bars(MultiProgress, HashMap<String, ProgressBar>),
    Plain,
    Quiet,
}

/// Shows what each task is doing. Tasks are named by a label such as `narada req_1`.
pub struct ProgressView {
    mode: Mode,
    start: Instant,
}

impl ProgressView {
    /// Bars when stderr is a terminal, plain lines when not, nothing when `quiet`.
    pub fn new(quiet: bool, labels: &[String]) -> Self {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let style =
                ProgressStyle::with_template("{spinner} {prefix:.bold} {wide_msg} {elapsed:>4}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner());
            let bars = labels
                .iter()
                .map(|label| {
                    let bar = multi.add(ProgressBar::new_spinner());
                    bar.set_style(style.clone());
                    bar.set_prefix(label.clone());
                    bar.set_message("waiting for the first poll");
                    bar.enable_steady_tick(Duration::from_millis(120));
                    (label.clone(), bar)
                })
                .collect();
            Mode::Bars(multi, bars)
        } else {
            Mode::Plain
        };
        ProgressView {
            mode,
            start: Instant::now(),
        }
    }

    /// A task's status changed.
    pub fn changed(&mut self, label: &str, status: &Status, attempts: u32) {
        let text = format!("{} · {attempts} request(s)", describe(status));
        match &self.mode {
            Mode::Bars(_, bars) => {
                if let Some(bar) = bars.get(label) {
                    bar.set_message(text);
                }
            }
            Mode::Plain => eprintln!(
                "[{:>7.1}s] {label}: {text}",
                self.start.elapsed().as_secs_f64()
            ),
            Mode::Quiet => {}
        }
    }

    /// A task ended.
    pub fn finished(&mut self, label: &str, report: &Report) {
        let text = format!("{} · {} request(s)", report.outcome, report.attempts);
        match &self.mode {
            Mode::Bars(_, bars) => {
                if let Some(bar) = bars.get(label) {
                    bar.finish_with_message(text);
                }
            }
            Mode::Plain => eprintln!(
                "[{:>7.1}s] {label}: {text}",
                self.start.elapsed().as_secs_f64()
            ),
            Mode::Quiet => {}
        }
    }

    /// Prints a line on stdout, keeping the bars on stderr intact.
    pub fn println(&self, line: &str) {
        match &self.mode {
            Mode::Bars(multi, _) => multi.suspend(|| println!("{line}")),
            _ => println!("{line}"),
        }
    }

    /// Stops every bar still running (on Ctrl-C).
    pub fn abandon(&mut self) {
        if let Mode::Bars(_, bars) = &self.mode {
            for bar in bars.values() {
                if !bar.is_finished() {
                    bar.abandon();
                }
            }
        }
    }
}
