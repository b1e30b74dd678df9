//! Boots manage_system (seed: `http_manage_sys.py`): config → database →
//! router with versions → middleware → error catchers → serve.

#[keel::main]
async fn main() -> std::process::ExitCode {
    manage_system::uri_router::app() // router with versions, tables, first account
        // middleware: `.hoop(..)`; the envelope frame and error catchers are built in
        .run() // serve (default), routes, openapi
        .await
}
