//! The scale-out harness: nginx (with `deploy/nginx/keel.conf`) in front of
//! three `http_manage_sys` and two `ws_guidance` sharing MariaDB and Redis,
//! all on loopback. Checks what several instances must agree on, then
//! restarts each HTTP instance in turn under a bounded load and counts the
//! requests that failed. Run by `deploy/scale-out/run.sh` (which builds the
//! binaries and installs nginx); prints figures, exits non-zero on a failed
//! check.
//!
//! Environment: `SCALE_BIN` (folder of the service binaries), `SCALE_MYSQL`
//! (a server URL; a scratch database is made and dropped), `SCALE_REDIS`,
//! `SCALE_NGINX_CONF`, `SCALE_LOAD_SECS` (default 30), `SCALE_WORK` (a
//! scratch folder).

use futures_util::StreamExt;
use keel::config::BackendEntry;
use keel::db::Db;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// The ports `deploy/nginx/keel.conf` names.
const NGINX: u16 = 8080;
const HTTP_PORTS: [u16; 3] = [8101, 8102, 8103];
const WS_PORTS: [u16; 2] = [8201, 8202];
const ADMIN: (&str, &str) = ("scale_admin", "scale-admin-password-1");
/// Concurrent keep-alive connections of the load, and its request cap.
const LOAD_CONNECTIONS: usize = 16;
/// Of those, the ones posting notices: nginx does not send a POST that
/// reached an instance to another, so one cut off by a stopping instance
/// is a failed request — what shows a shutdown that drops work.
const POSTING_CONNECTIONS: usize = 4;
const LOAD_MAX_REQUESTS: u64 = 400_000;

type Outcome = Result<(), String>;

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    match run().await {
        Ok(()) => println!("scale-out: every check passed"),
        Err(err) => {
            eprintln!("scale-out: FAILED: {err}");
            std::process::exit(1);
        }
    }
}

/// The processes of one run; all killed when it ends, however it ends.
struct Fleet {
    bin: PathBuf,
    work: PathBuf,
    env: Vec<(String, String)>,
    http: Vec<Option<Child>>,
    ws: Vec<Child>,
    nginx: Option<Child>,
}

