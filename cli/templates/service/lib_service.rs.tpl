//! {{name}}: {{description}} (`{{bin}}`, prefix `{{prefix}}`): no external
//! interface — its tables, timed jobs and scripts.

pub mod config;
pub mod db_model;
pub mod rc_model;
pub mod script;

pub use config::{{Conf}};

/// The service ready to boot: tables, timed jobs and scripts, with its
/// configuration and migrations built in.
pub fn app() -> keel::App<keel::kind::NoRoutes> {
    let app = keel::App::new(keel::UriRouter::new(<{{Conf}} as keel::Service>::INFO))
        .embedded_config(include_str!("../config/default.toml"))
        .embedded_migrations(keel::embed_migrations!("../../migrations/{{name}}"))
        .models(db_model::models);
    script::register(app)
}
