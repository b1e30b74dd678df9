// Seed rule 9 in full: a `ws_` binary serves WebSockets only; this app has
// HTTP routes only, so its name must be `http_manage_sys`.

use keel::prelude::*;

#[keel::service(name = "manage_system", id = 1, port = 8001, prefix = "sys", version = "1.00.02")]
pub struct SysConf;

#[keel::api(path = "/test", public)]
impl TestHandler {
    async fn get() -> ApiResult<&'static str> {
        Ok(answer_json("ok"))
    }
}

keel::uri_router!(SysConf => TestHandler);

#[keel::main(bin_name = "ws_manage_sys")]
async fn main() -> std::process::ExitCode {
    keel::App::new(uri_router()).run().await
}
