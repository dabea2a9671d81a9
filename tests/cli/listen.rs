//! `--listen`: real `poller` processes with a webhook receiver on a free loopback port, the
//! simulator sending the vendors' callbacks to it. A callback brings a task's next poll
//! forward, so a wait ends after exactly two polls (the immediate first one and the one the
//! callback brought), long before the stretched safety-net poll. Secrets never show.

use crate::helpers::*;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use poller_sim::{Api, CreatedScript, DariStage, Script, Simulator, TaskKey};
use serde_json::{Value, json};
use std::net::SocketAddr;

const DARI_SECRET: &str = "whsec-portal-5ecret-c0ffee";
const NARADA_SECRET: &str = "narada-cb-5ecret-b00c";
const RUNWARE_TOKEN: &str = "runware-t0ken-5ecret-f00d";
const ENDPOINT: &str = "contact_form";
/// Narada's first delay after the first poll (5 s), stretched 10 times: the safety net.
const NARADA_SAFETY_NET_MS: u64 = 50_000;
/// Dari's (2 s), stretched 10 times.
const DARI_SAFETY_NET_MS: u64 = 20_000;

/// The status polls of `task` the simulator answered (creates are POSTs without its id).
fn polls(sim: &Simulator, task: &TaskKey) -> usize {
    sim.requests_for_task(task)
        .iter()
        .filter(|r| r.method == "GET")
        .count()
}

/// The body of the first create request the simulator received for `api`.
fn create_body(sim: &Simulator, api: Api) -> Value {
    let create = sim
        .requests_for_api(api)
        .into_iter()
        .find(|r| r.method == "POST")
        .expect("a create request");
    serde_json::from_slice(&create.body).unwrap()
}

/// The receiver's address, from the line `poller: listening on ADDR; …` on stderr.
fn listening_on(stderr: &str) -> SocketAddr {
    let rest = stderr
        .split("listening on ")
        .nth(1)
        .unwrap_or_else(|| panic!("no listening line: {stderr}"));
    rest.split(';').next().unwrap().parse().unwrap()
}

