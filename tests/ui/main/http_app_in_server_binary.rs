// Seed rule 9 in full: a `server_` binary serves HTTP routes and
// WebSockets; an app with HTTP routes only is an `http_` binary.

use keel::prelude::*;

#[keel::service(name = "chat", id = 3, port = 8003, prefix = "cht", version = "1.00.00")]
pub struct ChatConf;

#[keel::api(path = "/rooms", public)]
impl RoomHandler {
    async fn get() -> ApiResult<&'static str> {
        Ok(answer_json("lobby"))
    }
}

keel::uri_router!(ChatConf => RoomHandler);

#[keel::main(bin_name = "server_chat")]
async fn main() -> std::process::ExitCode {
    keel::App::new(uri_router()).run().await
}
