use keel::prelude::*;

#[keel::api(path = "/account")]
impl AccountHandler {
    async fn get(name: String) -> ApiResult<String> {
        Ok(answer_json(name))
    }
}

fn main() {}
