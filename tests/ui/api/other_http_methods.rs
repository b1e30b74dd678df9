use keel::prelude::*;

#[keel::api(path = "/account")]
impl AccountHandler {
    async fn get() -> ApiResult<()> {
        Ok(answer_json(()))
    }
    async fn head() -> ApiResult<()> {
        Ok(answer_json(()))
    }
    async fn POST() -> ApiResult<()> {
        Ok(answer_json(()))
    }
}

fn main() {}
