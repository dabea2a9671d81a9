//! Creating tasks whose callbacks come to a [`Receiver`]: the vendors' callback fields set on
//! each request, and what the receiver must expect of each task created.

use std::fmt;

use poller_core::{ApiKey, SourceConfig, SourceId, TrackerHandle};
use serde_json::Value;

use super::receiver::{Receiver, Vendor};
use super::verify;
use crate::SubmitError;
use crate::narada::NaradaRequest;
use crate::runware::RunwareTask;
use crate::submit::{Request, checked_by_name, invalid};

/// A task whose callbacks a [`Receiver`] should expect: its vendor, its id and, for Narada,
/// the `callbackSecret` it was created with. `Debug` hides the secret.
///
/// ```
/// use poller_providers::webhook::{CallbackTask, Vendor};
/// let t = CallbackTask::narada("req_1", "per-task-secret");
/// assert_eq!((t.vendor(), t.id()), (Vendor::Narada, "req_1"));
/// assert!(!format!("{t:?}").contains("per-task-secret"));
/// assert_eq!(CallbackTask::new(Vendor::Dari, "job-1").id(), "job-1");
/// ```
#[derive(Clone)]
pub struct CallbackTask {
    vendor: Vendor,
    id: String,
    secret: Option<ApiKey>,
}

impl fmt::Debug for CallbackTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackTask")
            .field("vendor", &self.vendor)
            .field("id", &self.id)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl CallbackTask {
    /// A Runware or Dari task (no per-task secret: Runware's token belongs to the receiver,
    /// Dari's secret to the portal).
    ///
    /// ```
    /// use poller_providers::webhook::{CallbackTask, Vendor};
    /// assert_eq!(CallbackTask::new(Vendor::Runware, "u").vendor(), Vendor::Runware);
    /// ```
    pub fn new(vendor: Vendor, id: impl Into<String>) -> Self {
        CallbackTask {
            vendor,
            id: id.into(),
            secret: None,
        }
    }

    /// A Narada task created with `callbackSecret` `secret`.
    ///
    /// ```
    /// let t = poller_providers::webhook::CallbackTask::narada("req_1", "s");
    /// assert_eq!(t.id(), "req_1");
    /// ```
    pub fn narada(request_id: impl Into<String>, secret: impl Into<ApiKey>) -> Self {
        CallbackTask {
            vendor: Vendor::Narada,
            id: request_id.into(),
            secret: Some(secret.into()),
        }
    }

    /// The vendor.
    ///
    /// ```
    /// use poller_providers::webhook::{CallbackTask, Vendor};
    /// assert_eq!(CallbackTask::new(Vendor::Dari, "j").vendor(), Vendor::Dari);
    /// ```
    pub fn vendor(&self) -> Vendor {
        self.vendor
    }

    /// The task's id (Narada `requestId`, Runware `taskUUID`, Dari `job_id`).
    ///
    /// ```
    /// use poller_providers::webhook::{CallbackTask, Vendor};
    /// assert_eq!(CallbackTask::new(Vendor::Dari, "j").id(), "j");
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl Receiver {
    /// Expects `task`'s callbacks: each verified one brings its poll forward in `tracker`
    /// (source `source`). The same as [`expect`](Receiver::expect) or
    /// [`expect_narada`](Receiver::expect_narada), as the task says.
    ///
    /// ```
    /// # use poller_core::{Fixed, Tracker};
    /// use poller_providers::webhook::{CallbackTask, Receiver, Vendor};
    /// let mut t = Tracker::new();
    /// let s = t.add_source(poller_providers::narada::Narada::new("key").source().unwrap(), Fixed::secs(60));
    /// let r = Receiver::new();
    /// r.expect_task(&CallbackTask::narada("req_1", "secret"), &t.handle(), s);
    /// assert!(r.forget(Vendor::Narada, "req_1"));
    /// ```
    pub fn expect_task<O: Send + 'static>(
        &self,
        task: &CallbackTask,
        tracker: &TrackerHandle<O>,
        source: SourceId,
    ) {
        match &task.secret {
            Some(secret) => self.expect_narada(task.id.clone(), secret.clone(), tracker, source),
            None => self.expect(task.vendor, task.id.clone(), tracker, source),
        }
    }

    fn url_for(&self, vendor: Vendor, field: &str) -> Result<String, SubmitError> {
        self.callback_url(vendor).ok_or_else(|| {
            invalid(
                field,
                "cannot be set: the webhook receiver has no public URL",
            )
        })
    }

    /// `request` with `callbackUrl` set to this receiver's Narada route and a fresh random
    /// `callbackSecret` (256 bits), and the secret, for [`CallbackTask::narada`] once the
    /// task's id is known. A request that already sets either field is refused
    /// ([`SubmitError::Invalid`] naming it): its callbacks would go elsewhere or fail.
    ///
    /// ```
    /// use poller_providers::narada::NaradaRequest;
    /// use poller_providers::webhook::Receiver;
    /// let r = Receiver::new().public_url("https://hooks.example.com");
    /// let (request, secret) = r.narada_callbacks(NaradaRequest::new("Book a table")).unwrap();
    /// assert_eq!(request.callback_url.as_deref(), Some("https://hooks.example.com/narada"));
    /// assert_eq!(request.callback_secret.as_deref(), Some(secret.expose()));
    /// let taken = NaradaRequest::new("x").callback_url("https://elsewhere.example/cb");
    /// assert!(r.narada_callbacks(taken).unwrap_err().to_string().contains("callbackUrl"));
    /// ```
    pub fn narada_callbacks(
        &self,
        request: NaradaRequest,
    ) -> Result<(NaradaRequest, ApiKey), SubmitError> {
        narada_fields_free(&request)?;
        let secret = verify::random_secret();
        let request = request
            .callback_url(self.url_for(Vendor::Narada, "callbackUrl")?)
            .callback_secret(secret.expose());
        Ok((request, secret))
    }

    /// `task` with `webhookURL` set to this receiver's Runware route (its token in the
    /// query). A task that already sets `webhookURL` is refused ([`SubmitError::Invalid`]).
    ///
    /// ```
    /// use poller_providers::runware::RunwareTask;
    /// use poller_providers::webhook::Receiver;
    /// let r = Receiver::new().public_url("https://hooks.example.com");
    /// let task = r.runware_callbacks(RunwareTask::new("imageInference")).unwrap();
    /// assert!(task.webhook_url.unwrap().starts_with("https://hooks.example.com/runware?token="));
    /// let taken = RunwareTask::new("imageInference").webhook_url("https://elsewhere.example");
    /// assert!(r.runware_callbacks(taken).unwrap_err().to_string().contains("webhookURL"));
    /// ```
    pub fn runware_callbacks(&self, task: RunwareTask) -> Result<RunwareTask, SubmitError> {
        runware_field_free(&task)?;
        Ok(task.webhook_url(self.url_for(Vendor::Runware, "webhookURL")?))
    }
}

