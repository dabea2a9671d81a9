//! The contract scripts rely on: exit codes, the JSON shape, where keys come from,
//! parameters, several ids, bad input, Ctrl-C, help.

use crate::helpers::*;
use poller_sim::{Fault, FaultPlan, RunwareTask, Script, TaskKey};
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_succeeds_with_exit_0_and_the_documented_json_shape() {
    let sim = sim().await;
    sim.add_narada_task(
        "req_ok",
        Script::narada_success_after(ms(300), json!({"text": "done"})),
    );
    let base = sim.narada_base_url();
    let run = poller(
        &args(
            &["wait", "narada", "req_ok", "--base-url", &base, "--json"],
            &FAST,
        ),
        &[("NARADA_API_KEY", NARADA_KEY)],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 1);
    let v = &lines[0];
    for member in [
        "provider",
        "task_id",
        "outcome",
        "phase",
        "status",
        "output",
        "error",
        "progress",
        "attempts",
        "elapsed_ms",
    ] {
        assert!(v.get(member).is_some(), "missing {member}: {v}");
    }
    assert_eq!(v["provider"], "narada");
    assert_eq!(v["task_id"], "req_ok");
    assert_eq!(v["outcome"], "succeeded");
    assert_eq!(v["phase"], "succeeded");
    assert_eq!(v["status"], "success");
    assert_eq!(v["output"], json!({"text": "done"}));
    assert_eq!(v["error"], Value::Null);
    assert!(v["attempts"].as_u64().unwrap() >= 2);
    assert!(v["elapsed_ms"].as_u64().unwrap() >= 300);
    // The key went out as documented.
    let sent = sim.requests();
    assert!(sent.iter().all(|r| {
        r.headers
            .iter()
            .any(|(k, v)| k == "x-api-key" && v == NARADA_KEY)
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_failure_exits_1_with_the_remote_error() {
    let sim = sim().await;
    sim.add_narada_task(
        "req_bad",
        Script::narada_error_after(
            ms(100),
            "Failed to complete the task due to network timeout.",
        ),
    );
    let run = poller(
        &args(
            &[
                "wait",
                "narada",
                "req_bad",
                "--base-url",
                &sim.narada_base_url(),
                "--json",
            ],
            &FAST,
        ),
        &[("POLLER_API_KEY", NARADA_KEY)],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v = &run.json_lines()[0];
    assert_eq!(v["outcome"], "failed");
    assert_eq!(v["status"], "error");
    assert_eq!(
        v["error"]["message"],
        "Failed to complete the task due to network timeout."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_gives_up_with_exit_3_and_the_last_status() {
    let sim = sim().await;
    sim.add_narada_task(
        "req_slow",
        Script::narada_success_after(Duration::from_secs(3600), json!({})),
    );
    let run = poller(
        &[
            "wait",
            "narada",
            "req_slow",
            "--base-url",
            &sim.narada_base_url(),
            "--interval",
            "100ms",
            "--timeout",
            "400ms",
            "--json",
            "--api-key",
            NARADA_KEY,
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    let v = &run.json_lines()[0];
    assert_eq!(v["outcome"], "gave_up");
    assert_eq!(v["phase"], "running");
    assert_eq!(v["status"], "pending");
    assert_eq!(v["error"]["code"], "deadline");
    let elapsed = v["elapsed_ms"].as_u64().unwrap();
    assert!((400..2_000).contains(&elapsed), "{elapsed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_attempts_gives_up_with_exit_3() {
    let sim = sim().await;
    sim.add_narada_task(
        "req_slow",
        Script::narada_success_after(Duration::from_secs(3600), json!({})),
    );
    let run = poller(
        &[
            "wait",
            "narada",
            "req_slow",
            "--base-url",
            &sim.narada_base_url(),
            "--interval",
            "100ms",
            "--max-attempts",
            "3",
            "--json",
            "--api-key",
            NARADA_KEY,
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    let v = &run.json_lines()[0];
    assert_eq!(v["error"]["code"], "max_attempts");
    assert_eq!(v["attempts"], 3);
    assert_eq!(sim.request_count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn needs_input_exits_4_only_with_stop_on_input() {
    let sim = sim().await;
    let script = || {
        Script::narada_input_then_success(ms(50), "Please log in.", ms(400), json!({"text": "in"}))
    };
    sim.add_narada_task("req_input", script());
    let base = sim.narada_base_url();
    let run = poller(
        &args(
            &[
                "wait",
                "narada",
                "req_input",
                "--base-url",
                &base,
                "--json",
                "--stop-on-input",
            ],
            &FAST,
        ),
        &[("NARADA_API_KEY", NARADA_KEY)],
    )
    .await;
    assert_eq!(run.code, 4, "{}", run.stderr);
    let v = &run.json_lines()[0];
    assert_eq!(v["outcome"], "needs_input");
    assert_eq!(v["phase"], "needs_input");
    assert_eq!(v["status"], "input-required");

    // Without the flag the wait goes on through input-required to success.
    sim.add_narada_task("req_input", script());
    let run = poller(
        &args(
            &["wait", "narada", "req_input", "--base-url", &base, "--json"],
            &FAST,
        ),
        &[("NARADA_API_KEY", NARADA_KEY)],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_fetch_errors_exit_5_naming_the_cause() {
    let sim = sim().await;
    let base = sim.narada_base_url();
    // Wrong key: 401.
    let run = poller(
        &args(
            &[
                "wait",
                "narada",
                "req_x",
                "--base-url",
                &base,
                "--json",
                "--api-key",
                "wrong-key",
            ],
            &FAST,
        ),
        &[],
    )
    .await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    let v = &run.json_lines()[0];
    assert_eq!(v["outcome"], "fetch_error");
    assert_eq!(v["error"]["code"], "http_401");
    assert_eq!(v["attempts"], 1);

    // Unknown id: 404.
    let run = poller(
        &args(
            &[
                "wait",
                "narada",
                "req_nobody",
                "--base-url",
                &base,
                "--json",
            ],
            &FAST,
        ),
        &[("NARADA_API_KEY", NARADA_KEY)],
    )
    .await;
    assert_eq!(run.code, 5);
    assert_eq!(run.json_lines()[0]["error"]["code"], "http_404");

    // An unknown status value: the message names it.
    sim.add_narada_task(
        "req_weird",
        Script::narada_success_after(Duration::from_secs(60), json!({})),
    );
    sim.inject_fault(
        TaskKey::narada("req_weird"),
        FaultPlan::always(Fault::UnknownStatus {
            value: "exploded".into(),
        }),
    );
    let run = poller(
        &args(&["wait", "narada", "req_weird", "--base-url", &base], &FAST),
        &[("NARADA_API_KEY", NARADA_KEY)],
    )
    .await;
    assert_eq!(run.code, 5);
    assert!(run.stdout.contains("\"exploded\""), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_ids_are_waited_on_together_and_the_highest_code_wins() {
    let sim = sim().await;
    let generation = |ms_| Script::runware_success_after(ms(ms_), 0.1);
    let ids = [
        "11111111-1111-4111-8111-111111111111",
        "22222222-2222-4222-8222-222222222222",
        "33333333-3333-4333-8333-333333333333",
    ];
    sim.add_runware_task(
        ids[0],
        RunwareTask::video().with_generation(generation(200)),
    );
    sim.add_runware_task(
        ids[1],
        RunwareTask::video()
            .with_generation(generation(400))
            .with_generation(generation(100)),
    );
    sim.add_runware_task(
        ids[2],
        RunwareTask::video().with_generation(Script::runware_error_after(
            ms(300),
            "processingFailed",
            "no GPU",
        )),
    );
    let run = poller(
        &args(
            &[
                "wait",
                "runware",
                ids[0],
                ids[1],
                ids[2],
                "--base-url",
                &sim.runware_base_url(),
                "--json",
            ],
            &FAST,
        ),
        &[("RUNWARE_API_KEY", RUNWARE_KEY)],
    )
    .await;
    assert_eq!(run.code, 1, "a failure outranks successes: {}", run.stderr);
    let lines = run.json_lines();
    let mut outcomes: Vec<(String, String)> = lines
        .iter()
        .map(|v| {
            (
                v["task_id"].as_str().unwrap().to_string(),
                v["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    outcomes.sort();
    assert_eq!(
        outcomes,
        [
            (ids[0].into(), "succeeded".into()),
            (ids[1].into(), "succeeded".into()),
            (ids[2].into(), "failed".into())
        ]
    );
    let failed = lines.iter().find(|v| v["task_id"] == ids[2]).unwrap();
    assert_eq!(
        failed["error"],
        json!({"code": "processingFailed", "message": "no GPU"})
    );
    // Batched: every POST asked about every task still running, so fewer requests than polls.
    let posts = sim.requests().len() as u64;
    let polls: u64 = lines.iter().map(|v| v["attempts"].as_u64().unwrap()).sum();
    assert!(posts < polls, "{posts} requests for {polls} polls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn params_and_each_key_variable_reach_the_api() {
    let sim = sim().await;
    let org = sim.keys().dari_org.clone();
    let job = "550e8400-e29b-41d4-a716-446655440000";
    sim.add_dari_job(
        &org,
        "contact_form",
        job,
        Script::dari_steps_then_complete(ms(50), &[("Filling", ms(100))], json!({"ok": true})),
    );
    let dari_base = sim.dari_base_url();
    let org_param = format!("org_id={org}");
    let dari_args = args(
        &[
            "wait",
            "dari",
            job,
            "--base-url",
            &dari_base,
            "--param",
            &org_param,
            "--param",
            "endpoint_name=contact_form",
            "--json",
        ],
        &FAST,
    );
    let run = poller(&dari_args, &[("DARI_API_KEY", DARI_KEY)]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json_lines()[0]["output"], json!({"ok": true}));
    // The vendor's current revision by default; `revision=task` selects the older path.
    let req = &sim.requests()[0];
    assert_eq!(
        req.uri,
        format!("/jobs/{org}/contact_form/status?job_id={job}")
    );
    sim.clear_requests();
    let run = poller(
        &args(&dari_args, &["--param", "revision=task"]),
        &[("DARI_API_KEY", DARI_KEY)],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        sim.requests()[0].uri,
        format!("/task/{org}/contact_form/status?job_id={job}")
    );
    let req = &sim.requests()[0];
    assert!(
        req.headers
            .iter()
            .any(|(k, v)| k == "x-api-key" && v == DARI_KEY)
    );

    // POLLER_API_KEY is taken before the provider's own variable.
    let run = poller(
        &dari_args,
        &[("POLLER_API_KEY", DARI_KEY), ("DARI_API_KEY", "wrong")],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    // --api-key before both.
    let with_flag = args(&dari_args, &["--api-key", DARI_KEY]);
    let run = poller(
        &with_flag,
        &[("POLLER_API_KEY", "wrong"), ("DARI_API_KEY", "wrong")],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);

    // VESSL_API_TOKEN.
    sim.add_vessl_request(
        "svc",
        "abc123",
        Script::vessl_completed_after(ms(50), ms(50), &json!({"text": "Hello!"})),
    );
    let run = poller(
        &args(
            &[
                "wait",
                "vessl",
                "abc123",
                "--base-url",
                &sim.vessl_base_url("svc"),
                "--json",
            ],
            &FAST,
        ),
        &[("VESSL_API_TOKEN", VESSL_KEY)],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json_lines()[0]["output"], json!({"text": "Hello!"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_and_configuration_errors_exit_2_with_a_clear_message() {
    let cases: [UsageCase; 8] = [
        (
            &["wait", "nosuch", "t1", "--api-key", "k"],
            &[],
            "known providers: dari, narada, runware, vessl",
        ),
        (&["wait", "narada", "t1"], &[], "NARADA_API_KEY"),
        (
            &["wait", "narada", "t1", "--interval", "soon"],
            &[("NARADA_API_KEY", "k")],
            "500ms, 5s, 2m",
        ),
        (
            &["wait", "narada", "t1", "--backoff", "0.5"],
            &[("NARADA_API_KEY", "k")],
            "factor of at least 1",
        ),
        (&["wait", "narada", "--frobnicate"], &[], "--frobnicate"),
        (
            &["wait", "dari", "job", "--param", "org_id=o"],
            &[("DARI_API_KEY", "k")],
            "missing parameter `endpoint_name`",
        ),
        (
            &["wait", "narada", "t1", "--param", "colour=blue"],
            &[("NARADA_API_KEY", "k")],
            "unknown parameter `colour`",
        ),
        (
            &["wait", "vessl", "abc"],
            &[("VESSL_API_TOKEN", "k")],
            "https://serve-api.dev2.vssl.ai/api/v1/services/<slug>",
        ),
    ];
    for (argv, env, expect) in cases {
        let run = poller(argv, env).await;
        assert_eq!(run.code, 2, "{argv:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(expect),
            "{argv:?}: {:?} not in {}",
            expect,
            run.stderr
        );
    }
    // Plain http:// to a non-loopback host is refused: the key would travel in clear.
    let run = poller(
        &[
            "status",
            "narada",
            "t1",
            "--base-url",
            "http://api.narada.ai",
        ],
        &[("NARADA_API_KEY", "k")],
    )
    .await;
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("in clear"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_fetches_once_and_providers_lists_all_four() {
    let sim = sim().await;
    sim.add_narada_task(
        "req_1",
        Script::narada_success_after(Duration::from_secs(60), json!({})),
    );
    let run = poller(
        &[
            "status",
            "narada",
            "req_1",
            "--base-url",
            &sim.narada_base_url(),
            "--json",
        ],
        &[("NARADA_API_KEY", NARADA_KEY)],
    )
    .await;
    // Not ended yet: exit 3, as `wait --timeout 0` would; the same JSON shape as wait's.
    assert_eq!(run.code, 3, "{}", run.stderr);
    let v: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(v["phase"], "running");
    assert_eq!(v["status"], "pending");
    assert_eq!(v["outcome"], "in_progress");
    assert_eq!(v["attempts"], 1);
    assert_eq!(sim.request_count(), 1);

    // Ended tasks: the human line names the phase once, and the exit code follows it.
    sim.add_narada_task(
        "req_ok",
        Script::narada_success_after(Duration::ZERO, json!({"text": "done"})),
    );
    sim.add_narada_task(
        "req_bad",
        Script::narada_error_after(Duration::ZERO, "boom"),
    );
    for (id, code, line) in [
        (
            "req_ok",
            0,
            "ok   narada req_ok: succeeded (success) after 1 request(s)",
        ),
        (
            "req_bad",
            1,
            "FAIL narada req_bad: failed (error) after 1 request(s)",
        ),
    ] {
        let base = sim.narada_base_url();
        let run = poller(
            &["status", "narada", id, "--base-url", &base],
            &[("NARADA_API_KEY", NARADA_KEY)],
        )
        .await;
        assert_eq!(run.code, code, "{}", run.stderr);
        assert!(run.stdout.starts_with(line), "{:?}", run.stdout);
    }

    let run = poller(&["providers", "--json"], &[]).await;
    assert_eq!(run.code, 0);
    let list: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    let names: Vec<&str> = list.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["dari", "narada", "runware", "vessl"]);
    let dari = &list[0];
    assert_eq!(dari["key_env"], "DARI_API_KEY");
    let params: Vec<&str> = dari["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["org_id", "endpoint_name", "revision"]);
    assert_eq!(dari["params"][2]["default"], "jobs");
    assert!(
        list.iter()
            .all(|p| p["default_timeout_ms"].as_u64().unwrap() > 0
                && p["docs_url"].as_str().unwrap().starts_with("https://"))
    );

    let run = poller(&["providers"], &[]).await;
    assert!(
        run.stdout.contains("VESSL_API_TOKEN") && run.stdout.contains("--param    org_id"),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_prints_the_last_known_status_and_exits_130() {
    use std::io::Read;
    let sim = sim().await;
    sim.add_narada_task(
        "req_long",
        Script::narada_success_after(Duration::from_secs(3600), json!({})),
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_poller"));
    cmd.args([
        "wait",
        "narada",
        "req_long",
        "--base-url",
        &sim.narada_base_url(),
        "--interval",
        "100ms",
    ])
    .env("NARADA_API_KEY", NARADA_KEY)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let (stderr, code) = tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        // Wait until the first status was printed: the signal handler is in place by then.
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&seen).contains("req_long: running") {
            let n = stderr.read(&mut buf).unwrap();
            assert!(n > 0, "no progress: {}", String::from_utf8_lossy(&seen));
            seen.extend_from_slice(&buf[..n]);
        }
        Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        stderr.read_to_end(&mut seen).unwrap();
        let status = child.wait().unwrap();
        (String::from_utf8_lossy(&seen).into_owned(), status.code())
    })
    .await
    .unwrap();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted; last known status:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("narada req_long: running (pending)"),
        "{stderr}"
    );
    assert!(!stderr.contains(NARADA_KEY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_documents_the_contract() {
    for argv in [&["--help"][..], &["wait", "--help"], &["status", "--help"]] {
        let run = poller(argv, &[]).await;
        assert_eq!(run.code, 0);
        for needle in [
            "EXIT CODES",
            "130 interrupted",
            "POLLER_API_KEY",
            "VESSL_API_TOKEN",
            "fetch_error",
        ] {
            assert!(
                run.stdout.contains(needle),
                "{argv:?} --help lacks {needle:?}:\n{}",
                run.stdout
            );
        }
    }
}
