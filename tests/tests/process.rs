//! The probe service as a process: configuration layers, log files, and a
//! graceful stop on SIGTERM. Each test runs in its own temporary home.

use keel_tests::send;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const PROBE: &str = env!("CARGO_BIN_EXE_server_probe");

/// A temporary project root with the probe's config folder; removed on drop.
struct Home(keel::testing::TempHome);

impl Home {
    fn new(test: &str) -> Home {
        let home = keel_tests::temp_home(&format!("process-{test}"));
        if let Err(err) = std::fs::create_dir_all(home.join("services/probe/config")) {
            panic!("temp home: {err}");
        }
        Home(home)
    }

    fn config(&self, name: &str, text: &str) {
        if let Err(err) = std::fs::write(self.0.join("services/probe/config").join(name), text) {
            panic!("write config: {err}");
        }
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.0.join(file)).unwrap_or_default()
    }

    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        self.in_home(Command::new(PROBE), args, env)
    }

    /// `command` run in this home, with `env`, its output captured.
    fn in_home(&self, mut command: Command, args: &[&str], env: &[(&str, &str)]) -> Command {
        command
            .args(args)
            .env("KEEL_HOME", &self.0)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    /// Starts the probe and waits for its "listening on" line.
    async fn boot(&self, args: &[&str], env: &[(&str, &str)]) -> (Child, SocketAddr) {
        self.boot_command(self.command(args, env)).await
    }

    /// Starts the probe with a soft open-file limit of `soft`, as a shell's
    /// `ulimit -Sn` leaves it.
    async fn boot_with_soft_nofile(&self, soft: u32, env: &[(&str, &str)]) -> (Child, SocketAddr) {
        let script = format!("ulimit -Sn {soft} && exec \"$0\"");
        self.boot_command(self.in_home(Command::new("bash"), &["-c", &script, PROBE], env)).await
    }

    async fn boot_command(&self, mut command: Command) -> (Child, SocketAddr) {
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(err) => panic!("spawn {PROBE}: {err}"),
        };
        let Some(stdout) = child.stdout.take() else { panic!("no stdout") };
        let mut lines = BufReader::new(stdout).lines();
        let line = match tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await {
            Ok(Ok(Some(line))) => line,
            other => panic!("no listening line from the probe: {other:?}"),
        };
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|addr| addr.parse().ok());
        match addr {
            Some(addr) => (child, addr),
            None => panic!("unexpected first line: {line}"),
        }
    }

    /// Runs the probe expecting boot to fail; returns (exit code, stderr).
    async fn refused(&self, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
        let output =
            match tokio::time::timeout(Duration::from_secs(20), self.command(args, env).output()).await {
                Ok(Ok(output)) => output,
                other => panic!("probe did not exit: {other:?}"),
            };
        (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

fn sigterm(child: &Child) {
    let Some(pid) = child.id() else { panic!("probe already exited") };
    let status = std::process::Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
    assert!(status.is_ok_and(|s| s.success()), "kill -TERM {pid}");
}

async fn exit_code(child: &mut Child, within: Duration) -> Option<i32> {
    match tokio::time::timeout(within, child.wait()).await {
        Ok(Ok(status)) => status.code(),
        other => panic!("probe did not exit within {within:?}: {other:?}"),
    }
}

async fn get(addr: SocketAddr, path: &str, request_id: &str) -> u16 {
    match send(addr, "GET", path, &[("x-request-id", request_id)], None).await {
        Ok(reply) => reply.status,
        Err(err) => panic!("GET {path}: {err}"),
    }
}

fn assert_log_has(log: &str, needles: &[&str]) {
    assert!(
        log.lines().any(|line| needles.iter().all(|n| line.contains(n))),
        "no line with {needles:?} in:\n{log}"
    );
}

#[tokio::test]
async fn flags_win_over_variables_which_win_over_files() {
    let home = Home::new("layers");
    // The file says one unusable port, the variable another; the flag wins.
    home.config("default.toml", "[server]\nbind = \"127.0.0.1\"\nport = 1\n");
    let (mut child, addr) = home.boot(&["--port", "0"], &[("KEEL_SERVER__PORT", "2")]).await;
    // Ports 1 and 2 would mean the file or the variable won (root can bind them).
    assert!(addr.port() > 2, "{addr}");
    assert_eq!(addr.ip().to_string(), "127.0.0.1", "bind from the file");
    assert_eq!(get(addr, "/v2.00.00/item/me", "layers-1").await, 200);
    sigterm(&child);
    assert_eq!(exit_code(&mut child, Duration::from_secs(10)).await, Some(0));

    // Without the flag, the variable wins over the file's unusable port 1.
    let (mut child, addr) = home.boot(&[], &[("KEEL_SERVER__PORT", "0")]).await;
    assert!(addr.port() > 2, "{addr}");
    assert_eq!(get(addr, "/v2.00.00/item/me", "layers-2").await, 200);
    sigterm(&child);
    assert_eq!(exit_code(&mut child, Duration::from_secs(10)).await, Some(0));

    // A profile file wins over default.toml.
    home.config("staging.toml", "[server]\nport = 0\nbind = \"127.0.0.1\"\n");
    let (mut child, addr) = home.boot(&[], &[("KEEL_PROFILE", "staging")]).await;
    assert!(addr.port() > 2, "{addr}");
    assert_eq!(get(addr, "/v2.00.00/item/me", "layers-3").await, 200);
    sigterm(&child);
    assert_eq!(exit_code(&mut child, Duration::from_secs(10)).await, Some(0));
}

#[tokio::test]
async fn bad_configuration_stops_boot_with_one_line_naming_key_and_source() {
    let home = Home::new("refused");
    home.config("default.toml", "[server]\nprot = 8080\n");
    let (code, stderr) = home.refused(&[], &[]).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("`server.prot`") && stderr.contains("default.toml"), "{stderr}");

    home.config("default.toml", "");
    let (code, stderr) = home.refused(&[], &[("KEEL_SERVER__SHUTDOWN_TIMEOUT", "soon")]).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("`server.shutdown_timeout`") && stderr.contains("KEEL_SERVER__SHUTDOWN_TIMEOUT"),
        "{stderr}"
    );
    // Nothing was served, so no log folder was needed.
    assert!(!home.0.join("logs").exists());
}

