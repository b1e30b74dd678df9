use keel::prelude::*;

#[keel::api(path = "/account")]
impl AccountHandler {
    fn get() -> ApiResult<()> {
        Ok(answer_json(()))
    }
}

fn main() {}
