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

/// A Redis Cluster owned by one test: 3 primaries and 3 replicas on spare
/// loopback ports (`redis-cli --cluster create`), a short node timeout so a
/// killed primary's replica takes over within seconds.
pub struct RedisCluster {
    /// The nodes' ports, primaries first as created.
    pub ports: Vec<u16>,
    nodes: Vec<Option<std::process::Child>>,
    dir: PathBuf,
}

impl RedisCluster {
    /// Starts six nodes and joins them; panics when that fails.
    pub fn start(tag: &str) -> RedisCluster {
        let dir = std::env::temp_dir().join(format!("keel-cluster-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        if let Err(err) = std::fs::create_dir_all(&dir) {
            panic!("{}: {err}", dir.display());
        }
        let ports = spare_cluster_ports(6);
        let mut cluster = RedisCluster { ports: ports.clone(), nodes: Vec::new(), dir };
        for port in &ports {
            let child = std::process::Command::new("redis-server")
                .args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .args(["--cluster-enabled", "yes", "--cluster-node-timeout", "1000"])
                // A replica takes over however long its link was down.
                .args(["--cluster-replica-validity-factor", "0"])
                .arg("--cluster-config-file")
                .arg(cluster.dir.join(format!("nodes-{port}.conf")))
                .arg("--dir")
                .arg(&cluster.dir)
                .stdout(std::process::Stdio::null())
                .spawn();
            match child {
                Ok(child) => cluster.nodes.push(Some(child)),
                Err(err) => panic!("redis-server: {err}"),
            }
        }
        for port in &ports {
            let deadline = Instant::now() + Duration::from_secs(10);
            while std::net::TcpStream::connect(("127.0.0.1", *port)).is_err() {
                assert!(Instant::now() < deadline, "cluster node {port} did not start");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let addresses: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let created = std::process::Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .output();
        match created {
            Ok(out) if out.status.success() => {}
            Ok(out) => panic!("redis-cli --cluster create: {}", String::from_utf8_lossy(&out.stdout)),
            Err(err) => panic!("redis-cli: {err}"),
        }
        cluster.wait_until_ok(Duration::from_secs(20));
        cluster
    }

    /// `redis+cluster://` naming every node as a seed.
    pub fn url(&self) -> String {
        let seeds: Vec<String> = self.ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        format!("redis+cluster://{}", seeds.join(","))
    }

    /// `redis-cli -p <port> <args…>`, its output trimmed.
    pub fn cli(port: u16, args: &[&str]) -> String {
        match std::process::Command::new("redis-cli").args(["-p", &port.to_string()]).args(args).output() {
            Ok(out) => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            Err(err) => panic!("redis-cli: {err}"),
        }
    }

    /// The port of the primary serving `key` now.
    pub fn primary_of(&self, key: &str) -> u16 {
        let port = self.alive()[0];
        let slot: u16 = Self::cli(port, &["cluster", "keyslot", key]).parse().unwrap_or(0);
        for line in Self::cli(port, &["cluster", "nodes"]).lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 9 || !fields[2].contains("master") || fields[2].contains("fail") {
                continue;
            }
            let owns = fields[8..].iter().any(|range| match range.split_once('-') {
                Some((a, b)) => {
                    a.parse::<u16>().is_ok_and(|a| a <= slot) && b.parse::<u16>().is_ok_and(|b| slot <= b)
                }
                None => range.parse::<u16>() == Ok(slot),
            });
            if owns {
                let address = fields[1].split('@').next().unwrap_or_default();
                if let Some(port) = address.rsplit_once(':').and_then(|(_, p)| p.parse().ok()) {
                    return port;
                }
            }
        }
        panic!("no primary serves `{key}` (slot {slot})")
    }

    /// Kills the node on `port` (SIGKILL).
    pub fn kill(&mut self, port: u16) {
        let index = self.ports.iter().position(|p| *p == port);
        if let Some(mut child) = index.and_then(|index| self.nodes[index].take()) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn alive(&self) -> Vec<u16> {
        self.ports.iter().zip(&self.nodes).filter(|(_, n)| n.is_some()).map(|(p, _)| *p).collect()
    }

    /// Waits until every live node reports `cluster_state:ok`.
    pub fn wait_until_ok(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            // Replicas in sync too: one that never synced cannot take over.
            let ok = self.alive().iter().all(|p| {
                let replication = Self::cli(*p, &["info", "replication"]);
                Self::cli(*p, &["cluster", "info"]).contains("cluster_state:ok")
                    && (replication.contains("role:master") || replication.contains("master_link_status:up"))
            });
            if ok {
                return;
            }
            assert!(Instant::now() < deadline, "the cluster did not reach cluster_state:ok in {limit:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for node in self.nodes.iter_mut() {
            if let Some(mut child) = node.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `count` loopback ports free along with their cluster bus ports (+10000).
fn spare_cluster_ports(count: usize) -> Vec<u16> {
    let mut ports = Vec::new();
    let mut candidate = 20_000 + (std::process::id() % 5_000) as u16;
    while ports.len() < count {
        candidate = if candidate >= 25_000 { 20_000 } else { candidate + 1 };
        let free = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
        if free(candidate) && free(candidate + 10_000) {
            ports.push(candidate);
        }
    }
    ports
}
