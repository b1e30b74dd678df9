//! Shared cache models and channels (seed: `common/model_rc`).

use keel::prelude::*;
use keel::time::DateTime;

/// The pub/sub channel of notices: manage_system publishes, ws_guidance
/// pushes them to its clients (checked against the naming rule).
pub const NOTICE_CHANNEL: &str = keel::channel!("sys_notice");

/// A notice as published and as pushed to clients (`{"type":"notice","data":…}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Notice {
    /// Only clients subscribed to this topic (or to none) get it; `None`
    /// reaches everyone.
    pub topic: Option<String>,
    /// Headline.
    pub title: String,
    /// Text.
    pub body: String,
    /// When it was posted, UTC.
    pub created_at: DateTime,
}
