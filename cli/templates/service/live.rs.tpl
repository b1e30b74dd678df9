//! {{live_doc}}: `GET /v{{version}}/live`, upgraded to a WebSocket. A
//! client sends `{"type":"ping"}` and gets `{"type":"pong"}`.

use keel::prelude::*;
use keel::ws::{Socket, WsConn, WsError};

/// Frames a client sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// Answered by `{"type":"pong"}`.
    Ping,
}

/// The live socket of {{name}}. Public: remove `public` to require a token.
#[keel::ws(path = "/live", version = "{{version}}", public)]
impl Socket for LiveSocket {
    type In = ClientFrame;
    type State = ();

    async fn open(_conn: &WsConn) -> Result<(), ApiError> {
        Ok(())
    }

    async fn message(conn: &WsConn, _state: &mut (), msg: ClientFrame) -> Result<(), WsError> {
        match msg {
            ClientFrame::Ping => conn.send("pong", &()),
        }
    }
}
