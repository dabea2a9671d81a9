//! The CLI as shell users run it (issue 15): pipes and signals, ids from anywhere, many tasks
//! off a terminal, visible trouble, one output contract, conditions, configuration, guard
//! rails.

use crate::helpers::*;
use poller_sim::{Fault, FaultPlan, RunwareTask, Script, TaskKey};
use serde_json::{Value, json};
use std::io::Read;
use std::time::Duration;

fn uuid(n: usize) -> String {
    format!("{n:08x}-0000-4000-8000-{n:012x}")
}

fn outcomes(run: &Run) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = run
        .json_lines()
        .iter()
        .map(|l| {
            (
                l["task_id"].as_str().unwrap().to_string(),
                l["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

// 1. Pipes and signals.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stdout_ends_the_wait_quietly() {
    let sim = sim().await;
    for (i, after) in [200, 3_000, 3_000].into_iter().enumerate() {
        sim.add_narada_task(
            format!("req_{i}"),
            Script::narada_success_after(ms(after), json!({"n": i})),
        );
    }
    let base = sim.narada_base_url();
    let argv = args(
        &[
            "wait",
            "narada",
            "req_0",
            "req_1",
            "req_2",
            "--base-url",
            &base,
            "--json",
        ],
        &FAST,
    );
    let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
    let run = tokio::task::spawn_blocking(move || {
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let mut p = Spawned::start(&argv, &[("NARADA_API_KEY", NARADA_KEY)], true);
        // `| head -1`: read one line, then close the pipe.
        let mut stdout = p.child.stdout.take().unwrap();
        let mut first = Vec::new();
        let mut byte = [0u8; 1];
        while stdout.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
            first.push(byte[0]);
        }
        drop(stdout);
        let started = std::time::Instant::now();
        let run = p.finish();
        (String::from_utf8(first).unwrap(), run, started.elapsed())
    })
    .await
    .unwrap();
    let (first, run, _) = run;
    let v: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(v["task_id"], "req_0");
    // The next result finds the pipe closed: exit with the code earned so far, no panic.
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("Broken pipe"), "{}", run.stderr);

    // The demo, too (`poller demo --quiet | head -2`).
    let run = tokio::task::spawn_blocking(|| {
        let mut p = Spawned::start(&["demo", "--quiet"], &[], true);
        let mut stdout = p.child.stdout.take().unwrap();
        let mut buf = [0u8; 16];
        stdout.read_exact(&mut buf).unwrap();
        drop(stdout);
        p.finish()
    })
    .await
    .unwrap();
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_prints_the_last_status_and_interrupted_json_lines() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let sim = sim().await;
    sim.add_narada_task("req_done", Script::narada_success_after(ms(0), json!({})));
    sim.add_narada_task(
        "req_long",
        Script::narada_success_after(Duration::from_secs(3600), json!({})),
    );
    let base = sim.narada_base_url();
    let argv = args(
        &[
            "wait",
            "narada",
            "req_done",
            "req_long",
            "--base-url",
            &base,
            "--json",
        ],
        &FAST,
    );
    let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
    let run = tokio::task::spawn_blocking(move || {
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let p = Spawned::start(&argv, &[("NARADA_API_KEY", NARADA_KEY)], false);
        p.wait_for_stderr("req_long: running (pending)");
        kill(Pid::from_raw(p.child.id() as i32), Signal::SIGTERM).unwrap();
        p.finish()
    })
    .await
    .unwrap();
    assert_eq!(run.code, 143, "{}", run.stderr);
    assert!(
        run.stderr.contains("terminated; last known status:")
            && run.stderr.contains("narada req_long: running (pending)"),
        "{}",
        run.stderr
    );
    assert_eq!(
        outcomes(&run),
        [
            ("req_done".into(), "succeeded".into()),
            ("req_long".into(), "interrupted".into())
        ]
    );
    let long = run
        .json_lines()
        .into_iter()
        .find(|l| l["task_id"] == "req_long")
        .unwrap();
    assert_eq!(long["phase"], "running");
    assert_eq!(long["status"], "pending");
    assert!(long["attempts"].as_u64().unwrap() >= 1);
}

// 2. Ids from anywhere.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_come_from_stdin_and_files_and_bad_ones_are_refused_before_any_request() {
    let sim = sim().await;
    for id in ["req_a", "req_b", "req_c"] {
        sim.add_narada_task(id, Script::narada_success_after(ms(0), json!({})));
    }
    let dir = std::env::temp_dir().join(format!("poller-ids-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ids.txt");
    std::fs::write(&file, "# from a file\nreq_c\n\nreq_a\n").unwrap();
    let base = sim.narada_base_url();
    let file_arg = file.display().to_string();
    let run = poller_with_stdin(
        &args(
            &[
                "wait",
                "narada",
                "-",
                "--ids-file",
                &file_arg,
                "--base-url",
                &base,
                "-o",
                "json",
            ],
            &FAST,
        ),
        &[("NARADA_API_KEY", NARADA_KEY)],
        Some("# ids\n\n  req_a\nreq_b  \n"),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ids: Vec<String> = outcomes(&run).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["req_a", "req_b", "req_c"], "each id once");

    sim.clear_requests();
    for (argv, stdin, needle) in [
        (
            vec!["wait", "narada", "req_a", ".."],
            None,
            "\"..\" (argument 2)",
        ),
        (
            vec!["wait", "narada", "-"],
            Some("req_a\n.\n"),
            "\".\" (stdin line 2)",
        ),
        (
            vec!["wait", "narada", "req_a", ""],
            None,
            "\"\" (argument 2) is empty",
        ),
        (
            vec!["wait", "narada", "-"],
            Some("# nothing\n"),
            "no task ids",
        ),
        (vec!["status", "narada", ".."], None, "task id \"..\""),
    ] {
        let argv = args(&argv, &["--base-url", &base]);
        let run = poller_with_stdin(&argv, &[("NARADA_API_KEY", NARADA_KEY)], stdin).await;
        assert_eq!(run.code, 2, "{argv:?}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{argv:?}: {}", run.stderr);
    }
    let missing = dir.join("missing.txt").display().to_string();
    let run = poller(
        &[
            "wait",
            "narada",
            "--ids-file",
            &missing,
            "--base-url",
            &base,
        ],
        &[("NARADA_API_KEY", NARADA_KEY)],
    )
    .await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&format!("cannot read {missing}")),
        "{}",
        run.stderr
    );
    assert_eq!(sim.request_count(), 0, "nothing is sent for bad input");
    let _ = std::fs::remove_dir_all(&dir);
}

