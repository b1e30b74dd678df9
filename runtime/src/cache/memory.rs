//! The in-process cache: the same API as Redis (TTL included) for a
//! service run without a cache configured. Bounded: past the limit, expired
//! entries go first, then the entries closest to expiry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries kept at most.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Default)]
pub(crate) struct MemoryStore {
    entries: Mutex<HashMap<String, Entry>>,
}

#[derive(Debug)]
struct Entry {
    value: Vec<u8>,
    expires: Option<Instant>,
}

impl Entry {
    fn live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|at| at > now)
    }
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock cannot leave a map half-written.
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn get(&self, key: &str) -> Option<Vec<u8>> {
        let now = Instant::now();
        let mut entries = self.lock();
        match entries.get(key) {
            Some(entry) if entry.live(now) => Some(entry.value.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    pub(crate) fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) {
        let now = Instant::now();
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(key) {
            entries.retain(|_, e| e.live(now));
            if entries.len() >= MAX_ENTRIES {
                // Evict the tenth closest to expiry (entries without TTL last).
                let mut by_expiry: Vec<(Option<Instant>, String)> =
                    entries.iter().map(|(k, e)| (e.expires, k.clone())).collect();
                by_expiry.sort_by_key(|(at, _)| at.map_or((1, now), |at| (0, at)));
                for (_, key) in by_expiry.into_iter().take(MAX_ENTRIES / 10) {
                    entries.remove(&key);
                }
            }
        }
        entries.insert(key.to_owned(), Entry { value: value.to_vec(), expires: ttl.map(|ttl| now + ttl) });
    }

    /// Adds one to the counter under `key`, starting a `window` on the
    /// first count; returns the count and the time left in the window.
    pub(crate) fn incr(&self, key: &str, window: Duration) -> (i64, Duration) {
        let now = Instant::now();
        let mut entries = self.lock();
        let entry = entries
            .entry(key.to_owned())
            .and_modify(|e| {
                if !e.live(now) {
                    *e = Entry { value: b"0".to_vec(), expires: Some(now + window) };
                }
            })
            .or_insert_with(|| Entry { value: b"0".to_vec(), expires: Some(now + window) });
        let count =
            std::str::from_utf8(&entry.value).ok().and_then(|v| v.parse::<i64>().ok()).unwrap_or(0) + 1;
        entry.value = count.to_string().into_bytes();
        let left = entry.expires.map_or(window, |at| at.saturating_duration_since(now));
        (count, left)
    }

    /// Sets `key` unless it holds a live value; `true` when it was set.
    pub(crate) fn set_nx(&self, key: &str, value: &[u8], ttl: Duration) -> bool {
        let now = Instant::now();
        let mut entries = self.lock();
        if entries.get(key).is_some_and(|e| e.live(now)) {
            return false;
        }
        entries.insert(key.to_owned(), Entry { value: value.to_vec(), expires: Some(now + ttl) });
        true
    }

    pub(crate) fn delete(&self, key: &str) -> bool {
        let now = Instant::now();
        self.lock().remove(key).is_some_and(|e| e.live(now))
    }

    pub(crate) fn ttl(&self, key: &str) -> Option<Option<Duration>> {
        let now = Instant::now();
        let entries = self.lock();
        let entry = entries.get(key).filter(|e| e.live(now))?;
        Some(entry.expires.map(|at| at - now))
    }
}
