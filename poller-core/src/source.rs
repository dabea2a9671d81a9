use crate::{FetchError, Status};
use async_trait::async_trait;
use serde::Serialize;
use std::sync::Arc;

/// Fetches the current status of one task: usually one HTTP call.
///
/// Object safe: `Box<dyn StatusSource<Output = serde_json::Value>>` is what the provider
/// registry hands out (see [`DynSource`]). A source that can ask about many tasks in one call
/// also implements [`BatchStatusSource`] and returns itself from [`as_batch`](Self::as_batch).
///
/// ```
/// use async_trait::async_trait;
/// use poller_core::{FetchError, Phase, Status, StatusSource};
///
/// struct Always;
///
/// #[async_trait]
/// impl StatusSource for Always {
///     type Output = String;
///     fn name(&self) -> &str { "always" }
///     async fn fetch(&self, task_id: &str) -> Result<Status<String>, FetchError> {
///         Ok(Status::new(Phase::Succeeded, "done").with_output(format!("result of {task_id}")))
///     }
/// }
///
/// # tokio_test_block_on(async {
/// let s = Always.fetch("t1").await.unwrap();
/// assert_eq!(s.output.as_deref(), Some("result of t1"));
/// # });
/// # fn tokio_test_block_on(f: impl std::future::Future<Output = ()>) {
/// #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
/// # }
/// ```
#[async_trait]
pub trait StatusSource: Send + Sync {
    /// The typed output of a finished (or partially finished) task.
    type Output: Send + Sync + 'static;

    /// A short name for logs and traces (`"narada"`). Never contains a secret.
    fn name(&self) -> &str;

    /// Fetches the status of `task_id` once.
    async fn fetch(&self, task_id: &str) -> Result<Status<Self::Output>, FetchError>;

    /// This source as a batch source, when it can fetch many tasks in one call.
    fn as_batch(&self) -> Option<&dyn BatchStatusSource<Output = Self::Output>> {
        None
    }
}

/// A source that can fetch the status of many tasks in one call (Runware's `getResponse`).
///
/// ```
/// use async_trait::async_trait;
/// use poller_core::{BatchStatusSource, FetchError, Phase, Status, StatusSource};
///
/// struct Echo;
///
/// #[async_trait]
/// impl StatusSource for Echo {
///     type Output = ();
///     fn name(&self) -> &str { "echo" }
///     async fn fetch(&self, id: &str) -> Result<Status<()>, FetchError> {
///         Ok(Status::new(Phase::Running, id))
///     }
///     fn as_batch(&self) -> Option<&dyn BatchStatusSource<Output = ()>> { Some(self) }
/// }
///
/// #[async_trait]
/// impl BatchStatusSource for Echo {
///     fn max_batch(&self) -> usize { 100 }
///     async fn fetch_many(&self, ids: &[&str]) -> Result<Vec<Result<Status<()>, FetchError>>, FetchError> {
///         Ok(ids.iter().map(|id| Ok(Status::new(Phase::Running, *id))).collect())
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let all = Echo.as_batch().unwrap().fetch_many(&["a", "b"]).await.unwrap();
/// assert_eq!(all[1].as_ref().unwrap().raw_status, "b");
/// # });
/// ```
#[async_trait]
pub trait BatchStatusSource: StatusSource {
    /// The most task ids one call may carry.
    fn max_batch(&self) -> usize;

    /// Fetches the status of every id in `task_ids` in one call.
    ///
    /// On success the result has exactly one entry per id, in the same order; an entry is an
    /// error when the answer said nothing usable about that task. The outer error means the
    /// whole call failed.
    async fn fetch_many(
        &self,
        task_ids: &[&str],
    ) -> Result<Vec<Result<Status<Self::Output>, FetchError>>, FetchError>;
}

/// A type-erased source with JSON output, as the provider registry builds them.
pub type DynSource = Arc<dyn StatusSource<Output = serde_json::Value>>;