// 3. Many tasks off a terminal.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_in_a_pipe_get_summary_lines_instead_of_every_change() {
    let sim = sim().await;
    let ids: Vec<String> = (0..120).map(uuid).collect();
    for (i, id) in ids.iter().enumerate() {
        sim.add_runware_task(
            id.as_str(),
            RunwareTask::video().with_generation(Script::runware_success_after(
                ms(300 + (i as u64 % 7) * 100),
                0.1,
            )),
        );
    }
    let base = sim.runware_base_url();
    let mut argv = vec!["wait", "runware", "--base-url", &base, "-o", "id"];
    argv.extend(FAST);
    argv.push("-");
    let run = poller_with_stdin(
        &argv,
        &[("RUNWARE_API_KEY", RUNWARE_KEY)],
        Some(&ids.join("\n")),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut printed: Vec<&str> = run.stdout.lines().collect();
    printed.sort();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(printed, expected, "-o id: every id that met the condition");
    // No line per change: a final summary line (the run is shorter than a summary period).
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(lines.len() <= 3, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("runware: 120 done, 0 failed, 0 running of 120"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("\x1b["), "no escape codes in a pipe");
}

// 4. Visible trouble.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_errors_show_as_they_happen() {
    let sim = sim().await;
    sim.add_narada_task("req_flaky", Script::narada_success_after(ms(0), json!({})));
    sim.inject_fault(
        TaskKey::narada("req_flaky"),
        FaultPlan::requests(1..=2, Fault::status(503)),
    );
    let run = poller(
        &args(
            &[
                "wait",
                "narada",
                "req_flaky",
                "--base-url",
                &sim.narada_base_url(),
            ],
            &FAST,
        ),
        &[("NARADA_API_KEY", NARADA_KEY)],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("narada req_flaky: HTTP 503, retrying in")
            && run.stderr.contains("(attempt 1)")
            && run.stderr.contains("(attempt 2)"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_down_shows_why_and_giving_up_names_the_cause() {
    let base = refused_base_url();
    let run = poller(
        &[
            "wait",
            "narada",
            "req_x",
            "--base-url",
            &base,
            "--timeout",
            "2500ms",
            "--json",
        ],
        &[("NARADA_API_KEY", NARADA_KEY)],
    )
    .await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("req_x: connection failed") && run.stderr.contains("retrying in"),
        "{}",
        run.stderr
    );
    let v = &run.json_lines()[0];
    assert_eq!(v["outcome"], "gave_up");
    assert_eq!(v["error"]["code"], "deadline");
    assert_eq!(v["error"]["cause"]["code"], "connection");

    // Human output says it too.
    let run = poller(
        &[
            "wait",
            "narada",
            "req_x",
            "--base-url",
            &base,
            "--timeout",
            "1s",
            "-q",
        ],
        &[("NARADA_API_KEY", NARADA_KEY)],
    )
    .await;
    assert_eq!(run.code, 3);
    // The cause, once: "last fetch failed: connection failed …", not repeated after it.
    assert!(
        run.stdout.contains("last fetch failed: connection failed")
            && run.stdout.matches("connection failed").count() == 1,
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_permanent_error_for_many_tasks_stops_the_wait_early() {
    let sim = sim().await;
    let ids: Vec<String> = (0..20).map(|i| format!("req_{i}")).collect();
    let base = sim.narada_base_url();
    let mut argv = vec![
        "wait",
        "narada",
        "--base-url",
        &base,
        "--api-key",
        "wrong-key",
    ];
    argv.extend(ids.iter().map(String::as_str));
    let run = poller(&argv, &[]).await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    let fails = run.stdout.lines().filter(|l| l.starts_with("FAIL")).count();
    assert_eq!(fails, 3, "{}", run.stdout);
    assert_eq!(
        run.stderr
            .matches("stopped waiting on 17 task(s): 3 tasks failed with the same error (HTTP 401")
            .count(),
        1,
        "{}",
        run.stderr
    );
    // --keep-going waits on every one.
    argv.push("--keep-going");
    let run = poller(&argv, &[]).await;
    assert_eq!(run.code, 5);
    assert_eq!(
        run.stdout.lines().filter(|l| l.starts_with("FAIL")).count(),
        20
    );
}

// 5. One output contract.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shares_waits_json_shape_and_exit_codes() {
    let sim = sim().await;
    sim.add_narada_task(
        "req_ok",
        Script::narada_success_after(ms(0), json!({"text": "hi"})),
    );
    sim.add_narada_task("req_bad", Script::narada_error_after(ms(0), "boom"));
    sim.add_narada_task(
        "req_input",
        Script::narada_input_then_success(ms(0), "Log in.", Duration::from_secs(3600), json!({})),
    );
    let base = sim.narada_base_url();
    let env = [("NARADA_API_KEY", NARADA_KEY)];
    let wait = poller(
        &args(
            &["wait", "narada", "req_ok", "--base-url", &base, "--json"],
            &FAST,
        ),
        &env,
    )
    .await;
    let wait_keys: Vec<String> = wait.json_lines()[0]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    for (id, code, outcome) in [
        ("req_ok", 0, "succeeded"),
        ("req_bad", 1, "failed"),
        ("req_input", 4, "needs_input"),
        ("req_nobody", 5, "fetch_error"),
    ] {
        let run = poller(
            &["status", "narada", id, "--base-url", &base, "--json"],
            &env,
        )
        .await;
        assert_eq!(run.code, code, "{id}: {}", run.stderr);
        let v = &run.json_lines()[0];
        assert_eq!(v["outcome"], outcome, "{v}");
        let keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, wait_keys, "{id}");
    }
    // -o output (the output alone, for jq) and -o id print only a task that met the
    // condition (succeeded), as exit 0 says.
    sim.add_narada_task(
        "req_running",
        Script::narada_success_after(Duration::from_secs(3600), json!({})),
    );
    for (id, format, code, printed) in [
        ("req_ok", "output", 0, "{\"text\":\"hi\"}\n"),
        ("req_ok", "id", 0, "req_ok\n"),
        ("req_input", "id", 4, ""),
        ("req_running", "id", 3, ""),
        ("req_running", "output", 3, ""),
    ] {
        let argv = ["status", "narada", id, "--base-url", &base, "-o", format];
        let run = poller(&argv, &env).await;
        assert_eq!((run.code, run.stdout.as_str()), (code, printed), "{argv:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_formats_print_what_met_the_condition_and_urls_are_never_cut() {
    let sim = sim().await;
    let url =
        "https://cdn.example.com/videos/2026/11/30/a-rather-long-file-name-for-the-result.mp4";
    let long = json!({"text": "x".repeat(400), "video": url});
    sim.add_narada_task("req_ok", Script::narada_success_after(ms(0), long.clone()));
    sim.add_narada_task("req_bad", Script::narada_error_after(ms(0), "boom"));
    let base = sim.narada_base_url();
    let env = [("NARADA_API_KEY", NARADA_KEY)];
    let both = ["wait", "narada", "req_ok", "req_bad", "--base-url", &base];
    let run = poller(&args(&args(&both, &["-o", "id"]), &FAST), &env).await;
    assert_eq!((run.code, run.stdout.as_str()), (1, "req_ok\n"));
    let run = poller(&args(&args(&both, &["-o", "output"]), &FAST), &env).await;
    let v: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(v, long);
    let run = poller(&args(&args(&both, &["-q"]), &FAST), &env).await;
    assert!(
        run.stdout.contains(&format!("url: {url}")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("FAIL narada req_bad"), "{}", run.stdout);
}

// 6. Conditions.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn until_and_fail_fast_decide_when_to_stop() {
    let sim = sim().await;
    let hour = Duration::from_secs(3600);
    sim.add_narada_task("req_long", Script::narada_success_after(hour, json!({})));
    sim.add_narada_task("req_bad", Script::narada_error_after(ms(200), "boom"));
    let base = sim.narada_base_url();
    let env = [("NARADA_API_KEY", NARADA_KEY)];

    // running: met as soon as the task runs.
    let run = poller(
        &args(
            &[
                "wait",
                "narada",
                "req_long",
                "--base-url",
                &base,
                "--json",
                "--until",
                "running",
            ],
            &FAST,
        ),
        &env,
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = &run.json_lines()[0];
    assert_eq!(
        (v["outcome"].as_str(), v["phase"].as_str()),
        (Some("in_progress"), Some("running"))
    );

    // final: a remote failure is an end like any other.
    let run = poller(
        &args(
            &[
                "wait",
                "narada",
                "req_bad",
                "--base-url",
                &base,
                "--until",
                "final",
                "-q",
            ],
            &FAST,
        ),
        &env,
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);

    // any-final and --fail-fast: one task's end stops the wait; the other is abandoned.
    for flag in [&["--until", "any-final"][..], &["--fail-fast"]] {
        let argv = args(
            &args(
                &[
                    "wait",
                    "narada",
                    "req_long",
                    "req_bad",
                    "--base-url",
                    &base,
                    "--json",
                ],
                flag,
            ),
            &FAST,
        );
        let run = poller(&argv, &env).await;
        assert_eq!(run.code, 1, "{flag:?}: {}", run.stderr);
        assert_eq!(
            outcomes(&run),
            [
                ("req_bad".into(), "failed".into()),
                ("req_long".into(), "abandoned".into())
            ],
            "{flag:?}"
        );
        assert!(
            run.stderr.contains("stopped waiting on 1 task(s)"),
            "{}",
            run.stderr
        );
    }
}

// 7. Configuration.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base_urls_and_keys_come_from_the_environment_and_files() {
    let sim = sim().await;
    sim.add_narada_task("req_ok", Script::narada_success_after(ms(0), json!({})));
    let base = sim.narada_base_url();
    for var in ["POLLER_BASE_URL", "NARADA_BASE_URL"] {
        let run = poller(
            &["status", "narada", "req_ok"],
            &[(var, &base), ("NARADA_API_KEY", NARADA_KEY)],
        )
        .await;
        assert_eq!(run.code, 0, "{var}: {}", run.stderr);
    }
    let dir = std::env::temp_dir().join(format!("poller-key-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("key");
    std::fs::write(&key_file, format!("{NARADA_KEY}\n")).unwrap();
    let key_arg = key_file.display().to_string();
    let run = poller(
        &[
            "status",
            "narada",
            "req_ok",
            "--base-url",
            &base,
            "--api-key-file",
            &key_arg,
        ],
        &[("NARADA_API_KEY", "wrong")],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::write(&key_file, "\n").unwrap();
    let run = poller(
        &[
            "status",
            "narada",
            "req_ok",
            "--base-url",
            &base,
            "--api-key-file",
            &key_arg,
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("first line is empty"), "{}", run.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_names_the_url_asked() {
    let sim = sim().await;
    let id = uuid(1);
    sim.add_runware_task(
        id.as_str(),
        RunwareTask::video().with_generation(Script::runware_success_after(ms(0), 0.1)),
    );
    // Runware's base URL without its /v1.
    let base = sim.base_url().trim_end_matches('/').to_string();
    let run = poller(
        &["status", "runware", &id, "--base-url", &base],
        &[("RUNWARE_API_KEY", RUNWARE_KEY)],
    )
    .await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("HTTP 404 for {base}/")),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dari_waiting_for_input_stops_on_input_through_the_jobs_revision() {
    use poller_sim::DariStage;
    let sim = sim().await;
    let org = sim.keys().dari_org.clone();
    let job = "550e8400-e29b-41d4-a716-446655440000";
    sim.add_dari_job(
        &org,
        "contact_form",
        job,
        Script::new(DariStage::running("Opening page")).then_after(
            ms(200),
            DariStage::waiting_for_input("What is the order number?"),
        ),
    );
    let org_param = format!("org_id={org}");
    let dari = sim.dari_base_url();
    let argv = args(
        &[
            "wait",
            "dari",
            job,
            "--base-url",
            &dari,
            "--param",
            &org_param,
            "--param",
            "endpoint_name=contact_form",
            "--stop-on-input",
            "--json",
            "--timeout",
            "3s",
        ],
        &["--interval", "100ms"],
    );
    let run = poller(&argv, &[("DARI_API_KEY", DARI_KEY)]).await;
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert_eq!(run.json_lines()[0]["status"], "waiting_for_input");
    // The older path shows the same job as paused: the flag cannot fire there.
    let run = poller(
        &args(&argv, &["--param", "revision=task"]),
        &[("DARI_API_KEY", DARI_KEY)],
    )
    .await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(run.json_lines()[0]["status"], "paused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_and_version() {
    let run = poller(&["completions", "bash"], &[]).await;
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("_poller()") && run.stdout.contains("--until"),
        "{}",
        &run.stdout[..200.min(run.stdout.len())]
    );
    let run = poller(&["completions", "zsh"], &[]).await;
    assert!(run.stdout.starts_with("#compdef poller"));
    let run = poller(&["--version"], &[]).await;
    let version = run.stdout.trim();
    let commit = version
        .strip_prefix(&format!("poller {} (", env!("CARGO_PKG_VERSION")))
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{version}"));
    assert!(
        commit == "unknown" || (commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{version}"
    );
}

// 8. Guard rails.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_that_cannot_work_are_refused() {
    let env: &[(&str, &str)] = &[("NARADA_API_KEY", "k")];
    let cases: [(&[&str], &str); 8] = [
        (
            &["wait", "narada", "t1", "--interval", "0s"],
            "minimum gap between polls (100ms)",
        ),
        (
            &["wait", "narada", "t1", "--interval", "50ms"],
            "--interval 50ms is below",
        ),
        (
            &[
                "wait",
                "narada",
                "t1",
                "--interval",
                "10s",
                "--max-interval",
                "1s",
            ],
            "shorter than --interval",
        ),
        (&["wait", "narada", "t1", "--log", "bogus"], "'bogus'"),
        (
            &["wait", "narada", "t1", "--json", "-o", "id"],
            "cannot be used with",
        ),
        (
            &["wait", "narada", "t1", "--fail-fast", "--keep-going"],
            "cannot be used with",
        ),
        (
            &[
                "wait",
                "narada",
                "t1",
                "--api-key",
                "k",
                "--api-key-file",
                "f",
            ],
            "cannot be used with",
        ),
        (
            &["wait", "narada", "t1", "--max-attempts", "0"],
            "--max-attempts",
        ),
    ];
    for (argv, needle) in cases {
        let run = poller(argv, env).await;
        assert_eq!(run.code, 2, "{argv:?}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{argv:?}: {}", run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_in_a_pipe_carry_no_colour() {
    let sim = sim().await;
    sim.add_narada_task("req_ok", Script::narada_success_after(ms(0), json!({})));
    let run = poller(
        &[
            "--log",
            "debug",
            "wait",
            "narada",
            "req_ok",
            "--base-url",
            &sim.narada_base_url(),
        ],
        &[("NARADA_API_KEY", NARADA_KEY)],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("DEBUG"), "{}", run.stderr);
    assert!(!run.stderr.contains('\x1b'), "{:?}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_documents_every_flag_command_and_exit_code_of_help() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("## The command-line tool").unwrap();
    let end = readme[start..].find("\n## ").unwrap() + start;
    let section = &readme[start..end];
    let flag = |word: &str| {
        let w = word.trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '-'));
        (w.starts_with("--") && w.len() > 2).then(|| w.to_string())
    };
    for argv in [
        &["--help"][..],
        &["wait", "--help"],
        &["status", "--help"],
        &["submit", "--help"],
        &["demo", "--help"],
    ] {
        let help = poller(argv, &[]).await.stdout;
        let options = &help[help.find("Options:").unwrap()..];
        let options = &options[..options.find("\n\n").unwrap_or(options.len())];
        for f in options.split_whitespace().filter_map(flag) {
            if f == "--help" || (f == "--version" && argv.len() > 1) {
                continue;
            }
            assert!(
                section.contains(&f),
                "README's CLI section lacks {f} ({argv:?})"
            );
        }
        if let Some(codes) = help.find("EXIT CODES") {
            for line in help[codes..].lines().skip(1) {
                let Some(code) = line
                    .split_whitespace()
                    .next()
                    .filter(|w| w.parse::<u8>().is_ok())
                else {
                    continue;
                };
                assert!(
                    section.contains(&format!("| {code} |")),
                    "README lacks exit code {code}"
                );
            }
        }
    }
    let help = poller(&["--help"], &[]).await.stdout;
    let commands = &help[help.find("Commands:").unwrap()..help.find("Options:").unwrap()];
    for line in commands.lines().skip(1) {
        let Some(name) = line.split_whitespace().next().filter(|n| *n != "help") else {
            continue;
        };
        assert!(
            section.contains(&format!("poller {name}")),
            "README lacks `poller {name}`"
        );
    }
    // 130 and 143, which the parsing above reads from one line.
    assert!(section.contains("| 143 |"));
}
