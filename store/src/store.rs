use crate::backend::{Backend, NewTask};
use crate::error::corrupt;
use crate::{PendingTask, Result, SourceSpec, StoreError, StoredOutcome};
use poller_core::TaskState;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The file a store URL names when none is given: `poller/watch.db` under the user's data
/// directory (`$XDG_DATA_HOME`, else `$HOME/.local/share`), else `./poller-watch.db`.
///
/// ```
/// let path = poller_store::default_sqlite_path();
/// assert!(path.ends_with("watch.db") || path.ends_with("poller-watch.db"));
/// ```
pub fn default_sqlite_path() -> PathBuf {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    var("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| Path::new(&h).join(".local/share")))
        .map(|dir| dir.join("poller").join("watch.db"))
        .unwrap_or_else(|| PathBuf::from("poller-watch.db"))
}

/// The durable watch list: tasks to poll and their outcomes, in SQLite or PostgreSQL.
///
/// Cloning shares the connection pool. See the crate docs for what is stored and the
/// guarantees.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> poller_store::Result<()> {
/// # let dir = tempfile::tempdir().unwrap();
/// use poller_store::{SourceSpec, Store};
/// let store = Store::open(dir.path().join("watch.db").to_str().unwrap()).await?;
/// let spec = SourceSpec::new("dari").param("org_id", "my-org").param("endpoint_name", "form");
/// assert_eq!(store.track(&spec, ["job-1", "job-2"]).await?, 2);
/// assert_eq!(store.track(&spec, ["job-1"]).await?, 0, "idempotent per source and id");
/// assert_eq!(store.pending().await?.len(), 2);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Store {
    pub(crate) backend: Arc<dyn Backend>,
    target: Arc<str>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// How long a SQLite write waits for a lock held by another process before it fails.
///
/// ```
/// assert_eq!(poller_store::SQLITE_BUSY_TIMEOUT.as_secs(), 5);
/// ```
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

impl Store {
    /// Opens (and creates or migrates) the store at `url`: `postgres://…` or
    /// `postgresql://…` for PostgreSQL, `sqlite://PATH`, `sqlite:PATH` or a bare file path
    /// for SQLite (the file is created if missing).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let err = poller_store::Store::open("mysql://db/x").await.unwrap_err();
    /// assert!(err.to_string().starts_with("unsupported store URL"));
    /// # }
    /// ```
    pub async fn open(url: &str) -> Result<Store> {
        Self::open_with(url, SQLITE_BUSY_TIMEOUT).await
    }

    /// [`open`](Self::open) with another SQLite busy timeout (ignored for PostgreSQL).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> poller_store::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("w.db");
    /// let _store = poller_store::Store::open_with(path.to_str().unwrap(), std::time::Duration::from_millis(200)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn open_with(url: &str, sqlite_busy_timeout: Duration) -> Result<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let backend = crate::postgres::Postgres::open(url).await?;
            return Ok(Store {
                backend: Arc::new(backend),
                target: Arc::from(crate::postgres::redact(url)),
            });
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() || (path.contains("://") && !url.starts_with("sqlite")) {
            return Err(StoreError::Url(url.to_string()));
        }
        let path = Path::new(path);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                target: path.display().to_string(),
                source: sqlx::Error::Io(e),
            })?;
        }
        let backend = crate::sqlite::Sqlite::open(path, sqlite_busy_timeout).await?;
        Ok(Store {
            backend: Arc::new(backend),
            target: Arc::from(path.display().to_string()),
        })
    }

    /// Adds tasks of one source; durable when this returns. Idempotent per (source, task id):
    /// a task already in the store (pending or ended) is left as it is. Returns how many were
    /// new.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> poller_store::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let store = poller_store::Store::open(dir.path().join("w.db").to_str().unwrap()).await?;
    /// let n = store.track(&poller_store::SourceSpec::new("narada"), ["a", "b", "a"]).await?;
    /// assert_eq!(n, 2);
    /// # Ok(()) }
    /// ```
    pub async fn track<I, S>(&self, spec: &SourceSpec, task_ids: I) -> Result<u64>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let spec_json = serde_json::to_string(spec).map_err(|e| corrupt("source spec", e))?;
        let now_ms = now_ms();
        let ids: Vec<S> = task_ids.into_iter().collect();
        let tasks: Vec<NewTask<'_>> = ids
            .iter()
            .map(|id| {
                let state = TaskState::<serde_json::Value>::new(id.as_ref());
                Ok(NewTask {
                    source: &spec.provider,
                    spec: &spec_json,
                    task_id: id.as_ref(),
                    state: serde_json::to_string(&state).map_err(|e| corrupt("task state", e))?,
                    now_ms,
                })
            })
            .collect::<Result<_>>()?;
        let mut added = 0;
        for chunk in tasks.chunks(1000) {
            added += self.backend.add(chunk).await?;
        }
        Ok(added)
    }

    /// Tasks that have not ended, in the order they were added.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> poller_store::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let store = poller_store::Store::open(dir.path().join("w.db").to_str().unwrap()).await?;
    /// assert!(store.pending().await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn pending(&self) -> Result<Vec<PendingTask>> {
        self.backend.pending(now_ms()).await
    }

    /// Outcomes in the order they were written; only those not yet acknowledged when
    /// `unacked_only`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> poller_store::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let store = poller_store::Store::open(dir.path().join("w.db").to_str().unwrap()).await?;
    /// assert!(store.outcomes(true).await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn outcomes(&self, unacked_only: bool) -> Result<Vec<StoredOutcome>> {
        self.backend.outcomes(unacked_only).await
    }

    /// Acknowledges that the consumer has an outcome: it will not be delivered again.
    /// Returns `false` if it was acknowledged already (or no such outcome exists).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> poller_store::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let store = poller_store::Store::open(dir.path().join("w.db").to_str().unwrap()).await?;
    /// assert!(!store.ack(42).await?);
    /// # Ok(()) }
    /// ```
    pub async fn ack(&self, outcome_id: i64) -> Result<bool> {
        self.backend.ack(outcome_id, now_ms()).await
    }

    /// What the store is: a file path or a PostgreSQL URL without its password.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> poller_store::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// let store = poller_store::Store::open(dir.path().join("w.db").to_str().unwrap()).await?;
    /// assert!(store.target().ends_with("w.db"));
    /// # Ok(()) }
    /// ```
    pub fn target(&self) -> &str {
        &self.target
    }
}

/// The wall clock in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

pub(crate) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The `last` member of a stored task state, if any.
pub(crate) fn last_of(state: &str) -> Option<serde_json::Value> {
    let mut v: serde_json::Value = serde_json::from_str(state).ok()?;
    match v.get_mut("last")?.take() {
        serde_json::Value::Null => None,
        last => Some(last),
    }
}

pub(crate) fn outcome(
    id: i64,
    source: String,
    task_id: String,
    kind: String,
    report: &str,
    finished_ms: i64,
    acked_ms: Option<i64>,
) -> Result<StoredOutcome> {
    Ok(StoredOutcome {
        id,
        report: serde_json::from_str(report)
            .map_err(|e| corrupt(format!("outcome of {source} {task_id}"), e))?,
        source,
        task_id,
        kind,
        finished_ms,
        acked_ms,
    })
}
