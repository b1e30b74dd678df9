use keel::prelude::*;

#[keel::api(path = "/test", version = "1.2")]
impl TestHandler {
    async fn get() -> ApiResult<()> {
        Ok(answer_json(()))
    }
}

fn main() {}
