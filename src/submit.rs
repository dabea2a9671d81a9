//! `poller submit`: create a task (Runware: a batch) through the provider's create endpoint,
//! print the new ids, and with `--wait` wait on them as `poller wait` does.
//!
//! Never lose an id: ids that exist are printed even when part of the request failed, and a
//! create that may have started names every id known (Runware's `taskUUID`s are filled in
//! here before anything is sent, so even Ctrl-C during the request cannot lose them).

use crate::cli::{Format, PolicyArgs, SubmitArgs, Until, WaitOutput};
use crate::connection::source_config;
use crate::error::CliError;
use crate::listen::{self, Listener, Mode, Plan};
use crate::out::{Closed, Stdout, err_line};
use crate::report::{TaskReport, Verdict, code};
use crate::sanitize::sanitize;
use crate::signals::Signals;
use crate::wait::{How, prepare};
use futures::FutureExt;
use futures::future::BoxFuture;
use poller_core::SourceConfig;
use poller_core::{Provider, provider};
use poller_providers::SubmitError;
use poller_providers::runware::{self, RunwareTask};
use poller_providers::webhook::{CallbackSubmission, CallbackTask};
use serde_json::Value;
use std::io::Read;
use std::time::{Duration, Instant};

/// Runs `poller submit`; returns the exit code.
pub async fn run(args: SubmitArgs) -> Result<u8, CliError> {
    let provider = provider(&args.provider)?;
    check_flags(&args)?;
    let plan = listen::plan(provider, &args.listen, Mode::Submit)?;
    let body = read_data(&args.data, std::io::stdin().lock())?;
    let (body, known) = fill_task_uuids(provider, body)?;
    let config = source_config(provider, &args.connection)?;
    // With --listen, the body is checked for callbacks before the receiver binds.
    let create = match plan {
        Some(plan) => match CallbackSubmission::new(provider.name, config, body) {
            Ok(submission) => Create::Callbacks(Box::new((submission, plan))),
            Err(e) => return failed(provider, e, &args.output, Duration::ZERO),
        },
        None => Create::Plain(config, body),
    };
    let mut signals = Signals::install();
    let (listener, create) = start_create(provider, create).await?;
    let start = Instant::now();
    let result = tokio::select! {
        biased;
        stop = signals.next() => {
            err_line(&format!(
                "poller: {}: {} while the create request was in flight: the task may have started{}",
                provider.name,
                stop.name(),
                ids_note(&known)
            ));
            return Ok(stop.exit_code());
        }
        result = create => result,
    };
    let elapsed = start.elapsed();
    match result {
        Ok((ids, tasks)) if args.wait => {
            err_line(&format!(
                "poller: {} created {}; waiting",
                provider.name,
                sanitize(&ids.join(", "))
            ));
            let how = How {
                connection: &args.connection,
                policy: &args.policy,
                output: &args.output,
            };
            let wait = prepare(provider, ids, how, listener.is_some())?;
            let listening = listener.map(|l| l.with_tasks(tasks));
            Ok(wait.run(listening, signals).await)
        }
        Ok((ids, _)) => {
            let _ = print_ids(provider, &ids, &args.output, elapsed);
            Ok(code::OK)
        }
        Err(e) => failed(provider, e, &args.output, elapsed),
    }
}

/// What `submit` sends: the body as given, or with its callbacks pointed at the `--listen`
/// receiver about to be bound.
enum Create {
    Plain(SourceConfig, Value),
    Callbacks(Box<(CallbackSubmission, Plan)>),
}

/// The ids created and, with `--listen`, what the receiver must expect of each.
type Created = Result<(Vec<String>, Vec<CallbackTask>), SubmitError>;

/// Binds the `--listen` receiver, if any; the create request, ready to be sent.
async fn start_create(
    provider: &'static Provider,
    create: Create,
) -> Result<(Option<Listener>, BoxFuture<'static, Created>), CliError> {
    Ok(match create {
        Create::Plain(config, body) => {
            let send = async move {
                let ids = poller_providers::submit(provider.name, config, body).await?;
                Ok((ids, Vec::new()))
            };
            (None, send.boxed())
        }
        Create::Callbacks(armed) => {
            let (submission, plan) = *armed;
            let listener = listen::bind(plan).await?;
            let receiver = listener.receiver().clone();
            let send = async move {
                let tasks = submission.send(&receiver).await?;
                Ok((tasks.iter().map(|t| t.id().to_owned()).collect(), tasks))
            };
            (Some(listener), send.boxed())
        }
    })
}

