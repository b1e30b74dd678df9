//! Every statement keel sends runs under a deadline and a circuit breaker.
//!
//! A database that is down answers "connection refused" in a millisecond;
//! one that is hung (frozen, partitioned, a stuck lock) answers nothing, and
//! without a deadline every request would wait the pool's timeout. Past
//! `query_timeout_ms` a statement answers 503 and the database is pinged;
//! if the ping does not answer within the deadline either (a slow
//! statement or a held lock is not a hung database) the breaker opens:
//! while it is open, statements fail at once (no request waits on a
//! database that is not answering) and a background probe pings with
//! backoff until the database answers again.
//!
//! A statement is never dropped half-way: its request may be cancelled (the
//! deadline, a client that went away), but the statement is handed to a
//! background task that reads its answer, so its connection goes back to
//! the pool in step with the server instead of holding an answer the next
//! query would read as its own.

use crate::cache::breaker::Breaker;
use crate::data::db::{Db, DbError};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

/// Default deadline of one statement (pool checkout included).
pub(crate) const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(3);
/// Longest wait between two probes of a database that is not answering.
const MAX_PROBE_WAIT: Duration = Duration::from_secs(2);
/// How long a statement cut by its deadline may go on in the background.
/// A host that died after taking a statement never answers (the drivers set
/// no read timeout): past this the statement is dropped, so its pooled
/// connection cannot stay held forever and starve the pool.
const BACKGROUND_CEILING: Duration = Duration::from_secs(60);

/// The breaker and deadline of one named database, shared by its clones.
/// The breaker is the cache's: one atomic load per statement while closed.
#[derive(Debug)]
pub(crate) struct StatementGuard {
    breaker: Breaker,
    /// A ping is checking whether a missed deadline means a hung database.
    checking: AtomicBool,
    pub(crate) deadline: Duration,
}

impl StatementGuard {
    pub(crate) fn new(deadline: Duration) -> Arc<StatementGuard> {
        Arc::new(StatementGuard { breaker: Breaker::new(), checking: AtomicBool::new(false), deadline })
    }

    /// `true` for the one caller that should start the check after a
    /// missed deadline; [`StatementGuard::checked`] ends it.
    pub(crate) fn start_check(&self) -> bool {
        !self.checking.swap(true, Ordering::AcqRel)
    }

    pub(crate) fn checked(&self) {
        self.checking.store(false, Ordering::Release);
    }

    /// Whether statements may go to the database.
    pub(crate) fn is_closed(&self) -> bool {
        self.breaker.is_closed()
    }

    /// Opens the breaker; `true` for the call that opened it, which starts
    /// the probe.
    pub(crate) fn trip(&self) -> bool {
        self.breaker.trip()
    }

    /// Closes the breaker; returns how long it was open.
    pub(crate) fn close(&self) -> Duration {
        self.breaker.close()
    }

    /// Waits between probes: 100 ms, doubling up to 2 s.
    pub(crate) fn probe_waits() -> impl Iterator<Item = Duration> {
        std::iter::successors(Some(Duration::from_millis(100)), |wait| Some((*wait * 2).min(MAX_PROBE_WAIT)))
    }
}

/// A statement that finishes in the background when dropped before its
/// answer arrived.
pub(crate) struct Statement<F: Future + Send + 'static>
where
    F::Output: Send,
{
    work: Option<Pin<Box<F>>>,
}

impl<F: Future + Send + 'static> Statement<F>
where
    F::Output: Send,
{
    pub(crate) fn new(work: F) -> Statement<F> {
        Statement { work: Some(Box::pin(work)) }
    }
}

impl<F: Future + Send + 'static> Future for Statement<F>
where
    F::Output: Send,
{
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // `None` only after Ready, and a finished future is not polled again.
        let Some(work) = self.work.as_mut() else { return Poll::Pending };
        let ready = work.as_mut().poll(cx);
        if ready.is_ready() {
            self.work = None;
        }
        ready
    }
}

impl<F: Future + Send + 'static> Drop for Statement<F>
where
    F::Output: Send,
{
    fn drop(&mut self) {
        if let Some(work) = self.work.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                let _ = tokio::time::timeout(BACKGROUND_CEILING, work).await;
            });
        }
    }
}

