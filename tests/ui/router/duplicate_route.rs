use keel::prelude::*;

#[keel::service(name = "manage_system", id = 1, port = 8001, prefix = "sys", version = "1.00.02")]
pub struct SysConf;

#[keel::api(path = "/account/{id}", version = "1.00.02")]
impl AccountHandler {
    async fn put(id: PathParam<u64>) -> ApiResult<u64> {
        Ok(answer_json(id.0))
    }
}

// No version: takes the service's 1.00.02, and `{uid}` matches `{id}`.
#[keel::api(path = "/account/{uid}")]
impl UserHandler {
    async fn get(uid: PathParam<u64>) -> ApiResult<u64> {
        Ok(answer_json(uid.0))
    }
    async fn put(uid: PathParam<u64>) -> ApiResult<u64> {
        Ok(answer_json(uid.0))
    }
}

keel::uri_router!(SysConf => AccountHandler, UserHandler);

fn main() {}
