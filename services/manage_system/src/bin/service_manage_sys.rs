//! manage_system's jobs without its HTTP interface (seed: a `service_*`
//! launcher): boots, logs, runs the timed jobs, stops on SIGTERM.

#[keel::main]
async fn main() -> std::process::ExitCode {
    manage_system::uri_router::worker().run().await
}