/// Statements under the guard.
impl Db {
    /// The pool's connections for `/metrics`: open, in use, idle, and
    /// requests waiting for one.
    pub(crate) async fn pool_state(&self) -> [(&'static str, i64); 4] {
        let mut counts = [("open", 0), ("in_use", 0), ("idle", 0), ("waiting", 0)];
        if let Ok(pool) = self.rb.get_pool() {
            let state = pool.state().await;
            for (slot, key) in counts.iter_mut().zip(["connections", "in_use", "idle", "waits"]) {
                slot.1 = state[key]
                    .as_i64()
                    .or_else(|| state[key].as_u64().and_then(|u| i64::try_from(u).ok()))
                    .unwrap_or(0);
            }
        }
        counts
    }

    /// Whether the database counts as answering: `false` while its breaker
    /// is open (a statement and a ping both missed `query_timeout_ms`).
    pub fn answering(&self) -> bool {
        self.guard.is_closed()
    }

    /// The readiness check of `/health`: down while the breaker is open or
    /// when a ping fails; a ping still waiting after `within` (a busy pool)
    /// counts as up — the breaker, not a health probe under load, decides
    /// that a database is hung, so a load balancer does not drop every
    /// instance exactly when they are busiest.
    pub async fn ready(&self, within: Duration) -> Result<(), DbError> {
        if !self.answering() {
            return Err(self.not_answering());
        }
        match tokio::time::timeout(within, self.ping()).await {
            Ok(result) => result,
            Err(_) => Ok(()),
        }
    }
    /// One round trip under the deadline, whatever the breaker says (boot
    /// and the probe).
    pub(super) async fn ping_unguarded(&self) -> Result<(), DbError> {
        let rb = self.rb.clone();
        match tokio::time::timeout(
            self.guard.deadline,
            Statement::new(async move { rb.exec("SELECT 1", vec![]).await }),
        )
        .await
        {
            Ok(result) => result.map(drop).map_err(DbError::from),
            Err(_) => Err(self.not_answering()),
        }
    }

    /// Runs one statement: at once `Unavailable` while the breaker is open;
    /// past the deadline `Unavailable`, the breaker opened, and the
    /// statement left to finish in the background (see `data::guard`).
    pub(super) async fn guarded<T, F>(&self, work: F) -> Result<T, DbError>
    where
        F: std::future::Future<Output = Result<T, rbatis::Error>> + Send + 'static,
        T: Send + 'static,
    {
        if !self.guard.is_closed() {
            return Err(DbError::Unavailable(format!(
                "database `{}` is not answering; failing fast until it does",
                self.name
            )));
        }
        match tokio::time::timeout(self.guard.deadline, Statement::new(work)).await {
            Ok(result) => result.map_err(DbError::from),
            Err(_) => {
                self.check_hung();
                Err(self.not_answering())
            }
        }
    }

    /// After a missed deadline: pings (once at a time) and opens the
    /// breaker only if the ping misses the deadline too.
    fn check_hung(&self) {
        if !self.guard.start_check() {
            return;
        }
        let db = self.clone();
        tokio::spawn(async move {
            if db.ping_unguarded().await.is_err() {
                db.trip();
            }
            db.guard.checked();
        });
    }

    fn not_answering(&self) -> DbError {
        DbError::Unavailable(format!(
            "database `{}` did not answer within {:?} (query_timeout_ms)",
            self.name, self.guard.deadline
        ))
    }

    /// Opens the breaker; the call that opened it starts the probe, which
    /// closes it once the database answers again.
    fn trip(&self) {
        if !self.guard.trip() {
            return;
        }
        log::error!(
            target: crate::logging::FAILED,
            "database `{}` did not answer within {:?}: requests fail fast (503) until it answers",
            self.name,
            self.guard.deadline
        );
        let db = self.clone();
        tokio::spawn(async move {
            for wait in StatementGuard::probe_waits() {
                tokio::time::sleep(wait).await;
                if db.ping_unguarded().await.is_ok() {
                    let down = db.guard.close();
                    log::error!(
                        target: crate::logging::FAILED,
                        "database `{}` answers again after {:.1}s",
                        db.name,
                        down.as_secs_f64()
                    );
                    return;
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test]
    async fn a_statement_cut_by_its_deadline_still_finishes() {
        let finished = Arc::new(AtomicUsize::new(0));
        let done = Arc::clone(&finished);
        let slow = Statement::new(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            done.fetch_add(1, Ordering::SeqCst);
        });
        assert!(tokio::time::timeout(Duration::from_millis(10), slow).await.is_err());
        assert_eq!(finished.load(Ordering::SeqCst), 0);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(finished.load(Ordering::SeqCst), 1, "the dropped statement ran to its end");
    }

    #[test]
    fn the_breaker_opens_once_and_probes_back_off_to_two_seconds() {
        let guard = StatementGuard::new(DEFAULT_QUERY_TIMEOUT);
        assert!(guard.is_closed());
        assert!(guard.trip());
        assert!(!guard.trip());
        let _ = guard.close();
        assert!(guard.is_closed());
        let waits: Vec<u64> = StatementGuard::probe_waits()
            .take(7)
            .map(|w| u64::try_from(w.as_millis()).unwrap_or(0))
            .collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 2000, 2000]);
    }
}
