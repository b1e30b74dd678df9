//! Every handler of the service, in one list (seed: `uri_router.py`).
//! Two handlers on the same verb + version + path stop the build.

use crate::SysConf;
use crate::interface::account::{AccountHandler, AccountItemHandler, AccountMeHandler};
use crate::interface::login::{LoginRecordHandler, login, logout};
use crate::interface::test::TestHandler;

keel::uri_router!(SysConf => TestHandler, login, logout, AccountHandler, AccountMeHandler, AccountItemHandler, LoginRecordHandler);

/// The service ready to boot: routes, tables, sign-in and the first-account step.
pub fn app() -> keel::App {
    keel::App::new(uri_router())
        .models(crate::db_model::models)
        .auth(crate::api_base::ManageAuthority)
        .on_start(crate::api_base::ensure_first_account)
}
