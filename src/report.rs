//! What the CLI prints about a finished task, and the exit code it leads to.

use poller_core::{FetchError, Outcome, OutcomeKind, Report, Status};
use serde_json::{Value, json};

/// Exit codes; with several tasks the highest applies.
pub mod code {
    pub const OK: u8 = 0;
    pub const FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const GAVE_UP: u8 = 3;
    pub const NEEDS_INPUT: u8 = 4;
    pub const FETCH_ERROR: u8 = 5;
    pub const INTERRUPTED: u8 = 130;
}

/// The exit code for one outcome.
pub fn exit_code(kind: OutcomeKind) -> u8 {
    match kind {
        OutcomeKind::Succeeded => code::OK,
        OutcomeKind::Failed | OutcomeKind::Cancelled => code::FAILED,
        OutcomeKind::GaveUp => code::GAVE_UP,
        OutcomeKind::NeedsInput => code::NEEDS_INPUT,
        _ => code::FETCH_ERROR,
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

/// The `error` member: the remote error, the fetch error, or why the wait gave up.
fn error_json(outcome: &Outcome) -> Value {
    match outcome {
        Outcome::FetchFailed { error, .. } => {
            json!({"code": fetch_error_code(error), "message": error.to_string()})
        }
        Outcome::GaveUp { reason, .. } => {
            let code = match reason {
                poller_core::StopReason::Deadline => "deadline",
                poller_core::StopReason::Attempts => "max_attempts",
                _ => "gave_up",
            };
            json!({"code": code, "message": reason.to_string()})
        }
        other => match other.last_status().and_then(|s| s.error.as_ref()) {
            Some(e) => json!({"code": e.code, "message": e.message}),
            None => Value::Null,
        },
    }
}

/// One finished task as the JSON object documented in README and `--help`.
pub fn task_json(provider: &str, report: &Report) -> Value {
    let last: Option<&Status> = report.outcome.last_status();
    json!({
        "provider": provider,
        "task_id": report.task_id,
        "outcome": report.outcome.kind().as_str(),
        "phase": last.map(|s| s.phase.as_str()),
        "status": last.map(|s| s.raw_status.as_str()),
        "output": last.and_then(|s| s.output.clone()),
        "error": error_json(&report.outcome),
        "progress": last.and_then(|s| s.progress.as_ref()).map(|p| serde_json::to_value(p).unwrap_or(Value::Null)),
        "details": last.map(|s| &s.details),
        "attempts": report.attempts,
        "elapsed_ms": report.elapsed.as_millis() as u64,
    })
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

/// The human summary line of a finished task.
pub fn human_line(provider: &str, report: &Report) -> String {
    let mark = match report.outcome.kind() {
        OutcomeKind::Succeeded => "ok  ",
        OutcomeKind::NeedsInput => "wait",
        _ => "FAIL",
    };
    let mut line = format!(
        "{mark} {provider} {}: {} after {} request(s) in {}",
        report.task_id,
        report.outcome,
        report.attempts,
        humantime::format_duration(round_ms(report.elapsed)),
    );
    if let Some(out) = report.outcome.last_status().and_then(|s| s.output.as_ref()) {
        line.push_str(&format!("\n     output: {}", compact(out, 200)));
    }
    line
}

fn round_ms(d: std::time::Duration) -> std::time::Duration {
    std::time::Duration::from_millis(d.as_millis() as u64)
}
