//! Caches (seed: Redis 6+ through the official driver; cache models in
//! `rc_model/`). One [`Cache`] per configured name — `[cache] default =
//! "redis://…"` — else an in-process cache with the same API, so a service
//! runs with no setup. Keys follow the table naming rule: a table's rows are
//! `sys_account:42`, a cache model's `sys_token:{token}`.
//!
//! When Redis is unreachable the breaker opens: calls fail fast with
//! [`CacheError::Unavailable`], read-through rows come from the database,
//! and invalidations that could not reach Redis are remembered and dropped
//! before the cache is read again.
//!
//! ```
//! # async fn demo() -> Result<(), keel::cache::CacheError> {
//! let cache = keel::cache::Cache::memory("default");
//! cache.set_json("demo_greeting", &"hello", Some(std::time::Duration::from_secs(60))).await?;
//! assert_eq!(cache.get_json::<String>("demo_greeting").await?.as_deref(), Some("hello"));
//! cache.delete("demo_greeting").await?;
//! assert!(!cache.exists("demo_greeting").await?);
//! # Ok(()) }
//! # keel::__private::block_on(demo()).unwrap();
//! ```
//!
//! Cache models (`rc_model/`) are typed entries with compile-time keys:
//!
//! ```
//! # use serde::{Deserialize, Serialize};
//! use keel::cache::CacheModel; // get, set, delete, exists, key_of
//!
//! #[keel::cache(prefix = "sys", name = "token", key = "{token}", ttl = 3600)]
//! #[derive(Serialize, Deserialize)]
//! pub struct Token {
//!     pub token: String,
//!     pub account_id: i64,
//! }
//!
//! # #[keel::table(prefix = "sys")]
//! # #[derive(Serialize, Deserialize)]
//! # pub struct Account { #[column(primary)] pub id: Option<i64> }
//! /// Tied to a table: the key's name is the table's, never typed twice.
//! #[keel::cache(table = "Account", key = "{id}:card")]
//! #[derive(Serialize, Deserialize)]
//! pub struct AccountCard {
//!     pub id: i64,
//!     pub username: String,
//! }
//!
//! assert_eq!(Token::key_of((&"abc",)), "sys_token:abc");
//! assert_eq!(AccountCard::key_of((&42,)), "sys_account:42:card");
//! # async fn demo(cache: &keel::cache::Cache) -> Result<(), keel::cache::CacheError> {
//! Token { token: "abc".into(), account_id: 7 }.set(cache).await?;
//! assert_eq!(Token::get(cache, (&"abc",)).await?.map(|t| t.account_id), Some(7));
//! Token::delete(cache, (&"abc",)).await?;
//! # Ok(()) }
//! # keel::__private::block_on(demo(&keel::cache::Cache::memory("default"))).unwrap();
//! ```

pub(crate) mod breaker;
mod memory;
pub mod pubsub;
#[cfg(feature = "redis")]
mod redis_link;
#[cfg(feature = "redis")]
mod redis_store;
// Without keel's `redis` feature: a store that cannot exist, so every
// Redis arm below compiles to nothing and a Redis URL is refused by name.
#[cfg(not(feature = "redis"))]
#[path = "no_redis.rs"]
mod redis_store;

use memory::MemoryStore;
#[cfg(feature = "redis")]
pub(crate) use redis_link::Target;
use redis_store::RedisStore;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A cache call's failure.
#[derive(Clone, Debug, thiserror::Error)]
pub enum CacheError {
    /// Redis cannot be reached (the breaker is open); callers fall back.
    #[error("cache unavailable: {0}")]
    Unavailable(String),
    /// Redis refused the command.
    #[error("cache command failed: {0}")]
    Command(String),
    /// A value did not encode or decode.
    #[error("cache value: {0}")]
    Codec(String),
    /// A bad cache URL.
    #[error("{0}")]
    Config(String),
}

/// Counters since boot, for `/health`-style views and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Reads answered by the cache.
    pub hits: u64,
    /// Reads the cache did not have.
    pub misses: u64,
    /// Calls skipped or failed because the cache was unreachable.
    pub unavailable: u64,
}

#[derive(Debug, Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    unavailable: AtomicU64,
}

#[derive(Debug)]
enum Backend {
    Memory(MemoryStore),
    Redis(Arc<RedisStore>),
}

/// One named cache; cheap to clone.
#[derive(Clone, Debug)]
pub struct Cache {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    name: String,
    backend: Backend,
    counters: Counters,
    /// Counters (`incr`) kept here while Redis is unreachable, so limits
    /// still hold per instance during an outage.
    local_counts: MemoryStore,
}

impl Cache {
    /// An in-process cache.
    pub fn memory(name: &str) -> Cache {
        Cache::with(name, Backend::Memory(MemoryStore::default()))
    }