/// A create request (Runware: a batch) read by provider name, as [`submit`](crate::submit)
/// reads it, to be sent with its callbacks pointed at a [`Receiver`]: Narada gets
/// `callbackUrl` and a fresh `callbackSecret` ([`Receiver::narada_callbacks`]), every Runware
/// task gets `webhookURL` ([`Receiver::runware_callbacks`]), Dari nothing (its webhook is set
/// on the portal: give the receiver its secret with [`Receiver::dari_secret`]).
///
/// Everything is checked by [`new`](Self::new), before any receiver is bound: the body as
/// [`submit`](crate::submit) checks it, a provider without callbacks (VESSL), and a body that
/// already sets a callback field (its callbacks would go elsewhere), each
/// [`SubmitError::Invalid`] naming it. `Debug` shows the provider only.
///
/// ```
/// use poller_core::SourceConfig;
/// use poller_providers::webhook::CallbackSubmission;
/// let config = || SourceConfig::new().api_key("k");
/// let body = serde_json::json!({"prompt": "x", "callbackSecret": "mine"});
/// let err = CallbackSubmission::new("narada", config(), body).unwrap_err();
/// assert_eq!(err.to_string(), "invalid request: `callbackSecret` is set by the webhook receiver: leave it out");
/// let vessl = serde_json::json!({"data": {}, "method": "POST", "path": "/"});
/// let err = CallbackSubmission::new("vessl", config().base_url("https://v.example"), vessl).unwrap_err();
/// assert_eq!(err.to_string(), "invalid request: `callbacks` vessl documents no callbacks: wait by polling alone");
/// assert!(CallbackSubmission::new("narada", config(), serde_json::json!({"prompt": "x"})).is_ok());
/// ```
pub struct CallbackSubmission {
    vendor: Vendor,
    config: crate::common::Parts,
    request: Request,
}

