//! The connection to Redis behind a cache: one server (`redis://…`,
//! `rediss://…`) through a self-reconnecting `ConnectionManager`, or a
//! Redis Cluster (`redis+cluster://host:port,host:port…`) through the
//! driver's cluster connection, which follows `MOVED`/`ASK` and picks up a
//! promoted replica by itself. Both connect lazily: a service boots while
//! Redis is down.
//!
//! ```
//! # use keel::cache::CacheError;
//! // Any node of the cluster will do as a seed; naming more survives one being down.
//! let cache = keel::cache::Cache::open("default", "redis+cluster://127.0.0.1:7000,127.0.0.1:7001", vec![]);
//! # keel::__private::block_on(async move { assert!(cache.is_ok()); Ok::<(), CacheError>(()) }).unwrap();
//! ```

use super::CacheError;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};
use std::time::Duration;

/// The scheme of a cluster URL.
pub(crate) const CLUSTER_SCHEME: &str = "redis+cluster://";

/// Where a cache's Redis is, parsed from its URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// One server.
    Single(String),
    /// The seed nodes of a cluster, each as `redis://[user:pass@]host:port/`.
    Cluster(Vec<String>),
}

impl Target {
    /// `redis://` / `rediss://` for one server, `redis+cluster://` with
    /// comma-separated `host:port` seeds (credentials before the first
    /// apply to all) for a cluster.
    pub(crate) fn parse(name: &str, url: &str) -> Result<Target, CacheError> {
        if url.starts_with("redis://") || url.starts_with("rediss://") {
            return Ok(Target::Single(url.to_owned()));
        }
        let Some(rest) = url.strip_prefix(CLUSTER_SCHEME) else {
            return Err(CacheError::Config(format!(
                "cache `{name}`: URL scheme must be redis://, rediss://, redis+cluster:// or memory://"
            )));
        };
        let (credentials, hosts) = match rest.rsplit_once('@') {
            Some((credentials, hosts)) => (format!("{credentials}@"), hosts),
            None => (String::new(), rest),
        };
        let hosts = hosts.trim_end_matches('/');
        let mut seeds = Vec::new();
        for host in hosts.split(',').map(str::trim) {
            let valid = host.rsplit_once(':').is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
            if !valid {
                return Err(CacheError::Config(format!(
                    "cache `{name}`: `{host}` in the cluster URL is not host:port \
                     (e.g. redis+cluster://127.0.0.1:7000,127.0.0.1:7001)"
                )));
            }
            seeds.push(format!("redis://{credentials}{host}/"));
        }
        Ok(Target::Cluster(seeds))
    }

    /// The servers a pub/sub listener may connect to, in the order to try.
    pub(crate) fn pubsub_nodes(&self) -> Vec<String> {
        match self {
            Target::Single(url) => vec![url.clone()],
            // Classic PUBLISH reaches every node of a cluster: any one of them
            // hears every channel.
            Target::Cluster(seeds) => seeds.clone(),
        }
    }
}

/// The command connection of one cache.
pub(crate) enum Link {
    Single(ConnectionManager),
    Cluster(Box<ClusterLink>),
}

/// A cluster's client and its connection, made at first use.
pub(crate) struct ClusterLink {
    client: ClusterClient,
    /// The connection every call clones: read without waiting.
    current: std::sync::RwLock<Option<ClusterConnection>>,
    /// Held by the one call that connects; holds when its last attempt
    /// failed, so that calls within [`RETRY_CONNECT_AFTER`] fail at once
    /// instead of each waiting for an attempt of its own.
    connecting: tokio::sync::Mutex<Option<std::time::Instant>>,
    /// How long one attempt to connect may take.
    timeout: Duration,
}

/// The pause between two attempts to connect to a cluster.
const RETRY_CONNECT_AFTER: Duration = Duration::from_millis(500);

impl ClusterLink {
    fn current(&self) -> Option<ClusterConnection> {
        self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    fn set_current(&self, connection: Option<ClusterConnection>) {
        *self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) = connection;
    }

