use crate::StoredOutcome;
use async_trait::async_trait;

/// Where a [`Worker`](crate::Worker) delivers outcomes: the application.
///
/// An outcome is written to the store before it is delivered, and acknowledged in the store
/// when `deliver` returns `Ok`. Until then it is delivered again (after a failure, or by
/// another worker when this one dies first): delivery is at least once, so a consumer
/// de-duplicates by [`StoredOutcome::id`] (or source and task id).
///
/// A channel is a sink: an outcome counts as delivered once it is in the channel.
///
/// ```
/// use poller_store::OutcomeSink;
/// let (tx, _rx) = tokio::sync::mpsc::unbounded_channel::<poller_store::StoredOutcome>();
/// fn is_sink(_: &impl OutcomeSink) {}
/// is_sink(&tx);
/// ```
#[async_trait]
pub trait OutcomeSink: Send + Sync + 'static {
    /// Hands one outcome to the application; `Err` (a message) means "try again later".
    async fn deliver(&self, outcome: &StoredOutcome) -> Result<(), String>;
}

#[async_trait]
impl OutcomeSink for tokio::sync::mpsc::UnboundedSender<StoredOutcome> {
    async fn deliver(&self, outcome: &StoredOutcome) -> Result<(), String> {
        self.send(outcome.clone())
            .map_err(|_| "the outcome channel is closed".to_string())
    }
}
