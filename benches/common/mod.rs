//! Helpers shared by the benchmarks: a seedable random source and per-process CPU and memory
//! figures from `/proc`.
#![allow(dead_code)] // each benchmark uses its own subset

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

/// Draw `i` of a log-normal distribution (the median and sigma given; Box-Muller on two
/// splitmix draws seeded from `seed` and `i`), the same in every process.
pub fn log_normal(seed: u64, i: usize, median_secs: f64, sigma: f64) -> std::time::Duration {
    let mut s = seed ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
    let u1 = unit(&mut s).max(1e-12);
    let u2 = unit(&mut s);
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    std::time::Duration::from_secs_f64(median_secs * (sigma * z).exp())
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
