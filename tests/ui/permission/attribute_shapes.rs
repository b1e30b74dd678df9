// #[permission("…")] overrides one method of a class view: once, with one
// name; a free fn names its permission in #[api].
use keel::prelude::*;

#[keel::service(name = "manage_system", id = 1, port = 8001, prefix = "sys", version = "1.00.02")]
pub struct SysConf;

keel::permissions!(SysConf => "account.read");

#[keel::api(method = "get", path = "/one")]
#[permission("account.read")]
async fn one() -> ApiResult<u8> {
    Ok(answer_json(1))
}

#[keel::api(path = "/two")]
impl Two {
    #[permission("account.read")]
    #[permission("account.read")]
    async fn get() -> ApiResult<u8> {
        Ok(answer_json(1))
    }
    #[permission(42)]
    async fn post() -> ApiResult<u8> {
        Ok(answer_json(1))
    }
}

keel::uri_router!(SysConf => one, Two);

fn main() {}
