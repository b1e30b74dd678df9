//! Helpers for keel's integration tests: a minimal HTTP/1.1 client over
//! loopback (no client crate to build) and a probe service that exercises
//! the framework's edges (extractors, panics, routing order).

pub mod failed_log;
pub mod freeze_proxy;
pub mod ms;
pub mod probe;
pub mod redis_server;
pub mod twodb;

use std::collections::HashMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Boots `app` on an ephemeral loopback port; it serves until the test's
/// runtime ends.
pub async fn serve<K: keel::kind::Kind>(app: keel::App<K>) -> std::net::SocketAddr {
    match app.bind("127.0.0.1:0").await {
        Ok(running) => {
            let addr = running.addr;
            tokio::spawn(running.wait());
            addr
        }
        Err(err) => panic!("boot failed: {err}"),
    }
}

/// Polls `check` every 20 ms until it holds; panics naming `what` when
/// `limit` passes first. Tests wait for an outcome, never a fixed time.
pub async fn eventually<F, Fut>(limit: std::time::Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + limit;
    while !check().await {
        if std::time::Instant::now() > deadline {
            panic!("not within {limit:?}: {what}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A fresh, empty folder under the system's temp dir, unique to this
/// process, tag and call; removed when dropped, whatever the test's outcome.
pub fn temp_home(tag: &str) -> keel::testing::TempHome {
    match keel::testing::TempHome::new(tag) {
        Ok(home) => home,
        Err(err) => panic!("cannot create a temporary home: {err}"),
    }
}

/// A database of its own for one test on the server at `base_url`
/// (`TEST_MYSQL_URL`, `TEST_PG_URL`), dropped by [`ScratchDb::drop`].
pub struct ScratchDb {
    /// A connection to the server's base database.
    pub admin: keel::db::Db,
    /// The scratch database's name.
    pub name: String,
    /// Its URL.
    pub url: String,
}

impl ScratchDb {
    /// Creates `keel_test_<tag>_<pid>`; panics when the server is unreachable
    /// (a set variable means the backend must be there). On MySQL/MariaDB
    /// the database defaults to `latin1`, as old servers do: keel's tables
    /// must hold all of Unicode whatever the database's default.
    pub async fn create(base_url: &str, tag: &str) -> ScratchDb {
        let home = temp_home(tag);
        let entry = keel::config::BackendEntry::Url(base_url.to_owned());
        let admin = match keel::db::Db::connect("admin", &entry, &home).await {
            Ok(db) => db,
            Err(err) => panic!("{tag}: the server is set but unreachable: {err}"),
        };
        let name = format!("keel_test_{tag}_{}", std::process::id());
        let _ = admin.rbatis().exec(&format!("DROP DATABASE IF EXISTS {name}"), vec![]).await;
        let charset = if base_url.starts_with("mysql") { " CHARACTER SET latin1" } else { "" };
        if let Err(err) = admin.rbatis().exec(&format!("CREATE DATABASE {name}{charset}"), vec![]).await {
            panic!("CREATE DATABASE {name}: {err}");
        }
        let (server, _) = base_url.rsplit_once('/').unwrap_or((base_url, ""));
        ScratchDb { admin, url: format!("{server}/{name}"), name }
    }

    /// Drops the database.
    pub async fn drop(self) {
        // PostgreSQL refuses to drop a database with sessions still open.
        if self.url.starts_with("postgres") {
            let sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()";
            let _ = self.admin.rbatis().exec(sql, vec![rbs::Value::from(self.name.as_str())]).await;
        }
        if let Err(err) =
            self.admin.rbatis().exec(&format!("DROP DATABASE IF EXISTS {}", self.name), vec![]).await
        {
            eprintln!("could not drop {}: {err}", self.name);
        }
    }
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: HashMap<String, String>,
    /// Raw body.
    pub body: String,
}

impl Reply {
    /// The body as JSON; panics with the body text when it is not JSON, since
    /// every keel answer must be an envelope.
    pub fn json(&self) -> serde_json::Value {
        match serde_json::from_str(&self.body) {
            Ok(value) => value,
            Err(err) => panic!("answer is not JSON ({err}): {:?}", self.body),
        }
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// Sends one request (`Connection: close`) and reads the whole answer.
pub async fn send(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<Reply> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        request.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    if let Some(body) = body {
        request.push_str(body);
    }
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no header end in {text:?}")))?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line in {head:?}")))?;
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = if headers.get("transfer-encoding").is_some_and(|v| v == "chunked") {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Ok(Reply { status, headers, body })
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || tail.len() < size {
            break;
        }
        out.push_str(&tail[..size]);
        rest = tail[size..].trim_start_matches("\r\n");
    }
    out
}
