// Permission names are dot-separated snake_case, declared once; a public
// route needs none.
use keel::prelude::*;

#[keel::service(name = "manage_system", id = 1, port = 8001, prefix = "sys", version = "1.00.02")]
pub struct SysConf;

keel::permissions!(SysConf => "account.read", "Account.Write", "account.read");

#[keel::api(path = "/test", public, permission = "account.read")]
impl TestHandler {
    async fn get() -> ApiResult<u8> {
        Ok(answer_json(1))
    }
}

#[keel::api(method = "put", path = "/account/{id}", permission = "account-write")]
async fn update(id: PathParam<u64>) -> ApiResult<u64> {
    Ok(answer_json(id.0))
}

keel::uri_router!(SysConf => TestHandler, update);

fn main() {}
