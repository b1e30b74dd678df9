//! Boots manage_system (seed: `http_manage_sys.py`): config → database →
//! router with versions → middleware → error catchers → serve.

// `--features dylib`: keel comes from one shared library (development builds).
#[cfg(feature = "dylib")]
use keel_dylib as _;

#[keel::main]
async fn main() -> std::process::ExitCode {
    manage_system::uri_router::app() // router with versions, tables, first account
        // middleware: `.hoop(..)`; the envelope frame and error catchers are built in
        .run() // serve (default), routes, openapi
        .await
}
