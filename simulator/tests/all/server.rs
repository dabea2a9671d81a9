use std::net::SocketAddr;

use poller_sim::{Keys, NaradaStage, Script, Simulator, TaskKey};

use crate::helpers::*;

#[tokio::test(start_paused = true)]
async fn base_urls_and_keys() {
    let sim = Simulator::start().await.unwrap();
    let base = sim.base_url().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"));
    assert_ne!(sim.addr().port(), 0);
    assert_eq!(sim.narada_base_url(), base);
    assert_eq!(sim.dari_base_url(), base);
    assert_eq!(sim.runware_base_url(), format!("{base}/v1"));
    assert_eq!(
        sim.vessl_base_url("my-svc"),
        format!("{base}/api/v1/services/my-svc")
    );
    assert_eq!(sim.keys(), &Keys::default());
    assert_eq!(
        sim.status_url(&TaskKey::dari("my-org", "a b", "j/1")),
        format!("{base}/jobs/my-org/a%20b/status?job_id=j%2F1")
    );
}

#[tokio::test(start_paused = true)]
async fn custom_keys_are_the_only_ones_accepted() {
    let sim = Simulator::builder()
        .keys(Keys {
            narada: "n-key".into(),
            ..Keys::default()
        })
        .start()
        .await
        .unwrap();
    sim.add_narada_task("a", Script::new(NaradaStage::Pending));
    let url = sim.status_url(&TaskKey::narada("a"));
    assert_eq!(get(&url, &[("x-api-key", "n-key")]).await.status, 200);
    assert_eq!(
        get(&url, &[("x-api-key", "sim-narada-key")]).await.status,
        401
    );
}

#[tokio::test(start_paused = true)]
async fn removed_and_replaced_tasks() {
    let sim = Simulator::start().await.unwrap();
    let k = TaskKey::narada("a");
    let key = [("x-api-key", "sim-narada-key")];
    sim.add_narada_task(
        "a",
        Script::narada_error_after(std::time::Duration::from_secs(1), "x"),
    );
    secs(2.0).await;
    assert_eq!(
        get(&sim.status_url(&k), &key).await.json()["status"],
        "error"
    );
    // Replacing restarts the script.
    sim.add_narada_task(
        "a",
        Script::narada_error_after(std::time::Duration::from_secs(1), "x"),
    );
    assert_eq!(
        get(&sim.status_url(&k), &key).await.json()["status"],
        "pending"
    );
    assert!(sim.remove_task(&k));
    assert!(!sim.remove_task(&k));
    assert_eq!(get(&sim.status_url(&k), &key).await.status, 404);
}

async fn refused(addr: SocketAddr) -> bool {
    tokio::net::TcpStream::connect(addr).await.is_err()
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let sim = Simulator::start().await.unwrap();
    let addr = sim.addr();
    assert_eq!(get(&format!("{}/x", sim.base_url()), &[]).await.status, 404);
    sim.shutdown().await;
    assert!(refused(addr).await);
}

#[tokio::test]
async fn dropping_the_simulator_stops_the_server() {
    let sim = Simulator::start().await.unwrap();
    let addr = sim.addr();
    drop(sim);
    // The server task notices the signal on its next poll.
    for _ in 0..100 {
        if refused(addr).await {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("still accepting connections after drop");
}

#[tokio::test(start_paused = true)]
async fn shutdown_cuts_a_slow_response_short() {
    let sim = Simulator::start().await.unwrap();
    sim.add_narada_task("a", Script::new(NaradaStage::Pending));
    sim.inject_fault(
        TaskKey::narada("a"),
        poller_sim::FaultPlan::next(
            1,
            poller_sim::Fault::slow(std::time::Duration::from_secs(3600)),
        ),
    );
    let url = sim.status_url(&TaskKey::narada("a"));
    let pending = tokio::spawn(async move { get(&url, &[("x-api-key", "sim-narada-key")]).await });
    // Wait until the request has arrived.
    while sim.request_count() == 0 {
        tokio::task::yield_now().await;
    }
    let start = tokio::time::Instant::now();
    sim.shutdown().await;
    assert!(start.elapsed() < std::time::Duration::from_secs(3600));
    assert_eq!(pending.await.unwrap().status, 200);
}

#[test]
fn simulator_can_be_shared_between_tasks() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Simulator>();
    send_sync::<poller_sim::RecordedRequest>();
}
