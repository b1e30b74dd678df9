//! Boots guidance (seed: `guidance_ws.py`): config → sessions (shared
//! database and cache) → the socket → serve.

#[keel::main]
async fn main() -> std::process::ExitCode {
    guidance::app().run().await
}
