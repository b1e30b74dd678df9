//! The keel side: a keel binary like any service (config, log files with an
//! access line per request, request id, envelope).

#[keel::main]
async fn main() -> std::process::ExitCode {
    keel::App::new(keel_bench::uri_router()).run().await
}
