//! Shared pieces: a simulator with Narada tasks, a source builder that knows the simulator's
//! key, a worker with short intervals, and a bounded wait for a condition.

use poller_core::{BoxPolicy, Fixed, PollPolicyExt, SourceConfig};
use poller_sim::{NaradaStage, Script, Simulator};
use poller_store::{SourceBuilder, SourceSpec, Store, StoredOutcome, Worker, WorkerOptions};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

// Name the providers crate so that its registry entries are linked in.
use poller_providers as _;

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A simulator serving `n` Narada tasks `t0..t{n-1}` that succeed after `after`.
pub async fn simulator_with(n: usize, after: Duration) -> Simulator {
    let sim = Simulator::start().await.expect("simulator starts");
    for i in 0..n {
        sim.add_narada_task(
            format!("t{i}"),
            Script::narada_success_after(after, json!({"n": i})),
        );
    }
    sim
}

/// A Narada task that never ends.
pub fn add_endless(sim: &Simulator, id: &str) {
    sim.add_narada_task(id, Script::new(NaradaStage::Pending));
}

/// The spec of the simulator's Narada, polled every `interval`, giving up after `deadline`.
pub fn narada_spec(sim: &Simulator, interval: Duration, deadline: Duration) -> SourceSpec {
    SourceSpec::new("narada")
        .base_url(sim.narada_base_url())
        .options(json!({"interval_ms": interval.as_millis() as u64, "deadline_ms": deadline.as_millis() as u64}))
}

/// Builds sources from the registry with the simulator's key (the store never holds it) and
/// the policy in the spec's options.
pub fn builder(sim: &Simulator) -> SourceBuilder {
    let key = sim.keys().narada.clone();
    Arc::new(move |spec: &SourceSpec| {
        let mut config = SourceConfig::new().api_key(key.clone());
        if let Some(url) = &spec.base_url {
            config = config.base_url(url.clone());
        }
        let source = poller_core::provider(&spec.provider)?.build_source(config)?;
        let interval = spec.options["interval_ms"].as_u64().unwrap_or(200);
        let deadline = spec.options["deadline_ms"].as_u64().unwrap_or(60_000);
        let policy = Fixed::new(ms(interval)).with_deadline(ms(deadline)).boxed();
        Ok((source, BoxPolicy::new(policy)))
    })
}

/// Fast settings: a tick of 100 ms, progress written every 100 ms, a lease of 1 s.
pub fn fast() -> WorkerOptions {
    WorkerOptions::default()
        .tick(ms(100))
        .lease(ms(1000))
        .flush_every(ms(100))
        .exit_when_idle(true)
}

pub fn worker(store: &Store, sim: &Simulator, name: &str) -> Worker {
    Worker::new(store.clone(), builder(sim))
        .name(name)
        .options(fast())
}

/// Waits (polling every 50 ms, real time) until `cond` holds, for at most `limit`.
pub async fn wait_until<F, Fut>(limit: Duration, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while !cond().await {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(ms(50)).await;
    }
}

/// Outcomes per task id; every task must have exactly one row.
pub fn by_task(outcomes: &[StoredOutcome]) -> HashMap<String, &StoredOutcome> {
    let mut map = HashMap::new();
    for o in outcomes {
        assert!(
            map.insert(o.task_id.clone(), o).is_none(),
            "two outcome rows for {}",
            o.task_id
        );
    }
    map
}

/// Requests the simulator saw per Narada task id.
pub fn requests_per_task(sim: &Simulator) -> HashMap<String, usize> {
    let mut map = HashMap::new();
    for r in sim.requests() {
        if let Some(id) = r.path().rsplit('/').next() {
            *map.entry(id.to_string()).or_default() += 1;
        }
    }
    map
}
