use keel::prelude::*;

#[keel::service(name = "manage_system", id = 1, port = 8001, prefix = "sys", version = "1.00.02")]
pub struct SysConf;

#[keel::api(path = "/test")]
impl TestHandler {
    async fn get() -> ApiResult<()> {
        Ok(answer_json(()))
    }
}

keel::uri_router!(SysConf => TestHandler, TestHandler);

fn main() {}
