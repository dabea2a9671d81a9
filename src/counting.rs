//! A source that counts what it is asked: HTTP requests in all (a Runware batch is one),
//! fetches per task (so that a row's request count moves with every poll, not only when the
//! status changes) and each task's last fetch error, cleared by a successful fetch (the cause
//! shown when a wait gives up).

use async_trait::async_trait;
use poller_core::{BatchStatusSource, DynSource, FetchError, Status, StatusSource};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// The counts, shared between the source and whoever shows them.
#[derive(Debug, Default)]
pub struct Counts {
    requests: AtomicU64,
    per_task: Mutex<HashMap<String, PerTask>>,
}

#[derive(Debug, Default)]
struct PerTask {
    fetches: u32,
    last_error: Option<FetchError>,
}

impl Counts {
    /// Requests sent so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Fetches of `task_id` so far.
    pub fn of(&self, task_id: &str) -> u32 {
        let map = self.per_task.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(task_id).map_or(0, |t| t.fetches)
    }

    /// The error of `task_id`'s last fetch, if that fetch failed.
    pub fn last_error(&self, task_id: &str) -> Option<FetchError> {
        let map = self.per_task.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(task_id).and_then(|t| t.last_error.clone())
    }

    /// A request went out for `ids` (counted when sent: one that never answers counts too).
    fn sent(&self, ids: &[&str]) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut map = self.per_task.lock().unwrap_or_else(PoisonError::into_inner);
        for id in ids {
            match map.get_mut(*id) {
                Some(task) => task.fetches += 1,
                None => {
                    let task = PerTask {
                        fetches: 1,
                        last_error: None,
                    };
                    map.insert(id.to_string(), task);
                }
            }
        }
    }

    /// The answers: each task's error, or none when its fetch succeeded.
    fn answered<'a>(&self, results: impl Iterator<Item = (&'a str, Option<&'a FetchError>)>) {
        let mut map = self.per_task.lock().unwrap_or_else(PoisonError::into_inner);
        for (id, error) in results {
            if let Some(task) = map.get_mut(id) {
                task.last_error = error.cloned();
            }
        }
    }
}

/// Wraps `inner`, counting into the returned [`Counts`].
pub fn counting(inner: DynSource) -> (DynSource, Arc<Counts>) {
    let counts = Arc::new(Counts::default());
    let source = Counting {
        inner,
        counts: counts.clone(),
    };
    (Arc::new(source), counts)
}

struct Counting {
    inner: DynSource,
    counts: Arc<Counts>,
}

#[async_trait]
impl StatusSource for Counting {
    type Output = Value;

    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn fetch(&self, task_id: &str) -> Result<Status<Value>, FetchError> {
        self.counts.sent(&[task_id]);
        let result = self.inner.fetch(task_id).await;
        self.counts
            .answered(std::iter::once((task_id, result.as_ref().err())));
        result
    }

    fn as_batch(&self) -> Option<&dyn BatchStatusSource<Output = Value>> {
        self.inner.as_batch().map(|_| self as _)
    }
}

#[async_trait]
impl BatchStatusSource for Counting {
    fn max_batch(&self) -> usize {
        self.inner.as_batch().map_or(1, |b| b.max_batch())
    }

    async fn fetch_many(
        &self,
        task_ids: &[&str],
    ) -> Result<Vec<Result<Status<Value>, FetchError>>, FetchError> {
        match self.inner.as_batch() {
            Some(batch) => {
                self.counts.sent(task_ids);
                let answer = batch.fetch_many(task_ids).await;
                match &answer {
                    Ok(results) => self.counts.answered(
                        task_ids
                            .iter()
                            .copied()
                            .zip(results.iter().map(|r| r.as_ref().err())),
                    ),
                    Err(e) => self
                        .counts
                        .answered(task_ids.iter().map(|id| (*id, Some(e)))),
                }
                answer
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use poller_core::testing::ScriptedSource;
    use poller_core::{FetchError, Phase, Status};

    #[tokio::test]
    async fn fetches_are_counted_and_the_last_error_cleared_by_a_success() {
        let inner = ScriptedSource::<Value>::new("s")
            .then_error(FetchError::http(503, b"busy"))
            .then_status(Status::new(Phase::Running, "running"));
        let (source, counts) = counting(Arc::new(inner));
        assert!(source.fetch("t").await.is_err());
        assert_eq!(counts.of("t"), 1);
        assert_eq!(
            counts.last_error("t").and_then(|e| e.http_status()),
            Some(503)
        );
        assert!(source.fetch("t").await.is_ok());
        assert_eq!((counts.of("t"), counts.requests()), (2, 2));
        assert_eq!(counts.last_error("t"), None);
        assert_eq!(counts.of("other"), 0);
    }
}
