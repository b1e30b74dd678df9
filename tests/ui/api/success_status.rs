use keel::prelude::*;

// The success status is part of the return type, so the OpenAPI document
// cannot list 200 for a route that answers 201: `.created()` needs
// `ApiResult<T, 201>`, and `ApiResult<T, 201>` needs `.created()`.
#[keel::api(path = "/account")]
impl AccountHandler {
    async fn post() -> ApiResult<u8> {
        Ok(answer_json(1).created())
    }

    async fn put() -> ApiResult<u8, 201> {
        Ok(answer_json(1))
    }
}

fn main() {}
