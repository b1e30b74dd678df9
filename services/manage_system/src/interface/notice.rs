//! `POST /notice` (the HTTP contract in the README): a notice for every client of ws_guidance,
//! on every instance, through the shared pub/sub.

use keel::prelude::*;
use keel::time::DateTime;
use keel_common::model_rc::{NOTICE_CHANNEL, Notice};

/// A notice to post.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNotice {
    /// Only clients subscribed to this topic (or to none) get it; 1 to 64 characters.
    #[salvo(schema(min_length = 1, max_length = 64))]
    pub topic: Option<String>,
    /// Headline, 1 to 200 characters.
    #[salvo(schema(min_length = 1, max_length = 200))]
    pub title: String,
    /// Text, at most 4000 characters.
    #[salvo(schema(max_length = 4000))]
    pub body: String,
}

/// Post a notice to every connected guidance client: 202, delivered
/// asynchronously.
#[keel::api(method = "post", path = "/notice", version = "1.00.02", permission = "notice.send")]
pub async fn notice(ctx: Ctx, Json(new): Json<NewNotice>) -> ApiResult<(), 202> {
    let NewNotice { topic, title, body } = new;
    let mut errors = Vec::new();
    if topic.as_ref().is_some_and(|t| t.is_empty() || t.chars().count() > 64) {
        errors.push(FieldError::new("topic", "1 to 64 characters"));
    }
    if title.trim().is_empty() || title.chars().count() > 200 {
        errors.push(FieldError::new("title", "1 to 200 characters"));
    }
    if body.chars().count() > 4000 {
        errors.push(FieldError::new("body", "at most 4000 characters"));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let notice = Notice { topic, title, body, created_at: DateTime::now() };
    let payload = serde_json::to_string(&notice).map_err(ApiError::internal)?;
    ctx.pubsub().publish(NOTICE_CHANNEL, &payload).await?;
    ctx.log.info(format_args!("notice `{}` posted", notice.title));
    Ok(answer_json(()).accepted())
}
