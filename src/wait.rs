//! `poller wait`: many tasks of one provider through the tracker, with progress, JSON lines and
//! exit codes.

use crate::cli::WaitArgs;
use crate::connection::build_source;
use crate::policy_args::build_policy;
use crate::progress::ProgressView;
use crate::report::{code, describe, exit_code, human_line, task_json};
use futures::StreamExt;
use poller_core::{ConfigError, DynSource, SourceOptions, Tracker, TrackerEvent, provider};
use std::collections::HashMap;

/// Runs `poller wait`; returns the exit code.
pub async fn run(args: WaitArgs) -> Result<u8, ConfigError> {
    let provider = provider(&args.provider)?;
    let source: DynSource = build_source(provider, &args.connection)?;
    let policy = build_policy(provider, &args.policy);

    let mut tracker = Tracker::new().emit_changes(true);
    let id = tracker.add_source_with(source, policy, SourceOptions::default());
    let mut seen = std::collections::HashSet::new();
    let ids: Vec<String> = args
        .task_ids
        .into_iter()
        .filter(|t| seen.insert(t.clone()))
        .collect();
    for task in &ids {
        tracker.track(id, task.clone());
    }
    let label = |task: &str| format!("{} {task}", provider.name);
    let labels: Vec<String> = ids.iter().map(|t| label(t)).collect();
    let mut view = ProgressView::new(args.quiet, &labels);
    // The last known status of every task still running, for Ctrl-C.
    let mut last_known: HashMap<String, Option<String>> =
        ids.iter().map(|t| (t.clone(), None)).collect();
    let mut worst = code::OK;
    let mut remaining = ids.len();

    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    // Cleared if the Ctrl-C handler cannot be installed: then the wait just runs to its end.
    let mut listening = true;
    while remaining > 0 {
        tokio::select! {
            event = tracker.next() => match event {
                Some(TrackerEvent::Changed { task_id, status, attempts, .. }) => {
                    view.changed(&label(&task_id), &status, attempts);
                    last_known.insert(task_id, Some(describe(&status)));
                }
                Some(TrackerEvent::Finished { report, .. }) => {
                    remaining -= 1;
                    view.finished(&label(&report.task_id), &report);
                    worst = worst.max(exit_code(report.outcome.kind()));
                    if args.json {
                        view.println(&task_json(provider.name, &report).to_string());
                    } else {
                        view.println(&human_line(provider.name, &report));
                    }
                    last_known.remove(&report.task_id);
                }
                Some(_) => {}
                None => break,
            },
            signal = &mut interrupt, if listening => {
                if signal.is_err() {
                    listening = false;
                    continue;
                }
                view.abandon();
                eprintln!("interrupted; last known status:");
                for task in &ids {
                    match last_known.get(task) {
                        Some(Some(status)) => eprintln!("  {}: {status}", label(task)),
                        Some(None) => eprintln!("  {}: no status yet", label(task)),
                        None => {}
                    }
                }
                return Ok(code::INTERRUPTED);
            }
        }
    }
    Ok(worst)
}
