//! {{name}}: {{description}} (`{{bin}}`, prefix `{{prefix}}`, port {{port}}),
//! laid out as the seed's singleton-interface service: no `uri_router`,
//! one route entry in [`api_main`].

pub mod api_base;
pub mod api_main;
pub mod config;
pub mod db_model;
pub mod rc_model;
pub mod script;

pub use config::{{Conf}};

/// The service ready to boot: the one socket, tables, sign-in, timed jobs
/// and scripts, with its configuration and migrations built in.
pub fn app() -> keel::App<keel::kind::WsOnly> {
    let router = keel::UriRouter::new(<{{Conf}} as keel::Service>::INFO).with::<api_main::LiveSocket>();
    let app = keel::App::new(router)
        .embedded_config(include_str!("../config/default.toml"))
        .embedded_migrations(keel::embed_migrations!("../../migrations/{{name}}"))
        .models(db_model::models)
        .auth(api_base::authority());
    script::register(app)
}
