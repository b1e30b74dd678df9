use keel::prelude::*;

#[keel::api(path = "/account")]
impl AccountHandler {
    async fn fetch() -> ApiResult<()> {
        Ok(answer_json(()))
    }
}

fn main() {}
