//! `techoms serve` runs the workers in-process (unless `--no-workers`), and the worker flags
//! refuse bad values with one clear line.

mod support;

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::*;
use techoms_app::engine::{RunStatus, Trigger};
use techoms_app::sync_jobs::request_sync;
use techoms_testkit::TestDb;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(url: &str, dir: &std::path::Path, name: &str, extra: &[&str]) -> WorkerProcess {
    let mut c = Command::new(env!("CARGO_BIN_EXE_techoms"));
    for (k, _) in std::env::vars() {
        if k.starts_with("TECHOMS_") {
            c.env_remove(k);
        }
    }
    let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
    c.arg("serve")
        .args(["--listen", &format!("127.0.0.1:{}", free_port())])
        .args(["--poll-ms", "50", "--tick-ms", "200"])
        .args(extra)
        .env("TECHOMS_DATABASE_URL", url)
        .env("TECHOMS_DATA_DIR", dir)
        .env("TECHOMS_SECRET_KEY", SECRET_KEY)
        .stdout(Stdio::null())
        .stderr(log);
    WorkerProcess {
        child: c.spawn().unwrap(),
        name: name.to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn serve_runs_workers_unless_told_not_to() {
    let db = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let w = World::new(db.db.clone(), &db.url, 1, Duration::ZERO).await;
    let skus = w.add_products("S", 40).await;
    let (channel, site) = w.sites[0].clone();
    let run = request_sync(&w.app, &w.access().await, channel, false, Trigger::Manual)
        .await
        .unwrap();

    // Without workers the run waits.
    let mut web_only = serve(&w.url, dir.path(), "web-only", &["--no-workers"]);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        w.run(run).await.status,
        RunStatus::Queued,
        "{}",
        log_of(dir.path(), "web-only")
    );
    assert!(web_only.terminate(Duration::from_secs(30)).success());

    // With them (the default) it runs.
    let mut full = serve(&w.url, dir.path(), "serve", &[]);
    let done = w
        .wait_run(run, Duration::from_secs(60), |r| r.status.is_finished())
        .await;
    assert_eq!(
        done.status,
        RunStatus::Succeeded,
        "{}",
        log_of(dir.path(), "serve")
    );
    assert_exactly_once(&site, &skus);
    assert!(full.terminate(Duration::from_secs(30)).success());
    db.finish().await;
}

#[test]
fn worker_flags_refuse_bad_values() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (vec!["worker", "--concurrency", "0"], "concurrency"),
        (vec!["worker", "--lease-secs", "0"], "lease"),
        (
            vec!["worker", "--run-retention-days", "0"],
            "run_retention_days",
        ),
        (vec!["serve", "--concurrency", "1000"], "concurrency"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_techoms"))
            .args(&args)
            .env_remove("TECHOMS_DATABASE_URL")
            .env("TECHOMS_DATA_DIR", dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{args:?}: {stderr}");
        assert!(errors[0].contains(needle), "{args:?}: {}", errors[0]);
    }
}
