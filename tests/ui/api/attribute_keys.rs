use keel::prelude::*;

// Every bad key is reported in one build.
#[keel::api(path = "/test", verison = "1.00.02", public, public)]
impl TestHandler {
    async fn get() -> ApiResult<()> {
        Ok(answer_json(()))
    }
}

#[keel::api(version = "1.00.02")]
impl NoPath {
    async fn get() -> ApiResult<()> {
        Ok(answer_json(()))
    }
}

fn main() {}
