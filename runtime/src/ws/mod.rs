//! WebSocket endpoints (seed: `ws_*` services), on salvo's WebSocket
//! support. A socket is declared like a route — `#[keel::ws(path, version)]`
//! with the same compile-time path and version rules as `#[api]` — on an
//! `impl keel::ws::Socket for T`: open → typed JSON messages → close.
//!
//! - Frames are JSON `{"type": …, "data": …}`; a message that does not
//!   parse gets `{"type":"error","data":{"code":40000,"msg":…}}` and the
//!   connection stays open.
//! - Not marked `public`, a socket needs a token (`Authorization: Bearer`
//!   or `?token=`, since browsers cannot set headers on a WebSocket); a bad
//!   one is refused with the 401 envelope before the upgrade.
//! - keel pings every `server.ws_ping_interval` seconds and closes a client
//!   silent for `server.ws_idle_timeout` seconds; on shutdown every open
//!   connection gets close code 1001 (salvo runs upgraded connections as
//!   detached tasks, so keel tracks them).
//!
//! ```
//! use keel::prelude::*;
//! use keel::ws::{Socket, WsConn, WsError};
//!
//! #[derive(Deserialize)]
//! #[serde(tag = "type", content = "data", rename_all = "snake_case")]
//! pub enum Incoming {
//!     Echo(String),
//! }
//!
//! /// Echoes what it is sent.
//! #[keel::ws(path = "/echo", version = "1.00.00", public)]
//! impl Socket for EchoSocket {
//!     type In = Incoming;
//!     type State = ();
//!     async fn open(_conn: &WsConn) -> Result<(), ApiError> {
//!         Ok(())
//!     }
//!     async fn message(conn: &WsConn, _state: &mut (), msg: Incoming) -> Result<(), WsError> {
//!         let Incoming::Echo(text) = msg;
//!         conn.send("echo", &text)
//!     }
//! }
//! ```

use crate::auth::Principal;
use crate::http::answer::{ApiError, ErrorCode, write_error};
use crate::http::declare::{Endpoint, RouteDecl};
pub use crate::state::Sockets;
use crate::state::{AppState, Backends};
use futures_util::{SinkExt, StreamExt};
use salvo::websocket::{Message, WebSocket, WebSocketUpgrade};
use salvo::{Depot, FlowCtrl, Handler, Request, Response, async_trait};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use gate::Woken;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc};
use tokio_tungstenite::tungstenite;
use tungstenite::protocol::WebSocketConfig;
use write::{End, missed_messages, relay_batch, within};

mod gate;
mod write;

/// A WebSocket endpoint's behaviour; declared with `#[keel::ws]`.
pub trait Socket: Send + Sync + 'static {
    /// Messages from the client: `{"type", "data"}` frames, usually an
    /// enum with `#[serde(tag = "type", content = "data")]`.
    type In: DeserializeOwned + Send + 'static;
    /// Per-connection state, made by `open`.
    type State: Send + 'static;

    /// A client connected (after the token check, when the socket is
    /// protected). An error closes the connection with the error's message.
    fn open(conn: &WsConn) -> impl Future<Output = Result<Self::State, ApiError>> + Send;

    /// One message from the client. An error is sent back as an `error`
    /// frame; the connection stays open.
    fn message(
        conn: &WsConn,
        state: &mut Self::State,
        msg: Self::In,
    ) -> impl Future<Output = Result<(), WsError>> + Send;

    /// A message published on the channel this connection
    /// [follows](WsConn::follow): the text frame to send, or `None` to skip
    /// it (a filter). Runs on the connection's own task, with its state; by
    /// default the published text goes out as it is.
    fn relay(conn: &WsConn, state: &mut Self::State, published: &str) -> Option<String> {
        let _ = (conn, state);
        Some(published.to_owned())
    }

    /// The connection ended (client close, idle timeout, shutdown).
    fn close(conn: &WsConn, state: Self::State) -> impl Future<Output = ()> + Send {
        let _ = (conn, state);
        async {}
    }
}

