//! What the CLI prints about a task, and the exit code it leads to: one JSON shape and one
//! human line for `status` and `wait` alike.

use crate::cli::Until;
use crate::sanitize::sanitize;
use poller_core::{FetchError, Outcome, OutcomeKind, Phase, Report, Status};
use serde_json::{Value, json};
use std::time::Duration;

/// Exit codes; with several tasks the highest applies.
pub mod code {
    pub const OK: u8 = 0;
    pub const FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const GAVE_UP: u8 = 3;
    pub const NEEDS_INPUT: u8 = 4;
    pub const FETCH_ERROR: u8 = 5;
    pub const REJECTED: u8 = 6;
    pub const MAY_HAVE_STARTED: u8 = 7;
    pub const INTERRUPTED: u8 = 130;
    pub const TERMINATED: u8 = 143;
}

/// How a task stands when the CLI reports it: a finished wait's outcome, or one of the
/// CLI's own (the task had not ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The wait ended with this outcome.
    Ended(OutcomeKind),
    /// The task has not ended (a `status` of a running task, `--until running`).
    InProgress,
    /// Ctrl-C or SIGTERM came first.
    Interrupted,
    /// The command stopped waiting on it (`--fail-fast`, `--until any-final`, repeated errors).
    Abandoned,
    /// Just created by `submit` (no wait).
    Submitted,
}

impl Verdict {
    /// The `outcome` member.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ended(kind) => kind.as_str(),
            Verdict::InProgress => "in_progress",
            Verdict::Interrupted => "interrupted",
            Verdict::Abandoned => "abandoned",
            Verdict::Submitted => "submitted",
        }
    }

    /// The exit code this verdict earns under `until` (abandoned and interrupted tasks earn
    /// none: the reason they were left decides the code).
    pub fn exit_code(self, until: Until) -> u8 {
        match self {
            Verdict::Ended(OutcomeKind::Succeeded) | Verdict::InProgress => code::OK,
            Verdict::Ended(OutcomeKind::Failed | OutcomeKind::Cancelled) => {
                if until == Until::Final {
                    code::OK
                } else {
                    code::FAILED
                }
            }
            Verdict::Ended(OutcomeKind::GaveUp) => code::GAVE_UP,
            Verdict::Ended(OutcomeKind::NeedsInput) => code::NEEDS_INPUT,
            Verdict::Ended(_) => code::FETCH_ERROR,
            Verdict::Interrupted | Verdict::Abandoned | Verdict::Submitted => code::OK,
        }
    }

    /// Whether the task met the condition (what `-o id` and `-o output` print).
    pub fn met(self, until: Until) -> bool {
        matches!(self, Verdict::Ended(_) | Verdict::InProgress) && self.exit_code(until) == code::OK
    }
}

/// The verdict of one fetched status (`poller status`), following wait's codes: a final
/// phase as the wait would end, needs input as with `--stop-on-input`, otherwise in progress.
pub fn status_verdict(status: &Status) -> Verdict {
    match status.phase {
        Phase::Succeeded => Verdict::Ended(OutcomeKind::Succeeded),
        Phase::Failed => Verdict::Ended(OutcomeKind::Failed),
        Phase::Cancelled => Verdict::Ended(OutcomeKind::Cancelled),
        Phase::NeedsInput => Verdict::Ended(OutcomeKind::NeedsInput),
        _ => Verdict::InProgress,
    }
}

/// `status`'s exit code: as a wait would end (a task not ended yet: 3, like `--timeout 0`).
pub fn status_exit_code(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::InProgress => code::GAVE_UP,
        v => v.exit_code(Until::Succeeded),
    }
}

/// A short machine-readable code for a fetch error.
pub fn fetch_error_code(e: &FetchError) -> String {
    match e {
        FetchError::Http { status, .. } => format!("http_{status}"),
        FetchError::Timeout(_) => "timeout".into(),
        FetchError::Connection(_) => "connection".into(),
        FetchError::Decode { .. } => "invalid_response".into(),
        FetchError::UnknownStatus { .. } => "unknown_status".into(),
        FetchError::BodyTooLarge { .. } => "body_too_large".into(),
        FetchError::Config(_) => "config".into(),
        _ => "fetch_error".into(),
    }
}

/// A fetch error as `{code, message}`.
pub fn fetch_error_json(e: &FetchError) -> Value {
    json!({"code": fetch_error_code(e), "message": e.to_string()})
}

/// Everything the CLI knows about one task when it reports it.
pub struct TaskReport<'a> {
    pub provider: &'a str,
    pub task_id: &'a str,
    pub verdict: Verdict,
    /// The last status seen.
    pub last: Option<&'a Status>,
    /// The wait's outcome, when it ended.
    pub outcome: Option<&'a Outcome>,
    /// The last failed fetch, when the last fetch failed (or the wait gave up after one).
    pub last_error: Option<&'a FetchError>,
    pub attempts: u32,
    pub elapsed: Duration,
}

impl<'a> TaskReport<'a> {
    /// The report of a finished wait; `last_error` is the last failed fetch the CLI saw.
    pub fn finished(
        provider: &'a str,
        report: &'a Report,
        last_error: Option<&'a FetchError>,
    ) -> Self {
        TaskReport {
            provider,
            task_id: &report.task_id,
            verdict: Verdict::Ended(report.outcome.kind()),
            last: report.outcome.last_status(),
            outcome: Some(&report.outcome),
            last_error,
            attempts: report.attempts,
            elapsed: report.elapsed,
        }
    }

