//! Which API a request or task belongs to, how tasks are named, and the accepted keys.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One of the four simulated APIs.
///
/// Serialised in lower case (`"narada"`, `"runware"`, `"dari"`, `"vessl"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// Narada Remote Dispatch (`/fast/v2/remote-dispatch/...`).
    Narada,
    /// Runware (`POST /v1` with a JSON array of tasks).
    Runware,
    /// Dari job status (`/task/...` and `/jobs/...`).
    Dari,
    /// VESSL Serve async requests (`/api/v1/services/{slug}/async/...`).
    Vessl,
}

impl Api {
    /// All four APIs, in a fixed order.
    pub const ALL: [Api; 4] = [Api::Narada, Api::Runware, Api::Dari, Api::Vessl];

    /// The lower-case name, as used in the control API.
    ///
    /// ```
    /// assert_eq!(poller_sim::Api::Vessl.name(), "vessl");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Api::Narada => "narada",
            Api::Runware => "runware",
            Api::Dari => "dari",
            Api::Vessl => "vessl",
        }
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The identity of one simulated task, as the API addresses it.
///
/// Used to target faults at a task and to filter the request log.
///
/// ```
/// use poller_sim::{Api, TaskKey};
/// let key = TaskKey::dari("my-org", "contact_form", "job-1");
/// assert_eq!(key.api(), Api::Dari);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "api", rename_all = "lowercase")]
pub enum TaskKey {
    /// A Narada request, by `requestId`.
    Narada {
        /// The `requestId`.
        id: String,
    },
    /// A Runware task, by `taskUUID`.
    Runware {
        /// The `taskUUID`.
        id: String,
    },
    /// A Dari job: organisation, endpoint name and `job_id`.
    Dari {
        /// The organisation id in the path.
        org: String,
        /// The portal endpoint name in the path.
        endpoint: String,
        /// The `job_id` query parameter.
        id: String,
    },
    /// A VESSL async request: service slug and request id.
    Vessl {
        /// The service slug in the base URL.
        slug: String,
        /// The request id.
        id: String,
    },
}

impl TaskKey {
    /// A Narada task key.
    pub fn narada(request_id: impl Into<String>) -> Self {
        TaskKey::Narada {
            id: request_id.into(),
        }
    }

    /// A Runware task key.
    pub fn runware(task_uuid: impl Into<String>) -> Self {
        TaskKey::Runware {
            id: task_uuid.into(),
        }
    }

    /// A Dari job key.
    pub fn dari(
        org: impl Into<String>,
        endpoint: impl Into<String>,
        job_id: impl Into<String>,
    ) -> Self {
        TaskKey::Dari {
            org: org.into(),
            endpoint: endpoint.into(),
            id: job_id.into(),
        }
    }

    /// A VESSL request key.
    pub fn vessl(slug: impl Into<String>, request_id: impl Into<String>) -> Self {
        TaskKey::Vessl {
            slug: slug.into(),
            id: request_id.into(),
        }
    }

    /// The API this task belongs to.
    pub fn api(&self) -> Api {
        match self {
            TaskKey::Narada { .. } => Api::Narada,
            TaskKey::Runware { .. } => Api::Runware,
            TaskKey::Dari { .. } => Api::Dari,
            TaskKey::Vessl { .. } => Api::Vessl,
        }
    }

    /// The task's own id (`requestId`, `taskUUID`, `job_id` or request id).
    pub fn id(&self) -> &str {
        match self {
            TaskKey::Narada { id }
            | TaskKey::Runware { id }
            | TaskKey::Dari { id, .. }
            | TaskKey::Vessl { id, .. } => id,
        }
    }
}

impl fmt::Display for TaskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskKey::Narada { id } | TaskKey::Runware { id } => write!(f, "{}:{id}", self.api()),
            TaskKey::Dari { org, endpoint, id } => write!(f, "dari:{org}/{endpoint}/{id}"),
            TaskKey::Vessl { slug, id } => write!(f, "vessl:{slug}/{id}"),
        }
    }
}

/// The credentials the simulator accepts.
///
/// # Default
///
/// | field | value |
/// |---|---|
/// | `narada` | `sim-narada-key` (header `x-api-key`) |
/// | `runware` | `sim-runware-key` (`Authorization: Bearer`, or an `authentication` item) |
/// | `dari` | `sim-dari-key` (header `X-API-Key`) |
/// | `dari_org` | `my-org` (the organisation the Dari key belongs to, as in the vendor's example) |
/// | `vessl` | `sim-vessl-key` (`Authorization: Bearer`) |
///
/// ```
/// let keys = poller_sim::Keys::default();
/// assert_eq!(keys.narada, "sim-narada-key");
/// assert_eq!(keys.dari_org, "my-org");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keys {
    /// The Narada API key.
    pub narada: String,
    /// The Runware API key.
    pub runware: String,
    /// The Dari API key.
    pub dari: String,
    /// The Dari organisation the key belongs to; other organisations get 403.
    pub dari_org: String,
    /// The VESSL bearer token.
    pub vessl: String,
}

impl Default for Keys {
    fn default() -> Self {
        Keys {
            narada: "sim-narada-key".into(),
            runware: "sim-runware-key".into(),
            dari: "sim-dari-key".into(),
            dari_org: "my-org".into(),
            vessl: "sim-vessl-key".into(),
        }
    }
}
