//! The probe service as a real binary, for the tests that need a process:
//! configuration from files and variables, log files, SIGTERM.

#[keel::main]
async fn main() -> std::process::ExitCode {
    keel::App::new(keel_tests::probe::uri_router()).run().await
}