impl fmt::Debug for CallbackSubmission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackSubmission")
            .field("vendor", &self.vendor)
            .finish_non_exhaustive()
    }
}

impl CallbackSubmission {
    /// Reads and checks `request` for the provider named `name` with `config` (what
    /// [`Provider::build_source`](poller_core::Provider::build_source) takes); nothing is
    /// sent.
    ///
    /// ```
    /// use poller_core::SourceConfig;
    /// use poller_providers::webhook::{CallbackSubmission, Vendor};
    /// let s = CallbackSubmission::new("narada", SourceConfig::new().api_key("k"), serde_json::json!({"prompt": "x"})).unwrap();
    /// assert_eq!(s.vendor(), Vendor::Narada);
    /// ```
    pub fn new(name: &str, config: SourceConfig, request: Value) -> Result<Self, SubmitError> {
        let (provider, config) = checked_by_name(name, config)?;
        let Some(vendor) = Vendor::for_provider(provider.name) else {
            return Err(invalid(
                "callbacks",
                format!(
                    "{} documents no callbacks: wait by polling alone",
                    provider.name
                ),
            ));
        };
        let request = Request::from_json(provider, request)?;
        match &request {
            Request::Narada(r) => narada_fields_free(r)?,
            Request::Runware(tasks) => tasks.iter().try_for_each(runware_field_free)?,
            _ => {}
        }
        Ok(CallbackSubmission {
            vendor,
            config,
            request,
        })
    }

    /// The vendor whose callbacks will come.
    ///
    /// ```
    /// use poller_core::SourceConfig;
    /// use poller_providers::webhook::{CallbackSubmission, Vendor};
    /// let body = serde_json::json!({"taskType": "imageInference", "positivePrompt": "a fox"});
    /// let s = CallbackSubmission::new("runware", SourceConfig::new().api_key("k"), body).unwrap();
    /// assert_eq!(s.vendor(), Vendor::Runware);
    /// ```
    pub fn vendor(&self) -> Vendor {
        self.vendor
    }

    /// Sets the callback fields to `receiver`'s URLs and sends the request, as
    /// [`submit`](crate::submit) does (the same rules for sending again). Returns what the
    /// receiver must expect of each task created, in order; nothing is expected yet
    /// (register them with [`Receiver::expect_task`] once they are tracked).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use poller_core::SourceConfig;
    /// use poller_providers::webhook::{CallbackSubmission, Receiver};
    /// let running = Receiver::new().public_url("https://hooks.example.com").bind("0.0.0.0:8080".parse()?).await?;
    /// let body = serde_json::json!({"prompt": "Book a table"});
    /// let tasks = CallbackSubmission::new("narada", SourceConfig::new().api_key("k"), body)?
    ///     .send(running.receiver())
    ///     .await?;
    /// println!("{}", tasks[0].id());
    /// # Ok(()) }
    /// ```
    pub async fn send(self, receiver: &Receiver) -> Result<Vec<CallbackTask>, SubmitError> {
        let mut secret = None;
        let request = match self.request {
            Request::Narada(r) => {
                let (r, s) = receiver.narada_callbacks(r)?;
                secret = Some(s);
                Request::Narada(r)
            }
            Request::Runware(tasks) => Request::Runware(
                tasks
                    .into_iter()
                    .map(|t| receiver.runware_callbacks(t))
                    .collect::<Result<_, _>>()?,
            ),
            other => other,
        };
        let ids = request.send(self.config).await?;
        Ok(ids
            .into_iter()
            .map(|id| CallbackTask {
                vendor: self.vendor,
                id,
                secret: secret.clone(),
            })
            .collect())
    }
}

/// Refuses a callback field the receiver must set.
fn refuse_set(field: &str, set: bool) -> Result<(), SubmitError> {
    if set {
        return Err(invalid(
            field,
            "is set by the webhook receiver: leave it out",
        ));
    }
    Ok(())
}

fn narada_fields_free(request: &NaradaRequest) -> Result<(), SubmitError> {
    refuse_set("callbackUrl", request.callback_url.is_some())?;
    refuse_set("callbackSecret", request.callback_secret.is_some())
}

fn runware_field_free(task: &RunwareTask) -> Result<(), SubmitError> {
    refuse_set("webhookURL", task.webhook_url.is_some())
}
