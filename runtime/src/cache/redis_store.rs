//! Redis (one server or a cluster, see `redis_link`) through one
//! multiplexed, self-reconnecting connection, created lazily (a service
//! boots while Redis is down), behind a circuit breaker. After an outage it
//! drops every key of its purge patterns (and the keys whose invalidation
//! could not reach Redis, as they come) before the cache is read again.

use super::CacheError;
use super::breaker::Breaker;
use super::redis_link::{Link, Target};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The longest one cache call may take before Redis counts as unreachable.
const OP_TIMEOUT: Duration = Duration::from_millis(300);
/// Keys remembered during an outage; past that only the pattern purge is
/// relied on (memory stays bounded in a long outage).
const MAX_DIRTY: usize = 10_000;
/// Keys per `DEL` while purging.
const PURGE_BATCH: usize = 500;

#[derive(Debug, Default)]
struct Dirty {
    /// Invalidations that could not reach Redis.
    keys: HashSet<String>,
    /// Drop every key of the purge patterns: set when recovery starts.
    purge_all: bool,
}

pub(crate) struct RedisStore {
    name: String,
    link: Link,
    breaker: Breaker,
    dirty: Mutex<Dirty>,
    /// `SCAN MATCH` patterns dropped after an outage: the service's and the framework's keys.
    purge_patterns: Vec<String>,
    recovering: AtomicBool,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").field("name", &self.name).finish_non_exhaustive()
    }
}

impl RedisStore {
    /// The store behind `url` (`redis://`, `rediss://`, `redis+cluster://`).
    /// Must be called inside a Tokio runtime (the manager spawns its task).
    pub(crate) fn open(name: &str, url: &str, purge_patterns: Vec<String>) -> Result<RedisStore, CacheError> {
        let target = Target::parse(name, url)?;
        Ok(RedisStore {
            name: name.to_owned(),
            link: Link::open(name, &target, OP_TIMEOUT)?,
            breaker: Breaker::new(),
            dirty: Mutex::new(Dirty::default()),
            purge_patterns,
            recovering: AtomicBool::new(false),
        })
    }

    /// Whether Redis answers (every slot served, on a cluster).
    pub(crate) async fn ping(self: &Arc<Self>) -> Result<(), CacheError> {
        self.guarded(self.link.ping()).await
    }

    pub(crate) fn is_available(&self) -> bool {
        self.breaker.is_closed()
    }

    fn dirty(&self) -> std::sync::MutexGuard<'_, Dirty> {
        self.dirty.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs one command; a connection failure or timeout opens the breaker.
    async fn query<T: redis::FromRedisValue>(self: &Arc<Self>, cmd: &redis::Cmd) -> Result<T, CacheError> {
        self.guarded(async { cmd.query_async::<T>(&mut self.link.conn().await?).await }).await
    }

    /// Runs a pipeline, with the same breaker rules.
    async fn query_pipe<T: redis::FromRedisValue>(
        self: &Arc<Self>,
        pipe: &redis::Pipeline,
    ) -> Result<T, CacheError> {
        self.guarded(async { pipe.query_async::<T>(&mut self.link.conn().await?).await }).await
    }

    /// `GET key`.
    pub(crate) async fn get(self: &Arc<Self>, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        self.query(redis::cmd("GET").arg(key)).await
    }

    /// `SET key value [PX ttl]`.
    pub(crate) async fn set(
        self: &Arc<Self>,
        key: &str,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<(), CacheError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(key).arg(value);
        if let Some(ttl) = ttl {
            cmd.arg("PX").arg(millis(ttl));
        }
        self.query(&cmd).await
    }

    /// `EXISTS key`.
    pub(crate) async fn exists(self: &Arc<Self>, key: &str) -> Result<bool, CacheError> {
        self.query::<i64>(redis::cmd("EXISTS").arg(key)).await.map(|n| n > 0)
    }

    /// `PTTL key`: `None` without a value, `Some(None)` without an expiry.
    pub(crate) async fn ttl(self: &Arc<Self>, key: &str) -> Result<Option<Option<Duration>>, CacheError> {
        Ok(match self.query::<i64>(redis::cmd("PTTL").arg(key)).await? {
            -2 => None,
            -1 => Some(None),
            ms => Some(Some(Duration::from_millis(ms.unsigned_abs()))),
        })
    }

