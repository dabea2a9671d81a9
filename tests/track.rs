//! `poller track` end to end: real processes, a real SQLite file, the simulator over
//! loopback. A worker killed with SIGKILL mid-run and another started after it: every task
//! ends exactly once. Outcomes POSTed signed and retried until acknowledged. Keys are never
//! stored.

use axum::http::{HeaderMap, StatusCode};
use poller_sim::{Keys, Script, Simulator};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "sk-narada-5ecret-track-41c2";

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

async fn sim(n: usize) -> Simulator {
    let keys = Keys {
        narada: KEY.into(),
        ..Keys::default()
    };
    let sim = Simulator::builder().keys(keys).start().await.unwrap();
    for i in 0..n {
        // Staggered, so that outcomes come one after another.
        sim.add_narada_task(
            format!("t{i}"),
            Script::narada_success_after(ms(300 + 120 * i as u64), json!({"n": i})),
        );
    }
    sim
}

fn poller() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_poller"));
    for var in ["POLLER_API_KEY", "NARADA_API_KEY", "POLLER_STORE"] {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `poller track …` to its end.
fn track(args: &[&str]) -> (i32, String, String) {
    let out = poller().arg("track").args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Starts `poller track run …` with the key in its environment; its stdout lines arrive on
/// the channel.
fn spawn_run(args: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let mut child = poller()
        .args(["track", "run"])
        .args(args)
        .env("NARADA_API_KEY", KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("t{i}")).collect()
}

fn add(store: &str, sim: &Simulator, ids: &[String]) {
    let mut args = vec!["add", "narada"];
    args.extend(ids.iter().map(String::as_str));
    let base = sim.narada_base_url();
    args.extend(["--store", store, "--base-url", &base, "--interval", "100ms"]);
    let (code, _, err) = track(&args);
    assert_eq!(code, 0, "{err}");
}

/// Every stored outcome, per task id; each task exactly once.
fn outcomes(store: &str) -> HashMap<String, Value> {
    let (code, out, err) = track(&["outcomes", "--store", store]);
    assert_eq!(code, 0, "{err}");
    let mut map = HashMap::new();
    for line in out.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let id = v["report"]["task_id"].as_str().unwrap().to_string();
        assert!(map.insert(id.clone(), v).is_none(), "two outcomes for {id}");
    }
    map
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_run_loses_nothing_and_no_task_ends_twice() {
    const N: usize = 20;
    let sim = sim(N).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("watch.db").display().to_string();
    add(&store, &sim, &ids(N));
    let (code, out, _) = track(&["list", "--store", &store]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), N);

    let (mut first, lines) = spawn_run(&["--store", &store, "--lease", "1s"]);
    let mut printed: Vec<Value> = Vec::new();
    while printed.len() < 3 {
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("outcomes from the first worker");
        printed.push(serde_json::from_str(&line).unwrap());
    }
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    printed.extend(
        lines
            .try_iter()
            .map(|l| serde_json::from_str::<Value>(&l).unwrap()),
    );
    let (code, out, _) = track(&["list", "--store", &store]);
    assert_eq!(code, 0);
    assert!(out.lines().count() > 0, "the kill came mid-run");

    let (mut second, lines) = spawn_run(&["--store", &store, "--lease", "1s", "--exit-when-done"]);
    let status = tokio::task::spawn_blocking(move || second.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success());
    printed.extend(
        lines
            .try_iter()
            .map(|l| serde_json::from_str::<Value>(&l).unwrap()),
    );

    let stored = outcomes(&store);
    assert_eq!(stored.len(), N, "every task ended");
    for (id, o) in &stored {
        assert_eq!(o["report"]["outcome"], "succeeded", "{id}: {o}");
        assert_eq!(o["acked"], true, "{id} delivered");
    }
    let seen: HashSet<&str> = printed
        .iter()
        .map(|o| o["task_id"].as_str().unwrap())
        .collect();
    assert_eq!(seen.len(), N, "every outcome printed at least once");
    let (_, pending, _) = track(&["list", "--store", &store]);
    assert!(pending.is_empty());

    // The key was in the workers' environment only: the store never saw it.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(
            !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
            "a key in the store"
        );
    }
    sim.shutdown().await;
}

