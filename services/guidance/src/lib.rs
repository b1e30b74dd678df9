//! guidance: the example WebSocket service (`ws_guidance`, prefix `gui`,
//! port 8002), laid out as the seed's singleton-interface service: no
//! `uri_router`, one route entry in [`api_main`].

pub mod api_main;
pub mod config;

pub use config::GuidanceConf;

/// The service ready to boot: the one socket, signed in with the tokens
/// manage_system issues (shared database and cache).
pub fn app() -> keel::App<keel::kind::WsOnly> {
    let router = keel::UriRouter::new(<GuidanceConf as keel::Service>::INFO).with::<api_main::GuideSocket>();
    keel::App::new(router).auth(keel::auth::SessionAuthority)
}