    /// `SET key value NX PX ttl`: whether this call took the key.
    pub(crate) async fn set_nx(
        self: &Arc<Self>,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(key).arg(value).arg("NX").arg("PX").arg(millis(ttl));
        self.query::<Option<String>>(&cmd).await.map(|reply| reply.is_some())
    }

    /// One more under `key` in a window that starts at the first count:
    /// the count and the time left, in one atomic round trip.
    pub(crate) async fn incr(
        self: &Arc<Self>,
        key: &str,
        window: Duration,
    ) -> Result<(i64, Duration), CacheError> {
        let mut pipe = redis::pipe();
        pipe.atomic()
            .incr(key, 1)
            .cmd("PEXPIRE")
            .arg(key)
            .arg(millis(window))
            .arg("NX")
            .ignore()
            .cmd("PTTL")
            .arg(key);
        let (count, left) = self.query_pipe::<(i64, i64)>(&pipe).await?;
        Ok((count, time_left(left)))
    }

    /// The value under `key` and the time left before it expires (0 when none).
    pub(crate) async fn value_and_ttl(
        self: &Arc<Self>,
        key: &str,
    ) -> Result<(Option<Vec<u8>>, Duration), CacheError> {
        let mut pipe = redis::pipe();
        pipe.cmd("GET").arg(key).cmd("PTTL").arg(key);
        let (value, left) = self.query_pipe::<(Option<Vec<u8>>, i64)>(&pipe).await?;
        Ok((value, time_left(left)))
    }

    /// `PUBLISH channel payload`.
    pub(crate) async fn publish(self: &Arc<Self>, channel: &str, payload: &str) -> Result<(), CacheError> {
        self.query::<i64>(redis::cmd("PUBLISH").arg(channel).arg(payload)).await.map(drop)
    }

    /// Awaits `call` unless the breaker is open; a connection failure or a
    /// timeout opens it. Nothing is sent before the breaker is checked
    /// (the call is a future that has not been polled). The manager's own
    /// connection and response timeouts bound the call: a second timer
    /// here cost measurable throughput on every cached read.
    async fn guarded<T>(
        self: &Arc<Self>,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, CacheError> {
        if !self.breaker.is_closed() {
            return Err(CacheError::Unavailable(format!("cache `{}` is unreachable", self.name)));
        }
        let failure = match call.await {
            Ok(value) => return Ok(value),
            Err(err) if !is_outage(&err) => {
                return Err(CacheError::Command(format!("cache `{}`: {err}", self.name)));
            }
            Err(err) => err.to_string(),
        };
        self.trip(&failure);
        Err(CacheError::Unavailable(format!("cache `{}`: {failure}", self.name)))
    }

    fn trip(self: &Arc<Self>, reason: &str) {
        if self.breaker.trip() {
            log::error!(
                target: crate::logging::FAILED,
                "cache `{}` unreachable ({reason}): reads go to the database until it is back",
                self.name
            );
        }
        if !self.recovering.swap(true, Ordering::AcqRel) {
            let store = Arc::clone(self);
            tokio::spawn(async move { store.recover().await });
        }
    }

    /// Deletes `key`; when Redis cannot be told, remembers it so recovery
    /// drops it before anything reads it again.
    ///
    /// Any failure counts: callers cannot do better than go on, and a key
    /// left in Redis would serve a revoked session or an old row until its
    /// TTL. A refused `DEL` (not an outage) also opens the breaker, so the
    /// key is dropped by recovery before the cache is read again.
    pub(crate) async fn invalidate(self: &Arc<Self>, key: &str) -> Result<(), CacheError> {
        if self.breaker.is_closed() {
            match self.query::<i64>(redis::cmd("DEL").arg(key)).await {
                Ok(_) => return Ok(()),
                Err(CacheError::Unavailable(_)) => {}
                Err(err) => {
                    self.dirty().keys.insert(key.to_owned());
                    self.trip(&err.to_string());
                    return Err(err);
                }
            }
        }
        self.mark_dirty(key).await
    }

    /// Remembers that Redis may hold a stale value for `key`.
    pub(crate) async fn mark_dirty(self: &Arc<Self>, key: &str) -> Result<(), CacheError> {
        let closed_meanwhile = {
            let mut dirty = self.dirty();
            if dirty.keys.len() < MAX_DIRTY {
                dirty.keys.insert(key.to_owned());
            } else {
                dirty.purge_all = true;
            }
            // Recovery closes the breaker under this lock once the set is
            // empty: closed now means it finished before this key arrived.
            self.breaker.is_closed()
        };
        if closed_meanwhile && self.query::<i64>(redis::cmd("DEL").arg(key)).await.is_ok() {
            self.dirty().keys.remove(key);
            return Ok(());
        }
        Err(CacheError::Unavailable(format!(
            "cache `{}` is unreachable; `{key}` will be dropped when it is back",
            self.name
        )))
    }

    /// Probes with backoff; once Redis answers, drops the dirty keys and
    /// every key of the purge patterns, then closes the breaker.
    ///
    /// Every key, not only this process's dirty ones: another instance may
    /// have invalidated keys during the same outage and stopped before
    /// Redis came back (a deploy), taking its list with it. A logged-out
    /// session or a disabled account cached before the outage must not be
    /// served after it, so an instance that saw the outage reads nothing
    /// from the cache until its service's and the framework's keys are gone.
    async fn recover(self: Arc<Self>) {
        self.dirty().purge_all = true;
        let mut wait = Duration::from_millis(100);
        loop {
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(2));
            self.link.reset().await;
            if !matches!(tokio::time::timeout(OP_TIMEOUT * 2, self.link.ping()).await, Ok(Ok(()))) {
                continue;
            }
            let mut dropped = 0;
            let closed = loop {
                let (keys, purge_all) = {
                    let mut dirty = self.dirty();
                    if dirty.keys.is_empty() && !dirty.purge_all {
                        let down = self.breaker.close();
                        break Some(down);
                    }
                    let taken = std::mem::take(&mut *dirty);
                    (taken.keys, taken.purge_all)
                };
                match self.purge(&keys, purge_all).await {
                    Ok(count) => dropped += count,
                    Err(err) => {
                        let mut dirty = self.dirty();
                        dirty.keys.extend(keys);
                        dirty.purge_all |= purge_all;
                        log::warn!(target: crate::logging::FAILED, "cache `{}`: purge failed ({err}); retrying", self.name);
                        break None;
                    }
                }
            };
            if let Some(down) = closed {
                self.recovering.store(false, Ordering::Release);
                log::error!(
                    target: crate::logging::FAILED,
                    "cache `{}` reachable again after {:.1} s; dropped {dropped} key(s) that may be stale",
                    self.name,
                    down.as_secs_f64()
                );
                return;
            }
        }
    }

