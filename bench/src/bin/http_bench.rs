//! The keel side: a keel binary like any service (config, database pool,
//! log files with an access line per request, request id, envelope).

#[keel::main]
async fn main() -> std::process::ExitCode {
    keel::App::new(keel_bench::uri_router())
        .models(keel_bench::models)
        .auth(keel_bench::BenchAuthority)
        .on_start(keel_bench::seed)
        .run()
        .await
}
