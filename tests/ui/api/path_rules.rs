use keel::prelude::*;

#[keel::api(path = "test")]
impl NoSlash {
    async fn get() -> ApiResult<()> {
        Ok(answer_json(()))
    }
}

#[keel::api(path = "/account/")]
impl TrailingSlash {
    async fn get() -> ApiResult<()> {
        Ok(answer_json(()))
    }
}

#[keel::api(path = "/Account/{id}")]
impl UpperCase {
    async fn get() -> ApiResult<()> {
        Ok(answer_json(()))
    }
}

#[keel::api(path = "/org/{id}/member/{id}")]
impl RepeatedParam {
    async fn get() -> ApiResult<()> {
        Ok(answer_json(()))
    }
}

fn main() {}