    /// The `error` member: the remote error, the fetch error, or why the wait gave up (with
    /// the last fetch error as its cause).
    fn error_json(&self) -> Value {
        match self.outcome {
            Some(Outcome::FetchFailed { error, .. }) => fetch_error_json(error),
            Some(Outcome::GaveUp { reason, .. }) => {
                let code = match reason {
                    poller_core::StopReason::Deadline => "deadline",
                    poller_core::StopReason::Attempts => "max_attempts",
                    _ => "gave_up",
                };
                let mut e = json!({"code": code, "message": reason.to_string()});
                if let Some(cause) = self.last_error {
                    e["cause"] = fetch_error_json(cause);
                }
                e
            }
            _ => match self.last.and_then(|s| s.error.as_ref()) {
                Some(e) => json!({"code": e.code, "message": e.message}),
                None => match (self.verdict, self.last_error) {
                    (Verdict::Interrupted | Verdict::Abandoned, Some(e)) => fetch_error_json(e),
                    _ => Value::Null,
                },
            },
        }
    }

    /// The JSON object documented in README and `--help`.
    pub fn json(&self) -> Value {
        let last = self.last;
        json!({
            "provider": self.provider,
            "task_id": self.task_id,
            "outcome": self.verdict.as_str(),
            "phase": last.map(|s| s.phase.as_str()),
            "status": last.map(|s| s.raw_status.as_str()),
            "output": last.and_then(|s| s.output.clone()),
            "error": self.error_json(),
            "progress": last.and_then(|s| s.progress.as_ref()).map(|p| serde_json::to_value(p).unwrap_or(Value::Null)),
            "details": last.map(|s| &s.details),
            "attempts": self.attempts,
            "elapsed_ms": self.elapsed.as_millis() as u64,
        })
    }

    /// The human lines: a summary, then the error and output (never cut inside a URL).
    pub fn human(&self) -> String {
        let mark = match self.verdict {
            Verdict::Ended(OutcomeKind::Succeeded) => "ok  ",
            Verdict::Ended(OutcomeKind::NeedsInput) | Verdict::InProgress | Verdict::Submitted => {
                "wait"
            }
            Verdict::Interrupted | Verdict::Abandoned => "stop",
            _ => "FAIL",
        };
        let what = match (self.outcome, self.verdict) {
            (Some(outcome), _) => outcome.to_string(),
            // A status seen once (`poller status`) is described as it is: its phase already
            // says whether it ended.
            (None, Verdict::InProgress | Verdict::Ended(_)) if self.last.is_some() => {
                self.last.map(describe).unwrap_or_default()
            }
            (None, Verdict::InProgress) => "no status yet".into(),
            (None, v) => match self.last {
                Some(s) => format!("{} while {}", v.as_str(), describe(s)),
                None => format!("{} before any status", v.as_str()),
            },
        };
        let mut line = format!(
            "{mark} {} {}: {what} after {} request(s) in {}",
            self.provider,
            sanitize(self.task_id),
            self.attempts,
            humantime::format_duration(round_ms(self.elapsed)),
        );
        // The cause of a give-up, unless the outcome already names its last failed fetch.
        if let (
            Some(Outcome::GaveUp {
                last_error: None, ..
            }),
            Some(cause),
        ) = (self.outcome, self.last_error)
        {
            line.push_str(&format!("; last error: {cause}"));
        }
        let mut text = sanitize(&line);
        // The remote error, unless the summary (a failure's) already says it.
        if let Some(e) = self.last.and_then(|s| s.error.as_ref()) {
            let shown = sanitize(&e.to_string());
            if !text.contains(&shown) {
                text.push_str(&format!("\n     error: {shown}"));
            }
        }
        if let Some(out) = self.last.and_then(|s| s.output.as_ref()) {
            text.push_str(&format!("\n     output: {}", sanitize(&compact(out, 300))));
            for url in urls_in(out, 300) {
                text.push_str(&format!("\n     url: {}", sanitize(&url)));
            }
        }
        text
    }
}

/// A one-line description of a status, for progress and summaries.
pub fn describe(status: &Status) -> String {
    let mut s = format!("{} ({})", status.phase, status.raw_status);
    if let Some(p) = &status.progress {
        if let Some(step) = &p.step {
            s.push_str(&format!(", {step}"));
        }
        if let Some(pct) = p.percent {
            s.push_str(&format!(", {pct:.0}%"));
        }
    }
    s
}

/// Up to `max` characters of `value` as compact JSON.
pub fn compact(value: &Value, max: usize) -> String {
    let text = value.to_string();
    if text.chars().count() <= max {
        text
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// The URLs in `value`'s strings when its compact form is longer than `max` (so that cutting
/// it loses none of them).
fn urls_in(value: &Value, max: usize) -> Vec<String> {
    let mut found = Vec::new();
    if value.to_string().chars().count() <= max {
        return found;
    }
    fn walk(v: &Value, found: &mut Vec<String>) {
        match v {
            Value::String(s) => {
                for word in s.split_whitespace() {
                    if word.starts_with("https://") || word.starts_with("http://") {
                        found.push(word.to_string());
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, found)),
            Value::Object(map) => map.values().for_each(|i| walk(i, found)),
            _ => {}
        }
    }
    walk(value, &mut found);
    found
}

fn round_ms(d: Duration) -> Duration {
    Duration::from_millis(d.as_millis() as u64)
}

/// "HTTP 503, retrying in 4s (attempt 3)".
pub fn retry_text(error: &FetchError, retry_in: Duration, attempts: u32) -> String {
    let what = match error {
        FetchError::Http { status, .. } => format!("HTTP {status}"),
        other => other.to_string(),
    };
    format!(
        "{what}, retrying in {} (attempt {attempts})",
        humantime::format_duration(Duration::from_millis(
            retry_in.as_millis().div_ceil(100) as u64 * 100
        ))
    )
}
