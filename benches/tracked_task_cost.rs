//! Tracked-task cost: bytes per tracked task and CPU per poll decision.
//!
//! Tracks N tasks (default 100,000 and 1,000,000; pass sizes as arguments for other runs) of
//! an in-process `TimedSource` in one `Tracker`, in paused tokio time, and measures:
//! - heap bytes per tracked task, with a counting global allocator, once every task has been
//!   polled at least once (so each holds its last status);
//! - CPU per poll decision: process CPU time over the whole run divided by the polls made
//!   (each poll: timer expiry, fetch, record, next decision, timer insert).

use futures::StreamExt;
use poller_core::testing::TimedSource;
use poller_core::{BoxPolicy, Exponential, SourceOptions, Tracker, TrackerEvent};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

mod common;
use common::{cpu_seconds, peak_rss_mib};

#[global_allocator]
static ALLOC: Counting = Counting;

async fn run(n: usize) {
    let source = Arc::new(TimedSource::new("timed"));
    let before_tasks = LIVE.load(Ordering::Relaxed);
    for i in 0..n {
        // Durations spread over 10 min to 20 min, so every task is polled several times.
        source.add_task(
            format!("task-{i:07}"),
            Duration::from_secs(600 + (i as u64 * 7) % 600),
        );
    }
    let source_bytes = LIVE.load(Ordering::Relaxed) - before_tasks;

    let policy = Exponential::new(Duration::from_secs(1), 1.5, Duration::from_secs(60));
    let base = LIVE.load(Ordering::Relaxed);
    let mut tracker = Tracker::<()>::new()
        .max_in_flight(usize::MAX)
        .fetch_timeout(None);
    let id = tracker.add_source_with(
        source.clone(),
        BoxPolicy::new(policy),
        SourceOptions::default(),
    );
    for i in 0..n {
        tracker.track(id, format!("task-{i:07}"));
    }
    let cpu_start = cpu_seconds("self");
    let wall = std::time::Instant::now();
    let mut sampled = None;
    let mut finished = 0usize;
    // Sample memory at 5 min of virtual time: every task polled, none finished.
    let sample_at = tokio::time::Instant::now() + Duration::from_secs(300);
    loop {
        tokio::select! {
            biased;
            _ = tokio::time::sleep_until(sample_at), if sampled.is_none() => {
                sampled = Some(LIVE.load(Ordering::Relaxed) - base);
            }
            event = tracker.next() => match event {
                Some(TrackerEvent::Finished { .. }) => finished += 1,
                Some(_) => {}
                None => break,
            },
        }
    }
    let cpu = cpu_seconds("self") - cpu_start;
    let polls: usize = source.calls().len();
    assert_eq!(finished, n);
    let bytes = sampled.expect("sampled") as f64 / n as f64;
    println!(
        "tracked_task_cost tasks={n} bytes_per_tracked_task={bytes:.0} (goal < 1024: {}) polls={polls} \
         cpu_per_poll_decision={:.2}us cpu={cpu:.2}s wall={:.2}s peak_rss={:.0}MiB (source's own table {:.0} B/task, not counted)",
        if bytes < 1024.0 { "MET" } else { "MISSED" },
        cpu / polls as f64 * 1e6,
        wall.elapsed().as_secs_f64(),
        peak_rss_mib(),
        source_bytes as f64 / n as f64,
    );
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![100_000, 1_000_000]
    } else {
        sizes
    };
    for n in sizes {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        rt.block_on(run(n));
    }
}
