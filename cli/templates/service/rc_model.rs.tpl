//! Cache models (seed: `rc_model/`).

use keel::prelude::*;
use keel::time::DateTime;

/// How many items there are, counted by the `count_items` job:
/// `{{prefix}}_stats:items`.
#[keel::cache(prefix = "{{prefix}}", name = "stats", key = "items", ttl = 300)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemStats {
    /// Rows in `{{prefix}}_item`.
    pub items: u64,
    /// When counted, UTC.
    pub counted_at: DateTime,
}