    /// A cache by URL: `redis://…` (or `rediss://`), a Redis Cluster as
    /// `redis+cluster://host:port,host:port…` (any nodes as seeds), or
    /// `memory://` for the in-process one. Redis is connected lazily: this
    /// never waits for it.
    /// When too many invalidations were lost in an outage, recovery drops
    /// every key matching `purge_patterns` (e.g. `sys_*`).
    ///
    /// A Redis URL needs keel's `redis` feature (on by default); a build
    /// without it refuses one with an error that names the feature.
    pub fn open(name: &str, url: &str, purge_patterns: Vec<String>) -> Result<Cache, CacheError> {
        if url.starts_with("memory://") {
            return Ok(Cache::memory(name));
        }
        let store = RedisStore::open(name, url, purge_patterns)?;
        Ok(Cache::with(name, Backend::Redis(Arc::new(store))))
    }

    fn with(name: &str, backend: Backend) -> Cache {
        Cache {
            inner: Arc::new(Inner {
                name: name.to_owned(),
                backend,
                counters: Counters::default(),
                local_counts: MemoryStore::default(),
            }),
        }
    }

    /// The configured name (`default`, …).
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// `redis` or `memory`.
    pub fn kind(&self) -> &'static str {
        match self.inner.backend {
            Backend::Memory(_) => "memory",
            Backend::Redis(_) => "redis",
        }
    }

    /// Whether calls go to the cache now (false while Redis is away).
    pub fn is_available(&self) -> bool {
        match &self.inner.backend {
            Backend::Memory(_) => true,
            Backend::Redis(store) => store.is_available(),
        }
    }

    /// Counters since boot.
    pub fn stats(&self) -> CacheStats {
        let c = &self.inner.counters;
        CacheStats {
            hits: c.hits.load(Ordering::Relaxed),
            misses: c.misses.load(Ordering::Relaxed),
            unavailable: c.unavailable.load(Ordering::Relaxed),
        }
    }

    fn count<T>(&self, result: &Result<T, CacheError>) {
        if let Err(CacheError::Unavailable(_)) = result {
            self.inner.counters.unavailable.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The bytes under `key`.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let result = match &self.inner.backend {
            Backend::Memory(store) => Ok(store.get(key)),
            Backend::Redis(store) => store.get(key).await,
        };
        self.count(&result);
        if let Ok(found) = &result {
            let counter =
                if found.is_some() { &self.inner.counters.hits } else { &self.inner.counters.misses };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    /// Stores `value` under `key`, expiring after `ttl`. When Redis cannot
    /// be told, the key is dropped on recovery (its old value may be stale).
    pub async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<(), CacheError> {
        let result = self.fill(key, value, ttl).await;
        if let (Err(CacheError::Unavailable(_)), Backend::Redis(store)) = (&result, &self.inner.backend) {
            let _ = store.mark_dirty(key).await;
        }
        result
    }

    /// `set` for read-through fills: a failed fill leaves nothing stale.
    pub(crate) async fn fill(
        &self,
        key: &str,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<(), CacheError> {
        let result = match &self.inner.backend {
            Backend::Memory(store) => {
                store.set(key, value, ttl);
                Ok(())
            }
            Backend::Redis(store) => store.set(key, value, ttl).await,
        };
        self.count(&result);
        result
    }

    /// Removes `key`. When Redis cannot be told, the key is remembered and
    /// dropped before the cache is read again; the error says so.
    pub async fn delete(&self, key: &str) -> Result<(), CacheError> {
        let result = match &self.inner.backend {
            Backend::Memory(store) => {
                store.delete(key);
                Ok(())
            }
            Backend::Redis(store) => store.invalidate(key).await,
        };
        self.count(&result);
        result
    }

    /// Whether `key` holds a value.
    pub async fn exists(&self, key: &str) -> Result<bool, CacheError> {
        let result = match &self.inner.backend {
            Backend::Memory(store) => Ok(store.get(key).is_some()),
            Backend::Redis(store) => store.exists(key).await,
        };
        self.count(&result);
        result
    }

    /// Time left before `key` expires: `None` without a value, `Some(None)`
    /// without an expiry.
    pub async fn ttl(&self, key: &str) -> Result<Option<Option<Duration>>, CacheError> {
        match &self.inner.backend {
            Backend::Memory(store) => Ok(store.ttl(key)),
            Backend::Redis(store) => store.ttl(key).await,
        }
    }

    /// Stores `value` under `key` only if it holds nothing (a lock): `true`
    /// when this call took it. The entry expires after `ttl`.
    pub async fn set_nx(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, CacheError> {
        let result = match &self.inner.backend {
            Backend::Memory(store) => Ok(store.set_nx(key, value, ttl)),
            Backend::Redis(store) => store.set_nx(key, value, ttl).await,
        };
        self.count(&result);
        result
    }

    /// Counts one under `key` in a fixed window starting at the first count
    /// (rate limits); returns the count so far and the time left in the
    /// window. While Redis is unreachable the count is kept in this process.
    pub async fn incr(&self, key: &str, window: Duration) -> (i64, Duration) {
        if let Backend::Redis(store) = &self.inner.backend {
            match store.incr(key, window).await {
                Ok(counted) => return counted,
                Err(err) => self.count::<()>(&Err(err)),
            }
        }
        let store = match &self.inner.backend {
            Backend::Memory(store) => store,
            Backend::Redis(_) => &self.inner.local_counts,
        };
        store.incr(key, window)
    }

    /// The count under `key` and the time left in its window (0 when none).
    pub async fn count_of(&self, key: &str) -> (i64, Duration) {
        let parse =
            |bytes: &[u8]| std::str::from_utf8(bytes).ok().and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
        if let Backend::Redis(store) = &self.inner.backend {
            match store.value_and_ttl(key).await {
                Ok((value, left)) => return (value.as_deref().map_or(0, parse), left),
                Err(err) => self.count::<()>(&Err(err)),
            }
        }
        let store = match &self.inner.backend {
            Backend::Memory(store) => store,
            Backend::Redis(_) => &self.inner.local_counts,
        };
        let left = store.ttl(key).flatten().unwrap_or_default();
        (store.get(key).as_deref().map_or(0, parse), left)
    }

    /// The JSON value under `key`.
    pub async fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, CacheError> {
        match self.get(key).await? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| CacheError::Codec(format!("`{key}`: {e}"))),
            None => Ok(None),
        }
    }

    /// Stores `value` as JSON.
    pub async fn set_json<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
        ttl: Option<Duration>,
    ) -> Result<(), CacheError> {
        let bytes = serde_json::to_vec(value).map_err(|e| CacheError::Codec(format!("`{key}`: {e}")))?;
        self.set(key, &bytes, ttl).await
    }

    /// `PUBLISH channel payload` on the command connection (pub/sub's
    /// sending side); an in-process cache has no channels.
    #[cfg(feature = "redis")]
    pub(crate) async fn publish(&self, channel: &str, payload: &str) -> Result<(), CacheError> {
        let result = match &self.inner.backend {
            Backend::Memory(_) => {
                Err(CacheError::Config(format!("cache `{}` is in-process: no pub/sub", self.name())))
            }
            Backend::Redis(store) => store.publish(channel, payload).await,
        };
        self.count(&result);
        result
    }

    /// One round trip (`/health`); down while the breaker is open.
    pub async fn ping(&self) -> Result<(), CacheError> {
        match &self.inner.backend {
            Backend::Memory(_) => Ok(()),
            Backend::Redis(store) => store.ping().await,
        }
    }
}

/// A typed cache entry declared with `#[keel::cache]` (seed: `rc_model/`),
/// stored as JSON. Its operations come through this trait, so nothing is
/// added to the type's own namespace.
///
/// ```
/// use keel::cache::{Cache, CacheModel};
///
/// #[keel::cache(prefix = "sys", name = "token", key = "{token}", ttl = 60)]
/// #[derive(serde::Serialize, serde::Deserialize)]
/// pub struct Token { token: String, account_id: i64 }
///
/// # keel::__private::block_on(async {
/// let cache = Cache::memory("default");
/// Token { token: "abc".into(), account_id: 7 }.set(&cache).await.expect("stored");
/// assert_eq!(Token::key_of((&"abc",)), "sys_token:abc");
/// let read = Token::get(&cache, (&"abc",)).await.expect("read");
/// assert_eq!(read.map(|t| t.account_id), Some(7));
/// # });
/// ```
pub trait CacheModel: Send + Sync {
    /// The key's name part, by the table naming rule: `sys_token`.
    const KEY: &'static str;
    /// Expiry of a stored entry.
    const TTL: Option<Duration>;
    /// The key template's parameters, in order, as a tuple of references:
    /// `()`, `(&dyn Display,)`, `(&dyn Display, &dyn Display)`.
    type Params<'a>;

    /// The entry's full key, from its fields: `sys_token:abc`.
    fn key(&self) -> String;

    /// The full key for these parameters: `Token::key_of((&token,))`.
    fn key_of(params: Self::Params<'_>) -> String;

    /// The entry under these parameters.
    fn get(
        cache: &Cache,
        params: Self::Params<'_>,
    ) -> impl Future<Output = Result<Option<Self>, CacheError>> + Send
    where
        Self: DeserializeOwned,
    {
        let key = Self::key_of(params);
        async move { cache.get_json(&key).await }
    }

    /// Stores this entry under its key, with the model's TTL.
    fn set(&self, cache: &Cache) -> impl Future<Output = Result<(), CacheError>> + Send
    where
        Self: Serialize,
    {
        async move { cache.set_json(&self.key(), self, Self::TTL).await }
    }

    /// Removes the entry under these parameters.
    fn delete(
        cache: &Cache,
        params: Self::Params<'_>,
    ) -> impl Future<Output = Result<(), CacheError>> + Send {
        let key = Self::key_of(params);
        async move { cache.delete(&key).await }
    }

    /// Whether an entry exists under these parameters.
    fn exists(
        cache: &Cache,
        params: Self::Params<'_>,
    ) -> impl Future<Output = Result<bool, CacheError>> + Send {
        let key = Self::key_of(params);
        async move { cache.exists(&key).await }
    }
}