#[derive(Default)]
struct Hook {
    calls: usize,
    accepted: Vec<(String, String)>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outcomes_are_posted_signed_and_retried_until_acknowledged() {
    let sim = sim(2).await;
    let hook = Arc::new(Mutex::new(Hook::default()));
    let h = hook.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let h = h.clone();
            async move {
                let mut hook = h.lock().unwrap();
                hook.calls += 1;
                if hook.calls <= 2 {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                let sig = headers["x-poller-signature"].to_str().unwrap().to_string();
                hook.accepted.push((sig, body));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("watch.db").display().to_string();
    add(&store, &sim, &ids(2));
    let secret = "whsec-test-77";
    let mut child = poller()
        .args(["track", "run", "--store", &store, "--exit-when-done"])
        .args(["--post-to", &url, "--post-secret-env", "HOOK_SECRET"])
        .env("NARADA_API_KEY", KEY)
        .env("HOOK_SECRET", secret)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = tokio::task::spawn_blocking(move || {
        let status = child.wait().unwrap();
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert!(!err.contains(secret), "the secret in the output: {err}");
        status
    })
    .await
    .unwrap();
    assert!(status.success());

    let (calls, accepted) = {
        let hook = hook.lock().unwrap();
        (hook.calls, hook.accepted.clone())
    };
    assert_eq!(calls, 4, "two refusals, then one POST per outcome");
    let mut tasks = HashSet::new();
    for (sig, body) in &accepted {
        let v: Value = serde_json::from_str(body).unwrap();
        tasks.insert(v["task_id"].as_str().unwrap().to_string());
        assert_eq!(v["outcome"], "succeeded");
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body.as_bytes());
        let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(sig, &expected, "signed over the exact body");
    }
    assert_eq!(tasks.len(), 2);
    let (_, unacked, _) = track(&["outcomes", "--unacked", "--store", &store]);
    assert!(unacked.is_empty(), "acknowledged once accepted: {unacked}");
    sim.shutdown().await;
}

#[test]
fn track_add_refuses_a_key_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("w.db").display().to_string();
    let (code, _, err) = track(&["add", "narada", "a", "--store", &store, "--api-key", KEY]);
    assert_eq!(code, 2);
    assert!(err.contains("never stored") && !err.contains(KEY), "{err}");
    let (code, _, err) = track(&["add", "narada", "a", "b", "--store", &store]);
    assert_eq!(code, 0);
    assert!(err.contains("added 2"), "{err}");
    let (_, _, err) = track(&["add", "narada", "b", "c", "--store", &store]);
    assert!(
        err.contains("added 1") && err.contains("1 already there"),
        "{err}"
    );
    let (code, _, err) = track(&["add", "no-such", "a", "--store", &store]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown provider"), "{err}");

    // Ids as `wait` takes them: `-` is stdin and --ids-file a file, never a task called "-".
    let file = dir.path().join("ids.txt");
    std::fs::write(&file, "# from a file\nf1\n\nc\n").unwrap();
    let mut child = poller()
        .args(["track", "add", "narada", "-", "--store", &store])
        .arg("--ids-file")
        .arg(&file)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(b"s1\ns2\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("added 3") && err.contains("1 already there"),
        "{err}"
    );
    let (_, list, _) = track(&["list", "--store", &store]);
    let listed: HashSet<String> = list
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["task_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let want: HashSet<String> = ["a", "b", "c", "s1", "s2", "f1"].map(String::from).into();
    assert_eq!(listed, want);
    // No id at all (an empty stdin) is refused, not an empty success.
    let (code, _, err) = track(&["add", "narada", "-", "--store", &store]);
    assert_eq!(code, 2, "{err}");
}