    /// The connection, made now if there is none.
    async fn connection(&self) -> RedisResult<ClusterConnection> {
        if let Some(conn) = self.current() {
            return Ok(conn);
        }
        let mut failed_at = self.connecting.lock().await;
        // Another call may have connected while this one waited.
        if let Some(conn) = self.current() {
            return Ok(conn);
        }
        let unreachable = |why: &str| {
            redis::RedisError::from(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                why.to_owned(),
            ))
        };
        if failed_at.is_some_and(|at| at.elapsed() < RETRY_CONNECT_AFTER) {
            return Err(unreachable("the cluster could not be reached a moment ago"));
        }
        match tokio::time::timeout(self.timeout, self.client.get_async_connection()).await {
            Ok(Ok(conn)) => {
                *failed_at = None;
                self.set_current(Some(conn.clone()));
                Ok(conn)
            }
            Ok(Err(err)) => {
                *failed_at = Some(std::time::Instant::now());
                Err(err)
            }
            Err(_) => {
                *failed_at = Some(std::time::Instant::now());
                Err(unreachable("no cluster node answered in time"))
            }
        }
    }
}

impl Link {
    /// Connects lazily, answering or failing each call within `timeout`.
    /// Must be called inside a Tokio runtime (the manager spawns its task).
    pub(crate) fn open(name: &str, target: &Target, timeout: Duration) -> Result<Link, CacheError> {
        let config_error = |e: redis::RedisError| CacheError::Config(format!("cache `{name}`: {e}"));
        match target {
            Target::Single(url) => {
                let client = redis::Client::open(url.as_str()).map_err(config_error)?;
                // Short timeouts and one retry: the breaker, not the driver,
                // decides how an outage is handled.
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout))
                    .set_number_of_retries(1)
                    .set_min_delay(Duration::from_millis(50))
                    .set_max_delay(Duration::from_secs(1));
                ConnectionManager::new_lazy_with_config(client, config)
                    .map(Link::Single)
                    .map_err(config_error)
            }
            Target::Cluster(seeds) => {
                let client = ClusterClient::builder(seeds.clone())
                    .connection_timeout(timeout)
                    .response_timeout(timeout)
                    .retries(1)
                    .min_retry_wait(50)
                    .max_retry_wait(500)
                    .build()
                    .map_err(config_error)?;
                Ok(Link::Cluster(Box::new(ClusterLink {
                    client,
                    current: std::sync::RwLock::default(),
                    connecting: tokio::sync::Mutex::default(),
                    timeout: timeout * 2,
                })))
            }
        }
    }

    /// A handle for one call: clones of the shared multiplexed connection.
    pub(crate) async fn conn(&self) -> RedisResult<Conn> {
        match self {
            Link::Single(manager) => Ok(Conn::Single(manager.clone())),
            Link::Cluster(cluster) => cluster.connection().await.map(Conn::Cluster),
        }
    }

    /// Drops a cluster's connection: the next call connects afresh from
    /// the seeds and reads who serves which slot now. The driver follows
    /// `MOVED` by itself, but a connection that saw its node refuse keeps
    /// routing that node's slots to it; after a failover the slots belong
    /// to the promoted replica.
    pub(crate) async fn reset(&self) {
        if let Link::Cluster(cluster) = self {
            // Under the lock: a connect under way finishes first.
            let mut failed_at = cluster.connecting.lock().await;
            *failed_at = None;
            cluster.set_current(None);
        }
    }

    /// Whether every slot is served: `PING` for one server,
    /// `cluster_state:ok` from any node for a cluster (a primary that died
    /// leaves its slots unserved until its replica is promoted).
    pub(crate) async fn ping(&self) -> RedisResult<()> {
        let mut conn = self.conn().await?;
        match &mut conn {
            Conn::Single(_) => redis::cmd("PING").query_async::<String>(&mut conn).await.map(drop),
            Conn::Cluster(cluster) => {
                let info = cluster
                    .route_command(
                        redis::cmd("CLUSTER").arg("INFO").to_owned(),
                        RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random),
                    )
                    .await?;
                let text: String = redis::from_redis_value(info)?;
                if text.contains("cluster_state:ok") {
                    Ok(())
                } else {
                    Err(redis::RedisError::from((
                        redis::ErrorKind::Server(redis::ServerErrorKind::ClusterDown),
                        "some slots have no serving primary",
                    )))
                }
            }
        }
    }

    /// Deletes the keys matching `pattern` on every primary (`SCAN` runs
    /// per node; a `DEL` of keys in several slots is split by the driver).
    /// Returns how many were dropped.
    pub(crate) async fn delete_matching(&self, pattern: &str) -> Result<usize, String> {
        let mut conn = self.conn().await.map_err(|e| format!("connecting: {e}"))?;
        let nodes: Vec<Option<(String, u16)>> = match &mut conn {
            Conn::Single(_) => vec![None],
            Conn::Cluster(cluster) => primaries(cluster).await?.into_iter().map(Some).collect(),
        };
        let mut dropped = 0;
        for node in nodes {
            let mut cursor: u64 = 0;
            loop {
                let mut scan = redis::cmd("SCAN");
                scan.arg(cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(1000);
                let (next, found): (u64, Vec<String>) = match (&mut conn, &node) {
                    (Conn::Cluster(cluster), Some((host, port))) => {
                        let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress {
                            host: host.clone(),
                            port: *port,
                        });
                        let value = cluster
                            .route_command(scan, routing)
                            .await
                            .map_err(|e| format!("SCAN on {host}:{port}: {e}"))?;
                        redis::from_redis_value(value).map_err(|e| e.to_string())?
                    }
                    _ => scan.query_async(&mut conn).await.map_err(|e| e.to_string())?,
                };
                if !found.is_empty() {
                    let count: usize = redis::cmd("DEL")
                        .arg(&found)
                        .query_async(&mut conn)
                        .await
                        .map_err(|e| e.to_string())?;
                    dropped += count;
                }
                if next == 0 {
                    break;
                }
                cursor = next;
            }
        }
        Ok(dropped)
    }
}

