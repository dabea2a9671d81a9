//! `poller submit`: each provider's create endpoint through the built binary, the ways a body
//! is given, `--wait`, bad bodies (nothing sent), a vendor's rejection, and a create that may
//! have started. Every run is checked for keys in its output (see helpers).

use crate::helpers::*;
use poller_sim::{Api, CreatedScript, DariStage, Fault, FaultPlan, Script, Simulator};
use serde_json::{Value, json};

/// The create requests the simulator received (status requests are GETs, except Runware's).
fn creates(sim: &Simulator, api: Api) -> Vec<Value> {
    sim.requests_for_api(api)
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        .filter(|body| api != Api::Runware || body[0]["taskType"] != "getResponse")
        .collect()
}

/// `submit narada --data {"prompt": "x"} --base-url BASE`, then `tail`.
fn narada_x<'a>(base: &'a str, tail: &[&'a str]) -> Vec<&'a str> {
    let head = [
        "submit",
        "narada",
        "--data",
        r#"{"prompt": "x"}"#,
        "--base-url",
        base,
    ];
    args(&head, tail)
}

fn narada_env() -> [(&'static str, &'static str); 1] {
    [("NARADA_API_KEY", NARADA_KEY)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn narada_inline_json_prints_the_new_id_and_its_json_line() {
    let sim = sim().await;
    let base = sim.narada_base_url();
    let run = poller(
        &[
            "--log",
            "debug",
            "submit",
            "narada",
            "--data",
            r#"{"prompt": "Book a table for 2", "executionMode": "cloud"}"#,
            "--base-url",
            &base,
        ],
        &narada_env(),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let id = run.stdout.trim();
    assert!(
        id.starts_with("req_") && !id.contains('\n'),
        "{}",
        run.stdout
    );
    let sent = creates(&sim, Api::Narada);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["prompt"], "Book a table for 2");
    // The id is a task the API knows.
    let status = poller(
        &["status", "narada", id, "--base-url", &base, "--json"],
        &narada_env(),
    )
    .await;
    assert_eq!(status.json_lines()[0]["task_id"], id, "{}", status.stderr);

    let run = poller(
        &[
            "submit",
            "narada",
            "--data",
            r#"{"prompt": "again"}"#,
            "--base-url",
            &base,
            "--json",
        ],
        &narada_env(),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["provider"], "narada");
    assert_eq!(lines[0]["outcome"], "submitted");
    assert_eq!(lines[0]["phase"], Value::Null);
    assert_eq!(lines[0]["attempts"], 0);
    assert!(lines[0]["task_id"].as_str().unwrap().starts_with("req_"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runware_batch_from_a_file_prints_every_uuid_in_order() {
    let sim = sim().await;
    let dir = std::env::temp_dir().join(format!("poller-submit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("batch.json");
    let given = "50836053-a0ee-4cf5-b9d6-ae7c5d140ada";
    std::fs::write(
        &file,
        json!([
            {"taskType": "imageInference", "positivePrompt": "waves", "model": "runware:101@1", "taskUUID": given},
            {"taskType": "imageInference", "positivePrompt": "dunes", "model": "runware:101@1"}
        ])
        .to_string(),
    )
    .unwrap();
    let data = format!("@{}", file.display());
    let run = poller(
        &[
            "submit",
            "runware",
            "--data",
            &data,
            "--base-url",
            &sim.runware_base_url(),
        ],
        &[("RUNWARE_API_KEY", RUNWARE_KEY)],
    )
    .await;
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ids: Vec<&str> = run.stdout.lines().collect();
    let sent = creates(&sim, Api::Runware);
    assert_eq!(sent.len(), 1, "one request for the batch: {sent:?}");
    let uuids: Vec<&str> = sent[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["taskUUID"].as_str().unwrap())
        .collect();
    assert_eq!(ids, uuids);
    assert_eq!(ids[0], given);
    assert_eq!(sent[0][1]["deliveryMethod"], "async");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dari_body_from_stdin_with_wait_prints_what_wait_prints() {
    let sim = sim().await;
    sim.script_next_created(CreatedScript::dari(
        Script::new(DariStage::pending()).then_after(
            ms(300),
            DariStage::completed(json!({"confirmation": "CF-7"})),
        ),
    ));
    let org = format!("org_id={}", sim.keys().dari_org);
    let run = poller_with_stdin(
        &args(
            &[
                "submit",
                "dari",
                "--data",
                "-",
                "--param",
                &org,
                "--param",
                "endpoint_name=contact_form",
                "--base-url",
                &sim.dari_base_url(),
                "--wait",
                "--json",
            ],
            &FAST,
        ),
        &[("DARI_API_KEY", DARI_KEY)],
        Some(r#"{"form_data": {"email": "a@b.c"}, "max_turns": 20}"#),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    assert_eq!(lines[0]["outcome"], "succeeded");
    assert_eq!(lines[0]["output"], json!({"confirmation": "CF-7"}));
    let id = lines[0]["task_id"].as_str().unwrap();
    assert!(
        run.stderr.contains(id),
        "the id is said on stderr: {}",
        run.stderr
    );
    assert_eq!(creates(&sim, Api::Dari)[0]["form_data"]["email"], "a@b.c");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vessl_and_narada_wait_exit_as_wait_does() {
    let sim = sim().await;
    sim.script_next_created(CreatedScript::vessl(Script::vessl_completed_after(
        ms(100),
        ms(200),
        &json!({"text": "Hello!"}),
    )));
    let run = poller(
        &args(
            &[
                "submit",
                "vessl",
                "--data",
                r#"{"data": {"prompt": "hi"}, "method": "POST", "path": "/generate"}"#,
                "--base-url",
                &sim.vessl_base_url("svc"),
                "--wait",
                "-o",
                "output",
            ],
            &FAST,
        ),
        &[("VESSL_API_TOKEN", VESSL_KEY)],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let output: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert!(output.to_string().contains("Hello!"), "{output}");
    assert_eq!(creates(&sim, Api::Vessl)[0]["path"], "/generate");

    // A task that fails remotely: exit 1, as `poller wait` would.
    sim.script_next_created(CreatedScript::narada(Script::narada_error_after(
        ms(200),
        "The site refused the booking.",
    )));
    let run = poller(
        &args(
            &[
                "submit",
                "narada",
                "--data",
                r#"{"prompt": "book"}"#,
                "--base-url",
                &sim.narada_base_url(),
                "--wait",
            ],
            &FAST,
        ),
        &narada_env(),
    )
    .await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("The site refused the booking."),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_exit_2_naming_the_field_and_send_nothing() {
    let sim = sim().await;
    let cases: &[(&str, &str, &str)] = &[
        (
            "narada",
            r#"{"executionMode": "cloud"}"#,
            "`prompt` is required",
        ),
        (
            "narada",
            r#"{"prompt": "x", "executionMode": "client"}"#,
            "browserWindowId",
        ),
        ("narada", r#"["x"]"#, "`body` must be a JSON object"),
        (
            "runware",
            r#"{"taskType": "imageInference", "taskUUID": "nope"}"#,
            "`taskUUID` must be a UUID v4",
        ),
        ("runware", "[]", "`body` holds no task"),
        ("dari", r#"{"max_turns": 3}"#, "`form_data`"),
        ("vessl", r#"{"method": "POST"}"#, "`data`"),
        (
            "narada",
            r#"{"prompt": "#,
            "--data: the argument is not JSON",
        ),
    ];
    let org = format!("org_id={}", sim.keys().dari_org);
    for (provider, data, says) in cases {
        let base = match *provider {
            "narada" => sim.narada_base_url(),
            "runware" => sim.runware_base_url(),
            "dari" => sim.dari_base_url(),
            _ => sim.vessl_base_url("svc"),
        };
        let mut argv = vec!["submit", provider, "--data", data, "--base-url", &base];
        if *provider == "dari" {
            argv.extend(["--param", &org, "--param", "endpoint_name=contact_form"]);
        }
        let run = poller(&argv, &[("POLLER_API_KEY", NARADA_KEY)]).await;
        assert_eq!(run.code, 2, "{provider} {data}: {}", run.stderr);
        assert!(
            run.stderr.contains(says),
            "{provider} {data}: {}",
            run.stderr
        );
        assert_eq!(run.stdout, "", "{provider} {data}");
    }
    assert_eq!(sim.requests().len(), 0, "nothing may be sent");

    // Options of the wait without --wait are refused, as is -o output.
    for extra in [
        &["--timeout", "5s"][..],
        &["--until", "final"],
        &["-o", "output"],
    ] {
        let run = poller(&narada_x(&sim.narada_base_url(), extra), &narada_env()).await;
        assert_eq!(run.code, 2, "{extra:?}: {}", run.stderr);
        assert!(run.stderr.contains("--wait"), "{extra:?}: {}", run.stderr);
    }
    assert_eq!(sim.requests().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_rejection_exits_6_with_the_vendors_message() {
    let sim = sim().await;
    let run = poller(
        &[
            "submit",
            "dari",
            "--data",
            r#"{"form_data": {}}"#,
            "--param",
            "org_id=someone-elses-org",
            "--param",
            "endpoint_name=contact_form",
            "--base-url",
            &sim.dari_base_url(),
        ],
        &[("DARI_API_KEY", DARI_KEY)],
    )
    .await;
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(
        run.stderr.contains("dari rejected the request"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("403"), "{}", run.stderr);
    assert!(run.stderr.contains("organization"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(creates(&sim, Api::Dari).len(), 1, "sent once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_that_may_have_started_exits_7_naming_what_is_known() {
    let sim = sim().await;
    sim.inject_fault(
        Api::Narada,
        FaultPlan::next(1, Fault::late_answer(ms(30_000))),
    );
    let run = poller(
        &narada_x(
            &sim.narada_base_url(),
            &["--request-timeout", "300ms", "--wait"],
        ),
        &narada_env(),
    )
    .await;
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert!(run.stderr.contains("may have started"), "{}", run.stderr);
    assert!(
        run.stderr.contains("before submitting again"),
        "{}",
        run.stderr
    );
    assert_eq!(creates(&sim, Api::Narada).len(), 1, "never sent twice");
    assert_eq!(run.stdout, "");

    // Runware: the UUID is known, and said.
    sim.inject_fault(
        Api::Runware,
        FaultPlan::always(Fault::late_answer(ms(30_000))),
    );
    let run = poller(
        &[
            "submit",
            "runware",
            "--data",
            r#"{"taskType": "imageInference", "positivePrompt": "x", "model": "runware:101@1"}"#,
            "--base-url",
            &sim.runware_base_url(),
            "--request-timeout",
            "300ms",
        ],
        &[("RUNWARE_API_KEY", RUNWARE_KEY)],
    )
    .await;
    assert_eq!(run.code, 7, "{}", run.stderr);
    let sent = creates(&sim, Api::Runware);
    assert!(!sent.is_empty());
    let uuid = sent[0][0]["taskUUID"].as_str().unwrap();
    assert!(
        sent.iter().all(|b| b[0]["taskUUID"] == uuid),
        "resent only with the same UUID: {sent:?}"
    );
    assert!(run.stderr.contains(uuid), "{}", run.stderr);
    assert!(run.stderr.contains("may have started"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partly_refused_runware_batch_still_prints_the_created_id() {
    let sim = sim().await;
    let good = "50836053-a0ee-4cf5-b9d6-ae7c5d140ada";
    let refused = "0d2d1c3e-7c55-4e0b-9a5a-2f4b1d6c8e01";
    let data = json!([
        {"taskType": "imageInference", "taskUUID": good, "positivePrompt": "waves"},
        {"taskType": "imageInference", "taskUUID": refused, "numberResults": 0}
    ])
    .to_string();
    let run = poller(
        &[
            "submit",
            "runware",
            "--data",
            &data,
            "--base-url",
            &sim.runware_base_url(),
            "--wait",
        ],
        &[("RUNWARE_API_KEY", RUNWARE_KEY)],
    )
    .await;
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), [good]);
    assert!(
        run.stderr.contains(&format!("rejected {refused}")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("invalidNumberResults"),
        "{}",
        run.stderr
    );
    assert_eq!(creates(&sim, Api::Runware).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_the_create_says_it_may_have_started_with_the_uuid() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let sim = sim().await;
    sim.inject_fault(
        Api::Runware,
        FaultPlan::always(Fault::late_answer(ms(60_000))),
    );
    let base = sim.runware_base_url();
    let p = Spawned::start(
        &[
            "submit",
            "runware",
            "--data",
            r#"{"taskType": "imageInference", "positivePrompt": "x"}"#,
            "--base-url",
            &base,
            "--wait",
        ],
        &[("RUNWARE_API_KEY", RUNWARE_KEY)],
        false,
    );
    let start = std::time::Instant::now();
    while creates(&sim, Api::Runware).is_empty() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "no create came"
        );
        tokio::time::sleep(ms(20)).await;
    }
    kill(Pid::from_raw(p.child.id() as i32), Signal::SIGTERM).unwrap();
    let run = tokio::task::spawn_blocking(move || p.finish())
        .await
        .unwrap();
    assert_eq!(run.code, 143, "{}", run.stderr);
    let uuid = creates(&sim, Api::Runware)[0][0]["taskUUID"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        run.stderr
            .contains("terminated while the create request was in flight")
            && run.stderr.contains("may have started")
            && run.stderr.contains(&uuid),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_creates_its_tasks_through_the_create_endpoints() {
    let run = poller(&["demo", "--quiet"], &[]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("5 of them creating the tasks"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("every task ended as scripted"),
        "{}",
        run.stdout
    );
    // The ids are the ones the APIs chose, not fixed ones.
    assert!(!run.stdout.contains("req_demo_"), "{}", run.stdout);
    assert!(run.stdout.contains("narada   req_"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_that_never_connected_exits_5_saying_nothing_started() {
    let base = refused_base_url();
    let run = poller(&narada_x(&base, &[]), &narada_env()).await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the request never reached the API (3 attempts)"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("may have started"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
}
