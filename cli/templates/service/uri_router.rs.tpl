//! Every handler of the service, in one list (seed: `uri_router.py`).
//! Two handlers on the same verb + version + path stop the build. Add one
//! with `cargo run -p keel-cli -- new api <name> --service {{name}} --path /<path>`.

use crate::{{Conf}};
use crate::interface::item::ItemHandler;{{router_uses}}

keel::uri_router!({{Conf}} => ItemHandler{{router_extra}});

/// The service ready to boot: routes, tables, sign-in, timed jobs and
/// scripts, with its configuration and migrations built in (a binary
/// copied alone into an empty folder runs).
pub fn app() -> keel::App<{{kind_type}}> {
    let app = keel::App::new(uri_router())
        .embedded_config(include_str!("../config/default.toml"))
        .embedded_migrations(keel::embed_migrations!("../../migrations/{{name}}"))
        .models(crate::db_model::models)
        .auth(crate::api_base::authority());
    crate::script::register(app)
}
