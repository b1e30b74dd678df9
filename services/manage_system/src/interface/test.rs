//! `GET /v1.00.02/test`: who answers, and when.

use keel::prelude::*;

/// The service's identity and the server's clock.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestView {
    /// Service name.
    pub service: &'static str,
    /// Service id.
    pub id: u32,
    /// Service version.
    pub version: &'static str,
    /// Server time, RFC 3339 UTC.
    pub time: String,
}

/// Liveness of the API itself: a public route that touches no backend.
#[keel::api(path = "/test", version = "1.00.02", public)]
impl TestHandler {
    /// Service identity and time.
    async fn get(ctx: Ctx) -> ApiResult<TestView> {
        Ok(answer_json(TestView {
            service: ctx.service.name,
            id: ctx.service.id,
            version: ctx.service.version,
            time: keel_common::func::now_rfc3339(),
        }))
    }
}
