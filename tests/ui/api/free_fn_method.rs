use keel::prelude::*;

#[keel::api(path = "/login")]
async fn login() -> ApiResult<()> {
    Ok(answer_json(()))
}

#[keel::api(method = "head", path = "/logout")]
async fn logout() -> ApiResult<()> {
    Ok(answer_json(()))
}

#[keel::api(method = "get", path = "/account")]
impl AccountHandler {
    async fn get() -> ApiResult<()> {
        Ok(answer_json(()))
    }
}

fn main() {}