/// A message-level failure, sent to the client as an `error` frame.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{msg}")]
pub struct WsError {
    /// A keel business code (40000 bad message, …).
    pub code: ErrorCode,
    /// What to tell the client.
    pub msg: String,
}

impl WsError {
    /// 40000 with `msg`.
    pub fn bad_message(msg: impl Into<String>) -> WsError {
        WsError { code: ErrorCode::BadRequest, msg: msg.into() }
    }
}

impl From<ApiError> for WsError {
    fn from(err: ApiError) -> Self {
        WsError { code: err.code(), msg: err.message().to_owned() }
    }
}

/// One open connection, as handlers see it; cheap to clone (a forwarding
/// task may keep one).
#[derive(Clone, Debug)]
pub struct WsConn {
    outbox: mpsc::Sender<Message>,
    /// A channel `follow` asked for, picked up by the connection's task.
    followed: Arc<std::sync::Mutex<Option<Followed>>>,
    /// The signed-in account (protected sockets).
    pub principal: Option<Principal>,
    state: Arc<AppState>,
}

impl Backends for WsConn {
    fn state(&self) -> &AppState {
        &self.state
    }
}

/// A `{"type", "data"}` message to a client.
#[derive(Serialize)]
struct TypedMessage<'a, T> {
    #[serde(rename = "type")]
    kind: &'a str,
    data: T,
}

#[derive(Serialize)]
struct ErrorData<'a> {
    code: u32,
    msg: &'a str,
}

impl WsConn {
    /// Sends `{"type": kind, "data": data}`. Fails only when the
    /// connection is gone.
    pub fn send<T: Serialize + ?Sized>(&self, kind: &str, data: &T) -> Result<(), WsError> {
        let text = serde_json::to_string(&TypedMessage { kind, data })
            .map_err(|e| WsError { code: ErrorCode::Internal, msg: format!("frame does not encode: {e}") })?;
        self.send_text(text)
    }

    /// Sends a prepared text frame (a broadcast encodes once for everyone).
    pub fn send_text(&self, text: String) -> Result<(), WsError> {
        // A full outbox means a client that does not read: drop its frame
        // rather than stall everyone broadcasting to it.
        self.outbox.try_send(Message::text(text)).map_err(|err| WsError {
            code: ErrorCode::Unavailable,
            msg: match err {
                mpsc::error::TrySendError::Full(_) => "client too slow: frame dropped".to_owned(),
                mpsc::error::TrySendError::Closed(_) => "connection closed".to_owned(),
            },
        })
    }

    /// Sends an `error` frame.
    pub fn send_error(&self, err: &WsError) -> Result<(), WsError> {
        self.send("error", &ErrorData { code: err.code as u32, msg: &err.msg })
    }

    /// Whether the connection is still open.
    pub fn is_open(&self) -> bool {
        !self.outbox.is_closed()
    }

    /// Relays the pub/sub `channel` to this client from now on: each
    /// message goes through [`Socket::relay`] and out, read by the
    /// connection's own task — no task or queue per client between the
    /// broadcast and the socket. One channel per connection; a later call
    /// (in `open` or `message`) switches to the new one.
    pub fn follow(&self, channel: &str) {
        let receiver = self.state.pubsub().subscribe(channel);
        *self.followed.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(receiver);
    }

    fn take_followed(&self) -> Option<Followed> {
        self.followed.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }
}

type Followed = broadcast::Receiver<Arc<str>>;

