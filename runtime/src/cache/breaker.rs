//! The circuit breaker in front of Redis. While Redis is unreachable every
//! cache call would otherwise wait for the driver's timeouts and retries;
//! with the breaker open, a call costs one atomic load and goes straight to
//! the database. A background task probes Redis with backoff and closes the
//! breaker only after the keys that may have gone stale were dropped.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

/// Open/closed state, read on every cache call.
#[derive(Debug)]
pub(crate) struct Breaker {
    open: AtomicBool,
    /// Milliseconds since `epoch` when the current outage began.
    opened_at_ms: AtomicU64,
    epoch: Instant,
}

impl Breaker {
    pub(crate) fn new() -> Breaker {
        Breaker { open: AtomicBool::new(false), opened_at_ms: AtomicU64::new(0), epoch: Instant::now() }
    }

    /// Whether calls may go to Redis.
    pub(crate) fn is_closed(&self) -> bool {
        !self.open.load(Ordering::Acquire)
    }

    /// Opens the breaker; `true` for the call that opened it (it starts the
    /// recovery task and writes the one "outage started" line).
    pub(crate) fn trip(&self) -> bool {
        let first = !self.open.swap(true, Ordering::AcqRel);
        if first {
            let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.opened_at_ms.store(ms, Ordering::Release);
        }
        first
    }

    /// Closes the breaker; returns how long it was open.
    pub(crate) fn close(&self) -> std::time::Duration {
        let opened = std::time::Duration::from_millis(self.opened_at_ms.load(Ordering::Acquire));
        self.open.store(false, Ordering::Release);
        self.epoch.elapsed().saturating_sub(opened)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trips_once_and_closes() {
        let breaker = Breaker::new();
        assert!(breaker.is_closed());
        assert!(breaker.trip(), "the first failure opens it");
        assert!(!breaker.trip(), "later failures do not re-open it");
        assert!(!breaker.is_closed());
        let _ = breaker.close();
        assert!(breaker.is_closed());
        assert!(breaker.trip());
    }
}
