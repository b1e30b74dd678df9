//! A `redis-server` owned by one test, on a spare loopback port, that the
//! test can kill and start again (outages, restarts).

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A running (or killed) test-owned `redis-server`.
pub struct RedisServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// With `Some(dir)`, every write is persisted there (appendfsync
    /// always), so a restart brings back what it held.
    persist: Option<PathBuf>,
    child: Option<std::process::Child>,
}

impl RedisServer {
    /// Whether this machine can run one.
    pub fn available() -> bool {
        std::process::Command::new("redis-server").arg("--version").output().is_ok()
    }

    /// Starts one; `persist` keeps its data across restarts in that folder.
    pub fn start(persist: Option<PathBuf>) -> RedisServer {
        let port = match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
            Ok(addr) => addr.port(),
            Err(err) => panic!("{err}"),
        };
        let mut server = RedisServer { port, persist, child: None };
        server.restart();
        server
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        let mut command = std::process::Command::new("redis-server");
        command.args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", ""]);
        match &self.persist {
            Some(dir) => {
                let _ = std::fs::create_dir_all(dir);
                command.args(["--appendonly", "yes", "--appendfsync", "always", "--dir"]).arg(dir);
            }
            None => {
                command.args(["--appendonly", "no"]);
            }
        }
        match command.stdout(std::process::Stdio::null()).spawn() {
            Ok(child) => self.child = Some(child),
            Err(err) => panic!("redis-server: {err}"),
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start on port {}", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills it (SIGKILL): an outage, not a shutdown.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        if let Some(dir) = &self.persist {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
