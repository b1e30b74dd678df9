//! The two-database test service as a binary, for its `db` commands.

#[keel::main]
async fn main() -> std::process::ExitCode {
    keel_tests::twodb::app().run().await
}
