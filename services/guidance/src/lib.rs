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
    keel::App::new(router)
        .embedded_config(include_str!("../config/default.toml"))
        .auth(keel::auth::SessionAuthority)
        .on_start(say_where_sessions_are)
}

/// One boot line saying where tokens are checked — manage_system's
/// database, `sqlite://data/manage_system.db` under the same home unless
/// configured — or, when that database has no sessions table yet, what to
/// run or set (every client would be refused until then).
async fn say_where_sessions_are(state: std::sync::Arc<keel::AppState>) -> Result<(), keel::BoxError> {
    use keel::Backends;
    let Ok(db) = state.db() else {
        let line = "guidance: no database configured to check tokens against: set KEEL_DATABASE__DEFAULT to manage_system's database; until then every client is refused with 401";
        log::warn!(target: keel::logging::FAILED, "{line}");
        println!("{line}");
        return Ok(());
    };
    let line = match db.count::<keel::auth::Session>(&keel::db::Filter::new()).await {
        Ok(_) => format!("guidance: checking tokens in database `{}`, shared with manage_system", db.name()),
        Err(err) => format!(
            "guidance: database `{}` has no sessions to check tokens against ({err}): start manage_system from the same home first (it creates them), or point KEEL_DATABASE__DEFAULT at manage_system's database; until then every client is refused with 401",
            db.name()
        ),
    };
    log::info!(target: keel::logging::INFO, "{line}");
    println!("{line}");
    Ok(())
}
