// A route may only need a permission its service declares.
use keel::prelude::*;

#[keel::service(name = "manage_system", id = 1, port = 8001, prefix = "sys", version = "1.00.02")]
pub struct SysConf;

keel::permissions!(SysConf => "account.read", "account.write");

#[keel::api(path = "/account", permission = "account.read")]
impl AccountHandler {
    async fn get() -> ApiResult<u8> {
        Ok(answer_json(1))
    }
    #[permission("acount.write")]
    async fn post() -> ApiResult<u8> {
        Ok(answer_json(1))
    }
}

keel::uri_router!(SysConf => AccountHandler);

fn main() {}