#[tokio::test]
async fn every_request_leaves_an_access_line_and_internal_errors_reach_failed_log() {
    let home = Home::new("logs");
    home.config("default.toml", "[log]\nfiles = [\"audit\"]\n");
    let bind = [("KEEL_SERVER__BIND", "127.0.0.1"), ("KEEL_SERVER__PORT", "0")];
    let (mut child, addr) = home.boot(&[], &bind).await;
    assert_eq!(get(addr, "/v2.00.00/item/me", "ok-1").await, 200);
    assert_eq!(get(addr, "/v2.00.00/missing", "nf-1").await, 404);
    assert_eq!(get(addr, "/v2.00.00/failing", "fail-1").await, 500);
    assert_eq!(get(addr, "/v2.00.00/boom", "boom-1").await, 500);
    let work = send(addr, "POST", "/v2.00.00/work", &[("x-request-id", "work-1")], None).await;
    assert_eq!(work.map(|r| r.status).ok(), Some(202));
    sigterm(&child);
    assert_eq!(exit_code(&mut child, Duration::from_secs(10)).await, Some(0));

    let info = home.read("logs/probe/info.log");
    assert_log_has(&info, &["ok-1", "GET", "/v2.00.00/item/me", " 200 ", "ms"]);
    // The access line whole: `<time> INFO  <id> <method> <path> <status> <ms>ms`,
    // its time of day the wall clock's (the line derives it from the
    // monotonic clock between resyncs).
    let line = info.lines().find(|line| line.contains(" ok-1 ")).unwrap_or_default();
    let (stamp, rest) = line.split_once(' ').unwrap_or_default();
    let latency =
        rest.strip_prefix("INFO  ok-1 GET /v2.00.00/item/me 200 ").and_then(|ms| ms.strip_suffix("ms"));
    let (whole, frac) = latency.and_then(|ms| ms.split_once('.')).unwrap_or_default();
    let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    assert!(digits(whole, 1..=6) && digits(frac, 3..=3), "{line:?}");
    let at = time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339);
    let age = at.map(|at| (time::OffsetDateTime::now_utc() - at).whole_seconds());
    assert!(matches!(age, Ok(0..=60)), "{line:?} was stamped {age:?} s ago");
    assert_log_has(&info, &["nf-1", "GET", "/v2.00.00/missing", " 404 "]);
    assert_log_has(&info, &["fail-1", "/v2.00.00/failing", " 500 "]);
    let failed = home.read("logs/probe/failed.log");
    assert_log_has(&failed, &["fail-1", "db://admin:secret@10.0.0.1 refused"]);
    assert_log_has(&failed, &["boom-1", "panicked", "index out of bounds"]);
    // ctx.log.info / ctx.log.to("audit") and salvo's own tracing events.
    assert_log_has(&info, &["work-1", "[probe]", "work queued"]);
    assert_log_has(&home.read("logs/probe/audit.log"), &["work-1", "work accepted for the audit trail"]);
    assert_log_has(&info, &["salvo_core::server", "listening"]);

    // Deleted while stopped: recreated at the next boot.
    if let Err(err) = std::fs::remove_dir_all(home.0.join("logs")) {
        panic!("rm logs: {err}");
    }
    let (mut child, addr) = home.boot(&[], &bind).await;
    assert_eq!(get(addr, "/v2.00.00/item/me", "again-1").await, 200);
    sigterm(&child);
    assert_eq!(exit_code(&mut child, Duration::from_secs(10)).await, Some(0));
    assert_log_has(&home.read("logs/probe/info.log"), &["again-1", " 200 "]);
    assert!(Path::new(&home.0.join("logs/probe/failed.log")).exists());
}

