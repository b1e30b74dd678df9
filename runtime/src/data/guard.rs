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

/// The breaker and deadline of one named database, shared by its clones.
#[derive(Debug)]
pub(crate) struct StatementGuard {
    open: AtomicBool,
    /// A ping is checking whether a missed deadline means a hung database.
    checking: AtomicBool,
    pub(crate) deadline: Duration,
}

impl StatementGuard {
    pub(crate) fn new(deadline: Duration) -> Arc<StatementGuard> {
        Arc::new(StatementGuard { open: AtomicBool::new(false), checking: AtomicBool::new(false), deadline })
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
        !self.open.load(Ordering::Acquire)
    }

    /// Opens the breaker; `true` for the call that opened it, which starts
    /// the probe.
    pub(crate) fn trip(&self) -> bool {
        !self.open.swap(true, Ordering::AcqRel)
    }

    pub(crate) fn close(&self) {
        self.open.store(false, Ordering::Release);
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
                let _ = work.await;
            });
        }
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
        guard.close();
        assert!(guard.is_closed());
        let waits: Vec<u64> = StatementGuard::probe_waits()
            .take(7)
            .map(|w| u64::try_from(w.as_millis()).unwrap_or(0))
            .collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 2000, 2000]);
    }
}
