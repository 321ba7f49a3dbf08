//! `workers`: that many proxy threads, each with its own runtime, serving one port; a SIGTERM
//! drains the exchanges in flight on all of them.

mod support;

use std::time::Duration;
use support::upstream::reply;
use support::{Authlens, Upstream, client, send};

/// Names of the process's threads (`/proc/PID/task/*/comm`).
fn thread_names(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("task dir")
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|n| n.trim().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_serve_one_port_and_drain_together() {
    let upstream = Upstream::start(|_req| async {
        tokio::time::sleep(Duration::from_millis(800)).await;
        reply(200, &[], "slow but sure")
    })
    .await;
    let mut authlens = Authlens::start(&upstream.url(), "workers: 3\ndrain_timeout: 20s\n");
    let mut workers: Vec<String> = thread_names(authlens.pid())
        .into_iter()
        .filter(|n| n.starts_with("proxy-worker"))
        .collect();
    workers.sort();
    assert_eq!(
        workers,
        ["proxy-worker-0", "proxy-worker-1", "proxy-worker-2"]
    );

    // Each on its own connection, so the workers share them out.
    let url = format!("{}/slow", authlens.proxy);
    let requests: Vec<_> = (0..12)
        .map(|_| tokio::spawn(send(client::get(&url))))
        .collect();
    let started = std::time::Instant::now();
    while upstream.seen().len() < 12 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "only {} arrived",
            upstream.seen().len()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stopped = tokio::task::spawn_blocking(move || {
        let status = authlens.terminate();
        (status, authlens)
    });
    for r in requests {
        let reply = r.await.expect("request task");
        assert_eq!(reply.status.as_u16(), 200);
        assert_eq!(&reply.body[..], b"slow but sure");
    }
    let (status, authlens) = stopped.await.expect("terminate");
    assert!(status.success(), "{status:?}");
    authlens.wait_log(|v| v["message"] == "authlens stopped" && v["drained"] == true);
}