/// Wraps a typed source so that its output is [`serde_json::Value`]: the form the registry
/// and the command-line tool use.
///
/// ```
/// use std::sync::Arc;
/// use poller_core::{DynSource, JsonSource, Phase, Status, StatusSource, testing::ScriptedSource};
///
/// let typed = ScriptedSource::<u32>::new("nums").then_status(Status::new(Phase::Succeeded, "ok").with_output(5));
/// let erased: DynSource = Arc::new(JsonSource::new(typed));
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// assert_eq!(erased.fetch("t").await.unwrap().output, Some(serde_json::json!(5)));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct JsonSource<S>(S);

impl<S> JsonSource<S> {
    /// Wraps `source`.
    ///
    /// ```
    /// # use poller_core::{JsonSource, testing::ScriptedSource};
    /// let _ = JsonSource::new(ScriptedSource::<()>::new("s"));
    /// ```
    pub fn new(source: S) -> Self {
        JsonSource(source)
    }

    /// The wrapped source.
    ///
    /// ```
    /// # use poller_core::{JsonSource, StatusSource, testing::ScriptedSource};
    /// assert_eq!(JsonSource::new(ScriptedSource::<()>::new("s")).inner().name(), "s");
    /// ```
    pub fn inner(&self) -> &S {
        &self.0
    }
}

fn to_json<O: Serialize>(status: Status<O>) -> Result<Status<serde_json::Value>, FetchError> {
    let output = match &status.output {
        Some(o) => Some(serde_json::to_value(o).map_err(|e| FetchError::Other {
            message: format!("output could not be converted to JSON: {e}"),
            class: crate::ErrorClass::Permanent,
        })?),
        None => None,
    };
    let mut json = status.map_output(|_| serde_json::Value::Null);
    json.output = output;
    Ok(json)
}

#[async_trait]
impl<S> StatusSource for JsonSource<S>
where
    S: StatusSource,
    S::Output: Serialize,
{
    type Output = serde_json::Value;

    fn name(&self) -> &str {
        self.0.name()
    }

    async fn fetch(&self, task_id: &str) -> Result<Status<serde_json::Value>, FetchError> {
        to_json(self.0.fetch(task_id).await?)
    }

    fn as_batch(&self) -> Option<&dyn BatchStatusSource<Output = serde_json::Value>> {
        self.0.as_batch().map(|_| self as _)
    }
}

#[async_trait]
impl<S> BatchStatusSource for JsonSource<S>
where
    S: StatusSource,
    S::Output: Serialize,
{
    fn max_batch(&self) -> usize {
        self.0.as_batch().map_or(1, |b| b.max_batch())
    }

    async fn fetch_many(
        &self,
        task_ids: &[&str],
    ) -> Result<Vec<Result<Status<serde_json::Value>, FetchError>>, FetchError> {
        match self.0.as_batch() {
            Some(b) => Ok(b
                .fetch_many(task_ids)
                .await?
                .into_iter()
                .map(|r| r.and_then(to_json))
                .collect()),
            None => {
                let mut out = Vec::with_capacity(task_ids.len());
                for id in task_ids {
                    out.push(self.fetch(id).await);
                }
                Ok(out)
            }
        }
    }
}

#[async_trait]
impl<S: StatusSource + ?Sized> StatusSource for Arc<S> {
    type Output = S::Output;

    fn name(&self) -> &str {
        (**self).name()
    }

    async fn fetch(&self, task_id: &str) -> Result<Status<S::Output>, FetchError> {
        (**self).fetch(task_id).await
    }

    fn as_batch(&self) -> Option<&dyn BatchStatusSource<Output = S::Output>> {
        (**self).as_batch()
    }
}

#[async_trait]
impl<S: StatusSource + ?Sized> StatusSource for Box<S> {
    type Output = S::Output;

    fn name(&self) -> &str {
        (**self).name()
    }

    async fn fetch(&self, task_id: &str) -> Result<Status<S::Output>, FetchError> {
        (**self).fetch(task_id).await
    }

    fn as_batch(&self) -> Option<&dyn BatchStatusSource<Output = S::Output>> {
        (**self).as_batch()
    }
}