fn assert_no_secret(run: &Run, secrets: &[&str]) {
    for s in secrets {
        assert!(!run.stdout.contains(s), "secret on stdout: {}", run.stdout);
        assert!(!run.stderr.contains(s), "secret on stderr: {}", run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn narada_submit_wait_listen_ends_on_the_callback_after_two_polls() {
    let sim = sim().await;
    sim.script_next_created(CreatedScript::narada(Script::narada_success_after(
        ms(400),
        json!({"text": "Table booked"}),
    )));
    let run = poller(
        &[
            "submit",
            "narada",
            "--data",
            r#"{"prompt": "Book a table"}"#,
            "--base-url",
            &sim.narada_base_url(),
            "--wait",
            "--listen",
            "127.0.0.1:0",
            "--json",
            "-q",
        ],
        &[("NARADA_API_KEY", NARADA_KEY)],
    )
    .await;
    let line = succeeded_after_two_polls(&run, NARADA_SAFETY_NET_MS);
    assert_eq!(line["output"]["text"], "Table booked");
    let id = line["task_id"].as_str().unwrap();
    assert_eq!(polls(&sim, &TaskKey::narada(id)), 2);

    // The create carried the receiver's URL (the one printed, even with -q) and a secret
    // that shows nowhere.
    let addr = listening_on(&run.stderr);
    let body = create_body(&sim, Api::Narada);
    let url = format!("http://{addr}/narada");
    assert_eq!(body["callbackUrl"], url.as_str());
    assert!(run.stderr.contains(&url), "{}", run.stderr);
    let secret = body["callbackSecret"].as_str().unwrap();
    assert_eq!(secret.len(), 64);
    assert_no_secret(&run, &[secret]);
    // The receiver stopped with the wait.
    assert!(std::net::TcpStream::connect(addr).is_err());
}

/// Scripts the next Dari job created to complete after `after`.
fn script_dari_job(sim: &Simulator, after: u64) {
    sim.script_next_created(CreatedScript::dari(
        Script::new(DariStage::pending()).then_after(
            ms(after),
            DariStage::completed(json!({"confirmation": "CF-9"})),
        ),
    ));
}

/// `submit dari --data … --param … --base-url …`, then `tail`.
fn dari_submit(sim: &Simulator, tail: &[&str]) -> Vec<String> {
    let head = [
        "submit".to_owned(),
        "dari".to_owned(),
        "--data".to_owned(),
        r#"{"form_data": {"email": "a@b.c"}}"#.to_owned(),
        "--param".to_owned(),
        format!("org_id={}", sim.keys().dari_org),
        "--param".to_owned(),
        format!("endpoint_name={ENDPOINT}"),
        "--base-url".to_owned(),
        sim.dari_base_url(),
    ];
    head.into_iter()
        .chain(tail.iter().map(|s| s.to_string()))
        .collect()
}

/// Creates a Dari job through the simulator's create endpoint that completes after `after`;
/// its id.
async fn dari_job(sim: &Simulator, after: u64) -> String {
    script_dari_job(sim, after);
    let argv = dari_submit(sim, &[]);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let run = poller(&argv, &[("DARI_API_KEY", DARI_KEY)]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout.trim().to_owned()
}

/// Waits for the running `poller` to say where it listens.
fn listening(p: &Spawned) -> SocketAddr {
    p.wait_for_stderr("listening on");
    listening_on(&p.stderr.lock().unwrap())
}

/// Waits off the runtime for `p` to exit.
async fn finished(p: Spawned) -> Run {
    tokio::task::spawn_blocking(move || p.finish())
        .await
        .unwrap()
}

/// `poller wait dari JOB --listen 127.0.0.1:0 …` (with the portal secret), started, and
/// where it listens.
fn dari_wait(sim: &Simulator, job: &str) -> (Spawned, SocketAddr) {
    let env = [
        ("DARI_API_KEY", DARI_KEY),
        ("DARI_WEBHOOK_SECRET", DARI_SECRET),
    ];
    let org = format!("org_id={}", sim.keys().dari_org);
    let endpoint = format!("endpoint_name={ENDPOINT}");
    let base = sim.dari_base_url();
    let p = Spawned::start(
        &[
            "wait",
            "dari",
            job,
            "--param",
            &org,
            "--param",
            &endpoint,
            "--base-url",
            &base,
            "--listen",
            "127.0.0.1:0",
            "--json",
        ],
        &env,
        false,
    );
    let addr = listening(&p);
    (p, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dari_wait_listen_ends_on_the_signed_portal_webhook_after_two_polls() {
    let sim = sim().await;
    let job = dari_job(&sim, 1_000).await;
    let (p, addr) = dari_wait(&sim, &job);
    // The portal's webhook points at the CLI's receiver.
    let url = format!("http://{addr}/dari");
    sim.set_dari_webhook(Some((&url, DARI_SECRET)));
    let run = finished(p).await;
    let line = succeeded_after_two_polls(&run, DARI_SAFETY_NET_MS);
    assert_eq!(line["output"], json!({"confirmation": "CF-9"}));
    let org = sim.keys().dari_org.clone();
    assert_eq!(polls(&sim, &TaskKey::dari(org, ENDPOINT, &job)), 2);
    assert!(run.stderr.contains(&url), "{}", run.stderr);
    assert_no_secret(&run, &[DARI_SECRET]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dari_submit_wait_listen_sends_no_callback_field_and_ends_on_the_webhook() {
    let sim = sim().await;
    script_dari_job(&sim, 1_000);
    let argv = dari_submit(&sim, &["--wait", "--listen", "127.0.0.1:0", "--json"]);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let p = Spawned::start(
        &argv,
        &[
            ("DARI_API_KEY", DARI_KEY),
            ("DARI_WEBHOOK_SECRET", DARI_SECRET),
        ],
        false,
    );
    let addr = listening(&p);
    sim.set_dari_webhook(Some((&format!("http://{addr}/dari"), DARI_SECRET)));
    let run = finished(p).await;
    succeeded_after_two_polls(&run, DARI_SAFETY_NET_MS);
    // Dari's webhook lives on the portal: the body went as given.
    let body = create_body(&sim, Api::Dari);
    assert_eq!(body, json!({"form_data": {"email": "a@b.c"}}));
    assert_no_secret(&run, &[DARI_SECRET]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_while_listening_exits_143_and_frees_the_port() {
    let sim = sim().await;
    let job = dari_job(&sim, 60_000).await;
    let (p, addr) = dari_wait(&sim, &job);
    kill(Pid::from_raw(p.child.id() as i32), Signal::SIGTERM).unwrap();
    let run = finished(p).await;
    assert_eq!(run.code, 143, "{}", run.stderr);
    assert_eq!(run.json_lines()[0]["outcome"], "interrupted");
    std::net::TcpListener::bind(addr).expect("the port is free again");
}

/// `poller submit runware` of two image tasks `--wait --listen 127.0.0.1:0 --json`, then `tail`.
async fn runware_submit_listening(sim: &Simulator, tail: &[&str]) -> Run {
    let base = sim.runware_base_url();
    let head = [
        "submit",
        "runware",
        "--data",
        r#"[{"taskType": "imageInference", "positivePrompt": "a"},
            {"taskType": "imageInference", "positivePrompt": "b"}]"#,
        "--base-url",
        &base,
        "--wait",
        "--listen",
        "127.0.0.1:0",
        "--json",
    ];
    poller(&args(&head, tail), &[("RUNWARE_API_KEY", RUNWARE_KEY)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runware_submit_listen_gives_every_task_a_webhook_url_with_a_hidden_token() {
    let sim = sim().await;
    sim.set_created_default(CreatedScript::runware(vec![Script::runware_success_after(
        ms(200),
        0.01,
    )]));
    // A schedule given by flags is used as given (not stretched).
    let run = runware_submit_listening(&sim, &FAST).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json_lines().len(), 2, "{}", run.stdout);
    let addr = listening_on(&run.stderr);
    let shown = format!("http://{addr}/runware?token=…");
    assert!(run.stderr.contains(&shown), "{}", run.stderr);
    let body = create_body(&sim, Api::Runware);
    let urls: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["webhookURL"].as_str().unwrap())
        .collect();
    assert_eq!(urls.len(), 2);
    assert_eq!(urls[0], urls[1], "one receiver, one token");
    let token = urls[0]
        .strip_prefix(&format!("http://{addr}/runware?token="))
        .unwrap_or_else(|| panic!("{}", urls[0]));
    assert_eq!(token.len(), 64);
    assert_no_secret(&run, &[token]);
}

/// Runware's first poll (1 s) plus its first later delay (0.5 s) stretched 10 times.
const RUNWARE_SAFETY_NET_MS: u64 = 6_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runware_submit_wait_listen_ends_each_task_on_the_simulators_own_callback() {
    let sim = sim().await;
    // Both end after the first poll (at 1 s), long before the safety net's second (at 6 s).
    sim.set_created_default(CreatedScript::runware(vec![Script::runware_success_after(
        ms(1_500),
        0.01,
    )]));
    let run = runware_submit_listening(&sim, &["-q"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    let mut images = Vec::new();
    for line in &lines {
        assert_eq!(line["outcome"], "succeeded", "{}", run.stdout);
        // The immediate first poll, then the one the simulator's callback brought.
        assert_eq!(line["attempts"], 2, "{}", run.stdout);
        assert!(line["elapsed_ms"].as_u64().unwrap() < RUNWARE_SAFETY_NET_MS);
        // Each task's own result.
        assert_eq!(line["output"][0]["taskUUID"], line["task_id"]);
        images.push(line["output"][0]["imageURL"].as_str().unwrap().to_owned());
    }
    assert_ne!(images[0], images[1]);
    let body = create_body(&sim, Api::Runware);
    let token = body[0]["webhookURL"]
        .as_str()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap();
    assert_no_secret(&run, &[token]);
}

/// `poller wait PROVIDER ID --base-url BASE --listen 127.0.0.1:0 --json`, started, and where
/// it listens.
fn wait_listening(
    provider: &str,
    id: &str,
    base: &str,
    env: &[(&str, &str)],
) -> (Spawned, SocketAddr) {
    let argv = [
        "wait",
        provider,
        id,
        "--base-url",
        base,
        "--listen",
        "127.0.0.1:0",
        "--json",
    ];
    let p = Spawned::start(&argv, env, false);
    let addr = listening(&p);
    (p, addr)
}

/// Asserts that the run's one task succeeded after exactly 2 polls, within `ms` (the time of
/// the safety-net poll that would have come without the callback); its JSON line.
fn succeeded_after_two_polls(run: &Run, within_ms: u64) -> Value {
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = run.json_lines().remove(0);
    assert_eq!(line["outcome"], "succeeded", "{}", run.stdout);
    assert_eq!(line["attempts"], 2, "{}", run.stdout);
    assert!(
        line["elapsed_ms"].as_u64().unwrap() < within_ms,
        "{}",
        run.stdout
    );
    line
}

/// Waits until the simulator has answered `task`'s first poll, then until `then`, and
/// asserts that no second poll came meanwhile.
async fn only_the_first_poll_by(sim: &Simulator, task: &TaskKey, then: std::time::Instant) {
    let start = std::time::Instant::now();
    while sim.requests_for_task(task).is_empty() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "no poll came"
        );
        tokio::time::sleep(ms(20)).await;
    }
    tokio::time::sleep_until(then.into()).await;
    assert_eq!(sim.requests_for_task(task).len(), 1);
}

/// POSTs `body` to `url` as a vendor would; the answer's status.
async fn post(url: &str, body: &Value) -> u16 {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("the receiver answers")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn narada_wait_listen_takes_the_tasks_secret_from_the_environment() {
    let sim = sim().await;
    let id = "req_cb1";
    // The first poll comes at once: the task is still pending then.
    sim.add_narada_task(
        id,
        Script::narada_success_after(ms(1_000), json!({"text": "done"})),
    );
    let added = std::time::Instant::now();
    let env = [
        ("NARADA_API_KEY", NARADA_KEY),
        ("NARADA_CALLBACK_SECRET", NARADA_SECRET),
    ];
    let (p, addr) = wait_listening("narada", id, &sim.narada_base_url(), &env);
    let task = TaskKey::narada(id);
    only_the_first_poll_by(&sim, &task, added + ms(1_100)).await;
    // As Narada posts it: the status body, the task's id and the secret it was created with.
    let callback = |secret: &str| json!({"requestId": id, "status": "success", "response": {"text": "done"}, "callbackSecret": secret});
    let url = format!("http://{addr}/narada");
    assert_eq!(post(&url, &callback("not-the-secret")).await, 401);
    assert_eq!(post(&url, &callback(NARADA_SECRET)).await, 200);
    let run = finished(p).await;
    succeeded_after_two_polls(&run, NARADA_SAFETY_NET_MS);
    assert_eq!(polls(&sim, &task), 2);
    assert_no_secret(&run, &[NARADA_SECRET]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runware_wait_listen_polls_when_a_callback_with_the_token_comes() {
    let sim = sim().await;
    let uuid = "50836053-a0ee-4cf5-b9d6-ae7c5d140ada";
    // Runware's first poll comes after 1 s: the task is still processing then.
    sim.add_runware_task(uuid, Script::runware_success_after(ms(1_500), 0.01));
    let added = std::time::Instant::now();
    let env = [
        ("RUNWARE_API_KEY", RUNWARE_KEY),
        ("RUNWARE_WEBHOOK_TOKEN", RUNWARE_TOKEN),
    ];
    let (p, addr) = wait_listening("runware", uuid, &sim.runware_base_url(), &env);
    let task = TaskKey::runware(uuid);
    // The task has succeeded by then; the next safety-net poll is 5 s after the first.
    only_the_first_poll_by(&sim, &task, added + ms(1_700)).await;
    // As Runware posts it: the task's JSON response, the token in the URL's query.
    let callback =
        json!({"data": [{"taskType": "imageInference", "taskUUID": uuid, "status": "success"}]});
    let url = |token: &str| format!("http://{addr}/runware?token={token}");
    assert_eq!(post(&url("nope"), &callback).await, 401);
    assert_eq!(post(&url(RUNWARE_TOKEN), &callback).await, 200);
    let run = finished(p).await;
    // Without the callback the second poll would come 1 s + 500 ms x 10 after the start.
    succeeded_after_two_polls(&run, 6_000);
    assert_no_secret(&run, &[RUNWARE_TOKEN]);
}

/// `wait narada req_1 --listen 127.0.0.1:0`.
const NARADA_WAIT: [&str; 5] = ["wait", "narada", "req_1", "--listen", "127.0.0.1:0"];

/// Arguments, environment, and what the error message must say.
type Case<'a> = (Vec<&'a str>, &'a [(&'a str, &'a str)], &'a str);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_mistakes_exit_2_naming_them_before_anything_is_sent() {
    let sim = sim().await;
    let narada = sim.narada_base_url();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = busy.local_addr().unwrap().to_string();
    let narada_env = [("NARADA_API_KEY", NARADA_KEY)];
    let vessl_body = r#"{"data": {}, "method": "POST", "path": "/"}"#;
    let cases: [Case; 11] = [
        (
            vec!["wait", "vessl", "abc", "--listen", "127.0.0.1:0"],
            &[("VESSL_API_TOKEN", VESSL_KEY)],
            "vessl documents no callbacks",
        ),
        (
            vec![
                "submit",
                "vessl",
                "--data",
                vessl_body,
                "--wait",
                "--listen",
                "127.0.0.1:0",
                "--base-url",
                "http://127.0.0.1:9/services/s",
            ],
            &[("VESSL_API_TOKEN", VESSL_KEY)],
            "vessl documents no callbacks",
        ),
        (
            args(&NARADA_WAIT, &["--base-url", &narada]),
            &narada_env,
            "NARADA_CALLBACK_SECRET",
        ),
        (
            vec![
                "wait",
                "runware",
                "50836053-a0ee-4cf5-b9d6-ae7c5d140ada",
                "--listen",
                "127.0.0.1:0",
            ],
            &[("RUNWARE_API_KEY", RUNWARE_KEY)],
            "RUNWARE_WEBHOOK_TOKEN",
        ),
        (
            vec![
                "wait",
                "dari",
                "job",
                "--param",
                "org_id=o",
                "--param",
                "endpoint_name=e",
                "--listen",
                "127.0.0.1:0",
            ],
            &[("DARI_API_KEY", DARI_KEY)],
            "DARI_WEBHOOK_SECRET",
        ),
        (
            vec![
                "submit",
                "narada",
                "--data",
                r#"{"prompt": "x"}"#,
                "--listen",
                "127.0.0.1:0",
                "--base-url",
                &narada,
            ],
            &narada_env,
            "--listen is an option of the wait: give --wait too",
        ),
        (
            vec![
                "wait",
                "narada",
                "req_1",
                "--public-url",
                "https://hooks.example.com",
            ],
            &narada_env,
            "--listen <ADDR>",
        ),
        (
            args(&NARADA_WAIT, &["--public-url", "ftp://hooks.example.com"]),
            &narada_env,
            "is not an http:// or https:// URL",
        ),
        (
            vec!["wait", "narada", "req_1", "--listen", "127.0.0.1:0"],
            &[("NARADA_CALLBACK_SECRET", NARADA_SECRET)],
            "NARADA_API_KEY",
        ),
        (
            vec![
                "submit",
                "narada",
                "--data",
                r#"{"prompt": "x", "callbackUrl": "https://me.example/cb"}"#,
                "--wait",
                "--listen",
                "127.0.0.1:0",
                "--base-url",
                &narada,
            ],
            &narada_env,
            "`callbackUrl` is set by the webhook receiver",
        ),
        (
            vec![
                "wait",
                "narada",
                "req_1",
                "--listen",
                &busy,
                "--base-url",
                &narada,
            ],
            &[
                ("NARADA_API_KEY", NARADA_KEY),
                ("NARADA_CALLBACK_SECRET", NARADA_SECRET),
            ],
            "cannot listen on",
        ),
    ];
    for (argv, env, expect) in cases {
        let run = poller(&argv, env).await;
        assert_eq!(run.code, 2, "{argv:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(expect),
            "{argv:?}: {expect:?} not in {}",
            run.stderr
        );
        assert_no_secret(&run, &[NARADA_SECRET]);
        // Refused before the receiver announced an address.
        assert!(
            !run.stderr.contains("listening on"),
            "{argv:?}: {}",
            run.stderr
        );
    }
    assert!(
        sim.requests_for_api(Api::Narada).is_empty(),
        "nothing was sent"
    );
}
