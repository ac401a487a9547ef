//! The `techoms` binary as a user runs it: serving, migrating, and refusing bad input with one
//! clear line and a non-zero exit.

use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn techoms() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_techoms"));
    // Keep the test independent of the developer's environment.
    for (k, _) in std::env::vars() {
        if k.starts_with("TECHOMS_") {
            c.env_remove(k);
        }
    }
    c
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Run to completion and check it failed with exactly one `error:` line naming `needle`.
fn assert_refused(out: Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "expected failure, got success: {stderr}"
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "want one error line, got: {stderr}");
    assert!(
        errors[0].contains(needle),
        "{:?} does not name {needle:?}",
        errors[0]
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_for(url: &str) -> reqwest::Response {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(url).await {
            return r;
        }
        assert!(Instant::now() < deadline, "server did not answer {url}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn serve_and_check(database_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cmd = techoms();
    cmd.arg("serve")
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(url) = database_url {
        cmd.env("TECHOMS_DATABASE_URL", url);
    }
    let _server = Server(cmd.spawn().unwrap());
    let health = wait_for(&format!("http://127.0.0.1:{port}/healthz")).await;
    assert_eq!(health.status(), 200);
    let ready = reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    if database_url.is_none() {
        assert!(
            dir.path().join("techoms.db").exists(),
            "SQLite file in the data dir"
        );
    }
}

#[tokio::test]
async fn serves_health_on_sqlite() {
    serve_and_check(None).await;
}

#[tokio::test]
async fn serves_health_on_postgres() {
    let Some(t) = techoms_testkit::TestDb::postgres().await else {
        return;
    };
    serve_and_check(Some(&t.url)).await;
    t.finish().await;
}

#[test]
fn migrate_then_migrate_again() {
    let dir = tempfile::tempdir().unwrap();
    let out = techoms()
        .arg("migrate")
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("applied now") && !stdout.contains("(0 applied"),
        "{stdout}"
    );
    let out = techoms()
        .arg("migrate")
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("(0 applied now)"));
}

#[test]
fn bad_input_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Malformed database URL.
    assert_refused(
        techoms()
            .args(["migrate", "--database-url", "mysql://x/y", "--data-dir"])
            .arg(&data)
            .output()
            .unwrap(),
        "mysql",
    );
    // Unreachable database (nothing listens on port 1); the password is not shown.
    let out = techoms()
        .args([
            "migrate",
            "--database-url",
            "postgres://u:hunter2@127.0.0.1:1/db",
            "--data-dir",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("hunter2"));
    assert_refused(out, "refused");
    // A data dir that cannot be written (a file stands where the directory should be).
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    assert_refused(
        techoms()
            .args(["migrate", "--data-dir"])
            .arg(file.join("sub"))
            .output()
            .unwrap(),
        "data dir",
    );
    // Unknown config key.
    let cfg = dir.path().join("techoms.toml");
    std::fs::write(&cfg, "listen = \"127.0.0.1:1\"\ndatabse_url = \"x\"\n").unwrap();
    assert_refused(
        techoms()
            .args(["migrate", "--config"])
            .arg(&cfg)
            .output()
            .unwrap(),
        "databse_url",
    );
    // Port already in use.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    assert_refused(
        techoms()
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(&data)
            .output()
            .unwrap(),
        "cannot listen",
    );
    // Environment variables feed the same settings.
    assert_refused(
        techoms()
            .arg("migrate")
            .env("TECHOMS_DATABASE_URL", "oracle://x")
            .arg("--data-dir")
            .arg(&data)
            .output()
            .unwrap(),
        "oracle",
    );
}