/// The primaries of a cluster that are not marked failed, from `CLUSTER NODES`.
async fn primaries(cluster: &mut ClusterConnection) -> Result<Vec<(String, u16)>, String> {
    let nodes = cluster
        .route_command(
            redis::cmd("CLUSTER").arg("NODES").to_owned(),
            RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random),
        )
        .await
        .map_err(|e| format!("CLUSTER NODES: {e}"))?;
    let text: String = redis::from_redis_value(nodes).map_err(|e| e.to_string())?;
    Ok(parse_primaries(&text))
}

/// `<id> <ip:port@cport[,hostname]> <flags> …` lines; the serving primaries.
fn parse_primaries(text: &str) -> Vec<(String, u16)> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (_, address, flags) = (fields.next()?, fields.next()?, fields.next()?);
            // `fail?` is one node's suspicion: that primary may still serve
            // (and hold stale keys); only a confirmed `fail` has handed its
            // slots over. A SCAN on a primary that is really gone fails, and
            // recovery tries again.
            let serving = flags.split(',').any(|f| f == "master")
                && !flags.split(',').any(|f| f == "fail" || f == "noaddr");
            let (host, port) = address.split(['@', ',']).next()?.rsplit_once(':')?;
            (serving && !host.is_empty()).then(|| Some((host.to_owned(), port.parse().ok()?))).flatten()
        })
        .collect()
}

/// One call's connection.
#[derive(Clone)]
pub(crate) enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_urls_name_every_seed() {
        assert_eq!(
            Target::parse("default", "redis+cluster://:pw@127.0.0.1:7000,127.0.0.1:7001/").ok(),
            Some(Target::Cluster(vec![
                "redis://:pw@127.0.0.1:7000/".to_owned(),
                "redis://:pw@127.0.0.1:7001/".to_owned()
            ]))
        );
        let err = Target::parse("default", "redis+cluster://127.0.0.1").err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("`127.0.0.1` in the cluster URL is not host:port")));
        let err = Target::parse("default", "http://x").err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("redis+cluster://")));
    }

    #[test]
    fn serving_primaries_are_read_from_cluster_nodes() {
        let text = "a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460\n\
                    b2 127.0.0.1:7001@17001,host.example master - 0 0 2 connected 5461-10922\n\
                    c3 127.0.0.1:7002@17002 master,fail - 0 0 3 disconnected\n\
                    e5 127.0.0.1:7006@17006 master,fail? - 0 0 4 connected 10923-16383\n\
                    d4 127.0.0.1:7003@17003 slave a1 0 0 1 connected\n";
        assert_eq!(
            parse_primaries(text),
            [("127.0.0.1".to_owned(), 7000), ("127.0.0.1".to_owned(), 7001), ("127.0.0.1".to_owned(), 7006)],
            "a primary only suspected (`fail?`) may still serve: it is scanned"
        );
    }
}
