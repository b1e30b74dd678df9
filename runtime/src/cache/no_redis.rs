//! The Redis store of a build without keel's `redis` feature: a type with
//! no values. [`RedisStore::open`] refuses every Redis URL by naming the
//! feature, so no other method can ever be called; each one is the empty
//! match of a value that cannot exist, and the cache's Redis arms compile
//! to nothing.

use super::CacheError;
use std::sync::Arc;
use std::time::Duration;

/// No value of this type exists.
#[derive(Debug)]
pub(crate) enum RedisStore {}

impl RedisStore {
    /// Refuses `url`: a Redis URL by the feature it needs, any other by the
    /// schemes a cache accepts.
    pub(crate) fn open(
        name: &str,
        url: &str,
        _purge_patterns: Vec<String>,
    ) -> Result<RedisStore, CacheError> {
        let redis =
            ["redis://", "rediss://", "redis+cluster://"].iter().any(|scheme| url.starts_with(scheme));
        Err(CacheError::Config(if redis {
            format!(
                "cache `{name}`: this binary was built without keel's `redis` feature, which `{}` needs; enable it (keel = {{ features = [\"redis\"] }}) or use memory://",
                crate::config::redact(url)
            )
        } else {
            format!(
                "cache `{name}`: URL scheme must be memory:// (or redis://, rediss://, redis+cluster:// with keel's `redis` feature)"
            )
        }))
    }

    pub(crate) fn is_available(&self) -> bool {
        match *self {}
    }

    pub(crate) async fn ping(self: &Arc<Self>) -> Result<(), CacheError> {
        match **self {}
    }

    pub(crate) async fn get(self: &Arc<Self>, _key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        match **self {}
    }

    pub(crate) async fn set(
        self: &Arc<Self>,
        _key: &str,
        _value: &[u8],
        _ttl: Option<Duration>,
    ) -> Result<(), CacheError> {
        match **self {}
    }

    pub(crate) async fn exists(self: &Arc<Self>, _key: &str) -> Result<bool, CacheError> {
        match **self {}
    }

    pub(crate) async fn ttl(self: &Arc<Self>, _key: &str) -> Result<Option<Option<Duration>>, CacheError> {
        match **self {}
    }

    pub(crate) async fn set_nx(
        self: &Arc<Self>,
        _key: &str,
        _value: &[u8],
        _ttl: Duration,
    ) -> Result<bool, CacheError> {
        match **self {}
    }

    pub(crate) async fn incr(
        self: &Arc<Self>,
        _key: &str,
        _window: Duration,
    ) -> Result<(i64, Duration), CacheError> {
        match **self {}
    }

    pub(crate) async fn value_and_ttl(
        self: &Arc<Self>,
        _key: &str,
    ) -> Result<(Option<Vec<u8>>, Duration), CacheError> {
        match **self {}
    }

    pub(crate) async fn invalidate(self: &Arc<Self>, _key: &str) -> Result<(), CacheError> {
        match **self {}
    }

    pub(crate) async fn mark_dirty(self: &Arc<Self>, _key: &str) -> Result<(), CacheError> {
        match **self {}
    }
}

#[cfg(test)]
mod tests {
    use crate::cache::Cache;

    // Run in a build without the `redis` feature (CI: `cargo test -p keel
    // --no-default-features --features sqlite --lib left_out`).
    #[test]
    fn a_left_out_redis_is_refused_by_its_feature() {
        for url in ["redis://:hunter2@127.0.0.1:6379/", "redis+cluster://127.0.0.1:7000,127.0.0.1:7001"] {
            let message =
                Cache::open("sessions", url, vec![]).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(
                message.contains("cache `sessions`: this binary was built without keel's `redis` feature"),
                "{message}"
            );
            assert!(message.contains(r#"features = ["redis"]"#), "{message}");
            assert!(!message.contains("hunter2"), "the password is redacted: {message}");
        }
        let message = Cache::open("sessions", "memcached://127.0.0.1", vec![]).err().map(|e| e.to_string());
        assert!(message.is_some_and(|m| m.contains("URL scheme must be memory://")));
        let memory = Cache::open("sessions", "memory://", vec![]).map(|cache| cache.kind());
        assert_eq!(memory.ok(), Some("memory"));
    }

    // What an operator sees: boot stops on one line naming the cache.
    #[test]
    fn a_left_out_redis_stops_boot_on_one_line() {
        const INFO: crate::ServiceInfo =
            crate::ServiceInfo { name: "demo", id: 1, port: 1, prefix: "demo", version: "1.00.00" };
        let mut config = crate::config::Config::default();
        config.cache.insert(
            "default".to_owned(),
            crate::config::BackendEntry::Url("redis://127.0.0.1:6379/".to_owned()),
        );
        let mut app = crate::App::new(crate::UriRouter::new(INFO)).config(config);
        let refused = crate::__private::block_on(async move { app.connect().await.err() });
        let message = refused.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.starts_with("cache `default`: this binary was built without keel's `redis` feature"),
            "{message}"
        );
        assert!(!message.contains('\n'), "one line: {message}");
    }
}
