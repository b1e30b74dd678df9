//! The listening socket, closed the moment shutdown starts.
//!
//! salvo stops accepting on a graceful stop but keeps the listener open
//! until every connection has drained: meanwhile the kernel still completes
//! new handshakes into the backlog, so new clients hang for the whole drain
//! and a load balancer cannot fail them over. [`ClosingAcceptor`] lets
//! [`ListenerSwitch::close`] drop the socket at once — new connections are
//! refused — while in-flight requests finish.

use salvo::conn::tcp::TcpAcceptor;
use salvo::conn::{Accepted, Acceptor, Holding, StraightStream};
use salvo::fuse::ArcFusePolicy;
use std::io::Result as IoResult;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::net::TcpStream;

type Slot = Arc<Mutex<Option<TcpAcceptor>>>;

/// A TCP acceptor whose socket [`ListenerSwitch::close`] can drop.
pub(crate) struct ClosingAcceptor {
    slot: Slot,
    holdings: Vec<Holding>,
}

/// Closes a [`ClosingAcceptor`]'s socket.
#[derive(Clone)]
pub(crate) struct ListenerSwitch(Slot);

impl ClosingAcceptor {
    pub(crate) fn new(inner: TcpAcceptor) -> (ClosingAcceptor, ListenerSwitch) {
        let holdings = inner.holdings().to_vec();
        let slot = Arc::new(Mutex::new(Some(inner)));
        (ClosingAcceptor { slot: Arc::clone(&slot), holdings }, ListenerSwitch(slot))
    }
}

impl ListenerSwitch {
    /// Drops the listening socket if it is idle in its slot. While an
    /// accept is in progress the socket lives in that accept's future,
    /// which salvo drops as soon as it stops accepting — closing it too.
    pub(crate) fn close(&self) {
        drop(self.0.lock().unwrap_or_else(PoisonError::into_inner).take());
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
        let accepted = inner.accept(fuse_policy).await;
        // Put it back for the next accept (this future was not dropped).
        *self.slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(inner);
        accepted
    }
}
