//! The answer both benchmark servers send, and the keel service serving it.

use keel::prelude::*;

/// The payload of the benchmark answer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Hello {
    /// A greeting.
    pub message: &'static str,
    /// A number, so the body is not only strings.
    pub answer: u32,
}

/// The payload both servers answer.
pub const HELLO: Hello = Hello { message: "hello, world", answer: 42 };

/// The benchmark service.
#[keel::service(name = "bench", id = 900, port = 8900, prefix = "bch", version = "1.00.00")]
pub struct BenchConf;

/// `GET /v1.00.00/hello` through the full keel stack.
#[keel::api(path = "/hello", public)]
impl HelloHandler {
    async fn get() -> ApiResult<Hello> {
        Ok(answer_json(HELLO))
    }
}

keel::uri_router!(BenchConf => HelloHandler);
