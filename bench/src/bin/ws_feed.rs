//! The keel side of the broadcast against Sanic: the bench service's feed
//! socket alone, `GET /v1.00.00/feed`, relaying what is published on
//! `bch_feed` through the configured cache's Redis pub/sub.

#[keel::main]
async fn main() -> std::process::ExitCode {
    keel::App::new(keel_bench::feed_router()).run().await
}
