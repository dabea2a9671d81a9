//! Issue #6, item 2: the soak. Thousands of tasks over the four simulated providers, waited
//! on by one [`Tracker`] (Runware's in batches), with 10 % of all requests spoiled by a
//! random fault: every task reaches exactly one outcome, and it is the one its script
//! ends in (succeeded with its own output, or failed with its own message); none is lost,
//! none reported twice.
//!
//! Runs in virtual time, so the tasks' minutes pass at once; the simulator keeps only the
//! newest requests in its log ([`max_logged_requests`](poller_sim::SimulatorBuilder)), so
//! memory stays bounded. `POLLER_SOAK_TASKS` sets the number of tasks (default
//! [`DEFAULT_TASKS`], the 10,000).

use crate::helpers::{ENDPOINT, End, ORG, Prov, SLUG};
use futures::StreamExt;
use poller_core::{
    ErrorPolicy, Exponential, Jitter, SourceConfig, SourceId, Tracker, TrackerEvent,
};
use poller_sim::{Fault, RandomFaults, Simulator};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// Tasks in the default run: the full 10,000 (about 16 s in a debug build on two
/// cores). Set `POLLER_SOAK_TASKS` lower for a quicker run, or higher for a longer one.
pub const DEFAULT_TASKS: usize = 10_000;

/// The share of requests that get a random fault.
const FAULT_RATE: f64 = 0.10;

fn tasks() -> usize {
    match std::env::var("POLLER_SOAK_TASKS") {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("POLLER_SOAK_TASKS={v:?} is not a number")),
        Err(_) => DEFAULT_TASKS,
    }
}

/// Every fault a client must ride out or accept: 5xx, 429 with `Retry-After`, a 502 HTML
/// page, resets mid-body (the simulator's transient set), plus truncated JSON, an empty
/// 503, extra fields, a slow answer within the 30 s timeout and one beyond it.
fn kinds() -> Vec<Fault> {
    let mut kinds = Fault::transient_kinds();
    kinds.extend([
        Fault::TruncatedJson,
        Fault::EmptyBody { code: 503 },
        Fault::ExtraFields,
        Fault::slow(Duration::from_secs(2)),
        Fault::slow(Duration::from_secs(45)),
    ]);
    kinds
}

#[tokio::test(start_paused = true)]
async fn soak() {
    let n = tasks();
    let real = std::time::Instant::now();
    let sim = Simulator::builder()
        .max_logged_requests(2_000)
        .start()
        .await
        .unwrap();
    let keys = sim.keys().clone();

    // The four sources as the CLI builds them: registry, default transport, documented
    // schedules and deadlines.
    let mut tracker = Tracker::new().error_policy(ErrorPolicy::new(
        20,
        Exponential::new(Duration::from_secs(1), 2.0, Duration::from_secs(10)).jitter(Jitter::Full),
    ));
    let mut sources: HashMap<Prov, SourceId> = HashMap::new();
    for prov in Prov::ALL {
        let base = match prov {
            Prov::Runware => sim.runware_base_url(),
            Prov::Vessl => sim.vessl_base_url(SLUG),
            _ => sim.base_url().to_string(),
        };
        let mut config = SourceConfig::new().base_url(base).api_key(prov.key(&keys));
        if prov == Prov::Dari {
            config = config.param("org_id", ORG).param("endpoint_name", ENDPOINT);
        }
        let provider = poller_providers::get(prov.name()).unwrap();
        let id = tracker.add_source(provider.build_source(config).unwrap(), provider.policy());
        sources.insert(prov, id);
    }

    // Tasks of every provider, a fifth of them failing remotely, ending between 0 and 90 s.
    let mut expected: HashMap<String, (Prov, End)> = HashMap::with_capacity(n);
    for i in 0..n {
        let prov = Prov::ALL[i % 4];
        let end = if i % 5 == 2 { End::Fail } else { End::Succeed };
        let id = format!("{}-{i:05}", prov.name());
        let after = Duration::from_millis((i as u64 * 7_919) % 90_000);
        prov.add_task(&sim, &id, end, after);
        tracker.track(sources[&prov], id.clone());
        expected.insert(id, (prov, end));
    }
    sim.set_random_faults_with(RandomFaults::new(FAULT_RATE, 0x5eed_0006).with_kinds(kinds()));

    let mut finished: HashSet<String> = HashSet::with_capacity(n);
    let mut attempts = 0u64;
    let mut by_kind: HashMap<String, usize> = HashMap::new();
    let start = tokio::time::Instant::now();
    let run = async {
        while let Some(event) = tracker.next().await {
            let TrackerEvent::Finished { source, report } = event else {
                continue;
            };
            let (prov, end) = expected
                .get(&report.task_id)
                .copied()
                .unwrap_or_else(|| panic!("a report for an unknown task {:?}", report.task_id));
            assert_eq!(source, sources[&prov], "{}", report.task_id);
            prov.check_outcome(&report.outcome, &report.task_id, end);
            assert!(
                finished.insert(report.task_id.clone()),
                "{} reported twice",
                report.task_id
            );
            attempts += u64::from(report.attempts);
            *by_kind
                .entry(report.outcome.kind().to_string())
                .or_default() += 1;
        }
    };
    // Bounded: the longest default deadline is an hour; the wait is cut well after it.
    tokio::time::timeout(Duration::from_secs(3 * 3600), run)
        .await
        .expect("the tracker ended within three hours of virtual time");
    let virtual_time = start.elapsed();

    assert_eq!(finished.len(), n, "tasks lost: {}", n - finished.len());
    assert!(tracker.is_empty());
    assert_eq!(by_kind.values().sum::<usize>(), n);

    // The faults did happen, at about the configured rate (over the newest requests).
    let log = sim.requests();
    let faulted = log.iter().filter(|r| r.fault.is_some()).count();
    let share = faulted as f64 / log.len() as f64;
    assert!(
        (0.05..0.15).contains(&share),
        "{faulted} of the last {} requests had a fault",
        log.len()
    );
    assert!(log.len() <= 2_000, "the log stays bounded");
    eprintln!(
        "soak: {n} tasks, {attempts} fetches, outcomes {by_kind:?}, 0 lost, 0 twice; \
         {virtual_time:?} virtual, {:?} real",
        real.elapsed()
    );
}