impl Drop for Fleet {
    fn drop(&mut self) {
        // nginx's master stops its workers on SIGTERM; a SIGKILL would
        // leave them running.
        if let Some(mut nginx) = self.nginx.take() {
            let _ = Command::new("kill").args(["-TERM", &nginx.id().to_string()]).status();
            let _ = nginx.wait();
        }
        for child in self.http.iter_mut().flatten().chain(self.ws.iter_mut()) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Fleet {
    fn spawn(&self, binary: &str, home: &Path, port: u16) -> Result<Child, String> {
        // manage_system's own settings; ws_guidance refuses keys it lacks.
        let own: &[(&str, &str)] = if binary == "http_manage_sys" {
            &[
                ("KEEL_ADMIN__USERNAME", ADMIN.0),
                ("KEEL_ADMIN__PASSWORD", ADMIN.1),
                // Every second, so that ten ticks pass in ten seconds.
                ("KEEL_JOBS__REFRESH_ACCOUNT_STATS", "* * * * * *"),
            ]
        } else {
            &[]
        };
        std::fs::create_dir_all(home).map_err(|e| format!("{}: {e}", home.display()))?;
        let log = std::fs::File::create(home.join("stdout.log")).map_err(|e| e.to_string())?;
        Command::new(self.bin.join(binary))
            .current_dir(home)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(own.iter().copied())
            .env("KEEL_SERVER__PORT", port.to_string())
            .stdout(Stdio::from(log))
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("{binary}: {e}"))
    }

    fn http_home(&self, index: usize) -> PathBuf {
        self.work.join(format!("http-{}", index + 1))
    }

    fn start_http(&mut self, index: usize) -> Result<(), String> {
        let child = self.spawn("http_manage_sys", &self.http_home(index), HTTP_PORTS[index])?;
        self.http[index] = Some(child);
        Ok(())
    }

    /// SIGTERM, then waits for the process to finish its requests and exit.
    async fn stop_http(&mut self, index: usize) -> Result<Duration, String> {
        let Some(mut child) = self.http[index].take() else { return Ok(Duration::ZERO) };
        let started = Instant::now();
        let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        if !status.is_ok_and(|s| s.success()) {
            return Err(format!("kill -TERM {}", child.id()));
        }
        while started.elapsed() < Duration::from_secs(35) {
            if let Ok(Some(status)) = child.try_wait() {
                return if status.success() {
                    Ok(started.elapsed())
                } else {
                    Err(format!("http instance {} exited with {status} after SIGTERM", index + 1))
                };
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let _ = child.kill();
        Err(format!("http instance {} did not stop within 35 s of SIGTERM", index + 1))
    }
}

async fn run() -> Outcome {
    let bin = PathBuf::from(env("SCALE_BIN")?);
    let work = PathBuf::from(env("SCALE_WORK")?);
    let nginx_conf = PathBuf::from(env("SCALE_NGINX_CONF")?);
    let redis = env("SCALE_REDIS")?;
    let load_secs: u64 = std::env::var("SCALE_LOAD_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(30);
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;

    // A scratch database on the MariaDB server.
    let server = env("SCALE_MYSQL")?;
    let admin_db = connect(&server, &work).await?;
    let name = format!("keel_scale_{}", std::process::id());
    let (base, _) = server.rsplit_once('/').ok_or("SCALE_MYSQL has no database part")?;
    let url = format!("{base}/{name}");
    exec(&admin_db, &format!("DROP DATABASE IF EXISTS {name}")).await?;
    exec(&admin_db, &format!("CREATE DATABASE {name}")).await?;
    let outcome = scale_out(bin, work.clone(), nginx_conf, url.clone(), redis, load_secs).await;
    exec(&admin_db, &format!("DROP DATABASE IF EXISTS {name}")).await?;
    outcome
}

async fn scale_out(
    bin: PathBuf,
    work: PathBuf,
    nginx_conf: PathBuf,
    db_url: String,
    redis: String,
    load_secs: u64,
) -> Outcome {
    let env: Vec<(String, String)> = [
        ("KEEL_SERVER__BIND", "127.0.0.1"),
        ("KEEL_DATABASE__DEFAULT", db_url.as_str()),
        ("KEEL_CACHE__DEFAULT", redis.as_str()),
        ("KEEL_AUTH__TRUSTED_PROXIES", r#"["127.0.0.1"]"#),
        ("KEEL_SERVER__SHUTDOWN_TIMEOUT", "10"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let mut fleet =
        Fleet { bin, work: work.clone(), env, http: vec![None, None, None], ws: Vec::new(), nginx: None };

    // Tables first, once; then the first instance (it creates the admin
    // account), then the others.
    let upgrade = Command::new(fleet.bin.join("http_manage_sys"))
        .current_dir(&work)
        .envs(fleet.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .args(["db", "upgrade"])
        .output()
        .map_err(|e| format!("http_manage_sys db upgrade: {e}"))?;
    if !upgrade.status.success() {
        return Err(format!("db upgrade: {}", String::from_utf8_lossy(&upgrade.stderr)));
    }
    let booted = Instant::now();
    fleet.start_http(0)?;
    wait_ready(HTTP_PORTS[0]).await?;
    for index in 1..3 {
        fleet.start_http(index)?;
    }
    for (index, port) in WS_PORTS.iter().enumerate() {
        let child = fleet.spawn("ws_guidance", &work.join(format!("ws-{}", index + 1)), *port)?;
        fleet.ws.push(child);
    }
    for port in HTTP_PORTS.iter().chain(&WS_PORTS) {
        wait_ready(*port).await?;
    }
    fleet.nginx = Some(start_nginx(&work, &nginx_conf)?);
    wait_ready(NGINX).await?;
    println!("booted 3 http + 2 ws instances and nginx in {} ms", booted.elapsed().as_millis());

    let through = addr(NGINX);
    let token = login(through, None).await?;
    check_sessions_and_freshness(through, &token).await?;
    check_fan_out(through, &token).await?;
    check_client_ip(&db_url, &work).await?;
    check_jobs(&fleet).await?;
    rolling_restart(&mut fleet, through, &token, load_secs).await?;
    Ok(())
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

async fn connect(url: &str, home: &Path) -> Result<Db, String> {
    // The error names the database, never the URL (it may hold a password).
    Db::connect("scale", &BackendEntry::Url(url.to_owned()), home).await.map_err(|e| e.to_string())
}

async fn exec(db: &Db, sql: &str) -> Outcome {
    db.rbatis().exec(sql, vec![]).await.map(drop).map_err(|e| format!("{sql}: {e}"))
}

fn start_nginx(work: &Path, conf: &Path) -> Result<Child, String> {
    let prefix = work.join("nginx");
    std::fs::create_dir_all(prefix.join("logs")).map_err(|e| e.to_string())?;
    let conf = std::fs::canonicalize(conf).map_err(|e| format!("{}: {e}", conf.display()))?;
    // Only what running unprivileged in a scratch folder needs around the
    // repository's file; every proxy setting is in keel.conf.
    let main = format!(
        "worker_processes 1;\nerror_log {p}/logs/error.log warn;\npid {p}/nginx.pid;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {p}/body;\n  proxy_temp_path {p}/proxy;\n\
           fastcgi_temp_path {p}/fastcgi;\n  uwsgi_temp_path {p}/uwsgi;\n  scgi_temp_path {p}/scgi;\n\
           include {conf};\n}}\n",
        p = prefix.display(),
        conf = conf.display()
    );
    let main_path = prefix.join("nginx.conf");
    std::fs::write(&main_path, main).map_err(|e| e.to_string())?;
    Command::new("nginx")
        .arg("-p")
        .arg(&prefix)
        .arg("-c")
        .arg(&main_path)
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("nginx: {e}"))
}

/// Waits until `GET /health` on `port` answers 200.
async fn wait_ready(port: u16) -> Outcome {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if request(addr(port), None, "GET", "/health", None, None)
            .await
            .is_ok_and(|reply| reply.status == 200)
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("nothing answered 200 on port {port} within 20 s"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ------------------------------------------------------------------ checks

async fn login(to: SocketAddr, from: Option<[u8; 4]>) -> Result<String, String> {
    let body = format!(r#"{{"username":"{}","password":"{}"}}"#, ADMIN.0, ADMIN.1);
    let reply =
        send_from(to, from, "POST", "/v1.00.02/login", Some(&body), None, &[("x-forwarded-for", "6.6.6.6")])
            .await?;
    let json = reply.json()?;
    json["data"]["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("login: {} {}", reply.status, reply.body))
}

async fn check_sessions_and_freshness(through: SocketAddr, token: &str) -> Outcome {
    // The token from a login through nginx works on every instance.
    for port in HTTP_PORTS {
        let reply = request(addr(port), Some(token), "GET", "/v1.00.02/account/me", None, None).await?;
        expect(&reply, 200, &format!("token on :{port}"))?;
    }
    // An account read (and cached) through every instance, updated through
    // one: every instance reads the new value.
    let body = r#"{"username":"scale_user","password":"scale-user-pass-1","display_name":"Before"}"#;
    let created = request(through, Some(token), "POST", "/v1.00.02/account", Some(body), None).await?;
    expect(&created, 201, "create account")?;
    let id = created.json()?["data"]["id"].as_i64().ok_or("no id")?;
    let path = format!("/v1.00.02/account/{id}");
    for port in HTTP_PORTS {
        expect(&request(addr(port), Some(token), "GET", &path, None, None).await?, 200, "read")?;
    }
    let rename = r#"{"display_name":"After"}"#;
    expect(
        &request(addr(HTTP_PORTS[0]), Some(token), "PUT", &path, Some(rename), None).await?,
        200,
        "update",
    )?;
    for port in HTTP_PORTS {
        let reply = request(addr(port), Some(token), "GET", &path, None, None).await?;
        let name = reply.json()?["data"]["display_name"].clone();
        if name != "After" {
            return Err(format!("stale read on :{port} after an update on :{}: {name}", HTTP_PORTS[0]));
        }
    }
    println!(
        "ok  a token from a login through nginx works on all 3; an update on one is read fresh on all 3"
    );
    // A logout through one instance is seen by the others at once.
    let second = login(through, None).await?;
    expect(
        &request(addr(HTTP_PORTS[1]), Some(&second), "POST", "/v1.00.02/logout", None, None).await?,
        200,
        "logout",
    )?;
    for port in HTTP_PORTS {
        let reply = request(addr(port), Some(&second), "GET", "/v1.00.02/account/me", None, None).await?;
        expect(&reply, 401, &format!("logged-out token on :{port}"))?;
    }
    println!("ok  a logout on :{} is refused at once on all 3", HTTP_PORTS[1]);
    Ok(())
}

type WsClient = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn ws_connect(port: u16, token: &str) -> Result<WsClient, String> {
    let url = format!("ws://127.0.0.1:{port}/v1.00.00/guide?token={token}");
    tokio_tungstenite::connect_async(url).await.map(|(c, _)| c).map_err(|e| format!("ws :{port}: {e}"))
}

async fn check_fan_out(through: SocketAddr, token: &str) -> Outcome {
    // Two clients straight on each ws instance, four through nginx.
    let mut clients = Vec::new();
    for port in WS_PORTS.iter().chain(&WS_PORTS).chain(&[NGINX; 4]) {
        clients.push((*port, ws_connect(*port, token).await?));
    }
    let body = r#"{"title":"scale-out","body":"to every socket"}"#;
    expect(
        &request(through, Some(token), "POST", "/v1.00.02/notice", Some(body), None).await?,
        202,
        "notice",
    )?;
    for (port, client) in &mut clients {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let frame = match tokio::time::timeout(left, client.next()).await {
                Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text)))) => text,
                Ok(Some(Ok(_))) => continue,
                _ => return Err(format!("a client on :{port} got no notice")),
            };
            let frame: serde_json::Value = serde_json::from_str(&frame).map_err(|e| e.to_string())?;
            if frame["type"] == "notice" && frame["data"]["title"] == "scale-out" {
                break;
            }
        }
    }
    println!(
        "ok  a notice posted through nginx reached all {} sockets (2 ws instances, direct and through nginx)",
        clients.len()
    );
    Ok(())
}

async fn check_client_ip(db_url: &str, work: &Path) -> Outcome {
    // A client on 127.0.0.2 logs in through nginx claiming 6.6.6.6 in its
    // own X-Forwarded-For: keel records 127.0.0.2 (the hop nginx added).
    login(addr(NGINX), Some([127, 0, 0, 2])).await?;
    let db = connect(db_url, work).await?;
    let rows: Vec<serde_json::Value> = db
        .rbatis()
        .exec_decode("SELECT ip FROM sys_records_login ORDER BY id DESC LIMIT 1", vec![])
        .await
        .map_err(|e| e.to_string())?;
    let ip = rows.first().and_then(|r| r["ip"].as_str()).unwrap_or_default().to_owned();
    if ip != "127.0.0.2" {
        return Err(format!("the login record says {ip:?}, not the client's 127.0.0.2"));
    }
    println!(
        "ok  a login through nginx records the client's address (127.0.0.2), not nginx's nor a spoofed one"
    );
    Ok(())
}

/// `job `refresh_account_stats` ran (tick T)` lines of the three instances:
/// each tick once, over at least ten ticks.
async fn check_jobs(fleet: &Fleet) -> Outcome {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut runs: BTreeMap<String, u32> = BTreeMap::new();
        for index in 0..3 {
            let log = fleet.http_home(index).join("logs/manage_system/info.log");
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            for line in text.lines().filter(|l| l.contains("job `refresh_account_stats` ran (tick ")) {
                if let Some(tick) = line.split("(tick ").nth(1).and_then(|t| t.split(')').next()) {
                    *runs.entry(tick.to_owned()).or_default() += 1;
                }
            }
        }
        if let Some((tick, count)) = runs.iter().find(|(_, count)| **count > 1) {
            return Err(format!("tick {tick} ran {count} times across the instances"));
        }
        if runs.len() >= 10 {
            println!(
                "ok  the every-second job ran once per tick across the 3 instances ({} ticks)",
                runs.len()
            );
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("only {} ticks ran in 20 s", runs.len()));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

// ------------------------------------------------------------ rolling restart

#[derive(Default)]
struct LoadFigures {
    ok: u64,
    failed: u64,
    first_failures: Vec<String>,
    latencies_us: Vec<u32>,
}

async fn rolling_restart(fleet: &mut Fleet, through: SocketAddr, token: &str, load_secs: u64) -> Outcome {
    let stop = Arc::new(AtomicBool::new(false));
    let budget = LOAD_MAX_REQUESTS / LOAD_CONNECTIONS as u64;
    let started = Instant::now();
    let load: Vec<_> = (0..LOAD_CONNECTIONS)
        .map(|n| {
            let post = n < POSTING_CONNECTIONS;
            tokio::spawn(load_connection(through, token.to_owned(), post, Arc::clone(&stop), budget))
        })
        .collect();
    let restarts = {
        let stop = Arc::clone(&stop);
        let mut log = Vec::new();
        tokio::time::sleep(Duration::from_secs(2)).await;
        for (index, port) in HTTP_PORTS.iter().enumerate() {
            let drained = fleet.stop_http(index).await?;
            let down = Instant::now();
            fleet.start_http(index)?;
            wait_ready(*port).await?;
            log.push(format!(
                ":{port} stopped in {} ms, back in {} ms",
                drained.as_millis(),
                down.elapsed().as_millis()
            ));
            // Past nginx's fail_timeout, so the instance takes traffic again
            // before the next one goes.
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        let left = Duration::from_secs(load_secs).saturating_sub(started.elapsed());
        tokio::time::sleep(left).await;
        stop.store(true, Ordering::Relaxed);
        log
    };
    let mut figures = LoadFigures::default();
    for task in load {
        let part = task.await.map_err(|e| e.to_string())?;
        figures.ok += part.ok;
        figures.failed += part.failed;
        figures.latencies_us.extend(part.latencies_us);
        figures.first_failures.extend(part.first_failures.into_iter().take(3));
    }
    let elapsed = started.elapsed().as_secs_f64();
    figures.latencies_us.sort_unstable();
    let pct = |p: f64| {
        let n = figures.latencies_us.len();
        figures.latencies_us.get(((n as f64 * p) as usize).min(n.saturating_sub(1))).copied().unwrap_or(0)
    };
    let total = figures.ok + figures.failed;
    println!(
        "rolling restart under load: {total} requests in {elapsed:.1} s ({:.0}/s) over {LOAD_CONNECTIONS} connections \
         ({POSTING_CONNECTIONS} posting), \
         p50 {:.2} ms, p99 {:.2} ms, {} failed",
        total as f64 / elapsed,
        f64::from(pct(0.50)) / 1000.0,
        f64::from(pct(0.99)) / 1000.0,
        figures.failed
    );
    for line in restarts {
        println!("    {line}");
    }
    // nginx's log tells requests it had to send elsewhere: refused
    // connections (the instance was down; nothing was sent) are safe, a
    // connection closed under a request is a shutdown that drops work, even
    // when nginx could resend it (a GET).
    let errors = std::fs::read_to_string(fleet.work.join("nginx/logs/error.log")).unwrap_or_default();
    let refused = errors.lines().filter(|l| l.contains("Connection refused")).count();
    let cut: Vec<&str> =
        errors.lines().filter(|l| l.contains("prematurely closed") || l.contains("reset by peer")).collect();
    println!(
        "    nginx resent {refused} request(s) refused by a stopped instance; {} cut off mid-request",
        cut.len()
    );
    if let Some(first) = cut.first() {
        return Err(format!("{} request(s) were cut off by a stopping instance, e.g. {first}", cut.len()));
    }
    if figures.failed > 0 {
        return Err(format!(
            "{} requests failed during the rolling restart: {:?}",
            figures.failed, figures.first_failures
        ));
    }
    println!("ok  0 failed requests through a rolling restart of the 3 http instances");
    Ok(())
}

/// One keep-alive connection through nginx until stopped or `budget`
/// requests: reading an account (token check and read-through cache), or
/// with `post` posting a notice (202); a dropped connection counts its
/// request as failed and opens a new one.
async fn load_connection(
    to: SocketAddr,
    token: String,
    post: bool,
    stop: Arc<AtomicBool>,
    budget: u64,
) -> LoadFigures {
    let mut figures = LoadFigures::default();
    let mut stream: Option<TcpStream> = None;
    let notice = r#"{"title":"load","body":"rolling restart"}"#;
    let (raw, expected) = if post {
        let raw = format!(
            "POST /v1.00.02/notice HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {token}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n{notice}",
            notice.len()
        );
        (raw, 202)
    } else {
        let raw = format!(
            "GET /v1.00.02/account/1 HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {token}\r\n\r\n"
        );
        (raw, 200)
    };
    while !stop.load(Ordering::Relaxed) && figures.ok + figures.failed < budget {
        let started = Instant::now();
        let result = async {
            if stream.is_none() {
                stream = Some(TcpStream::connect(to).await.map_err(|e| e.to_string())?);
            }
            let conn = stream.as_mut().ok_or("no connection")?;
            conn.write_all(raw.as_bytes()).await.map_err(|e| e.to_string())?;
            read_reply(conn).await
        }
        .await;
        match result {
            Ok(reply) if reply.status == expected => {
                figures.ok += 1;
                figures.latencies_us.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
                if reply.close {
                    stream = None;
                }
            }
            Ok(reply) => {
                figures.failed += 1;
                figures.first_failures.push(format!("{} {}", reply.status, reply.body));
                stream = None;
            }
            Err(err) => {
                figures.failed += 1;
                figures.first_failures.push(err);
                stream = None;
            }
        }
    }
    figures
}

// ------------------------------------------------------------------ HTTP

struct Reply {
    status: u16,
    body: String,
    close: bool,
}

impl Reply {
    fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_str(&self.body).map_err(|e| format!("{e}: {}", self.body))
    }
}

fn expect(reply: &Reply, status: u16, what: &str) -> Outcome {
    if reply.status == status {
        Ok(())
    } else {
        Err(format!("{what}: expected {status}, got {} {}", reply.status, reply.body))
    }
}

async fn request(
    to: SocketAddr,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&str>,
    from: Option<[u8; 4]>,
) -> Result<Reply, String> {
    send_from(to, from, method, path, body, token, &[]).await
}

/// One request on a new connection, from the local address `from` if given.
async fn send_from(
    to: SocketAddr,
    from: Option<[u8; 4]>,
    method: &str,
    path: &str,
    body: Option<&str>,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> Result<Reply, String> {
    let socket = TcpSocket::new_v4().map_err(|e| e.to_string())?;
    if let Some(ip) = from {
        socket.bind(SocketAddr::from((ip, 0))).map_err(|e| e.to_string())?;
    }
    let mut conn = socket.connect(to).await.map_err(|e| format!("{to}: {e}"))?;
    let mut raw = format!("{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n");
    if let Some(token) = token {
        raw.push_str(&format!("authorization: Bearer {token}\r\n"));
    }
    for (name, value) in headers {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = body.unwrap_or_default();
    if !body.is_empty() || method != "GET" {
        raw.push_str(&format!("content-type: application/json\r\ncontent-length: {}\r\n", body.len()));
    }
    raw.push_str("\r\n");
    raw.push_str(body);
    conn.write_all(raw.as_bytes()).await.map_err(|e| e.to_string())?;
    tokio::time::timeout(Duration::from_secs(10), read_reply(&mut conn))
        .await
        .map_err(|_| "no answer in 10 s".to_owned())?
}

/// Reads one response (Content-Length or chunked body).
async fn read_reply(conn: &mut TcpStream) -> Result<Reply, String> {
    let mut buf = Vec::with_capacity(1024);
    let head_end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = conn.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed before a response".to_owned());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status: u16 = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or("no status line")?;
    let header = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(':')).map(|v| v.trim().to_owned()))
    };
    let close = header("connection").is_some_and(|v| v == "close");
    let mut body = buf.split_off(head_end);
    if let Some(length) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        while body.len() < length {
            let mut chunk = [0u8; 4096];
            let n = conn.read(&mut chunk).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("connection closed mid-body".to_owned());
            }
            body.extend_from_slice(&chunk[..n]);
        }
        body.truncate(length);
    } else if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        body = read_chunked(conn, body).await?;
    }
    Ok(Reply { status, body: String::from_utf8_lossy(&body).into_owned(), close })
}

async fn read_chunked(conn: &mut TcpStream, mut raw: Vec<u8>) -> Result<Vec<u8>, String> {
    loop {
        if let Some(body) = dechunk(&raw) {
            return Ok(body);
        }
        let mut chunk = [0u8; 4096];
        let n = conn.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed mid-body".to_owned());
        }
        raw.extend_from_slice(&chunk[..n]);
    }
}

/// The body of a complete chunked encoding, `None` while incomplete.
fn dechunk(raw: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let line_end = raw[at..].windows(2).position(|w| w == b"\r\n")? + at;
        let size = usize::from_str_radix(
            std::str::from_utf8(&raw[at..line_end]).ok()?.split(';').next()?.trim(),
            16,
        )
        .ok()?;
        at = line_end + 2;
        if size == 0 {
            return Some(body);
        }
        if raw.len() < at + size + 2 {
            return None;
        }
        body.extend_from_slice(&raw[at..at + size]);
        at += size + 2;
    }
}
