//! Writing to a socket's client: relayed batches, and the limit on every
//! write that lets go of a client which stopped reading.

use super::{Followed, Socket, WsConn};
use crate::http::declare::RouteDecl;
use crate::time::poll_within;
use futures_util::SinkExt;
use salvo::websocket::{Message, WebSocket};
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// Published messages relayed per wake at most: a client far behind still
/// lets its connection read, ping and shut down in between.
const RELAY_BATCH: usize = 64;

/// Relays `first` and what is already waiting behind it on `feed` (at most
/// [`RELAY_BATCH`]), each through [`Socket::relay`], then flushes once.
pub(super) async fn relay_batch<S: Socket>(
    conn: &WsConn,
    user: &mut S::State,
    feed: &mut Option<Followed>,
    first: Arc<str>,
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    (route, limit): (&RouteDecl, Duration),
) -> Result<(), End> {
    let metrics = crate::metrics::metrics();
    let mut next = Some(first);
    let mut relayed = 0;
    while let Some(text) = next.take() {
        if let Some(frame) = S::relay(conn, user, &text) {
            within(limit, sink.feed(Message::text(frame))).await?;
            metrics.ws_frame_out();
            relayed += 1;
        }
        if relayed < RELAY_BATCH {
            next = match feed.as_mut().map(broadcast::Receiver::try_recv) {
                Some(Ok(text)) => Some(text),
                Some(Err(broadcast::error::TryRecvError::Lagged(missed))) => {
                    missed_messages(route, missed);
                    None
                }
                // Nothing waiting; or the channel closed, which the next
                // `recv` reports.
                _ => None,
            };
        }
    }
    if relayed > 0 {
        within(limit, sink.flush()).await?;
    }
    Ok(())
}

/// Why a connection's loop ended.
pub(super) enum End {
    /// The client closed, or the socket failed: nothing to send.
    Gone,
    /// Close with this code and reason.
    Close(u16, &'static str),
    /// A write stayed blocked past the idle limit: the client stopped
    /// reading and its socket's buffers are full.
    Stalled,
}

/// One write to the client (a frame, a flush, a close), cut once it has
/// waited `limit` for room in the socket. A client that stops reading
/// fills its socket's buffers, and the write then waits for room that never
/// comes; meanwhile the connection's task runs no ping, no idle check and
/// no shutdown, so without a limit the socket would be held until the
/// process stops. A client that reads slowly makes room within the limit
/// on every write and is kept. The clock starts when the write first has
/// to wait ([`poll_within`]): most writes only fill tungstenite's buffer
/// and are done at once, without a timer.
pub(super) async fn within<F>(limit: Duration, write: F) -> Result<(), End>
where
    F: Future<Output = Result<(), salvo::Error>>,
{
    let mut write = pin!(write);
    let mut timer = None;
    let start = || tokio::time::sleep(limit);
    let written = std::future::poll_fn(|cx| poll_within(write.as_mut(), &mut timer, start, cx)).await;
    match written {
        Some(Ok(())) => Ok(()),
        Some(Err(_)) => Err(End::Gone),
        None => Err(End::Stalled),
    }
}

/// A client that reads slower than its channel is published to skips what
/// it fell behind on; the log says how much.
pub(super) fn missed_messages(route: &RouteDecl, missed: u64) {
    log::debug!(target: crate::logging::INFO, "socket {}: client missed {missed} message(s)", route.path);
}
