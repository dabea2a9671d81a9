//! `poller status`: one fetch, printed in wait's shape, with an exit code that follows the
//! task's state as wait's do.

use crate::cli::{ConnectionArgs, Format, FormatArgs};
use crate::connection::build_source;
use crate::error::CliError;
use crate::ids;
use crate::out::{Stdout, err_line};
use crate::report::{
    TaskReport, Verdict, code, compact, fetch_error_json, status_exit_code, status_verdict,
};
use crate::sanitize::sanitize;
use poller_core::{OutcomeKind, provider};
use serde_json::Value;
use std::time::Instant;

/// Runs `poller status`; returns the exit code.
pub async fn run(
    provider_name: &str,
    task_id: &str,
    connection: &ConnectionArgs,
    format: &FormatArgs,
) -> Result<u8, CliError> {
    let provider = provider(provider_name)?;
    ids::check(task_id).map_err(|why| CliError::Usage(format!("task id {task_id:?} {why}")))?;
    let source = build_source(provider, connection)?;
    let start = Instant::now();
    let result = source.fetch(task_id).await;
    let elapsed = start.elapsed();
    let mut out = Stdout::default();
    let format = format.format();
    match result {
        Ok(status) => {
            let verdict = status_verdict(&status);
            let report = TaskReport {
                provider: provider.name,
                task_id,
                verdict,
                last: Some(&status),
                outcome: None,
                last_error: None,
                attempts: 1,
                elapsed,
            };
            // Met: the task succeeded (what exit 0 says).
            let met = status_exit_code(verdict) == code::OK;
            let printed = match format {
                Format::Json => out.line(&report.json().to_string()),
                Format::Id if met => out.line(task_id),
                Format::Output if met => {
                    out.line(&status.output.clone().unwrap_or(Value::Null).to_string())
                }
                Format::Id | Format::Output => Ok(()),
                Format::Human => {
                    let mut text = report.human();
                    for (name, value) in &status.details {
                        text.push_str(&format!(
                            "\n     {name}: {}",
                            sanitize(&compact(value, 200))
                        ));
                    }
                    out.line(&text)
                }
            };
            // A closed stdout ends quietly with the code earned.
            let _ = printed;
            Ok(status_exit_code(verdict))
        }
        Err(e) => {
            if format == Format::Json {
                let line = TaskReport {
                    provider: provider.name,
                    task_id,
                    verdict: Verdict::Ended(OutcomeKind::FetchError),
                    last: None,
                    outcome: None,
                    last_error: None,
                    attempts: 1,
                    elapsed,
                }
                .json();
                let mut line = line;
                line["error"] = fetch_error_json(&e);
                let _ = out.line(&line.to_string());
            }
            err_line(&format!(
                "poller: {} {}: {}",
                provider.name,
                sanitize(task_id),
                sanitize(&e.to_string())
            ));
            Ok(code::FETCH_ERROR)
        }
    }
}
