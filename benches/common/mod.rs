//! Helpers shared by the benchmarks: a seedable random source, percentiles, wall-clock
//! microseconds and per-process CPU and memory figures from `/proc`.
#![allow(dead_code)] // each benchmark uses its own subset

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// splitmix64: a small deterministic generator, so every run draws the same workload.
pub fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform draw in [0, 1).
pub fn unit(state: &mut u64) -> f64 {
    (splitmix(state) >> 11) as f64 / (1u64 << 53) as f64
}

/// A standard normal draw (Box-Muller).
pub fn normal(state: &mut u64) -> f64 {
    let u1 = unit(state).max(1e-12);
    let u2 = unit(state);
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Nearest-rank percentile of sorted values (NaN when there are none).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Microseconds since the Unix epoch.
pub fn unix_micros(t: std::time::SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros() as u64
}

/// Draw `i` of a log-normal distribution (the median and sigma given; Box-Muller on two
/// splitmix draws seeded from `seed` and `i`), the same in every process.
pub fn log_normal(seed: u64, i: usize, median_secs: f64, sigma: f64) -> std::time::Duration {
    let mut s = seed ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
    std::time::Duration::from_secs_f64(median_secs * (sigma * normal(&mut s)).exp())
}

/// User and system CPU seconds of a process (`"self"` or a pid), from /proc/<pid>/stat
/// (clock ticks of 10 ms).
pub fn cpu_split(pid: &str) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) / 100.0, ticks(12) / 100.0)
}

/// User + system CPU seconds of a process (`"self"` or a pid).
pub fn cpu_seconds(pid: &str) -> f64 {
    let (user, system) = cpu_split(pid);
    user + system
}

/// This process's peak resident set size (VmHWM), in MiB.
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A tokio runtime with two worker threads, as the benchmarks' helper processes use.
pub fn two_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// A helper process (the benchmark binary re-executed with one argument, such as `--serve`)
/// driven by one-line commands on its stdin, each answered by one line on its stdout.
pub struct LineProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl LineProcess {
    /// Starts `exe args…` with piped stdin and stdout.
    pub fn start(exe: &std::path::Path, args: &[&str]) -> LineProcess {
        let mut child = Command::new(exe)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the helper process");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        LineProcess {
            child,
            stdin,
            stdout,
        }
    }

    /// The next line it printed, trimmed.
    pub fn read_line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("helper output");
        line.trim().to_string()
    }

    /// Sends `cmd` and returns the numbers of the answer after its first word.
    pub fn command(&mut self, cmd: &str) -> Vec<u64> {
        let stdin = self.stdin.as_mut().expect("helper input still open");
        writeln!(stdin, "{cmd}").expect("helper input");
        stdin.flush().expect("helper input");
        self.read_line()
            .split_whitespace()
            .skip(1)
            .map(|w| w.parse().expect("a number"))
            .collect()
    }

    /// Its user + system CPU seconds so far.
    pub fn cpu(&self) -> f64 {
        cpu_seconds(&self.child.id().to_string())
    }

    /// Closes its stdin (its signal to stop) and waits for it to exit.
    pub fn finish(mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}
