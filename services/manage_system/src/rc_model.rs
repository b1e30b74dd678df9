//! Cache models (seed: `rc_model/`).

use keel::prelude::*;
use keel::time::DateTime;

/// Accounts per status, refreshed every minute by the
/// `refresh_account_stats` job: `sys_stats:accounts`.
#[keel::cache(prefix = "sys", name = "stats", key = "accounts", ttl = 300)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountStats {
    /// Active accounts.
    pub active: u64,
    /// Disabled accounts.
    pub disabled: u64,
    /// When counted, UTC.
    pub counted_at: DateTime,
}
