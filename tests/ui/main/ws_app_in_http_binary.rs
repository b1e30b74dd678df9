// Seed rule 9 in full: an `http_` binary serves HTTP routes only; this app
// has only a WebSocket, so its name must be `ws_guidance`.

use keel::prelude::*;
use keel::ws::{Socket, WsConn, WsError};

#[keel::service(name = "guidance", id = 2, port = 8002, prefix = "gui", version = "1.00.00")]
pub struct GuidanceConf;

#[keel::ws(path = "/guide")]
impl Socket for GuideSocket {
    type In = String;
    type State = ();
    async fn open(_conn: &WsConn) -> Result<(), ApiError> {
        Ok(())
    }
    async fn message(_conn: &WsConn, _state: &mut (), _msg: String) -> Result<(), WsError> {
        Ok(())
    }
}

keel::uri_router!(GuidanceConf => GuideSocket);

// trybuild names every binary `trybuild000…`; `bin_name` stands in for
// Cargo's CARGO_BIN_NAME here.
#[keel::main(bin_name = "http_guidance")]
async fn main() -> std::process::ExitCode {
    keel::App::new(uri_router()).run().await
}
