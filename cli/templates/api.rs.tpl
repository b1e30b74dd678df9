//! `GET /v{{version}}{{path}}`.

use keel::prelude::*;

/// What `GET {{path}}` answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct {{Camel}}View {
    /// The signed-in account asking.
    pub account_id: i64,
    /// Server time, RFC 3339 UTC.
    pub time: String,
}

/// {{Camel}}: needs a bearer token (add `public` to open it to anyone, or
/// `permission = "…"` to restrict it to accounts holding a permission).
#[keel::api(path = "{{path}}", version = "{{version}}")]
impl {{Camel}}Handler {
    /// Who asks, and when.
    async fn get(ctx: Ctx) -> ApiResult<{{Camel}}View> {
        Ok(answer_json({{Camel}}View { account_id: ctx.account()?.account_id, time: keel::time::now_rfc3339() }))
    }
}
