//! The backends of a running service — identity, configuration, databases,
//! caches, pub/sub — built once at boot and shared (cheaply, behind an
//! `Arc`) by requests, jobs, scripts, boot hooks and tests.

use crate::cache::pubsub::PubSub;
use crate::cache::{Cache, CacheError};
use crate::config::Config;
use crate::data::db::{Db, DbError};
use crate::service::ServiceInfo;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// State shared by every request, job and script of a service.
#[derive(Debug)]
pub struct AppState {
    service: ServiceInfo,
    config: Config,
    databases: BTreeMap<String, Db>,
    caches: BTreeMap<String, Cache>,
    default_cache: Cache,
    pubsub: PubSub,
    sockets: Arc<Sockets>,
}

impl AppState {
    /// Assembles the state; `caches` without a `default` gets an in-process one.
    pub(crate) fn new(
        service: ServiceInfo,
        config: Config,
        databases: BTreeMap<String, Db>,
        caches: BTreeMap<String, Cache>,
        pubsub: PubSub,
        sockets: Arc<Sockets>,
    ) -> AppState {
        let default_cache = caches.get("default").cloned().unwrap_or_else(|| Cache::memory("default"));
        AppState { service, config, databases, caches, default_cache, pubsub, sockets }
    }

    /// Open WebSocket connections, closed (1001) at shutdown.
    pub(crate) fn sockets(&self) -> &Arc<Sockets> {
        &self.sockets
    }

    /// Every named database, by name.
    pub(crate) fn databases(&self) -> &BTreeMap<String, Db> {
        &self.databases
    }

    /// Every cache, by name (`default` included, in-process or not).
    pub(crate) fn caches(&self) -> impl Iterator<Item = (&str, &Cache)> {
        let configured = self.caches.iter().map(|(name, cache)| (name.as_str(), cache));
        let fallback = (!self.caches.contains_key("default")).then_some(("default", &self.default_cache));
        configured.chain(fallback)
    }
}

/// What handlers ([`Ctx`](crate::Ctx)), jobs and scripts
/// ([`JobCtx`](crate::jobs::JobCtx)) and boot hooks reach the backends
/// through: one set of accessors, wherever the code runs.
///
/// ```
/// use keel::Backends;
/// async fn mark(ctx: &impl Backends) -> Result<(), keel::BoxError> {
///     ctx.cache().set("demo_key", b"1", None).await?;
///     Ok(())
/// }
/// ```
pub trait Backends {
    /// The shared state itself.
    fn state(&self) -> &AppState;

    /// The service's identity.
    fn service(&self) -> ServiceInfo {
        self.state().service
    }

    /// The deployment settings the service booted with.
    fn config(&self) -> &Config {
        &self.state().config
    }

    /// The `default` database; unavailable (503 in a handler) when the
    /// service has none.
    fn db(&self) -> Result<&Db, DbError> {
        self.db_named("default")
    }

    /// The database named `name` in `[database]`.
    fn db_named(&self, name: &str) -> Result<&Db, DbError> {
        self.state()
            .databases
            .get(name)
            .ok_or_else(|| DbError::Unavailable(format!("no database `{name}` is configured")))
    }

    /// The `default` cache (in-process when none is configured).
    fn cache(&self) -> &Cache {
        &self.state().default_cache
    }

    /// The cache named `name` in `[cache]`.
    fn cache_named(&self, name: &str) -> Result<&Cache, CacheError> {
        self.state()
            .caches
            .get(name)
            .ok_or_else(|| CacheError::Unavailable(format!("no cache `{name}` is configured")))
    }

    /// Notices across processes: Redis pub/sub, else in-process.
    fn pubsub(&self) -> &PubSub {
        &self.state().pubsub
    }
}

impl Backends for AppState {
    fn state(&self) -> &AppState {
        self
    }
}

/// The upgraded (WebSocket) connections of a service. salvo detaches them
/// from the server, so shutdown tells each to close with 1001 through here.
#[derive(Debug)]
pub struct Sockets {
    open: AtomicUsize,
    shutdown: watch::Sender<bool>,
    /// Shutdown started: HTTP answers close their connections from now on.
    stopping: std::sync::atomic::AtomicBool,
}

impl Default for Sockets {
    fn default() -> Self {
        Sockets {
            open: AtomicUsize::new(0),
            shutdown: watch::channel(false).0,
            stopping: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

impl Sockets {
    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    /// Tells every connection to close with 1001.
    pub fn shutdown(&self) {
        self.stopping.store(true, Ordering::Release);
        let _ = self.shutdown.send(true);
    }

    /// Whether shutdown started (every HTTP answer then says
    /// `Connection: close`).
    pub(crate) fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Tells every connection to close with 1001 and waits up to `timeout`
    /// for them to go.
    pub async fn close_all(&self, timeout: Duration) {
        self.shutdown();
        let deadline = Instant::now() + timeout;
        while self.open() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Counts a connection as open until the guard drops.
    pub(crate) fn track(&self) -> OpenGuard<'_> {
        self.open.fetch_add(1, Ordering::AcqRel);
        OpenGuard(self)
    }

    /// Becomes `true` when the service shuts down.
    pub(crate) fn subscribe(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }
}

/// One open connection, counted in [`Sockets::open`].
pub(crate) struct OpenGuard<'a>(&'a Sockets);

impl Drop for OpenGuard<'_> {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
    }
}
