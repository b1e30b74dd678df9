//! Rows read through the cache (`sys_account:42`): filled on a miss with
//! one database read however many requests miss the same key at once,
//! invalidated by every write through the row helpers, and skipped while
//! the cache is unreachable. "No such row" is cached too, briefly.
//!
//! A fill can race a write: a read that loaded the row just before an
//! update may store it just after the update's invalidation. Such a value
//! lives at most [`ROW_TTL`]; writes are expected through the helpers,
//! which invalidate after the database has the new row.

use crate::data::db::{Db, DbError};
use crate::data::table::Table;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OnceCell;

/// How long a row stays in the cache.
pub const ROW_TTL: Duration = Duration::from_secs(300);
/// How long "no such row" stays in the cache.
pub const MISS_TTL: Duration = Duration::from_secs(5);

type Flight = Arc<OnceCell<Result<Arc<[u8]>, DbError>>>;

/// Loads in flight, by key: concurrent misses share one database read.
#[derive(Debug, Default)]
pub struct Flights {
    loading: Mutex<HashMap<String, Flight>>,
}

impl Flights {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Flight>> {
        self.loading.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn load<F, Fut>(&self, key: &str, load: F) -> Result<Arc<[u8]>, DbError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Arc<[u8]>, DbError>>,
    {
        let (flight, leader) = {
            let mut loading = self.lock();
            match loading.get(key) {
                Some(flight) => (flight.clone(), false),
                None => {
                    let flight = Flight::default();
                    loading.insert(key.to_owned(), flight.clone());
                    (flight, true)
                }
            }
        };
        // The leader's guard forgets the flight even if its request is
        // cancelled, so the next miss loads afresh.
        let _forget = leader.then(|| Forget { flights: self, key, flight: flight.clone() });
        flight.get_or_init(load).await.clone()
    }
}

struct Forget<'a> {
    flights: &'a Flights,
    key: &'a str,
    flight: Flight,
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        let mut loading = self.flights.lock();
        if loading.get(self.key).is_some_and(|f| Arc::ptr_eq(f, &self.flight)) {
            loading.remove(self.key);
        }
    }
}

impl Db {
    /// Reads through this cache and invalidates rows in it on writes.
    pub fn with_cache(mut self, cache: crate::cache::Cache) -> Db {
        self.cache = Some(cache);
        self
    }

    /// The cache rows are read through, if any.
    pub fn cache(&self) -> Option<&crate::cache::Cache> {
        self.cache.as_ref()
    }

    /// Row `id` through the cache: from the cache when it has it, else
    /// from the database (once for concurrent misses), then cached for
    /// the table's `cache_ttl` or [`ROW_TTL`] ([`MISS_TTL`] for no row). While the cache is
    /// unreachable this is a plain database read. `T` must read back what
    /// it writes as JSON. Columns marked `#[column(skip_cache)]` are never
    /// cached and come back as their default, on a hit and a miss alike.
    pub async fn get_cached<T>(&self, id: i64) -> Result<Option<T>, DbError>
    where
        T: Table + Serialize + DeserializeOwned + Send + 'static,
    {
        use crate::metrics::{RowRead, metrics};
        let Some(cache) = self.cache.as_ref().filter(|c| c.is_available()) else {
            metrics().row_read(RowRead::Bypass);
            return self.get(id).await;
        };
        let key = T::row_key(id);
        if let Ok(Some(bytes)) = cache.get(&key).await {
            match serde_json::from_slice::<Option<T>>(&bytes) {
                Ok(row) => {
                    metrics().row_read(RowRead::Hit);
                    return Ok(row);
                }
                // Written by an older shape of the row: load it afresh.
                Err(_) => drop(cache.delete(&key).await),
            }
        }
        metrics().row_read(RowRead::Miss);
        let bytes = self
            .flights
            .load(&key, || async {
                let row = self.get::<T>(id).await?;
                let mut value = serde_json::to_value(&row)
                    .map_err(|e| DbError::Other(format!("{}: row does not encode: {e}", T::TABLE)))?;
                // Secrets never reach the cache, nor this read's answer.
                if let Some(columns) = value.as_object_mut() {
                    for column in T::CACHE_SKIP {
                        columns.remove(*column);
                    }
                }
                let bytes = serde_json::to_vec(&value)
                    .map_err(|e| DbError::Other(format!("{}: row does not encode: {e}", T::TABLE)))?;
                let row_ttl = T::CACHE_TTL.map_or(ROW_TTL, std::time::Duration::from_secs);
                let ttl = if row.is_some() { row_ttl } else { MISS_TTL };
                if cache.is_available() {
                    let _ = cache.fill(&key, &bytes, Some(ttl)).await;
                }
                Ok(Arc::from(bytes))
            })
            .await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| DbError::Other(format!("{}: row does not decode: {e}", T::TABLE)))
    }

    /// Drops row `id` from the cache after a write — call it after a
    /// hand-written statement ([`Db::exec`]) that changed the row. An
    /// unreachable cache remembers the key and drops it when it is back.
    pub async fn invalidate<T: Table>(&self, id: i64) {
        if let Some(cache) = &self.cache {
            let _ = cache.delete(&T::row_key(id)).await;
        }
    }
}