#[tokio::test]
async fn sigterm_lets_the_request_in_flight_finish_then_exits_zero() {
    let home = Home::new("drain");
    let env = [
        ("KEEL_SERVER__BIND", "127.0.0.1"),
        ("KEEL_SERVER__PORT", "0"),
        ("KEEL_SERVER__SHUTDOWN_TIMEOUT", "5"),
    ];
    let (mut child, addr) = home.boot(&[], &env).await;
    let slow = tokio::spawn(async move { send(addr, "GET", "/v2.00.00/slow", &[], None).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    sigterm(&child);
    // While the slow request drains, the listener is already closed: a new
    // client is refused at once instead of waiting in the backlog.
    keel_tests::eventually(Duration::from_secs(2), "new connections refused during the drain", || async {
        matches!(
            tokio::net::TcpStream::connect(addr).await,
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionRefused
        )
    })
    .await;
    assert!(!slow.is_finished(), "the slow request is still in flight");
    let reply = match slow.await {
        Ok(Ok(reply)) => reply,
        other => panic!("slow request: {other:?}"),
    };
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["data"], "done");
    assert_eq!(exit_code(&mut child, Duration::from_secs(5)).await, Some(0));
    // New connections are refused once draining began.
    assert!(send(addr, "GET", "/v2.00.00/item/me", &[], None).await.is_err());
    let info = home.read("logs/probe/info.log");
    assert_log_has(&info, &["SIGTERM", "draining"]);
    assert_log_has(&info, &["/v2.00.00/slow", " 200 "]);
    assert_log_has(&info, &["probe stopped"]);
}

/// The soft and hard open-file limits of process `pid`.
fn open_file_limits(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap_or_default();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap_or_default().to_owned();
    let mut numbers = line.split_whitespace().skip(3);
    (numbers.next().unwrap_or_default().to_owned(), numbers.next().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn boot_raises_the_open_file_limit_and_says_when_connections_reach_the_cap() {
    let home = Home::new("nofile");
    let env = [
        ("KEEL_SERVER__BIND", "127.0.0.1"),
        ("KEEL_SERVER__PORT", "0"),
        ("KEEL_SERVER__MAX_CONNECTIONS", "3"),
    ];
    let (mut child, addr) = home.boot_with_soft_nofile(256, &env).await;
    let Some(pid) = child.id() else { panic!("probe exited") };
    let (soft, hard) = open_file_limits(pid);
    assert!(!hard.is_empty() && soft == hard, "soft {soft} not raised to hard {hard}");
    let said = format!("open-file limit: {hard}");
    keel_tests::eventually(Duration::from_secs(5), "the limit is said in info.log", || async {
        home.read("logs/probe/info.log").contains(&said)
    })
    .await;

    // Three idle connections take every slot: a fourth client waits, and
    // the log says why (once).
    let mut idle = Vec::new();
    for _ in 0..3 {
        match tokio::net::TcpStream::connect(addr).await {
            Ok(stream) => idle.push(stream),
            Err(err) => panic!("connect: {err}"),
        }
    }
    let waiting = tokio::spawn(async move { send(addr, "GET", "/v2.00.00/item/me", &[], None).await });
    keel_tests::eventually(Duration::from_secs(5), "the cap is said in failed.log", || async {
        home.read("logs/probe/failed.log").contains("server.max_connections reached")
    })
    .await;
    assert!(!waiting.is_finished(), "the fourth client was served past the cap");
    drop(idle);
    match tokio::time::timeout(Duration::from_secs(5), waiting).await {
        Ok(Ok(Ok(reply))) => assert!(reply.status < 500, "{}", reply.body),
        other => panic!("the waiting client was not served once slots freed: {other:?}"),
    }
    sigterm(&child);
    assert_eq!(exit_code(&mut child, Duration::from_secs(5)).await, Some(0));
}
