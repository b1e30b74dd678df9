//! The listening socket, closed the moment shutdown starts; the policy
//! every accepted connection gets (timeouts, a count against
//! `server.max_connections`); the open-file limit.
//!
//! salvo stops accepting on a graceful stop but keeps the listener open
//! until every connection has drained: meanwhile the kernel still completes
//! new handshakes into the backlog, so new clients hang for the whole drain
//! and a load balancer cannot fail them over. [`ClosingAcceptor`] lets
//! [`ListenerSwitch::close`] drop the socket at once — new connections are
//! refused — while in-flight requests finish.

use crate::config::ServerConfig;
use crate::state::Sockets;
use salvo::conn::ConnCtrl;
use salvo::conn::tcp::TcpAcceptor;
use salvo::conn::{Accepted, Acceptor, Holding, StraightStream};
use salvo::fuse::{
    ArcConnObserver, ArcFusePolicy, ConnObserver, FuseAction, FuseConfig, FuseInfo, FusePolicy,
};
use std::io::Result as IoResult;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// The socket when no accept holds it.
type Slot = Arc<Mutex<Option<TcpAcceptor>>>;

/// A TCP acceptor whose socket [`ListenerSwitch::close`] can drop.
pub(crate) struct ClosingAcceptor {
    slot: Slot,
    holdings: Vec<Holding>,
    /// Turns true on `close` (sent under the slot's lock): an accept in
    /// progress drops the socket, and one that finishes after `close`
    /// drops it rather than put it back — or it would stay open, and new
    /// clients hang, for the whole drain.
    closed: tokio::sync::watch::Receiver<bool>,
}

/// Closes a [`ClosingAcceptor`]'s socket.
#[derive(Clone)]
pub(crate) struct ListenerSwitch {
    slot: Slot,
    close: Arc<tokio::sync::watch::Sender<bool>>,
}

impl ClosingAcceptor {
    pub(crate) fn new(inner: TcpAcceptor) -> (ClosingAcceptor, ListenerSwitch) {
        let holdings = inner.holdings().to_vec();
        let slot = Arc::new(Mutex::new(Some(inner)));
        let (close, closed) = tokio::sync::watch::channel(false);
        let switch = ListenerSwitch { slot: Arc::clone(&slot), close: Arc::new(close) };
        (ClosingAcceptor { slot, holdings, closed }, switch)
    }
}

impl ListenerSwitch {
    /// Drops the listening socket: at once if it is idle in its slot, else
    /// the accept in progress that holds it lets go of it — while the
    /// server goes on serving the connections it has.
    pub(crate) fn close(&self) {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        drop(slot.take());
        let _ = self.close.send(true);
    }
}

impl Acceptor for ClosingAcceptor {
    type Coupler = <TcpAcceptor as Acceptor>::Coupler;
    type Stream = StraightStream<TcpStream>;

    fn holdings(&self) -> &[Holding] {
        &self.holdings
    }

    async fn accept(
        &mut self,
        fuse_policy: Option<ArcFusePolicy>,
    ) -> IoResult<Accepted<Self::Coupler, Self::Stream>> {
        let taken = self.slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        let Some(mut inner) = taken else {
            // Closed: nothing more will be accepted.
            return std::future::pending().await;
        };
        let mut closed = self.closed.clone();
        let accepted = tokio::select! {
            accepted = inner.accept(fuse_policy) => Some(accepted),
            () = async { drop(closed.wait_for(|closed| *closed).await) } => None,
        };
        let Some(accepted) = accepted else {
            // Closed while waiting: the socket goes now.
            drop(inner);
            return std::future::pending().await;
        };
        // Put it back for the next accept (this future was not dropped),
        // unless the switch was thrown meanwhile: then the socket goes now.
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        if *self.closed.borrow() {
            drop(inner);
        } else {
            *slot = Some(inner);
        }
        accepted
    }
}