/// What a failed create prints, and its exit code.
fn failed(
    provider: &Provider,
    error: SubmitError,
    output: &WaitOutput,
    elapsed: Duration,
) -> Result<u8, CliError> {
    let exit = match &error {
        SubmitError::Invalid { .. } => {
            return Err(CliError::Usage(format!("{}: {error}", provider.name)));
        }
        SubmitError::Config(e) => return Err(CliError::Config(e.clone())),
        SubmitError::Incomplete(batch) => {
            // The tasks that exist are printed like any created task: they must not be lost.
            // A closed stdout does not hide the failure: stderr still says it.
            let _ = print_ids(provider, &batch.created, output, elapsed);
            if batch.unknown.is_empty() {
                code::REJECTED
            } else {
                code::MAY_HAVE_STARTED
            }
        }
        SubmitError::Rejected { .. } => code::REJECTED,
        e if e.may_have_started() => code::MAY_HAVE_STARTED,
        _ => code::FETCH_ERROR,
    };
    let advice = if error.may_have_started() {
        "\npoller: look these tasks up (poller status) before submitting again"
    } else {
        ""
    };
    err_line(&format!("poller: {}{advice}", sanitize(&error.to_string())));
    Ok(exit)
}

/// Refuses what cannot work before anything is read or sent.
fn check_flags(args: &SubmitArgs) -> Result<(), CliError> {
    if args.wait {
        return Ok(());
    }
    let format = args.output.format.format();
    if format == Format::Output {
        return Err(CliError::Usage(
            "-o output needs --wait: a task just created has no output yet".into(),
        ));
    }
    let PolicyArgs {
        interval,
        max_interval,
        backoff,
        initial_delay,
        timeout,
        max_attempts,
        stop_on_input,
    } = &args.policy;
    let waiting_flags = [
        ("--interval", interval.is_some()),
        ("--max-interval", max_interval.is_some()),
        ("--backoff", backoff.is_some()),
        ("--initial-delay", initial_delay.is_some()),
        ("--timeout", timeout.is_some()),
        ("--max-attempts", max_attempts.is_some()),
        ("--stop-on-input", *stop_on_input),
        ("--until", args.output.until != Until::default()),
        ("--fail-fast", args.output.fail_fast),
        ("--keep-going", args.output.keep_going),
        ("--listen", args.listen.listen.is_some()),
    ];
    match waiting_flags.iter().find(|(_, given)| *given) {
        Some((flag, _)) => Err(CliError::Usage(format!(
            "{flag} is an option of the wait: give --wait too"
        ))),
        None => Ok(()),
    }
}

/// The request body from `--data`: inline JSON, `@FILE`, or `-` (stdin).
fn read_data(data: &str, mut stdin: impl Read) -> Result<Value, CliError> {
    let (text, origin) = if data == "-" {
        let mut text = String::new();
        stdin
            .read_to_string(&mut text)
            .map_err(|source| CliError::Read {
                path: "stdin".into(),
                source,
            })?;
        (text, "stdin".to_string())
    } else if let Some(path) = data.strip_prefix('@') {
        let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
            path: path.to_string(),
            source,
        })?;
        (text, path.to_string())
    } else {
        (data.to_string(), "the argument".to_string())
    };
    serde_json::from_str(&text).map_err(|e| {
        CliError::Usage(format!(
            "--data: {} is not JSON ({e}); give inline JSON, @FILE or - for stdin",
            sanitize(&origin)
        ))
    })
}

/// For Runware, the body with every task's `taskUUID` chosen now (the library keeps one that
/// is given), so that the ids are known whatever happens to the request. Other providers'
/// ids come from the vendor's answer: none is known before.
fn fill_task_uuids(provider: &Provider, body: Value) -> Result<(Value, Vec<String>), CliError> {
    if provider.name != runware::NAME {
        return Ok((body, Vec::new()));
    }
    let invalid = |e: SubmitError| CliError::Usage(format!("{}: {e}", provider.name));
    let tasks = RunwareTask::many_from_json(body).map_err(invalid)?;
    let known = tasks.iter().map(|t| t.task_uuid.clone()).collect();
    let body = tasks
        .iter()
        .map(RunwareTask::to_json)
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    Ok((Value::Array(body), known))
}

fn ids_note(ids: &[String]) -> String {
    if ids.is_empty() {
        String::new()
    } else {
        format!(" (task ids: {})", ids.join(", "))
    }
}

/// Prints each new id on stdout as `output` says: the id alone (human, id), or a JSON line in
/// the shape `wait` prints, with `outcome: "submitted"`.
fn print_ids(
    provider: &Provider,
    ids: &[String],
    output: &WaitOutput,
    elapsed: Duration,
) -> Result<(), Closed> {
    let mut stdout = Stdout::default();
    for id in ids {
        let line = match output.format.format() {
            Format::Json => TaskReport {
                provider: provider.name,
                task_id: id,
                verdict: Verdict::Submitted,
                last: None,
                outcome: None,
                last_error: None,
                attempts: 0,
                elapsed,
            }
            .json()
            .to_string(),
            _ => sanitize(id),
        };
        stdout.line(&line)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_read_inline_from_a_file_or_stdin_and_bad_json_is_named() {
        assert_eq!(
            read_data(r#"{"prompt": "x"}"#, &b""[..]).unwrap()["prompt"],
            "x"
        );
        assert_eq!(read_data("-", &b"[1]"[..]).unwrap(), serde_json::json!([1]));
        let err = read_data("{nope", &b""[..]).unwrap_err().to_string();
        assert!(err.starts_with("--data: the argument is not JSON"), "{err}");
        let err = read_data("@/no/such/file.json", &b""[..])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("cannot read /no/such/file.json"), "{err}");
    }
}
