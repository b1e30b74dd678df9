//! Every handler of the service, in one list (seed: `uri_router.py`).
//! Two handlers on the same verb + version + path stop the build.

use crate::SysConf;
use crate::interface::account::{AccountHandler, AccountItemHandler, AccountMeHandler};
use crate::interface::login::{LoginRecordHandler, login, logout};
use crate::interface::notice::notice;
use crate::interface::role::{RoleHandler, RoleItemHandler};
use crate::interface::test::TestHandler;

keel::uri_router!(
    SysConf => TestHandler, login, logout, AccountHandler, AccountMeHandler, AccountItemHandler,
    LoginRecordHandler, notice, RoleHandler, RoleItemHandler
);

/// The service ready to boot: routes, tables, sign-in, the first-account
/// step, timed jobs and scripts (seed: `script/`).
pub fn app() -> keel::App<keel::kind::HttpOnly> {
    let app = built_in(keel::App::new(uri_router()))
        .models(crate::db_model::models)
        .auth(crate::api_base::ManageAuthority)
        .section::<crate::config::AdminSettings>(crate::config::AdminSettings::SECTION)
        .log_file(crate::api_base::AUDIT_LOG)
        .on_start(crate::api_base::bootstrap);
    crate::script::register(app)
}

/// manage_system with no external interface (seed: a `service_*`
/// launcher): the same tables and timed jobs, no routes. Run beside (or
/// instead of) `http_manage_sys` to keep the jobs off the HTTP instances;
/// each tick still runs once across all of them.
pub fn worker() -> keel::App<keel::kind::NoRoutes> {
    let app = built_in(keel::App::new(keel::UriRouter::new(<crate::SysConf as keel::Service>::INFO)))
        .models(crate::db_model::models);
    crate::script::register(app)
}

/// What the binaries carry so that one copied alone into an empty folder
/// runs: `config/default.toml` and the committed migrations (a folder on
/// disk, when present, is checked against them; files on disk and `KEEL_…`
/// variables still override the configuration).
fn built_in<K: keel::kind::Kind>(app: keel::App<K>) -> keel::App<K> {
    app.embedded_config(include_str!("../config/default.toml"))
        .embedded_migrations(keel::embed_migrations!("../../migrations/manage_system"))
}
