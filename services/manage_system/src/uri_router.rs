//! Every handler of the service, in one list (seed: `uri_router.py`).
//! Two handlers on the same verb + version + path stop the build.

use crate::SysConf;
use crate::interface::account::{AccountHandler, AccountItemHandler, AccountMeHandler};
use crate::interface::login::{LoginRecordHandler, login, logout};
use crate::interface::test::TestHandler;

keel::uri_router!(SysConf => TestHandler, login, logout, AccountHandler, AccountMeHandler, AccountItemHandler, LoginRecordHandler);

/// The service ready to boot: routes, tables, sign-in, the first-account
/// step, timed jobs and scripts (seed: `script/`).
pub fn app() -> keel::App {
    use crate::script;
    keel::App::new(uri_router())
        .models(crate::db_model::models)
        .auth(crate::api_base::ManageAuthority)
        .on_start(crate::api_base::ensure_first_account)
        .job("purge_login_records", script::PURGE_SCHEDULE, script::purge_login_records)
        .job("refresh_account_stats", script::STATS_SCHEDULE, script::refresh_account_stats)
        .script("script_fill_display_names", script::script_fill_display_names)
        .script("rescript_purge_login_records", script::purge_login_records)
}
