//! The CLI on a real terminal (a pseudo-terminal from portable-pty): thousands of tasks get
//! one aggregate line from one ticker, a bounded number of threads, and Ctrl-C (the byte
//! 0x03 typed into the terminal) ends the wait with the summary; TERM=dumb gets plain lines.

use crate::helpers::*;
use poller_sim::{RunwareTask, Script};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A `poller` on its own pseudo-terminal of `rows` × 120, its screen output collected.
struct OnTerminal {
    child: Box<dyn portable_pty::Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    screen: Arc<Mutex<String>>,
    reader: std::thread::JoinHandle<()>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl OnTerminal {
    fn start(args: &[&str], env: &[(&str, &str)], rows: u16) -> OnTerminal {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols: 120,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_poller"));
        cmd.args(args);
        for var in KEY_VARS.iter().chain(&OTHER_VARS) {
            cmd.env_remove(var);
        }
        cmd.env("TERM", "xterm-256color");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let output = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        // Drained all along, or the program would block writing to the terminal.
        let (screen, reader) = collect_into(output);
        OnTerminal {
            child,
            writer,
            screen,
            reader,
            _master: pair.master,
        }
    }

    fn wait_for(&self, needle: &str) {
        let start = Instant::now();
        while !self.screen.lock().unwrap().contains(needle) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{needle:?} never showed: {}",
                self.screen.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn threads(&self) -> usize {
        let pid = self.child.process_id().unwrap();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("Threads:"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// Waits for the exit; returns the code and the whole screen output.
    fn finish(mut self) -> (u32, String) {
        let status = self.child.wait().unwrap();
        drop(self._master);
        let _ = self.reader.join();
        let screen = self.screen.lock().unwrap().clone();
        assert_no_key(&screen);
        assert!(!screen.contains("panicked"), "{screen}");
        (status.exit_code(), screen)
    }
}

/// `n` Runware tasks, each one generation succeeding after `after`, and a file of their ids;
/// returns the ids, the file, and `wait runware --ids-file FILE --base-url URL --interval 500ms`.
fn runware_tasks(
    sim: &poller_sim::Simulator,
    n: usize,
    after: Duration,
    name: &str,
) -> (Vec<String>, std::path::PathBuf, Vec<String>) {
    let ids: Vec<String> = (0..n)
        .map(|n| format!("{n:08x}-0000-4000-8000-{n:012x}"))
        .collect();
    for id in &ids {
        sim.add_runware_task(
            id.as_str(),
            RunwareTask::video().with_generation(Script::runware_success_after(after, 0.1)),
        );
    }
    let file = std::env::temp_dir().join(format!("poller-{name}-{}.txt", std::process::id()));
    std::fs::write(&file, ids.join("\n")).unwrap();
    let argv = [
        "wait",
        "runware",
        "--ids-file",
        &file.display().to_string(),
        "--base-url",
        &sim.runware_base_url(),
        "--interval",
        "500ms",
    ]
    .map(str::to_string)
    .to_vec();
    (ids, file, argv)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_ids_on_a_terminal_one_aggregate_line_few_threads_and_a_prompt_ctrl_c() {
    const N: usize = 2_000;
    let sim = sim().await;
    let (_, ids_file, argv) = runware_tasks(&sim, N, Duration::from_secs(3600), "pty");
    let (code, screen, threads, took) = tokio::task::spawn_blocking(move || {
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let mut term = OnTerminal::start(&argv, &[("RUNWARE_API_KEY", RUNWARE_KEY)], 40);
        // The aggregate line, and a task's row with its request count.
        term.wait_for(&format!("0 done, 0 failed, {N} running of {N} ·"));
        term.wait_for("running (processing), 0% · 2 request(s)");
        let threads = term.threads();
        let typed = Instant::now();
        term.writer.write_all(b"\x03").unwrap();
        term.writer.flush().unwrap();
        let (code, screen) = term.finish();
        (code, screen, threads, typed.elapsed())
    })
    .await
    .unwrap();
    let _ = std::fs::remove_file(&ids_file);
    eprintln!("{N} tasks on a terminal: {threads} threads; Ctrl-C to exit took {took:?}");
    assert_eq!(code, 130, "{screen}");
    // Threads do not grow with the number of tasks: main, two workers, a few blocking ones.
    assert!(threads <= 8, "{threads} threads");
    // The summary: the tasks' last status, grouped, and the aggregate.
    assert!(
        screen.contains("interrupted; last known status:"),
        "{screen}"
    );
    let grouped: usize = screen
        .lines()
        .filter_map(|l| l.trim().split_once(" task(s): "))
        .map(|(n, _)| n.parse::<usize>().unwrap())
        .sum();
    assert_eq!(grouped, N, "every task in the summary: {screen}");
    assert!(
        screen.contains(" task(s): running (processing)"),
        "{screen}"
    );
    // The frame never listed the rows (they do not fit 40 lines), and did not need a thread
    // per task to do so.
    assert!(
        screen.matches("waiting for the first poll").count() <= 2 * 6,
        "rows were drawn: {}",
        &screen[..2_000.min(screen.len())]
    );
    // Generous: nothing hangs after the signal.
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dumb_terminal_gets_plain_lines() {
    let sim = sim().await;
    sim.add_narada_task(
        "req_ok",
        Script::narada_success_after(ms(300), serde_json::json!({})),
    );
    let base = sim.narada_base_url();
    let (code, screen) = tokio::task::spawn_blocking(move || {
        let argv = args(&["wait", "narada", "req_ok", "--base-url", &base], &FAST);
        OnTerminal::start(
            &argv,
            &[("NARADA_API_KEY", NARADA_KEY), ("TERM", "dumb")],
            24,
        )
        .finish()
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("] narada req_ok: running (pending)"),
        "{screen}"
    );
    assert!(!screen.contains("\x1b["), "{screen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colour_on_a_terminal_unless_no_color_is_set() {
    let sim = sim().await;
    let base = sim.narada_base_url();
    let mut screens = Vec::new();
    for no_color in [None, Some("1")] {
        // One task ends early, so that its row is drawn (green) while the other runs.
        sim.add_narada_task(
            "req_quick",
            Script::narada_success_after(ms(0), serde_json::json!({})),
        );
        sim.add_narada_task(
            "req_slow",
            Script::narada_success_after(ms(700), serde_json::json!({})),
        );
        let base = base.clone();
        let (code, screen) = tokio::task::spawn_blocking(move || {
            let argv = args(
                &[
                    "wait",
                    "narada",
                    "req_quick",
                    "req_slow",
                    "--base-url",
                    &base,
                ],
                &FAST,
            );
            let mut env = vec![("NARADA_API_KEY", NARADA_KEY)];
            env.extend(no_color.map(|v| ("NO_COLOR", v)));
            OnTerminal::start(&argv, &env, 24).finish()
        })
        .await
        .unwrap();
        assert_eq!(code, 0, "{screen}");
        assert!(screen.contains("✓ narada req_quick: succeeded"), "{screen}");
        screens.push(screen);
    }
    let green = "\x1b[32m";
    assert!(screens[0].contains(green), "{:?}", screens[0]);
    assert!(!screens[1].contains(green), "NO_COLOR: {:?}", screens[1]);
}

/// CPU time (user + system) the process used so far, from /proc.
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses): utime and stime are 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().ok()? + fields[12].parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_ids_that_finish_end_with_the_aggregate_line() {
    const N: usize = 2_000;
    let sim = sim().await;
    let (ids, ids_file, mut argv) = runware_tasks(&sim, N, Duration::from_secs(3), "pty-done");
    argv.extend(["-o".to_string(), "id".to_string()]);
    let (code, screen, wall, cpu) = tokio::task::spawn_blocking(move || {
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let started = Instant::now();
        let term = OnTerminal::start(&argv, &[("RUNWARE_API_KEY", RUNWARE_KEY)], 40);
        let pid = term.child.process_id().unwrap();
        // Sample the CPU time until the process is gone: the last sample is within 20 ms.
        let mut cpu = Duration::ZERO;
        while let Some(t) = cpu_time(pid) {
            cpu = t;
            if term.screen.lock().unwrap().contains(&format!("{N} done")) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let (code, screen) = term.finish();
        (code, screen, started.elapsed(), cpu)
    })
    .await
    .unwrap();
    let _ = std::fs::remove_file(&ids_file);
    eprintln!("{N} tasks finishing after 3 s, on a terminal: {wall:?} wall, {cpu:?} CPU");
    assert_eq!(code, 0, "{}", &screen[screen.len().saturating_sub(2_000)..]);
    assert!(
        screen.contains(&format!("runware: {N} done, 0 failed, 0 running of {N}")),
        "{}",
        &screen[screen.len().saturating_sub(2_000)..]
    );
    // Every id was printed on a line of its own (-o id), between the frames; on a row it
    // would be followed by a colon.
    for id in &ids {
        assert!(screen.contains(&format!("{id}\r\n")), "{id} not printed");
    }
}
