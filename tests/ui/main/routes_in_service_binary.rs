// Seed rule 9 in full: a `service_` binary has no external interface; an
// app serving HTTP routes and a WebSocket is a `server_` binary.

use keel::prelude::*;
use keel::ws::{Socket, WsConn, WsError};

#[keel::service(name = "cleaner", id = 4, port = 8004, prefix = "cln", version = "1.00.00")]
pub struct CleanerConf;

#[keel::api(path = "/status", public)]
impl StatusHandler {
    async fn get() -> ApiResult<&'static str> {
        Ok(answer_json("idle"))
    }
}

#[keel::ws(path = "/progress")]
impl Socket for ProgressSocket {
    type In = String;
    type State = ();
    async fn open(_conn: &WsConn) -> Result<(), ApiError> {
        Ok(())
    }
    async fn message(_conn: &WsConn, _state: &mut (), _msg: String) -> Result<(), WsError> {
        Ok(())
    }
}

#[keel::main(bin_name = "service_cleaner")]
async fn main() -> std::process::ExitCode {
    // Built by hand rather than with uri_router!: the kind joins the same way.
    let router = keel::UriRouter::new(<CleanerConf as keel::Service>::INFO)
        .with::<StatusHandler>()
        .with::<ProgressSocket>();
    keel::App::new(router).run().await
}