/// The next message of the followed channel; never, when there is none.
async fn next_published(feed: &mut Option<Followed>) -> Result<Arc<str>, broadcast::error::RecvError> {
    match feed {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

/// Frames queued per connection before new ones are dropped.
const OUTBOX: usize = 256;

/// The salvo handler of a socket (made by `#[keel::ws]`).
pub struct WsEndpoint<S: Socket> {
    route: &'static RouteDecl,
    socket: PhantomData<fn() -> S>,
}

impl<S: Socket> WsEndpoint<S> {
    #[doc(hidden)]
    pub fn new(route: &'static RouteDecl) -> Self {
        WsEndpoint { route, socket: PhantomData }
    }
}

#[async_trait]
impl<S: Socket> Handler for WsEndpoint<S> {
    async fn handle(&self, req: &mut Request, depot: &mut Depot, res: &mut Response, _ctrl: &mut FlowCtrl) {
        let Some(state) = crate::http::frame::state_of(depot).cloned() else {
            write_error(ApiError::internal("socket outside a keel App"), depot, res);
            return;
        };
        let principal = depot.get_typed::<Principal>().ok().cloned();
        let route = self.route;
        let upgraded = WebSocketUpgrade::with_config(socket_config(state.config().server.body_limit))
            .upgrade(req, res, move |ws| async move {
                let sockets = Arc::clone(state.sockets());
                let _open = sockets.track();
                serve::<S>(ws, state, principal, route).await;
            })
            .await;
        if let Err(err) = upgraded {
            write_error(ApiError::bad_request(format!("websocket upgrade: {}", err.brief)), depot, res);
        }
    }
}

/// Bytes read from a socket at a time. tungstenite zero-fills the free
/// part of its read window before every read attempt, and a connection's
/// task tries a read on every wake — each frame it relays — so its default
/// 128 KiB window cost a 128 KiB memset per broadcast message per client
/// (a quarter of the CPU of a 1 000-client broadcast). A larger message is
/// still read whole, a window at a time.
const READ_WINDOW: usize = 4 * 1024;

/// A socket's limits: the read window, and messages (and frames) no larger
/// than an HTTP body may be (`server.body_limit`), instead of tungstenite's
/// 64 MiB.
fn socket_config(body_limit: usize) -> WebSocketConfig {
    let mut config = WebSocketConfig::default().read_buffer_size(READ_WINDOW);
    config.max_message_size = Some(body_limit);
    // tungstenite's own frame limit stays the ceiling.
    config.max_frame_size = Some(body_limit.min(16 << 20));
    config
}

/// The close code of a message over the size limit.
const TOO_BIG: u16 = 1009;

/// Whether a read failed on a message over the size limit (close 1009).
fn too_big(err: &salvo::Error) -> bool {
    match err {
        salvo::Error::Other(inner) => {
            matches!(inner.downcast_ref::<tungstenite::Error>(), Some(tungstenite::Error::Capacity(_)))
        }
        _ => false,
    }
}

async fn serve<S: Socket>(
    ws: WebSocket,
    state: Arc<AppState>,
    principal: Option<Principal>,
    route: &'static RouteDecl,
) {
    let (mut sink, mut stream) = ws.split();
    let (outbox, mut queued) = mpsc::channel::<Message>(OUTBOX);
    let mut shutdown = state.sockets().subscribe();
    let ping_every = Duration::from_secs(state.config().server.ws_ping_interval.max(1));
    let idle_limit = Duration::from_secs(state.config().server.ws_idle_timeout.max(1));
    let conn = WsConn { outbox, followed: Arc::default(), principal, state: Arc::clone(&state) };
    let mut user = match S::open(&conn).await {
        Ok(user) => user,
        Err(err) => {
            let _ =
                within(idle_limit, sink.send(Message::close_with(1008u16, err.message().to_owned()))).await;
            return;
        }
    };
    let mut feed = conn.take_followed();
    let mut heartbeat = tokio::time::interval(ping_every);
    heartbeat.tick().await;
    let mut last_heard = Instant::now();
    let metrics = crate::metrics::metrics();
    // The client's frames and the outbox are polled only once woken: a
    // relayed message wakes this task without a read attempt (gate.rs).
    let (reading, sending) = (Woken::new(), Woken::new());
    let end = loop {
        tokio::select! {
            incoming = std::future::poll_fn(|cx| reading.poll(cx, |cx| stream.poll_next_unpin(cx))) => {
                let msg = match incoming {
                    Some(Ok(msg)) => msg,
                    Some(Err(err)) if too_big(&err) => break End::Close(TOO_BIG, "message too big"),
                    _ => break End::Gone,
                };
                last_heard = Instant::now();
                if msg.is_close() {
                    break End::Gone;
                }
                if msg.is_ping() || msg.is_pong() {
                    continue;
                }
                metrics.ws_frame_in();
                let parsed = match msg.as_str() {
                    Ok(text) => serde_json::from_str::<S::In>(text)
                        .map_err(|e| WsError::bad_message(format!("unreadable message: {e}"))),
                    Err(_) => Err(WsError::bad_message("frames are JSON text, {\"type\", \"data\"}")),
                };
                let outcome = match parsed {
                    Ok(message) => S::message(&conn, &mut user, message).await,
                    Err(err) => Err(err),
                };
                if let Err(err) = outcome {
                    let _ = conn.send_error(&err);
                }
                if let Some(switched) = conn.take_followed() {
                    feed = Some(switched);
                }
            }
            published = next_published(&mut feed) => match published {
                // This message and those already waiting behind it (a
                // client that fell behind), written with one flush: a
                // backlog drains in a write or two, not a write per message.
                Ok(text) => {
                    let relayed = relay_batch::<S>(&conn, &mut user, &mut feed, text, &mut sink, (route, idle_limit));
                    if let Err(end) = relayed.await {
                        break end;
                    }
                }
                // A client that reads slower than the channel is published
                // to misses what it fell behind on, and no one else waits.
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    missed_messages(route, missed);
                }
                Err(broadcast::error::RecvError::Closed) => feed = None,
            },
            Some(frame) = std::future::poll_fn(|cx| sending.poll(cx, |cx| queued.poll_recv(cx))) => {
                if let Err(end) = within(idle_limit, sink.send(frame)).await {
                    break end;
                }
                metrics.ws_frame_out();
            }
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > idle_limit {
                    break End::Close(1001, "idle timeout");
                }
                if let Err(end) = within(idle_limit, sink.send(Message::ping(Vec::<u8>::new()))).await {
                    break end;
                }
            }
            _ = shutdown.changed() => break End::Close(1001, "server shutting down"),
        }
    };
    // A close frame when there is one to send; a write that stalls here
    // ends like one that stalled in the loop.
    let closing = match end {
        End::Close(code, reason) => {
            within(idle_limit, sink.send(Message::close_with(code, reason))).await.map(|()| Some(code))
        }
        End::Gone => Ok(None),
        End::Stalled => Err(End::Stalled),
    };
    match closing {
        Err(End::Stalled) => {
            // Nothing more can be written: drop the socket. The process lets
            // go of it now; the kernel ends the TCP connection.
            log::info!(
                target: crate::logging::INFO,
                "socket {}: a write stayed blocked {}s (the client stopped reading); connection dropped",
                route.path,
                idle_limit.as_secs()
            );
            S::close(&conn, user).await;
            return;
        }
        // The read failed, so the stream has ended: nothing more can be
        // read, and the rest of the oversized message sits unread in the
        // socket. Closing a socket with unread data sends a reset, which can
        // destroy the close frame before the client reads it: end the write
        // side, and give the client a moment first.
        Ok(Some(TOO_BIG)) => {
            let _ = within(idle_limit, sink.close()).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        // The closing handshake: give the client a moment to answer the
        // close (reading what it still sends) before the socket goes.
        Ok(Some(_)) => {
            let _ = tokio::time::timeout(Duration::from_secs(2), async {
                while let Some(Ok(msg)) = stream.next().await {
                    if msg.is_close() {
                        break;
                    }
                }
            })
            .await;
        }
        Ok(None) | Err(_) => {}
    }
    let _ = within(idle_limit, sink.close()).await;
    log::debug!(target: crate::logging::INFO, "socket {} closed", route.path);
    S::close(&conn, user).await;
}

/// The endpoint of a `#[keel::ws]` socket.
#[doc(hidden)]
pub fn endpoint<S: Socket>(route: &'static RouteDecl, doc: &'static str) -> Endpoint {
    Endpoint::new(route, doc, WsEndpoint::<S>::new(route), |_| salvo::oapi::Operation::new())
}