    async fn purge(&self, keys: &HashSet<String>, purge_all: bool) -> Result<usize, String> {
        let keys: Vec<&String> = keys.iter().collect();
        let mut dropped = 0;
        let mut conn = self.link.conn().await.map_err(|e| format!("connecting: {e}"))?;
        for batch in keys.chunks(PURGE_BATCH) {
            let count: usize = redis::cmd("DEL")
                .arg(batch)
                .query_async(&mut conn)
                .await
                .map_err(|e| format!("DEL of {} remembered key(s): {e}", batch.len()))?;
            dropped += count;
        }
        if purge_all {
            for pattern in &self.purge_patterns {
                dropped += self.link.delete_matching(pattern).await?;
            }
        }
        Ok(dropped)
    }
}

/// `duration` in whole milliseconds, at least 1 (Redis refuses a zero expiry).
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// A `PTTL` reply as the time left: none for a key without one (-1) or
/// without a value (-2).
fn time_left(pttl: i64) -> Duration {
    Duration::from_millis(pttl.max(0).unsigned_abs())
}

/// Whether `err` means Redis cannot serve now (the breaker opens), not that
/// it refused this command.
fn is_outage(err: &redis::RedisError) -> bool {
    use redis::{ErrorKind, ServerErrorKind};
    err.is_io_error()
        || err.is_timeout()
        || err.is_connection_dropped()
        || err.is_connection_refusal()
        // A cluster whose slot has no serving primary (failover under way)
        // is as good as unreachable for that key.
        || err.is_cluster_error()
        || err.kind() == ErrorKind::ClusterConnectionNotFound
        // A demoted primary, one without its primary, one still loading:
        // what a failover or a restart answers for a while.
        || matches!(
            err.kind(),
            ErrorKind::Server(ServerErrorKind::ReadOnly | ServerErrorKind::MasterDown | ServerErrorKind::BusyLoading)
        )
}
