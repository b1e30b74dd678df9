//! Boots manage_system (seed: `http_manage_sys.py`).

use manage_system::uri_router::uri_router;

#[keel::main]
async fn main() -> std::process::ExitCode {
    keel::App::new(uri_router()) // router with versions
        // middleware: `.hoop(..)`; the envelope frame and error catchers are built in
        .run() // serve (default), routes, openapi
        .await
}
