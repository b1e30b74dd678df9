// A free-fn handler stays a plain function: callable by name, its name free
// for a local binding, its attributes kept once.
use keel::prelude::*;

#[keel::service(name = "demo", id = 9, port = 8009, prefix = "demo", version = "1.00.02")]
pub struct DemoConf;

/// Echoes the body.
#[keel::api(method = "post", path = "/echo", public)]
#[must_use = "a route's answer is written by keel"]
pub async fn echo(Json(text): Json<String>) -> ApiResult<String> {
    Ok(answer_json(text))
}

keel::uri_router!(DemoConf => echo);

#[keel::main(bin_name = "http_demo")]
async fn main() {
    // Called directly, as any async fn.
    let answer = echo(Json("hi".to_owned())).await;
    assert!(answer.is_ok());
    // A local may take the handler's name.
    let echo = 3;
    assert_eq!(echo, 3);
    assert_eq!(uri_router().endpoints().len(), 1);
}