/// Per-connection timeouts and a count of open connections, so that
/// reaching `server.max_connections` is said in the log (at most once a
/// minute) instead of new clients silently waiting in the backlog.
pub(crate) struct ConnectionPolicy {
    fuse: FuseConfig,
    open: Arc<AtomicUsize>,
    max: usize,
    /// Seconds since `epoch` of the last "limit reached" line (0: never).
    last_warned: AtomicU64,
    epoch: Instant,
    /// Open WebSockets: salvo stops counting a connection once it is
    /// upgraded, so they are left out here too.
    sockets: Arc<Sockets>,
}

/// How often the "limit reached" line may be written.
const WARN_EVERY: Duration = Duration::from_secs(60);

impl ConnectionPolicy {
    pub(crate) fn new(server: &ServerConfig, sockets: Arc<Sockets>) -> ConnectionPolicy {
        let fuse = connection_timeouts(server);
        ConnectionPolicy {
            fuse,
            open: Arc::new(AtomicUsize::new(0)),
            max: server.max_connections.max(1),
            last_warned: AtomicU64::new(0),
            epoch: Instant::now(),
            sockets,
        }
    }

    fn warn_limit_reached(&self) {
        let now = self.epoch.elapsed().as_secs() + 1;
        let last = self.last_warned.load(Ordering::Relaxed);
        if (last == 0 || now.saturating_sub(last) >= WARN_EVERY.as_secs())
            && self.last_warned.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
        {
            log::warn!(
                target: crate::logging::FAILED,
                "{} connections open: server.max_connections reached; new connections wait in the backlog (said at most once a minute)",
                self.max
            );
        }
    }
}

#[salvo::async_trait]
impl FusePolicy for ConnectionPolicy {
    async fn decide(&self, _info: &FuseInfo) -> FuseAction {
        FuseAction::Accept(self.fuse)
    }

    fn observe(&self, _info: &FuseInfo, _ctrl: &ConnCtrl) -> Option<ArcConnObserver> {
        let open = self.open.fetch_add(1, Ordering::Relaxed) + 1;
        if open.saturating_sub(self.sockets.open()) >= self.max {
            self.warn_limit_reached();
        }
        Some(Arc::new(OpenConnection(Arc::clone(&self.open))))
    }
}

/// The timeouts of an accepted connection.
///
/// A connection waiting for a request head — a new one, or a kept-alive one
/// between requests — is closed by hyper's head timer, which restarts each
/// time hyper waits for the next head; that wait is both a head read
/// (`header_timeout`) and idleness (`idle_timeout`), so it gets the shorter
/// of the two. A client that stops taking its answer stalls the write:
/// closed after `idle_timeout`. salvo's own idle timer is left off: it is
/// reset on every read and write (a clock read and a timer update, twice
/// per request, about 1 % of a small request's time), and between requests
/// hyper's head timer already closes the connection first.
fn connection_timeouts(server: &ServerConfig) -> FuseConfig {
    let idle = Duration::from_secs(server.idle_timeout.max(1));
    let head = Duration::from_secs(server.header_timeout.max(1)).min(idle);
    FuseConfig::default().with_http1_header_timeout(head).with_write_stall_timeout(idle)
}

/// Lives as long as its connection; counts it out when dropped.
struct OpenConnection(Arc<AtomicUsize>);

impl ConnObserver for OpenConnection {}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Raises the soft open-file limit to the hard one: every connection, log
/// file and pooled database or cache connection is a descriptor, and the
/// usual soft limit of 1 024 is below what `server.max_connections` allows.
/// Returns the limit in force (`None`: unlimited), to say at boot.
#[cfg(unix)]
pub(crate) fn raise_open_file_limit() -> std::io::Result<Option<u64>> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let below_hard = match (limit.current, limit.maximum) {
        (Some(current), Some(maximum)) => current < maximum,
        (Some(_), None) => true,
        (None, _) => false,
    };
    if !below_hard {
        return Ok(limit.current);
    }
    // An unlimited hard limit still has the kernel's `nr_open` ceiling
    // (1 048 576 by default) for the soft one.
    let target = limit.maximum.unwrap_or(1 << 20);
    setrlimit(Resource::Nofile, rustix::process::Rlimit { current: Some(target), maximum: limit.maximum })?;
    Ok(Some(target))
}
