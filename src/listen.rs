//! `--listen ADDR [--public-url URL]`: a webhook receiver running beside a wait, so that a
//! verified callback brings its task's next poll forward (the poll alone decides the outcome).
//!
//! Everything that can be refused is refused before binding (VESSL, a missing secret
//! variable); the bound address and the callback URL go to stderr even with `-q` (the only
//! way to learn a port 0 address), secrets never do.

use crate::cli::ListenArgs;
use crate::error::CliError;
use crate::out::err_line;
use poller_core::{ApiKey, Provider, SourceId, TrackerHandle};
use poller_providers::webhook::{CallbackTask, Receiver, RunningReceiver, Vendor};
use std::time::Duration;

/// Dari's portal webhook secret (`wait` and `submit`).
pub const DARI_SECRET_VAR: &str = "DARI_WEBHOOK_SECRET";
/// The `callbackSecret` Narada tasks were created with elsewhere (`wait`).
pub const NARADA_SECRET_VAR: &str = "NARADA_CALLBACK_SECRET";
/// The token in the `webhookURL` Runware tasks were created with elsewhere (`wait`).
pub const RUNWARE_TOKEN_VAR: &str = "RUNWARE_WEBHOOK_TOKEN";

/// How long a stopping receiver may take to finish the callbacks in hand before it is cut.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// Who created the tasks: `submit` chooses their secrets now, `wait` takes them from the
/// environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Submit,
    Wait,
}

/// A receiver checked and configured, not bound yet.
pub struct Plan {
    addr: std::net::SocketAddr,
    receiver: Receiver,
    vendor: Vendor,
    narada_secret: Option<ApiKey>,
}

/// A bound receiver, not yet expecting any task.
pub struct Listener {
    running: RunningReceiver,
    vendor: Vendor,
    /// `wait` of Narada tasks: the secret they were all created with.
    narada_secret: Option<ApiKey>,
}

/// A bound receiver and the tasks it expects, for the length of one wait.
pub struct Listening {
    running: RunningReceiver,
    tasks: Vec<CallbackTask>,
}

fn secret_from_env(var: &str, why: &str) -> Result<ApiKey, CliError> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(ApiKey::new(v)),
        _ => Err(CliError::Usage(format!(
            "--listen: set {var} to {why} (an environment variable, never a flag: `ps` shows flags)"
        ))),
    }
}

/// Checks `--listen` for `provider` (a vendor with callbacks, the secret variables `mode`
/// needs); `None` without `--listen`.
pub fn plan(provider: &Provider, args: &ListenArgs, mode: Mode) -> Result<Option<Plan>, CliError> {
    let Some(addr) = args.listen else {
        return Ok(None);
    };
    let Some(vendor) = Vendor::for_provider(provider.name) else {
        return Err(CliError::Usage(format!(
            "--listen: {} documents no callbacks; wait by polling alone (drop --listen)",
            provider.name
        )));
    };
    let mut receiver = Receiver::new();
    let mut narada_secret = None;
    match (vendor, mode) {
        (Vendor::Dari, _) => {
            receiver = receiver.dari_secret(secret_from_env(
                DARI_SECRET_VAR,
                "the webhook secret shown on Dari's portal",
            )?);
        }
        (Vendor::Narada, Mode::Wait) => {
            narada_secret = Some(secret_from_env(
                NARADA_SECRET_VAR,
                "the callbackSecret the tasks were created with",
            )?);
        }
        (Vendor::Runware, Mode::Wait) => {
            receiver = receiver.runware_token(secret_from_env(
                RUNWARE_TOKEN_VAR,
                "the token= of the webhookURL the tasks were created with",
            )?);
        }
        (_, Mode::Submit) => {}
    }
    if let Some(url) = &args.public_url {
        receiver = receiver.public_url(url.clone());
    }
    Ok(Some(Plan {
        addr,
        receiver,
        vendor,
        narada_secret,
    }))
}

/// Binds `plan`'s receiver and says on stderr where it listens.
pub async fn bind(plan: Plan) -> Result<Listener, CliError> {
    let Plan {
        addr,
        receiver,
        vendor,
        narada_secret,
    } = plan;
    let running = receiver
        .bind(addr)
        .await
        .map_err(|e| CliError::Usage(format!("--listen: cannot listen on {addr}: {e}")))?;
    let shown = running
        .receiver()
        .shown_callback_url(vendor)
        .unwrap_or_default();
    let note = match vendor {
        Vendor::Dari => " (set it as the webhook URL on Dari's portal)",
        _ => "",
    };
    err_line(&format!(
        "poller: listening on {}; {vendor} callbacks to {shown}{note}",
        running.local_addr()
    ));
    Ok(Listener {
        running,
        vendor,
        narada_secret,
    })
}

impl Listener {
    /// The receiver (its callback URLs).
    pub fn receiver(&self) -> &Receiver {
        self.running.receiver()
    }

    /// Expects `ids`, created elsewhere (`wait`).
    pub fn for_ids(self, ids: &[String]) -> Listening {
        let tasks = ids
            .iter()
            .map(|id| match &self.narada_secret {
                Some(secret) => CallbackTask::narada(id.clone(), secret.clone()),
                None => CallbackTask::new(self.vendor, id.clone()),
            })
            .collect();
        self.with_tasks(tasks)
    }

    /// Expects `tasks`, created with their callbacks set (`submit`).
    pub fn with_tasks(self, tasks: Vec<CallbackTask>) -> Listening {
        Listening {
            running: self.running,
            tasks,
        }
    }
}

impl Listening {
    /// Registers every task with `tracker`'s source `source`.
    pub fn expect_all(&self, tracker: &TrackerHandle<serde_json::Value>, source: SourceId) {
        for task in &self.tasks {
            self.running.receiver().expect_task(task, tracker, source);
        }
    }

    /// Stops the receiver: the port is free once this returns.
    pub async fn shutdown(self) {
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, self.running.shutdown()).await;
    }
}
