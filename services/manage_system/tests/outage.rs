//! Revocations that survive their writer dying during a Redis outage.
//!
//! The writer is a real `http_manage_sys` process, killed while Redis is
//! down with the invalidations it could not deliver; Redis comes back with
//! the data it held (append-only file), as a partitioned or disk-backed
//! Redis does. The reader — an in-process `TestClient` on the same SQLite
//! file and Redis — saw the outage, so it drops the framework's and its
//! prefix's keys before reading the cache again: the logged-out token is
//! refused at once, never served from the stale entry.

use keel::config::{BackendEntry, Config};
use keel::testing::{TempHome, TestClient};
use manage_system::config::AdminSettings;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN: (&str, &str) = ("root", "root-secret-1");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// A redis-server with an append-only file in `dir`.
fn start_redis(port: u16, dir: &std::path::Path) -> Child {
    std::fs::create_dir_all(dir).expect("redis dir");
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""])
        .args(["--appendonly", "yes", "--appendfsync", "always", "--dir"])
        .arg(dir)
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server");
    wait_for(|| std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(), "redis-server to listen");
    child
}

fn wait_for(mut ready: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready() {
        assert!(Instant::now() < deadline, "not within 20 s: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `curl` against the writer: (status, body).
fn curl(port: u16, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> (u16, String) {
    let mut command = Command::new("curl");
    command.args(["-s", "-o", "-", "-w", "\n%{http_code}", "-X", method]);
    command.arg(format!("http://127.0.0.1:{port}{path}"));
    if let Some(token) = token {
        command.args(["-H", &format!("authorization: Bearer {token}")]);
    }
    if let Some(body) = body {
        command.args(["-H", "content-type: application/json", "-d", body]);
    }
    let output = command.output().expect("curl");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (status.trim().parse().unwrap_or(0), body.to_owned())
}

#[tokio::test]
async fn a_logout_is_not_undone_when_its_writer_dies_during_a_redis_outage() {
    if Command::new("redis-server").arg("--version").output().is_err() {
        eprintln!("skipped: no redis-server on this machine");
        return;
    }
    let home = TempHome::new("outage-writer").expect("home");
    let copied = Command::new("cp")
        .arg("-r")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations"))
        .arg(home.path())
        .status();
    assert!(copied.is_ok_and(|s| s.success()));
    let redis_port = free_port();
    let redis_url = format!("redis://127.0.0.1:{redis_port}/");
    let mut redis = start_redis(redis_port, &home.join("redis"));

    let writer_port = free_port();
    let mut writer = Command::new(env!("CARGO_BIN_EXE_http_manage_sys"))
        .env("KEEL_HOME", home.path())
        .env("KEEL_SERVER__BIND", "127.0.0.1")
        .env("KEEL_SERVER__PORT", writer_port.to_string())
        .env("KEEL_CACHE__DEFAULT", &redis_url)
        .env("KEEL_ADMIN__USERNAME", ADMIN.0)
        .env("KEEL_ADMIN__PASSWORD", ADMIN.1)
        .env_remove("KEEL_DATABASE__DEFAULT")
        .stdout(Stdio::null())
        .spawn()
        .expect("http_manage_sys");
    wait_for(|| curl(writer_port, "GET", "/health", None, None).0 == 200, "the writer to answer");

    let mut config = Config::default();
    config.cache.insert("default".to_owned(), BackendEntry::Url(redis_url.clone()));
    let admin = AdminSettings { username: Some(ADMIN.0.to_owned()), password: Some(ADMIN.1.to_owned()) };
    config.set_section(AdminSettings::SECTION, &admin).expect("serializable");
    let reader = TestClient::boot(manage_system::uri_router::app().home(home.path()).config(config))
        .await
        .expect("the reader boots");

    let login = format!(r#"{{"username":"{}","password":"{}"}}"#, ADMIN.0, ADMIN.1);
    let (status, body) = curl(writer_port, "POST", "/v1.00.02/login", None, Some(&login));
    assert_eq!(status, 200, "{body}");
    let token = serde_json::from_str::<serde_json::Value>(&body).expect("JSON")["data"]["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    // The session sits in Redis; the reader finds it there.
    assert_eq!(reader.get("/v1.00.02/account/me").bearer(&token).send().await.status, 200);

    // Redis goes down keeping what it held; the writer logs the token out.
    redis.kill().expect("kill redis");
    redis.wait().expect("redis exits");
    let (status, body) = curl(writer_port, "POST", "/v1.00.02/logout", Some(&token), None);
    assert_eq!(status, 200, "{body}");
    // The reader meets the outage and answers from the database.
    assert_eq!(reader.get("/v1.00.02/account/me").bearer(&token).send().await.status, 401);
    // The writer dies with the delete it could not deliver.
    writer.kill().expect("kill the writer");
    writer.wait().expect("the writer exits");

    let mut redis = start_redis(redis_port, &home.join("redis"));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let health = reader.get("/health").send().await;
        if health.json["data"]["checks"]["cache"]["status"] == "up" {
            break;
        }
        assert!(Instant::now() < deadline, "the reader's cache never came back: {}", health.text);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after = reader.get("/v1.00.02/account/me").bearer(&token).send().await;
    let _ = redis.kill();
    let _ = redis.wait();
    assert_eq!(after.status, 401, "a logged-out token came back from the cache: {}", after.text);
}
