use keel::prelude::*;

#[keel::api(path = "/account/{id}")]
impl AccountItemHandler {
    async fn get(uid: PathParam<u64>) -> ApiResult<u64> {
        Ok(answer_json(uid.0))
    }
}

fn main() {}
