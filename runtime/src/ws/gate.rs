//! Polling a connection's quiet sources only once they have been woken.
//!
//! A connection's task wakes for every message relayed to its client, and
//! `tokio::select!` then polls every branch again, including the client's
//! read side and the outbox, which have nothing most of the time. A read
//! attempt is not free: it takes the lock the read and write halves share,
//! zero-fills tungstenite's read window, and asks the reactor for
//! readiness. A profile of a 1 000-client broadcast put those polls at
//! several percent of the process's CPU, paid once per relayed message per
//! client.
//!
//! A [`Woken`] source is polled with a waker of its own, and only after
//! that waker has fired (the way `FuturesUnordered` polls only the futures
//! that were woken). So a relayed message costs no read attempt, and a
//! frame from the client still wakes the task and is read at once.

use futures_util::task::AtomicWaker;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

/// A source polled only when its own waker has fired since it last said
/// `Pending`.
pub(super) struct Woken {
    flag: Arc<Flag>,
    /// The waker the source is polled with: it raises the flag and wakes
    /// the connection's task.
    waker: Waker,
}

struct Flag {
    /// The source may have something: poll it.
    woken: AtomicBool,
    /// The connection's task, to wake when the source's waker fires.
    task: AtomicWaker,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl Woken {
    /// A gate that polls its source on the first call.
    pub(super) fn new() -> Woken {
        let flag = Arc::new(Flag { woken: AtomicBool::new(true), task: AtomicWaker::new() });
        Woken { waker: Waker::from(Arc::clone(&flag)), flag }
    }

    /// `source` polled with this gate's waker when it was woken since it
    /// last returned `Pending`; `Pending` without polling it otherwise.
    /// Either way the caller's task is woken when the source's waker fires.
    pub(super) fn poll<T>(
        &self,
        cx: &mut Context<'_>,
        source: impl FnOnce(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        // Registered before the flag is read: a wake that lands in between
        // raises the flag and wakes this task, so it is not lost.
        self.flag.task.register(cx.waker());
        if !self.flag.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let polled = source(&mut Context::from_waker(&self.waker));
        if polled.is_ready() {
            // More may be ready with no new wake (frames tungstenite has
            // already buffered, messages queued behind this one).
            self.flag.woken.store(true, Ordering::Release);
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Counts the polls of a source and hands out its waker.
    struct Source {
        polls: AtomicUsize,
        ready: AtomicBool,
        waker: std::sync::Mutex<Option<Waker>>,
    }

    impl Source {
        fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
            self.polls.fetch_add(1, Ordering::Relaxed);
            if self.ready.swap(false, Ordering::Relaxed) {
                return Poll::Ready(());
            }
            *self.waker.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(cx.waker().clone());
            Poll::Pending
        }

        fn fire(&self) {
            self.ready.store(true, Ordering::Relaxed);
            let waker = self.waker.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    /// Counts the wakes of the task that polls the gate.
    struct Task(AtomicUsize);

    impl Wake for Task {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn a_quiet_source_is_polled_once_until_it_wakes_then_again_after_ready() {
        let source =
            Source { polls: AtomicUsize::new(0), ready: AtomicBool::new(false), waker: Default::default() };
        let task = Arc::new(Task(AtomicUsize::new(0)));
        let task_waker = Waker::from(Arc::clone(&task));
        let mut cx = Context::from_waker(&task_waker);
        let gate = Woken::new();

        // First poll reaches the source; the next ones do not while it is quiet.
        for _ in 0..5 {
            assert!(gate.poll(&mut cx, |cx| source.poll(cx)).is_pending());
        }
        assert_eq!(source.polls.load(Ordering::Relaxed), 1);

        // The source's waker wakes the task, and the next poll reaches it.
        source.fire();
        assert_eq!(task.0.load(Ordering::Relaxed), 1);
        assert!(gate.poll(&mut cx, |cx| source.poll(cx)).is_ready());
        // After a ready poll the source is polled again without a wake
        // (it may hold more), then it is quiet again.
        assert!(gate.poll(&mut cx, |cx| source.poll(cx)).is_pending());
        assert!(gate.poll(&mut cx, |cx| source.poll(cx)).is_pending());
        assert_eq!(source.polls.load(Ordering::Relaxed), 3);
    }
}
