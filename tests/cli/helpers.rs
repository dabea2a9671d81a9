//! What every CLI test shares: the simulator with distinctive keys, and running the binary
//! with a clean environment while checking that no key leaks into its output.

use poller_sim::{Keys, Simulator};
use serde_json::Value;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

pub const NARADA_KEY: &str = "sk-narada-5ecret-7f3a";
pub const RUNWARE_KEY: &str = "sk-runware-5ecret-9b1c";
pub const DARI_KEY: &str = "sk-dari-5ecret-2d4e";
pub const VESSL_KEY: &str = "sk-vessl-5ecret-6a8f";
pub const ALL_KEYS: [&str; 4] = [NARADA_KEY, RUNWARE_KEY, DARI_KEY, VESSL_KEY];
pub const KEY_VARS: [&str; 5] = [
    "POLLER_API_KEY",
    "NARADA_API_KEY",
    "RUNWARE_API_KEY",
    "DARI_API_KEY",
    "VESSL_API_TOKEN",
];

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub async fn sim() -> Simulator {
    let keys = Keys {
        narada: NARADA_KEY.into(),
        runware: RUNWARE_KEY.into(),
        dari: DARI_KEY.into(),
        vessl: VESSL_KEY.into(),
        ..Keys::default()
    };
    Simulator::builder()
        .keys(keys)
        .start()
        .await
        .expect("simulator starts")
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }
}

/// Variables that would change where requests go or how output looks.
pub const OTHER_VARS: [&str; 6] = [
    "POLLER_BASE_URL",
    "NARADA_BASE_URL",
    "RUNWARE_BASE_URL",
    "DARI_BASE_URL",
    "VESSL_BASE_URL",
    "NO_COLOR",
];

/// The binary with `args` and `env`, no key or base URL variable inherited.
pub fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_poller"));
    cmd.args(args).stdin(Stdio::null());
    for var in KEY_VARS.iter().chain(&OTHER_VARS) {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Asserts that no key appears in `text`.
pub fn assert_no_key(text: &str) {
    for key in ALL_KEYS {
        assert!(!text.contains(key), "key leaked: {text}");
    }
}

/// Runs the binary with `args` and `env` (no key variables inherited), off the runtime so the
/// simulator keeps serving, and checks that no key leaked into its output.
pub async fn poller(args: &[&str], env: &[(&str, &str)]) -> Run {
    poller_with_stdin(args, env, None).await
}

/// [`poller`], with `stdin` as its standard input.
pub async fn poller_with_stdin(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    use std::io::Write;
    let mut cmd = command(args, env);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let input = stdin.map(str::to_owned);
    let out: Output = tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn()?;
        if let (Some(text), Some(mut pipe)) = (input, child.stdin.take()) {
            pipe.write_all(text.as_bytes())?;
        }
        child.wait_with_output()
    })
    .await
    .unwrap()
    .unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_no_key(&run.stdout);
    assert_no_key(&run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// Arguments, environment, and what the error message must say.
pub type UsageCase = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    &'static str,
);

/// The shortest interval the CLI accepts (the poll loop's minimum gap).
pub const FAST: [&str; 4] = ["--interval", "100ms", "--timeout", "20s"];

pub fn args<'a>(head: &[&'a str], tail: &[&'a str]) -> Vec<&'a str> {
    head.iter().chain(tail).copied().collect()
}

/// A running `poller` whose stderr (and stdout unless taken) is collected by reader threads.
pub struct Spawned {
    pub child: std::process::Child,
    pub stderr: std::sync::Arc<std::sync::Mutex<String>>,
    pub stdout: std::sync::Arc<std::sync::Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

pub type Collected = (
    std::sync::Arc<std::sync::Mutex<String>>,
    std::thread::JoinHandle<()>,
);

/// Reads `pipe` to its end on a thread, into the returned text.
pub fn collect_into(mut pipe: impl std::io::Read + Send + 'static) -> Collected {
    let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = text.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    (text, reader)
}

impl Spawned {
    /// Starts the binary; with `keep_stdout` the caller reads stdout itself (`child.stdout`).
    pub fn start(args: &[&str], env: &[(&str, &str)], keep_stdout: bool) -> Spawned {
        let mut cmd = command(args, env);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let (stderr, reader) = collect_into(child.stderr.take().unwrap());
        let mut readers = vec![reader];
        let stdout = if keep_stdout {
            Default::default()
        } else {
            let (stdout, reader) = collect_into(child.stdout.take().unwrap());
            readers.push(reader);
            stdout
        };
        Spawned {
            child,
            stderr,
            stdout,
            readers,
        }
    }

    /// Blocks until stderr holds `needle` (at most 20 s, then panics with what it holds).
    pub fn wait_for_stderr(&self, needle: &str) {
        let start = std::time::Instant::now();
        while !self.stderr.lock().unwrap().contains(needle) {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "{needle:?} never came: {}",
                self.stderr.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the exit; returns the code and everything collected (keys checked).
    pub fn finish(mut self) -> Run {
        let status = self.child.wait().unwrap();
        for reader in self.readers.drain(..) {
            reader.join().unwrap();
        }
        let run = Run {
            code: status.code().unwrap_or(-1),
            stdout: self.stdout.lock().unwrap().clone(),
            stderr: self.stderr.lock().unwrap().clone(),
        };
        assert_no_key(&run.stdout);
        assert_no_key(&run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        run
    }
}

/// A loopback base URL where nothing listens: every connection is refused.
pub fn refused_base_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}
